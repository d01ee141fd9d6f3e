/**
 * cluster-check.ts's checks of the API on the cluster: its rollout, the NodePort on the node IP and
 * on loopback (never eth0's), the pod's routes and resolver, and a client pod's GET through the
 * ClusterIP before, during and after a deny-all NetworkPolicy.
 */
import { spawnSync } from 'node:child_process';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { ClusterSettings } from './host-snapshot';
import { apiObjects, clientPod, denyApiPolicy, NAMESPACE, NODE_PORT } from './check-objects';
import { inRange, isPodRouteTable } from './check-network';
import { IMAGE, json, kubectl, record, timings } from './check-run';
import { pollUntil } from '../../scripts/support/poll-until';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function httpStatus(url: string): Promise<string> {
  try {
    return String((await fetch(url, { signal: AbortSignal.timeout(5000) })).status);
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause;
    return `error ${cause?.code ?? (error as Error).message}`;
  }
}

async function waitForPhase(settings: ClusterSettings, pod: string): Promise<string> {
  const phase = () => kubectl(settings, ['-n', NAMESPACE, 'get', 'pod', pod, '-o', 'jsonpath={.status.phase}']).out;
  const polled = await pollUntil(phase, (p) => p === 'Succeeded' || p === 'Failed', {
    timeoutMs: 60_000,
    intervalMs: 500,
  });
  return polled.done ? polled.value : 'timeout';
}

/** A client pod's GET of the API through its ClusterIP: Succeeded when it got 200. */
async function clientGets(
  settings: ClusterSettings,
  name: string,
  url: string,
): Promise<{ phase: string; log: string }> {
  kubectl(settings, ['apply', '-f', '-'], JSON.stringify(clientPod(name, IMAGE, url)));
  const phase = await waitForPhase(settings, name);
  return { phase, log: kubectl(settings, ['-n', NAMESPACE, 'logs', name]).out };
}

/** GET /readyz through the NodePort: on the node IP and on loopback, never on the host's other addresses. */
async function checkNodePort(settings: ClusterSettings): Promise<void> {
  // kube-proxy writes the NodePort's rules once the ready endpoint reaches it: up to a few seconds.
  const nodePortStart = Date.now();
  const { value: readyz } = await pollUntil(
    () => httpStatus(`http://${settings.nodeIp}:${NODE_PORT}/readyz`),
    (s) => s === '200',
    { timeoutMs: 20_000, intervalMs: 500 },
  );
  record(
    'NodePort',
    readyz === '200',
    `GET http://${settings.nodeIp}:${NODE_PORT}/readyz → ${readyz} (` +
      `${((Date.now() - nodePortStart) / 1000).toFixed(1)} s after the rollout)`,
  );
  // And on loopback, as kind maps it to the host (deploy.yml's kind job reaches 127.0.0.1:30080).
  const loopback = await httpStatus(`http://127.0.0.1:${NODE_PORT}/readyz`);
  record('NodePort on loopback', loopback === '200', `GET http://127.0.0.1:${NODE_PORT}/readyz → ${loopback}`);
  // Never on the host's other addresses (eth0's network).
  const hostAddresses = spawnSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((line) => line.split(/\s+/)[3]?.split('/')[0] ?? '')
    .filter((ip) => ip !== '' && !inRange(ip, '198.18.0.0/15') && !inRange(ip, '127.0.0.0/8'));
  const elsewhere = await Promise.all(
    hostAddresses.map(async (ip) => `${ip} ${await httpStatus(`http://${ip}:${NODE_PORT}/readyz`)}`),
  );
  record(
    'NodePort elsewhere',
    elsewhere.length > 0 && elsewhere.every((answer) => answer.includes(' error ')),
    `GET :${NODE_PORT}/readyz on ${elsewhere.join(', ')}`,
  );
}

export async function checkApi(settings: ClusterSettings): Promise<void> {
  const start = Date.now();
  kubectl(settings, ['apply', '-f', '-'], JSON.stringify(apiObjects(IMAGE)));
  const rollout = kubectl(settings, ['-n', NAMESPACE, 'rollout', 'status', 'deployment/api', '--timeout=180s']);
  const podReady = ((Date.now() - start) / 1000).toFixed(1);
  timings.push(`apply → API pod Ready ${podReady} s`);
  const pod = json<{ items: IPod[] }>(
    kubectl(settings, ['-n', NAMESPACE, 'get', 'pods', '-l', 'app=api', '-o', 'json']).out,
    { items: [] },
  ).items[0];
  const podIp = pod?.status?.podIP ?? '';
  if (
    !pod ||
    !record(
      'API pod Ready',
      rollout.status === 0 && inRange(podIp, settings.podCidr),
      `${IMAGE} rolled out in ${podReady} s, pod IP ${podIp} (in ${settings.podCidr})`,
    )
  ) {
    console.log(kubectl(settings, ['-n', NAMESPACE, 'describe', 'pods']).out.split('\n').slice(-25).join('\n'));
    return;
  }
  await checkNodePort(settings);
  const exec = (script: string): { status: number; out: string } =>
    kubectl(settings, ['-n', NAMESPACE, 'exec', pod.metadata?.name ?? '', '--', 'node', '-e', script]);
  const routes = exec("process.stdout.write(require('fs').readFileSync('/proc/net/route', 'utf8'))");
  const verdict = isPodRouteTable(routes.out);
  record('pod routes', routes.status === 0 && verdict.ok, `kubectl exec: ${verdict.detail}`);
  // No cluster DNS, and never the host's resolver: at most the pod's own loopback, where nothing answers.
  const resolv = exec("process.stdout.write(require('fs').readFileSync('/etc/resolv.conf', 'utf8'))");
  const nameservers = [...resolv.out.matchAll(/^nameserver\s+(\S+)/gm)].map(([, ip]) => ip!);
  const outside = nameservers.filter((ip) => !inRange(ip, '198.18.0.0/15') && !inRange(ip, '127.0.0.0/8'));
  record(
    'pod resolver',
    resolv.status === 0 && outside.length === 0,
    `nameservers in the pod's /etc/resolv.conf: ${nameservers.join(', ') || 'none'}; outside the pod and ` +
      `198.18.0.0/15: ${outside.join(', ') || 'none'}`,
  );
  await checkPolicy(settings);
}

async function checkPolicy(settings: ClusterSettings): Promise<void> {
  const clusterIp = kubectl(settings, [
    '-n',
    NAMESPACE,
    'get',
    'service',
    'api',
    '-o',
    'jsonpath={.spec.clusterIP}',
  ]).out;
  const url = `http://${clusterIp}:8000/readyz`;
  const open = await clientGets(settings, 'client-open', url);
  record(
    'ClusterIP from a pod',
    open.phase === 'Succeeded' && inRange(clusterIp, settings.serviceCidr),
    `GET ${url} from a pod: ${open.phase} (${open.log})`,
  );
  kubectl(settings, ['apply', '-f', '-'], JSON.stringify(denyApiPolicy()));
  // kube-router programs a policy within seconds: wait for its chain before asking.
  const chain = () =>
    spawnSync('iptables-save', ['-t', 'filter'], { encoding: 'utf8' }).stdout.includes(':KUBE-NWPLCY-');
  const { done: programmed } = await pollUntil(chain, (found) => found, { timeoutMs: 30_000, intervalMs: 500 });
  const denied = await clientGets(settings, 'client-denied', url);
  // The policy deleted, the same GET answers again: the block was the policy's doing.
  kubectl(settings, ['-n', NAMESPACE, 'delete', 'networkpolicy', 'deny-api', '--wait=true']);
  let reopened = { phase: 'not tried', log: '' };
  for (let attempt = 1; attempt <= 10 && reopened.phase !== 'Succeeded'; attempt++) {
    if (attempt > 1) await sleep(1000);
    reopened = await clientGets(settings, `client-reopened-${attempt}`, url);
  }
  record(
    'NetworkPolicy (kube-router)',
    programmed && denied.phase === 'Failed' && reopened.phase === 'Succeeded',
    `deny-all ingress on the API (${programmed ? 'chain programmed' : 'no KUBE-NWPLCY chain'}): the same GET ` +
      `${denied.phase} (${denied.log}); policy deleted: ${reopened.phase} (${reopened.log})`,
  );
}
