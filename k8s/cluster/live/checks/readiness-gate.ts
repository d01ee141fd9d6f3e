/**
 * Readiness gates traffic: beside the kind overlay's api pods runs one more pod with the api
 * Service's labels, the same pod template, but MODEL_DIR pointing at a copy of the image's
 * registry in which the served model's model.json was edited after sealing. The API verifies each
 * artifact's sha256 at load and refuses to serve it (it exits, so the pod never gets Ready). Many
 * requests through the Service must all succeed, every one answered by a healthy pod (named by
 * the connection's tracking entry), the broken pod answering none, never Ready, and never a ready
 * endpoint of the Service's EndpointSlice.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IEndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import type { LiveCheck, LiveCluster } from '../context';
import type { RenderedObject } from '../kind-overlay';
import { deployment, SHARED_TARGET, withSharedOverlay } from '../kind-overlay';
import { listPods, serving, waitUntil } from '../pods';
import { describeLoad, startServiceLoad } from '../service-load';

const TARGET = SHARED_TARGET;
const BROKEN = 'api-broken-model';
const REQUESTS = 300;

/**
 * Copies the image's registry (the config's MODEL_DIR) to /models and changes one number of the
 * served model (MODEL_NAME) without sealing it again: its recorded sha256 no longer matches.
 */
const TAMPER = [
  "const fs = require('fs');",
  "fs.cpSync(process.env.MODEL_DIR, '/models', { recursive: true });",
  "const dir = '/models/' + process.env.MODEL_NAME;",
  "const file = dir + '/' + fs.readFileSync(dir + '/current', 'utf8').trim() + '/model.json';",
  "const artifact = JSON.parse(fs.readFileSync(file, 'utf8'));",
  'artifact.preprocessing.mean[0] += 1;',
  'fs.writeFileSync(file, JSON.stringify(artifact));',
  "console.log('tampered with ' + file);",
].join(' ');

/** api's own pod template as a bare pod, serving the tampered copy seeded by an init container. */
export function brokenModelPod(api: IDeployment, namespace: string): IPod {
  const template = structuredClone(api.spec!.template);
  const spec = template.spec!;
  const container = spec.containers.find((c) => c.name === 'api')!;
  spec.initContainers = [
    {
      name: 'tamper-model',
      image: container.image,
      imagePullPolicy: container.imagePullPolicy,
      command: ['node', '-e', TAMPER],
      envFrom: container.envFrom,
      resources: container.resources,
      securityContext: container.securityContext,
      volumeMounts: [{ name: 'tampered-models', mountPath: '/models' }],
    },
  ];
  // An env entry wins over the same key from envFrom (the ConfigMap's MODEL_DIR).
  container.env = [...(container.env ?? []), { name: 'MODEL_DIR', value: '/models' }];
  container.volumeMounts = [
    ...(container.volumeMounts ?? []),
    { name: 'tampered-models', mountPath: '/models', readOnly: true },
  ];
  spec.volumes = [...(spec.volumes ?? []), { name: 'tampered-models', emptyDir: { sizeLimit: '16Mi' } }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: BROKEN, namespace, labels: template.metadata?.labels ?? {} },
    spec,
  };
}

function serviceSelector(objects: RenderedObject[]): string {
  const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'api') as unknown as IService;
  return Object.entries(service.spec?.selector ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** Starts the broken pod and waits until its API has refused the model at least once. */
async function startBrokenPod(cluster: LiveCluster, objects: RenderedObject[]): Promise<boolean> {
  const applied = cluster.kubectl(
    ['apply', '-f', '-'],
    JSON.stringify(brokenModelPod(deployment(objects, 'api'), TARGET.namespace)),
  );
  if (!cluster.record('readiness gate: broken pod admitted', applied.status === 0, applied.out)) return false;
  // The refusal as the API wrote it, from the last run that ended (or the one running, which
  // fails the same way): a container just restarting may have neither log for a moment.
  let log = '';
  const failedOnce = await waitUntil(async () => {
    const restarted = ((await listPods(cluster, TARGET.namespace, 'app.kubernetes.io/instance=api')) ?? []).some(
      (p) => p.name === BROKEN && p.restarts > 0,
    );
    log = ['--previous', '--tail=50']
      .map((flag) => cluster.kubectl(['-n', TARGET.namespace, 'logs', BROKEN, '-c', 'api', flag]).out)
      .join('\n');
    return restarted && log.includes('sha256 mismatch');
  }, 120_000);
  const tampered = cluster.kubectl(['-n', TARGET.namespace, 'logs', BROKEN, '-c', 'tamper-model']).out;
  const selected = cluster
    .kubectl(['-n', TARGET.namespace, 'get', 'pods', '-l', serviceSelector(objects), '-o', 'name'])
    .out.split('\n');
  const mismatch = log.split('\n').find((line) => line.includes('sha256 mismatch')) ?? '';
  return cluster.record(
    'readiness gate: broken pod refuses its model',
    failedOnce && mismatch !== '' && selected.includes(`pod/${BROKEN}`),
    `${tampered}; the API exited and restarted${failedOnce ? '' : ' (not within 120 s)'}: ` +
      `${mismatch.slice(0, 240) || log.slice(-240)}; ` +
      `the Service's selector (${serviceSelector(objects)}) matches it: ${selected.includes(`pod/${BROKEN}`)}`,
  );
}

/** The addresses the api Service's EndpointSlices list as ready, and those they list as not ready. */
function sliceAddresses(cluster: LiveCluster): { ready: string[]; notReady: string[] } {
  const out = cluster.kubectl([
    '-n',
    TARGET.namespace,
    'get',
    'endpointslices',
    '-l',
    'kubernetes.io/service-name=api',
    '-o',
    'json',
  ]).out;
  const endpoints = (JSON.parse(out) as { items: IEndpointSlice[] }).items.flatMap((slice) => slice.endpoints);
  const addresses = (ready: boolean): string[] =>
    endpoints.filter((e) => (e.conditions?.ready ?? false) === ready).flatMap((e) => e.addresses);
  return { ready: addresses(true), notReady: addresses(false) };
}

async function trafficPastBrokenPod(cluster: LiveCluster): Promise<void> {
  const healthy = serving((await listPods(cluster, TARGET.namespace, 'app.kubernetes.io/instance=api')) ?? []);
  const load = startServiceLoad(cluster, {
    namespace: TARGET.namespace,
    nodePort: TARGET.nodePort,
    maxSeconds: 120,
    maxRequests: REQUESTS,
  });
  const result = await load.finished();
  const slices = sliceAddresses(cluster);
  const broken = result.pods[BROKEN];
  const restarts =
    ((await listPods(cluster, TARGET.namespace, 'app.kubernetes.io/instance=api')) ?? []).find((p) => p.name === BROKEN)
      ?.restarts ?? 0;
  cluster.record(
    'readiness gate: broken pod never Ready',
    broken !== undefined && !broken.everReady && !slices.ready.includes(broken.ip),
    `${BROKEN} (${broken?.ip ?? 'no address'}) Ready at no poll during the load, ${restarts} restarts; the ` +
      `Service's EndpointSlice lists ready ${slices.ready.join(', ') || 'none'}, not ready ` +
      `${slices.notReady.join(', ') || 'none'}`,
  );
  cluster.record(
    'readiness gate: requests through the Service all succeed',
    result.failed === 0 && result.sent >= REQUESTS,
    describeLoad(result),
  );
  const healthyAnswers = healthy.map((pod) => result.byPod[pod.name] ?? 0);
  cluster.record(
    'readiness gate: only the healthy pods answered',
    (result.byPod[BROKEN] ?? 0) === 0 &&
      result.unattributed === 0 &&
      healthyAnswers.every((n) => n > 0) &&
      healthyAnswers.reduce((a, b) => a + b, 0) === result.sent,
    `${BROKEN} answered ${result.byPod[BROKEN] ?? 0}; the Ready pods ` +
      `${healthy.map((p, i) => `${p.name} ${healthyAnswers[i]}`).join(', ')} (each must be > 0, their sum ` +
      `${result.sent}); ${result.unattributed} unattributed`,
  );
}

export const check: LiveCheck = {
  name: 'readiness-gate',
  order: 20,
  async run(cluster) {
    await withSharedOverlay(cluster, TARGET, 'readiness gate', async (objects) => {
      try {
        if (await startBrokenPod(cluster, objects)) await trafficPastBrokenPod(cluster);
      } finally {
        // The overlay stays for the checks after this one: only the broken pod goes.
        cluster.kubectl([
          '-n',
          TARGET.namespace,
          'delete',
          'pod',
          BROKEN,
          '--ignore-not-found',
          '--wait=true',
          '--timeout=60s',
        ]);
      }
    });
  },
};
