/**
 * The pure parts of the live traffic and Pod Security checks, without a cluster: how a connection
 * is traced to the pod that answered it, the kustomization that places the kind overlay in a
 * check's namespace, the pods the checks build from api's template, and what counts as a fault.
 */
import { join, resolve } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { Pod } from 'kubernetes-models/v1/Pod';
import { brokenModelPod } from '../checks/readiness-gate';
import { probePod, processFaults, specFaults } from '../checks/pod-security';
import { imageEntry, kustomization } from '../kind-overlay';
import { nodePortBackends } from '../service-load';

const CONNTRACK = [
  'ipv4     2 tcp      6 117 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=41234 dport=30081 src=198.18.0.12 ' +
    'dst=198.18.1.1 sport=8000 dport=41234 [ASSURED] mark=0 zone=0 use=2',
  'ipv4     2 tcp      6 86399 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=41240 dport=30081 src=198.18.0.13 ' +
    'dst=198.18.1.1 sport=8000 dport=41240 [ASSURED] mark=0 zone=0 use=2',
  // Another NodePort, and the same port reached from another address: neither is the load's.
  'ipv4     2 tcp      6 117 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=41250 dport=30080 src=198.18.0.14 ' +
    'dst=198.18.1.1 sport=8000 dport=41250 [ASSURED] mark=0 zone=0 use=2',
  'ipv4     2 tcp      6 117 TIME_WAIT src=198.18.1.1 dst=198.18.1.1 sport=41260 dport=30081 src=198.18.0.15 ' +
    'dst=198.18.1.1 sport=8000 dport=41260 [ASSURED] mark=0 zone=0 use=2',
  'ipv4     2 udp      17 20 src=198.18.0.5 dst=198.19.0.10 sport=5353 dport=53 [UNREPLIED] src=198.19.0.10 ' +
    'dst=198.18.0.5 sport=53 dport=5353 mark=0 zone=0 use=2',
].join('\n');

/** The parts of api's Deployment the checks' pods are built from. */
function apiDeployment(): IDeployment {
  const securityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api' },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': 'mlship', 'app.kubernetes.io/instance': 'api' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'mlship', 'app.kubernetes.io/instance': 'api' } },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'api',
              image: 'mlship-api:local',
              envFrom: [{ configMapRef: { name: 'mlship-config' } }],
              env: [{ name: 'API_VARIANT', value: 'v1' }],
              securityContext,
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}

describe('the live traffic checks', () => {
  test(
    'when the tracking table is read, then only loopback ' + 'connections to the NodePort name a pod, by local port',
    () => {
      expect(nodePortBackends(CONNTRACK, 30081)).toEqual(
        new Map([
          [41234, '198.18.0.12'],
          [41240, '198.18.0.13'],
        ]),
      );
      expect(nodePortBackends('', 30081).size).toBe(0);
    },
  );

  test('when the image is given by tag, digest or bare name, then kustomize gets the matching images entry', () => {
    expect(imageEntry('mlship-api:local')).toEqual({
      name: 'mlship.invalid/mlship',
      newName: 'mlship-api',
      newTag: 'local',
    });
    expect(imageEntry('127.0.0.1:5000/mlship:1.2')).toEqual({
      name: 'mlship.invalid/mlship',
      newName: '127.0.0.1:5000/mlship',
      newTag: '1.2',
    });
    expect(imageEntry('127.0.0.1:5000/mlship')).toEqual({
      name: 'mlship.invalid/mlship',
      newName: '127.0.0.1:5000/mlship',
      newTag: 'latest',
    });
    expect(imageEntry(`ghcr.io/o/mlship@sha256:${'a'.repeat(64)}`)).toEqual({
      name: 'mlship.invalid/mlship',
      newName: 'ghcr.io/o/mlship',
      digest: `sha256:${'a'.repeat(64)}`,
    });
  });

  test(
    "when the overlay is placed in a namespace, then the kustomization points at the repository's kind overlay " +
      'and labels every pod',
    () => {
      const dir = '/tmp/mlship-live-x';
      const k = kustomization(dir, 'mlship-api:local', { namespace: 'mlship-live-traffic', nodePort: 30081 }) as {
        resources: string[];
        labels: { pairs: Record<string, string>; includeTemplates: boolean }[];
        patches: { patch: string }[];
      };
      expect(resolve(dir, k.resources[0]!)).toBe(join(__dirname, '..', '..', '..', 'overlays', 'kind'));
      expect(k.labels[0]).toMatchObject({
        pairs: { 'mlship.io/live-check': 'mlship-live-traffic' },
        includeTemplates: true,
        includeSelectors: false,
      });
      expect(k.patches[0]!.patch).toContain('value: 30081');
    },
  );

  test(
    "when the broken-model pod is built, then it is api's pod with the Service's labels, MODEL_DIR on the " +
      'tampered copy, and valid',
    () => {
      const pod = brokenModelPod(apiDeployment(), 'mlship-live-traffic');
      expect(() => new Pod(pod).validate()).not.toThrow();
      expect(pod.metadata?.labels).toEqual(apiDeployment().spec!.template.metadata!.labels);
      const api = pod.spec!.containers[0]!;
      expect(api.env?.at(-1)).toEqual({ name: 'MODEL_DIR', value: '/models' });
      expect(api.volumeMounts).toContainEqual({ name: 'tampered-models', mountPath: '/models', readOnly: true });
      expect(pod.spec!.initContainers![0]!.securityContext).toEqual(api.securityContext);
      expect(specFaults(pod)).toEqual([]);
    },
  );

  test('when a pod breaks the restricted profile, then its faults are named', () => {
    const broken = probePod(apiDeployment(), 'mlship-live-psa', true);
    expect(() => new Pod(broken).validate()).not.toThrow();
    expect(specFaults(broken)).toEqual([
      'runAsNonRoot not set',
      'api: privilege escalation allowed',
      'api: capabilities not all dropped',
    ]);
    expect(specFaults(probePod(apiDeployment(), 'mlship-live-psa', false))).toEqual([]);
  });

  test(
    'when the running process is read back, then root, missing NoNewPrivs or seccomp, a capability or a writable ' +
      'root is a fault',
    () => {
      const good = {
        uid: '10001\t10001\t10001\t10001',
        noNewPrivs: '1',
        seccomp: '2',
        capEff: '0000000000000000',
        rootWrite: 'EROFS',
      };
      expect(processFaults(JSON.stringify(good))).toEqual([]);
      expect(
        processFaults(
          JSON.stringify({
            ...good,
            uid: '0\t0\t0\t0',
            noNewPrivs: '0',
            seccomp: '0',
            capEff: '00000000a80425fb',
            rootWrite: 'written',
          }),
        ),
      ).toEqual([
        'uid 0\t0\t0\t0',
        'NoNewPrivs 0',
        'Seccomp 0 (2 is a filter)',
        'CapEff 00000000a80425fb',
        'write to /app: written',
      ]);
      expect(processFaults('error: container not found')[0]).toMatch(/^no probe answer/);
    },
  );
});
