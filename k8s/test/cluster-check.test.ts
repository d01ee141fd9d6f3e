/**
 * The parts of the real cluster's check (k8s/cluster/cluster-check.ts) that need no cluster: its
 * objects against the Kubernetes schemas, the verdict on a pod's routing table, the difference of
 * two host snapshots, and the address arithmetic.
 */
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { inRange, isPodRouteTable } from '../cluster/check-network';
import { apiObjects, clientPod, denyApiPolicy } from '../cluster/check-objects';
import { compareSnapshots, describeDifference } from '../cluster/host-snapshot';

describe('the live check', () => {
  test('when its objects are validated against the Kubernetes schemas, then each is valid', () => {
    const image = 'mlship-api:local';
    const [namespace, deployment, service] = apiObjects(image).items;
    expect(() => {
      new Namespace(namespace as never).validate();
      new Deployment(deployment as never).validate();
      new Service(service as never).validate();
      new Pod(clientPod('client', image, 'http://198.19.0.10:8000/readyz')).validate();
      new NetworkPolicy(denyApiPolicy()).validate();
    }).not.toThrow();
  });

  test('when a pod routing table has a default route or leaves 198.18.0.0/15, then it fails', () => {
    const header = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT';
    const own = [
      'eth0\t000012C6\t010012C6\t0003\t0\t0\t0\t0000FEFF\t0\t0\t0',
      'eth0\t000012C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    ];
    expect(isPodRouteTable([header, ...own].join('\n'))).toEqual({
      ok: true,
      detail: 'routes 198.18.0.0/15 via 198.18.0.1, 198.18.0.0/24',
    });
    expect(
      isPodRouteTable([header, 'eth0\t00000000\t010012C6\t0003\t0\t0\t0\t00000000\t0\t0\t0', ...own].join('\n')).ok,
    ).toBe(false);
    expect(
      isPodRouteTable([header, 'eth0\t0000000A\t010012C6\t0003\t0\t0\t0\t000000FF\t0\t0\t0', ...own].join('\n')).ok,
    ).toBe(false);
  });

  test('when two host snapshots differ, then the difference names what appeared and what went', () => {
    const [difference] = compareSnapshots({ links: ['eth0', 'lo'] }, { links: ['lo', 'mlship0'] });
    expect(difference).toEqual({ kind: 'links', added: ['mlship0'], removed: ['eth0'] });
    expect(describeDifference(difference!)).toBe('+1 (mlship0) -1 (eth0)');
    expect(inRange('198.19.0.1', '198.18.0.0/15')).toBe(true);
    expect(inRange('198.20.0.1', '198.18.0.0/15')).toBe(false);
  });
});
