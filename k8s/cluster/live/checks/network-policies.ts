/**
 * The project's NetworkPolicies (k8s/base/networkpolicy.yaml and the kind overlay's
 * api-allow-nodeport) enforced by kube-router on a real cluster. The kind overlay runs in its own
 * namespace; client pods GET both API Services' ClusterIPs from the sources the policies name (any
 * pod of the namespace `monitoring`; the pods labelled app.kubernetes.io/name=ingress-nginx of the
 * namespace `ingress-nginx`), and from sources they do not (another namespace, the API's own
 * namespace, an unlabelled pod in ingress-nginx). Then policies are deleted and re-applied, and
 * the same GETs change their answer: the blocking was the policies' doing.
 */
import type { LiveCheck, LiveCluster } from '../context';
import type { Answer, Client } from '../client-pods';
import { clientGet, clientName, ownedNamespace, startClients } from '../client-pods';
import { deployKindOverlay } from '../kind-overlay';
import { retireNamespaces } from '../namespaces';
import type { RenderedObject } from '../overlay-render';
import { applyObjects } from '../overlay-render';
import { pollUntil } from '../poll';

const API_NAMESPACE = 'mlship-live-netpol';
const NODE_PORT = 30082;
const OWNER = { 'mlship.io/live-check': API_NAMESPACE };
/** The namespaces the policies name: made here only when absent, deleted only when made here. */
const NAMED_NAMESPACES = ['monitoring', 'ingress-nginx'];
const OTHER_NAMESPACE = 'mlship-live-np-other';

const MONITORING: Client = {
  namespace: 'monitoring',
  name: 'prometheus',
  labels: { 'app.kubernetes.io/name': 'prometheus' },
};
const INGRESS: Client = {
  namespace: 'ingress-nginx',
  name: 'controller',
  labels: { 'app.kubernetes.io/name': 'ingress-nginx' },
};
const INGRESS_OTHER: Client = {
  namespace: 'ingress-nginx',
  name: 'other',
  labels: { 'app.kubernetes.io/name': 'not-the-controller' },
};
const OTHER: Client = {
  namespace: OTHER_NAMESPACE,
  name: 'client',
  labels: { 'app.kubernetes.io/name': 'live-client' },
};
const SAME: Client = { namespace: API_NAMESPACE, name: 'client', labels: { 'app.kubernetes.io/name': 'live-client' } };

type Target = 'api' | 'api-v2';
type Urls = Record<Target, string>;

function probe(cluster: LiveCluster, urls: Urls, client: Client, target: Target): Answer & { line: string } {
  const answer = clientGet(cluster, client, urls[target]);
  return { ...answer, line: `${clientName(client)} → ${target}: ${answer.said}` };
}

/** Probes each pair; passes when every answer is the expected one. */
function expectAll(
  cluster: LiveCluster,
  urls: Urls,
  pairs: [Client, Target][],
  answered: boolean,
): { ok: boolean; detail: string } {
  const results = pairs.map(([client, target]) => probe(cluster, urls, client, target));
  return { ok: results.every((r) => r.answered === answered), detail: results.map((r) => r.line).join('; ') };
}

/** Polls one GET until it answers (or stops answering), while kube-router programs a change. */
async function waitForAnswer(
  cluster: LiveCluster,
  urls: Urls,
  pair: [Client, Target],
  answered: boolean,
): Promise<{ done: boolean; seconds: number; line: string }> {
  const polled = await pollUntil(
    () => probe(cluster, urls, ...pair),
    (r) => r.answered === answered,
    { timeoutSeconds: 60, intervalMs: 500 },
  );
  return { done: polled.done, seconds: polled.seconds, line: polled.value.line };
}

async function nodePortAnswers(nodeIp: string): Promise<string[]> {
  return Promise.all(
    ['127.0.0.1', nodeIp].map(async (host) => {
      try {
        return (
          `${host}:${NODE_PORT} status ` +
          `${(await fetch(`http://${host}:${NODE_PORT}/readyz`, { signal: AbortSignal.timeout(3000) })).status}`
        );
      } catch (error) {
        return (
          `${host}:${NODE_PORT} no answer (` +
          `${(error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).name})`
        );
      }
    }),
  );
}

/**
 * With every policy of the overlay: the allowed sources and the NodePort answer, the others get nothing from api-v2.
 */
async function withAllPolicies(cluster: LiveCluster, urls: Urls): Promise<void> {
  const allowed = expectAll(
    cluster,
    urls,
    [
      [MONITORING, 'api'],
      [MONITORING, 'api-v2'],
      [INGRESS, 'api'],
      [INGRESS, 'api-v2'],
    ],
    true,
  );
  cluster.record('netpol: allowed sources answered', allowed.ok, allowed.detail);
  const nodePort = await nodePortAnswers(cluster.settings.nodeIp);
  cluster.record(
    'netpol: NodePort answers',
    nodePort.every((a) => a.endsWith('status 200')),
    `GET /readyz on ${nodePort.join(', ')}`,
  );
  const denied = expectAll(
    cluster,
    urls,
    [
      [OTHER, 'api-v2'],
      [SAME, 'api-v2'],
      [SAME, 'api'],
      [INGRESS_OTHER, 'api-v2'],
    ],
    false,
  );
  cluster.record(
    'netpol: other sources get nothing',
    denied.ok,
    `${denied.detail} (the API's own namespace denies its pods' egress too: default-deny-all)`,
  );
  // The kind overlay opens v1's port to every source for its NodePort: a pod anywhere reaches it.
  const open = expectAll(
    cluster,
    urls,
    [
      [OTHER, 'api'],
      [INGRESS_OTHER, 'api'],
    ],
    true,
  );
  cluster.record('netpol: api-allow-nodeport opens v1 to every pod', open.ok, open.detail);
}

function deletePolicies(cluster: LiveCluster, names: string[]): void {
  const result = cluster.kubectl(['-n', API_NAMESPACE, 'delete', 'networkpolicy', ...names, '--wait=true']);
  if (result.status !== 0) throw new Error(`kubectl delete networkpolicy: ${result.out}`);
}

/** Deleted and re-applied, each policy changes what the same GET gets. */
async function policyChanges(cluster: LiveCluster, urls: Urls, policies: RenderedObject[]): Promise<void> {
  deletePolicies(cluster, ['api-allow-nodeport']);
  const closed = await waitForAnswer(cluster, urls, [OTHER, 'api'], false);
  const nodePort = await nodePortAnswers(cluster.settings.nodeIp);
  // Not asserted: whether a NodePort needs this policy depends on the engine. kube-router accepts
  // the node's own traffic, and kube-proxy source-NATs the NodePort's to the node.
  const stillOpen = nodePort.every((a) => a.endsWith('status 200'));
  cluster.record(
    'netpol: without api-allow-nodeport',
    closed.done,
    `${closed.line} (${closed.seconds.toFixed(1)} s after the delete); NodePort: ${nodePort.join(', ')}` +
      `${stillOpen ? " (still open: kube-router lets the node's own traffic through)" : ''}`,
  );
  deletePolicies(cluster, ['default-deny-all', 'api-allow-ingress-and-monitoring', 'allow-dns-egress']);
  const opened = await waitForAnswer(cluster, urls, [OTHER, 'api-v2'], true);
  const same = expectAll(
    cluster,
    urls,
    [
      [SAME, 'api-v2'],
      [INGRESS_OTHER, 'api-v2'],
    ],
    true,
  );
  cluster.record(
    'netpol: without any policy the same GETs answer',
    opened.done && same.ok,
    `${opened.line} (${opened.seconds.toFixed(1)} s after the delete); ${same.detail}`,
  );
  applyObjects(cluster, policies);
  const reclosed = await waitForAnswer(cluster, urls, [OTHER, 'api-v2'], false);
  const stillDenied = expectAll(cluster, urls, [[SAME, 'api-v2']], false);
  const stillAllowed = expectAll(
    cluster,
    urls,
    [
      [MONITORING, 'api-v2'],
      [INGRESS, 'api-v2'],
    ],
    true,
  );
  cluster.record(
    'netpol: re-applied policies deny again',
    reclosed.done && stillDenied.ok && stillAllowed.ok,
    `${reclosed.line} (${reclosed.seconds.toFixed(1)} s after ` +
      `the apply); ${stillDenied.detail}; ${stillAllowed.detail}`,
  );
}

/** The namespaces the policies name must not be someone else's: returns the foreign ones. */
function foreignNamespaces(cluster: LiveCluster): string[] {
  return NAMED_NAMESPACES.filter((name) => {
    const label = cluster.kubectl([
      'get',
      'namespace',
      name,
      '--ignore-not-found',
      '-o',
      `jsonpath={.metadata.labels.mlship\\.io/live-check}`,
    ]);
    const exists = cluster.kubectl(['get', 'namespace', name, '--ignore-not-found', '-o', 'name']).out !== '';
    return exists && label.out !== API_NAMESPACE;
  });
}

function cleanUp(cluster: LiveCluster): void {
  const start = Date.now();
  const ours = [
    ...NAMED_NAMESPACES.filter((name) => !foreignNamespaces(cluster).includes(name)),
    OTHER_NAMESPACE,
    API_NAMESPACE,
  ];
  retireNamespaces(cluster, ours);
  cluster.timing(`retire ${ours.join(', ')}`, (Date.now() - start) / 1000);
}

async function runPolicies(cluster: LiveCluster): Promise<void> {
  const deployed = await deployKindOverlay(cluster, { namespace: API_NAMESPACE, nodePort: NODE_PORT });
  if (
    !cluster.record(
      'netpol: deploy',
      deployed.ok,
      `kind overlay in ${API_NAMESPACE} with its policies (${deployed.objects
        .filter((o) => o.kind === 'NetworkPolicy')
        .map((o) => o.metadata.name)
        .join(', ')}): ${deployed.detail} in ${deployed.seconds.toFixed(1)} s`,
    )
  )
    return;
  applyObjects(
    cluster,
    [...NAMED_NAMESPACES, OTHER_NAMESPACE].map((name) => ownedNamespace(name, OWNER)) as unknown as RenderedObject[],
  );
  const clients = startClients(cluster, [MONITORING, INGRESS, INGRESS_OTHER, OTHER, SAME]);
  if (
    !cluster.record(
      'netpol: client pods',
      clients.ok,
      `${clients.detail} (restricted, in ${[...NAMED_NAMESPACES, OTHER_NAMESPACE, API_NAMESPACE].join(', ')})`,
    )
  )
    return;
  const address = (service: string): string =>
    cluster.kubectl([
      '-n',
      API_NAMESPACE,
      'get',
      'service',
      service,
      '-o',
      'jsonpath={.spec.clusterIP}:{.spec.ports[0].port}',
    ]).out;
  const urls: Urls = { api: `http://${address('api')}/readyz`, 'api-v2': `http://${address('api-v2')}/readyz` };
  await withAllPolicies(cluster, urls);
  await policyChanges(
    cluster,
    urls,
    deployed.objects.filter((o) => o.kind === 'NetworkPolicy'),
  );
}

export const check: LiveCheck = {
  name: 'network-policies',
  order: 60,
  async run(cluster) {
    const foreign = foreignNamespaces(cluster);
    if (
      !cluster.record(
        'netpol: named namespaces free',
        foreign.length === 0,
        foreign.length === 0
          ? `${NAMED_NAMESPACES.join(', ')} absent or left by this check`
          : `${foreign.join(', ')} exist and are not this check's: not touched`,
      )
    )
      return;
    try {
      await runPolicies(cluster);
    } finally {
      cleanUp(cluster);
    }
  },
};
