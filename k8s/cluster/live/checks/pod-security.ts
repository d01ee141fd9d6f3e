/**
 * Pod Security `restricted`, enforced by the live API server: the project's namespace manifest
 * (rendered with this check's namespace, its labels kept) enforces it; every pod of the kind
 * overlay (api and api-v2) is admitted, without a warning, and starts; each runs as the manifests
 * say, read back from the API and from the running process itself (/proc/1/status, a write to the
 * root file system); and a pod that breaks the profile is refused with the Pod Security message,
 * while the very same pod with the project's settings is admitted.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { LiveCheck, LiveCluster } from '../context';
import type { RenderedObject } from '../kind-overlay';
import { deployment, renderKindOverlay, SHARED_TARGET, withSharedOverlay } from '../kind-overlay';

const TARGET = SHARED_TARGET;
const PSA_LABEL = /^pod-security\.kubernetes\.io\//;

/** What the running API process is, as the kernel sees it: printed as one JSON line by `node -e`. */
const PROCESS_PROBE = [
  "const fs = require('fs');",
  "const status = fs.readFileSync('/proc/1/status', 'utf8');",
  "const field = (name) => (status.match(new RegExp('^' + name + ':\\\\s*(.*)$', 'm')) || [])[1];",
  "let rootWrite = 'written';",
  "try { fs.writeFileSync('/app/.pod-security-probe', 'x'); } catch (e) { rootWrite = e.code; }",
  "console.log(JSON.stringify({ uid: field('Uid'), noNewPrivs: field('NoNewPrivs'), seccomp: field('Seccomp'), " +
    "capEff: field('CapEff'), rootWrite }));",
].join(' ');

function checkNamespaceLabels(cluster: LiveCluster, objects: RenderedObject[]): void {
  const rendered = Object.entries(objects.find((o) => o.kind === 'Namespace')?.metadata.labels ?? {}).filter(([key]) =>
    PSA_LABEL.test(key),
  );
  const live =
    (JSON.parse(cluster.kubectl(['get', 'namespace', TARGET.namespace, '-o', 'json']).out || '{}') as INamespace)
      .metadata?.labels ?? {};
  const same = rendered.length > 0 && rendered.every(([key, value]) => live[key] === value);
  cluster.record(
    'pod security: namespace enforces restricted',
    same && live['pod-security.kubernetes.io/enforce'] === 'restricted',
    `${TARGET.namespace}: ` +
      `${rendered.map(([key]) => `${key.replace(PSA_LABEL, '')}=${live[key] ?? 'missing'}`).join(', ')} (as ` +
      `k8s/base/namespace.yaml sets them)`,
  );
}

/** The pod's and each container's security context as the API server holds it; the faults found. */
export function specFaults(pod: IPod): string[] {
  const faults: string[] = [];
  const podContext = pod.spec?.securityContext;
  if (podContext?.runAsNonRoot !== true) faults.push('runAsNonRoot not set');
  if (podContext?.seccompProfile?.type !== 'RuntimeDefault')
    faults.push(`seccomp ${podContext?.seccompProfile?.type ?? 'unset'}`);
  for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    const context = container.securityContext;
    if (context?.allowPrivilegeEscalation !== false) faults.push(`${container.name}: privilege escalation allowed`);
    if (context?.readOnlyRootFilesystem !== true) faults.push(`${container.name}: writable root`);
    if (!context?.capabilities?.drop?.includes('ALL') || (context.capabilities.add ?? []).length > 0)
      faults.push(`${container.name}: capabilities not all dropped`);
  }
  return faults;
}

/** The process's faults, from PROCESS_PROBE's line. */
export function processFaults(line: string): string[] {
  let seen: Record<string, string>;
  try {
    seen = JSON.parse(line) as Record<string, string>;
  } catch {
    return [`no probe answer: ${line.slice(0, 200)}`];
  }
  const faults: string[] = [];
  if ((seen.uid ?? '').split(/\s+/).some((uid) => uid !== '10001')) faults.push(`uid ${seen.uid}`);
  if (seen.noNewPrivs !== '1') faults.push(`NoNewPrivs ${seen.noNewPrivs}`);
  if (seen.seccomp !== '2') faults.push(`Seccomp ${seen.seccomp} (2 is a filter)`);
  if (!/^0+$/.test(seen.capEff ?? '')) faults.push(`CapEff ${seen.capEff}`);
  if (seen.rootWrite !== 'EROFS') faults.push(`write to /app: ${seen.rootWrite}`);
  return faults;
}

function checkRunningPods(cluster: LiveCluster): void {
  const pods = (
    JSON.parse(cluster.kubectl(['-n', TARGET.namespace, 'get', 'pods', '-o', 'json']).out || '{"items":[]}') as {
      items: IPod[];
    }
  ).items;
  const ready = pods.filter((pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  const instances = [...new Set(pods.map((pod) => pod.metadata?.labels?.['app.kubernetes.io/instance']))].join(', ');
  cluster.record(
    'pod security: every pod admitted and Ready',
    pods.length >= 4 && ready.length === pods.length,
    `${ready.length} of ${pods.length} pods Ready (${instances})`,
  );
  const faults = pods.flatMap((pod) => {
    const name = pod.metadata?.name ?? '';
    const probe = cluster.kubectl([
      '-n',
      TARGET.namespace,
      'exec',
      name,
      '-c',
      'api',
      '--',
      'node',
      '-e',
      PROCESS_PROBE,
    ]);
    return [...specFaults(pod), ...processFaults(probe.out)].map((fault) => `${name}: ${fault}`);
  });
  cluster.record(
    'pod security: settings read back from the running pods',
    pods.length > 0 && faults.length === 0,
    faults.length > 0
      ? faults.join('; ')
      : `${pods.length} pods: runAsNonRoot, RuntimeDefault seccomp, no privilege escalation, read-only root, ALL ` +
          `capabilities dropped; ` +
          'their API process runs as uid 10001 with NoNewPrivs 1, Seccomp 2 (filter), CapEff 0, and a write to /app ' +
          'fails with EROFS',
  );
}

/**
 * api's pod template as a bare pod; `breakProfile` makes it root, with privilege escalation and an
 * added capability. Not `privileged`: this API server refuses that for every namespace
 * (--allow-privileged=false), before Pod Security is asked.
 */
export function probePod(api: IDeployment, namespace: string, breakProfile: boolean): IPod {
  const spec = structuredClone(api.spec!.template.spec!);
  if (breakProfile) {
    spec.securityContext = { ...spec.securityContext, runAsNonRoot: false, runAsUser: 0 };
    spec.containers = spec.containers.map((c) => ({
      ...c,
      securityContext: {
        ...c.securityContext,
        runAsNonRoot: false,
        allowPrivilegeEscalation: true,
        capabilities: { add: ['NET_ADMIN'] },
      },
    }));
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: breakProfile ? 'root-escalating' : 'as-the-project-sets-it',
      namespace,
      labels: { 'app.kubernetes.io/name': 'pod-security-probe' },
    },
    spec,
  };
}

function checkRefusal(cluster: LiveCluster, objects: RenderedObject[]): void {
  const api = deployment(objects, 'api');
  const refused = cluster.kubectl(['create', '-f', '-'], JSON.stringify(probePod(api, TARGET.namespace, true)));
  const message = /violates PodSecurity "restricted:[^"]+": .*/.exec(refused.out)?.[0] ?? '';
  cluster.record(
    'pod security: a root pod with privilege escalation is refused',
    refused.status !== 0 && /allowPrivilegeEscalation/.test(message) && /runAsUser=0/.test(message),
    message || refused.out,
  );
  const admitted = cluster.kubectl(
    ['create', '--dry-run=server', '-f', '-'],
    JSON.stringify(probePod(api, TARGET.namespace, false)),
  );
  cluster.record(
    'pod security: the same pod as the project sets it is admitted',
    admitted.status === 0 && !/Warning/.test(admitted.out),
    `server-side dry run: ${admitted.out}`,
  );
}

export const check: LiveCheck = {
  name: 'pod-security',
  order: 10,
  async run(cluster) {
    await withSharedOverlay(cluster, TARGET, 'pod security', (objects) => {
      checkNamespaceLabels(cluster, objects);
      // The Deployments' templates, asked again without a change: the warn label would name any violation.
      const dryRun = cluster.kubectl(['apply', '--dry-run=server', '-f', '-'], renderKindOverlay(cluster, TARGET).yaml);
      cluster.record(
        'pod security: no warning for the overlay',
        dryRun.status === 0 && !/PodSecurity/.test(dryRun.out),
        `kubectl apply --dry-run=server: ${
          dryRun.out
            .split('\n')
            .filter((line) => /Warning|PodSecurity/.test(line))
            .join('; ') || 'no warning'
        }`,
      );
      checkRunningPods(cluster);
      checkRefusal(cluster, objects);
      return Promise.resolve();
    });
  },
};
