/**
 * Client pods for the NetworkPolicy checks: long-lived pods of the API image, under the same
 * restricted security context as check-objects.ts's one-shot client, that wait idle so that each
 * GET is one `kubectl exec` (a second, not a pod started per request). A GET either answers (the
 * HTTP status) or gets nothing: kube-router rejects what a policy denies (ECONNREFUSED), and a
 * GET that hears nothing gives up after 3 s.
 */
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { clientPod } from '../check-objects';
import type { LiveCluster } from './context';

export interface Client {
  namespace: string;
  name: string;
  labels: Record<string, string>;
}

/**
 * Idles for a day (the pod is deleted with its namespace long before) and ends on SIGTERM: as
 * PID 1, node would ignore it, and each deletion would wait out the 30 s grace period.
 */
const IDLE = "process.on('SIGTERM', () => process.exit(0)); setTimeout(() => {}, 86_400_000)";

/** GETs argv[1] once; prints "status N" or "no answer: CODE"; exits 0 only on a 200. */
const GET = [
  'fetch(process.argv[1], { signal: AbortSignal.timeout(3000) }).then(',
  "(r) => { console.log('status ' + r.status); process.exit(r.status === 200 ? 0 : 1); },",
  "(e) => { console.log('no answer: ' + (e.cause?.code ?? e.name)); process.exit(1); });",
].join(' ');

/** The client's pod: check-objects.ts's client (restricted, image never pulled), idling. */
export function idleClientPod(image: string, client: Client): IPod {
  const pod = clientPod(client.name, image, '');
  const container = pod.spec!.containers[0]!;
  return {
    ...pod,
    metadata: { name: client.name, namespace: client.namespace, labels: client.labels },
    spec: { ...pod.spec!, containers: [{ ...container, command: ['node', '-e', IDLE], env: [] }] },
  };
}

/** A namespace enforcing Pod Security `restricted`, labelled with the check that owns it. */
export function ownedNamespace(name: string, owner: Record<string, string>): INamespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { ...owner, 'pod-security.kubernetes.io/enforce': 'restricted' } },
  };
}

/** Creates the clients' pods and waits (bounded) until each is Ready. */
export function startClients(
  cluster: Pick<LiveCluster, 'kubectl' | 'image'>,
  clients: Client[],
): { ok: boolean; detail: string } {
  const applied = cluster.kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: clients.map((c) => idleClientPod(cluster.image, c)) }),
  );
  if (applied.status !== 0) return { ok: false, detail: `kubectl apply: ${applied.out}` };
  for (const client of clients) {
    const ready = cluster.kubectl([
      '-n',
      client.namespace,
      'wait',
      '--for=condition=Ready',
      `pod/${client.name}`,
      '--timeout=120s',
    ]);
    if (ready.status !== 0) return { ok: false, detail: `${client.namespace}/${client.name} not Ready: ${ready.out}` };
  }
  return { ok: true, detail: `${clients.length} client pods Ready` };
}

export interface Answer {
  /** Got a 200. */
  answered: boolean;
  /** "status 200", "no answer: UND_ERR_CONNECT_TIMEOUT", ... */
  said: string;
}

/** One GET of `url` from inside the client's pod. */
export function clientGet(cluster: Pick<LiveCluster, 'kubectl'>, client: Client, url: string): Answer {
  const result = cluster.kubectl(['-n', client.namespace, 'exec', client.name, '--', 'node', '-e', GET, url]);
  const said =
    result.out
      .split('\n')
      .filter((line) => /^(status|no answer)/.test(line))
      .pop() ?? `kubectl exec: ${result.out}`;
  return { answered: result.status === 0 && said === 'status 200', said };
}

/** "monitoring/prometheus" */
export function clientName(client: Client): string {
  return `${client.namespace}/${client.name}`;
}
