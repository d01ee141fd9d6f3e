/**
 * The NetworkPolicy of k8s/components/gateway-api under kube-router: the API pod behind the base's
 * policies (deny-all, DNS egress, ingress-nginx and monitoring in) plus api-allow-gateway pointed
 * at a stand-in for the Gateway's data-plane namespace. A pod there must reach port 8000, a pod
 * in any other namespace must not, and with api-allow-gateway deleted the data-plane namespace
 * must not either: the opening is this policy's doing, not a gap in the others.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { K8sObject } from '../../test/support/render';
import { apiObjects, clientPod } from '../check-objects';
import type { LiveCluster } from './context';
import { pollUntil } from './poll';

/** The API pods' labels in k8s/base: what the base policies and api-allow-gateway select. */
const API_LABELS = { 'app.kubernetes.io/name': 'mlship', 'app.kubernetes.io/instance': 'api' };
const BASE_POLICIES = ['default-deny-all', 'allow-dns-egress', 'api-allow-ingress-and-monitoring'];

export interface TrafficNamespaces {
  /** Holds the API pod and the policies (the role of `mlship`). */
  app: string;
  /** Stands for the Gateway's data-plane namespace: api-allow-gateway names it. */
  proxy: string;
  /** Any other namespace. */
  other: string;
}

const oneLine = (out: string): string => out.replace(/\s+/g, ' ').trim();

/** The check objects' API Deployment with k8s/base's labels, in the app namespace. */
function apiDeployment(image: string, namespace: string): IDeployment {
  const deployment = structuredClone(apiObjects(image).items.find((item) => item.kind === 'Deployment') as IDeployment);
  deployment.metadata = { name: 'api', namespace, labels: API_LABELS };
  deployment.spec!.selector = { matchLabels: API_LABELS };
  deployment.spec!.template.metadata = { labels: API_LABELS };
  return deployment;
}

/** The rendered policies, in the app namespace, api-allow-gateway letting in `proxy`. */
function policies(docs: K8sObject[], names: TrafficNamespaces): INetworkPolicy[] {
  const rendered = docs.filter(
    (d) => d.kind === 'NetworkPolicy' && [...BASE_POLICIES, 'api-allow-gateway'].includes(d.metadata.name),
  ) as (INetworkPolicy & K8sObject)[];
  return rendered.map((policy) => {
    const copy = structuredClone(policy);
    copy.metadata.namespace = names.app;
    if (copy.metadata.name === 'api-allow-gateway')
      copy.spec!.ingress![0]!.from![0]!.namespaceSelector!.matchLabels!['kubernetes.io/metadata.name'] = names.proxy;
    return copy;
  });
}

/** One GET of a poller pod: when (ms since the epoch, the host's clock) and whether it got 200. */
interface Answer {
  at: number;
  ok: boolean;
  line: string;
}

/**
 * A pod that GETs `url` every half second (1 s timeout) for at most five minutes, a log line per
 * answer. One pod keeps one address: kube-router adds a new pod's address to the policies' sets
 * some seconds after it starts, so a fresh pod per GET would be refused for that reason alone.
 */
function pollerPod(image: string, namespace: string, name: string, url: string): IPod {
  const pod = clientPod(name, image, url);
  // A new connection per GET (agent: false): a kept-alive one would stay open through a policy
  // change, since kube-router, like any NetworkPolicy engine, lets established connections be.
  const script = [
    "const http = require('node:http'); const end = Date.now() + 300000; process.on('SIGTERM', () => process.exit(0));",
    'const once = () => new Promise((done) => { const request = http.get(process.env.URL, { agent: false, timeout: ' +
      "1000 }, (r) => { r.resume(); console.log(Date.now() + ' ' + r.statusCode); done(); });",
    "request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));",
    "request.on('error', (e) => { console.log(Date.now() + ' none ' + (e.code ?? e.name)); done(); }); });",
    'const loop = async () => { while (Date.now() < end) { await once(); await new Promise((r) => setTimeout(r, ' +
      '500)); } };',
    'loop();',
  ].join(' ');
  pod.metadata = { ...pod.metadata, namespace };
  pod.spec!.containers[0]!.command = ['node', '-e', script];
  // Nothing to drain: the namespace's deletion need not wait out the default 30 s.
  pod.spec!.terminationGracePeriodSeconds = 1;
  return pod;
}

function answers(cluster: LiveCluster, namespace: string, name: string): Answer[] {
  return cluster
    .kubectl(['-n', namespace, 'logs', name])
    .out.split('\n')
    .flatMap((line) => {
      const [at, status] = line.trim().split(' ');
      return /^\d+$/.test(at ?? '') ? [{ at: Number(at), ok: status === '200', line: line.trim() }] : [];
    });
}

const summary = (list: Answer[]): string =>
  `${list.filter((a) => a.ok).length} of ${list.length} answered 200` +
  `${list.length > 0 ? `, last: ${list[list.length - 1]!.line.split(' ').slice(1).join(' ')}` : ''}`;

/** The policies and the API Deployment applied in the app namespace; the pod's IP once it runs, else undefined. */
function deployBehindPolicies(cluster: LiveCluster, docs: K8sObject[], names: TrafficNamespaces): string | undefined {
  // Server-side, taking over api-allow-gateway's fields from the apply that checked the route objects.
  const applied = cluster.kubectl(
    ['apply', '--server-side', '--force-conflicts', '--field-manager=mlship-gateway-traffic', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [...policies(docs, names), apiDeployment(cluster.image, names.app)],
    }),
  );
  const rollout = cluster.kubectl(['-n', names.app, 'rollout', 'status', 'deployment/api', '--timeout=180s']);
  const ip = cluster.kubectl([
    '-n',
    names.app,
    'get',
    'pods',
    '-l',
    'app.kubernetes.io/instance=api',
    '-o',
    'jsonpath={.items[0].status.podIP}',
  ]).out;
  return cluster.record(
    `gateway-api: the API pod runs behind the base policies and api-allow-gateway (namespace ${names.app})`,
    applied.status === 0 && rollout.status === 0 && ip !== '',
    `${cluster.image}, pod IP ${ip || 'none'}; ${oneLine(applied.out)}`,
  )
    ? ip
    : undefined;
}

/** Runs the GETs and records a row per fact. The namespaces must exist; the caller removes them. */
export async function checkGatewayPolicyTraffic(
  cluster: LiveCluster,
  docs: K8sObject[],
  names: TrafficNamespaces,
): Promise<void> {
  const ip = deployBehindPolicies(cluster, docs, names);
  if (ip === undefined) return;
  const url = `http://${ip}:8000/readyz`;
  const pollers = [
    pollerPod(cluster.image, names.proxy, 'poller', url),
    pollerPod(cluster.image, names.other, 'poller', url),
  ];
  const started = cluster.kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: pollers }),
  );
  const proxyIn = await pollUntil(
    () => answers(cluster, names.proxy, 'poller'),
    (list) => list.some((a) => a.ok),
    { timeoutSeconds: 90 },
  );
  const firstIn = proxyIn.value.find((a) => a.ok)?.at ?? Date.now();
  cluster.record(
    'gateway-api: a pod of the namespace api-allow-gateway names reaches port 8000',
    started.status === 0 && proxyIn.done,
    `GET ${url} from ${names.proxy}: first 200 ${proxyIn.seconds.toFixed(1)} s after the pollers were created; ` +
      `${summary(proxyIn.value)}`,
  );
  // Both pollers started together: once the first is let in, kube-router knows the second too.
  const otherAfter = await pollUntil(
    () => answers(cluster, names.other, 'poller'),
    (list) => list.filter((a) => a.at > firstIn).length >= 6,
    { timeoutSeconds: 30 },
  );
  cluster.record(
    'gateway-api: a pod of another namespace gets no answer from port 8000',
    otherAfter.value.filter((a) => a.at > firstIn).length >= 6 && otherAfter.value.every((a) => !a.ok),
    `GET ${url} from ${names.other}: ${summary(otherAfter.value)}`,
  );
  const deletedAt = Date.now();
  const deleted = cluster.kubectl(['-n', names.app, 'delete', 'networkpolicy', 'api-allow-gateway', '--wait=true']);
  const closed = await pollUntil(
    () => answers(cluster, names.proxy, 'poller').filter((a) => a.at > deletedAt),
    (list) => list.length >= 3 && list.slice(-3).every((a) => !a.ok),
    { timeoutSeconds: 60 },
  );
  cluster.record(
    'gateway-api: without api-allow-gateway that namespace gets no answer either',
    deleted.status === 0 && closed.done,
    `policy deleted, the same pod's GETs from ${names.proxy}: ` +
      `${closed.done ? `refused within ${closed.seconds.toFixed(1)} s` : 'still answered'}; ` +
      `${summary(closed.value)}`,
  );
}
