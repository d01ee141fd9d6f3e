/**
 * k8s/components/gateway-api against a real API server. The Gateway API CRDs of the pinned release
 * (standard channel, from k8s/cluster/gateway-api-crds.sh) are installed by server-side apply and
 * must become Established; the production overlay is rendered with the README's lines, as a
 * deployer enables the component, and its routes and NetworkPolicy are applied in a namespace of
 * their own, read back and checked against the Ingresses; the README's Gateway and ReferenceGrant
 * must pass a server dry run; routes broken on purpose must be refused, so a CRD that validated
 * nothing would fail here; and kube-router must enforce the component's NetworkPolicy
 * (../gateway-traffic.ts). It removes what it created: its namespaces, and the CRDs unless they
 * were installed before it ran (those it leaves as they were).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { manifestsDir } from '../manifests';
import {
  componentObjects,
  readmeExamples,
  readmeOverlayLines,
  renderOverlayWith,
} from '../../../test/support/gateway-api';
import type { HTTPRoute } from '../../../test/support/policy-gateway';
import {
  gatewayPolicyNamespace,
  gatewayRedirectPolicy,
  gatewayRoutesPolicy,
} from '../../../test/support/policy-gateway';
import type { K8sObject } from '../../../test/support/render';
import { makeWorkspace } from '../../../test/support/render';
import type { LiveCheck, LiveCluster } from '../context';
import { checkGatewayPolicyTraffic } from '../gateway-traffic';

const NAMESPACE = 'mlship-gateway-check';
/** The route objects go to NAMESPACE; the policy's traffic test adds a data-plane stand-in and a stranger. */
const NAMESPACES = [NAMESPACE, `${NAMESPACE}-proxy`, `${NAMESPACE}-other`];
const FIELD_MANAGER = 'mlship-gateway-check';
const BUNDLE_VERSION = 'gateway.networking.k8s.io/bundle-version';

interface Crd extends K8sObject {
  spec: { group: string };
}

/** The cached CRD folder of the pinned release, fetched first when missing. */
function crdFolder(): string {
  const result = spawnSync('bash', [join(__dirname, '..', '..', 'gateway-api-crds.sh')], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.status !== 0) throw new Error(`gateway-api-crds.sh: ${`${result.stdout}${result.stderr}`.trim()}`);
  return result.stdout.trim();
}

/**
 * The CustomResourceDefinitions of the folder (it also holds a ValidatingAdmissionPolicy, left out: it guards upgrades,
 * it defines no schema).
 */
function readCrds(folder: string): Crd[] {
  return readdirSync(folder)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) => parseAllDocuments(readFileSync(join(folder, file), 'utf8')).map((doc) => doc.toJS() as Crd))
    .filter((doc) => doc?.kind === 'CustomResourceDefinition');
}

function list(items: K8sObject[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

const oneLine = (out: string): string => out.replace(/\s+/g, ' ').trim();

/** A copy of a rendered object moved into the check's namespace. */
function inCheckNamespace<T extends K8sObject>(doc: T): T {
  const copy = structuredClone(doc);
  copy.metadata.namespace = NAMESPACE;
  return copy;
}

/** A route broken one way; the API server must refuse it with a message matching `expected`. */
function refuses(cluster: LiveCluster, label: string, route: HTTPRoute, expected: RegExp): void {
  const applied = cluster.kubectl(
    ['apply', '--dry-run=server', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'],
    JSON.stringify(route),
  );
  cluster.record(
    `gateway-api: ${label} is refused`,
    applied.status !== 0 && expected.test(applied.out),
    oneLine(applied.out),
  );
}

/** Installs the CRDs not there yet and waits until all are Established; the names it installed. */
function installCrds(cluster: LiveCluster, crds: Crd[], version: string): string[] | undefined {
  const existing = cluster.kubectl(['get', 'crd', '-o', 'json']);
  const present = new Map(
    (JSON.parse(existing.out) as { items: Crd[] }).items.map((crd) => [
      crd.metadata.name,
      crd.metadata.annotations?.[BUNDLE_VERSION],
    ]),
  );
  const foreign = crds.filter((crd) => present.has(crd.metadata.name) && present.get(crd.metadata.name) !== version);
  if (
    !cluster.record(
      'gateway-api: no other Gateway API release installed',
      foreign.length === 0,
      foreign.length === 0
        ? `${crds.length - crds.filter((crd) => present.has(crd.metadata.name)).length} of ${crds.length} CRDs to ` +
            `install`
        : `left alone: ` +
            `${foreign.map((crd) => `${crd.metadata.name} ${String(present.get(crd.metadata.name))}`).join(', ')}`,
    )
  )
    return undefined;
  const installed = crds.filter((crd) => !present.has(crd.metadata.name)).map((crd) => crd.metadata.name);
  const start = Date.now();
  const applied = cluster.kubectl(
    ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'],
    list(crds),
  );
  cluster.record(
    `gateway-api: the ${version} CRDs (standard channel) are accepted by server-side apply`,
    applied.status === 0,
    applied.status === 0 ? crds.map((crd) => crd.metadata.name.split('.')[0]).join(', ') : oneLine(applied.out),
  );
  const names = crds.map((crd) => `crd/${crd.metadata.name}`);
  const established = cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...names]);
  const seconds = (Date.now() - start) / 1000;
  cluster.timing('gateway-api CRDs applied to Established', seconds);
  cluster.record(
    'gateway-api: every CRD is Established',
    established.status === 0,
    established.status === 0 ? `${crds.length} in ${seconds.toFixed(1)} s` : oneLine(established.out),
  );
  return installed;
}

/** The component's objects, applied for real, read back, and checked as the jest test checks the render. */
function applyComponent(cluster: LiveCluster, docs: K8sObject[]): void {
  const objects = componentObjects(docs).map(inCheckNamespace);
  const applied = cluster.kubectl(
    ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'],
    list(objects),
  );
  cluster.record(
    "gateway-api: the component's objects from production + the README lines are accepted",
    applied.status === 0,
    oneLine(applied.out),
  );
  const stored = cluster.kubectl([
    '-n',
    NAMESPACE,
    'get',
    'httproutes.gateway.networking.k8s.io,networkpolicies',
    '-o',
    'json',
  ]);
  if (stored.status !== 0) {
    cluster.record('gateway-api: the stored routes read back', false, oneLine(stored.out));
    return;
  }
  const items = (JSON.parse(stored.out) as { items: K8sObject[] }).items;
  // The Ingresses, Services and base policy of the render are the reference for the stored objects.
  const reference = docs.filter(
    (d) => ['Ingress', 'Service'].includes(d.kind) || d.metadata.name === 'api-allow-ingress-and-monitoring',
  );
  const problems = [
    ...gatewayRoutesPolicy([...reference, ...items]),
    ...gatewayRedirectPolicy([...reference, ...items]),
    ...gatewayPolicyNamespace([...reference, ...items]).problems,
  ];
  const api = items.find((d) => d.kind === 'HTTPRoute' && d.metadata.name === 'api') as HTTPRoute | undefined;
  const backends = (api?.spec.rules ?? []).map((rule) =>
    (rule.backendRefs ?? []).map((ref) => `${ref.name}:${String(ref.port)} weight ${String(ref.weight)}`).join(' + '),
  );
  cluster.record(
    "gateway-api: as stored (with the server's defaults) the routes still do what the Ingresses do",
    items.length === objects.length && problems.length === 0,
    problems.length > 0
      ? problems.join('; ')
      : `${items.length} objects; header rule ${backends[0]}; other requests ${backends[1]}`,
  );
}

/** The README's Gateway and ReferenceGrant in the check's namespace, through a server dry run. */
function dryRunExamples(cluster: LiveCluster): void {
  const examples = readmeExamples().map(inCheckNamespace);
  const result = cluster.kubectl(
    ['apply', '--dry-run=server', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'],
    list(examples),
  );
  cluster.record(
    "gateway-api: the README's Gateway and ReferenceGrant pass a server dry run",
    result.status === 0 && examples.length === 2,
    oneLine(result.out),
  );
}

function refuseBrokenRoutes(cluster: LiveCluster, docs: K8sObject[]): void {
  const api = inCheckNamespace(docs.find((d) => d.kind === 'HTTPRoute' && d.metadata.name === 'api') as HTTPRoute);
  const negative = structuredClone(api);
  negative.metadata.name = 'broken-weight';
  negative.spec.rules![1]!.backendRefs![1]!.weight = -1;
  refuses(cluster, 'a route with weight -1', negative, /weight: Invalid value: -1: .*greater than or equal to 0/);
  const glob = structuredClone(api);
  glob.metadata.name = 'broken-header-type';
  glob.spec.rules![0]!.matches![0]!.headers![0]!.type = 'Glob';
  refuses(cluster, 'a header match of type Glob', glob, /type: Unsupported value: "Glob"/);
}

function deleteNamespaces(cluster: LiveCluster): { status: number; out: string } {
  return cluster.kubectl(['delete', 'namespace', ...NAMESPACES, '--ignore-not-found', '--wait=true', '--timeout=180s']);
}

function cleanUp(cluster: LiveCluster, installed: string[]): void {
  const start = Date.now();
  const namespaces = deleteNamespaces(cluster);
  const crds =
    installed.length === 0
      ? { status: 0, out: '' }
      : cluster.kubectl(['delete', 'crd', ...installed, '--wait=true', '--timeout=120s']);
  cluster.record(
    'gateway-api: its namespaces and the CRDs it installed are removed',
    namespaces.status === 0 && crds.status === 0,
    `${NAMESPACES.join(', ')} and ${installed.length} CRDs in ${((Date.now() - start) / 1000).toFixed(1)} s` +
      `${namespaces.status === 0 && crds.status === 0 ? '' : `: ${oneLine(`${namespaces.out} ${crds.out}`)}`}`,
  );
}

async function validate(cluster: LiveCluster): Promise<void> {
  const folder = crdFolder();
  const crds = readCrds(folder);
  const version = crds[0]?.metadata.annotations?.[BUNDLE_VERSION] ?? 'unknown';
  cluster.record(
    'gateway-api: the pinned CRDs are cached',
    crds.length > 0 &&
      folder.endsWith(`gateway-api-${version}`) &&
      crds.every(
        (crd) =>
          crd.metadata.annotations?.[BUNDLE_VERSION] === version &&
          crd.metadata.annotations?.['gateway.networking.k8s.io/channel'] === 'standard',
      ),
    `${crds.length} CRDs of ${version} in ${folder}`,
  );
  // A run stopped half-way leaves its namespaces behind.
  deleteNamespaces(cluster);
  const installed = installCrds(cluster, crds, version);
  if (!installed) return;
  const workspace = makeWorkspace({ from: manifestsDir() });
  try {
    const docs = renderOverlayWith(workspace, 'production', readmeOverlayLines(), cluster.settings.kubectl);
    const created = cluster.kubectl(
      ['create', '-f', '-'],
      list(NAMESPACES.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }))),
    );
    if (
      !cluster.record(
        `gateway-api: namespaces ${NAMESPACES.join(', ')} are created`,
        created.status === 0,
        oneLine(created.out),
      )
    )
      return;
    applyComponent(cluster, docs);
    dryRunExamples(cluster);
    refuseBrokenRoutes(cluster, docs);
    await checkGatewayPolicyTraffic(cluster, docs, { app: NAMESPACE, proxy: NAMESPACES[1]!, other: NAMESPACES[2]! });
  } finally {
    workspace.cleanup();
    cleanUp(cluster, installed);
  }
}

export const check: LiveCheck = {
  name: 'gateway-api',
  order: 80,
  run: validate,
};
