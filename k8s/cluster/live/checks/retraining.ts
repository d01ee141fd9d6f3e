/**
 * The retraining component on a real cluster: the kind overlay plus k8s/components/retraining,
 * applied as a deployer would. The shipped Job reproduces the image's models (training is
 * deterministic); a Job given a models.json of the deployer's own (M1 searching one more k, which
 * changes its version but not its scores) passes the gate, promotes into the PVC, and every API
 * pod serves the new version without a restart; a Job whose M1 is a bad model (k near the size
 * of the training set: nearly a majority vote) fails the shipped gate, ends Failed at once (the
 * Job's podFailurePolicy does not retry a refusal), and every pod keeps serving what it served.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LiveCheck, LiveCluster } from '../context';
import { inNamespaces } from '../namespaces';
import type { RenderedObject } from '../overlay-render';
import { renderOverlay } from '../overlay-render';
import { pollUntil } from '../poll';
import type { ApiPod } from '../served-models';
import { apiPods, describeServed, restartedSince, servedBy } from '../served-models';
import type { JobOutcome } from '../training-job';
import { ownModelsFile, runTrainingJob, trainedLine } from '../training-job';

const NAMESPACE = 'mlship-live-retrain';
const NODE_PORT = 30083;
const MODEL = 'M1';
const MODELS_FILE = join(__dirname, '..', '..', '..', '..', 'model', 'models.json');
/** Iris's 150 rows leave 96 in the smallest training fold: k = 95 votes over nearly all of them. */
const BAD_K = 95;

interface ModelsFile {
  models: Record<string, { kCandidates: number[] }>;
}

/** The repository's models.json (the one the image ships) with M1's k candidates replaced. */
function modelsWithK(kCandidates: (current: number[]) => number[]): string {
  const file = JSON.parse(readFileSync(MODELS_FILE, 'utf8')) as ModelsFile;
  const m1 = file.models[MODEL]!;
  m1.kCandidates = kCandidates(m1.kCandidates);
  return JSON.stringify(file, null, 2);
}

function render(cluster: LiveCluster, modelsJson?: string): RenderedObject[] {
  return renderOverlay(cluster, {
    overlay: 'overlays/kind',
    components: ['components/retraining'],
    namespace: NAMESPACE,
    nodePort: NODE_PORT,
    ...(modelsJson === undefined ? {} : ownModelsFile(modelsJson)),
  });
}

/** MODEL_POLL_INTERVAL_MS as the component sets it in the rendered ConfigMap. */
function pollInterval(objects: RenderedObject[]): number {
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('mlship-config')) as
    { data?: Record<string, string> } | undefined;
  return Number(config?.data?.MODEL_POLL_INTERVAL_MS ?? 'NaN');
}

function jobDetail(outcome: JobOutcome): string {
  return (
    `Job ${outcome.state}${outcome.reason ? ` (${outcome.reason})` : ''} in ${outcome.seconds.toFixed(0)} s, ` +
    `${outcome.failedPods} failed pod(s)`
  );
}

/** Applies everything; the shipped Job must reproduce the version the pods serve. Returns the pods, or none. */
async function deploy(cluster: LiveCluster, objects: RenderedObject[]): Promise<ApiPod[]> {
  const start = Date.now();
  const outcome = await runTrainingJob(cluster, NAMESPACE, objects);
  const rollouts = ['api', 'api-v2'].map((name) =>
    cluster.kubectl(['-n', NAMESPACE, 'rollout', 'status', `deployment/${name}`, '--timeout=240s']),
  );
  cluster.timing('retraining: apply → API pods Ready', (Date.now() - start) / 1000);
  const pods = apiPods(cluster, NAMESPACE);
  const claim = cluster.kubectl([
    '-n',
    NAMESPACE,
    'get',
    'pvc',
    'model-registry',
    '-o',
    'jsonpath={.status.phase}',
  ]).out;
  const ready = rollouts.every((r) => r.status === 0) && pods.length === 4 && claim === 'Bound';
  if (
    !cluster.record(
      'retraining: deploy',
      ready,
      `kind overlay + retraining in ${NAMESPACE}: ${pods.length} API pods Running (api, api-v2), PVC model-registry ` +
        `${claim || 'missing'}; ${rollouts.map((r) => r.out.split('\n').pop()).join('; ')}`,
    )
  )
    return [];
  cluster.timing('retraining: shipped Job', outcome.seconds);
  const line = trainedLine(outcome.log, MODEL);
  const served = await servedBy(pods, MODEL);
  const same = line !== undefined && served.every((s) => s.version === line.version);
  cluster.record(
    'retraining: shipped Job reproduces the image',
    outcome.state === 'Complete' && same,
    `${jobDetail(outcome)}; it trained ${MODEL} ${line?.version ?? '(no line in its log)'}, the pods seeded from ` +
      `the image serve ${describeServed(served)}`,
  );
  return outcome.state === 'Complete' && same ? pods : [];
}

/** A Job with one more k candidate: a new version, promoted and picked up by every pod in place. */
async function promoteNewVersion(cluster: LiveCluster, before: ApiPod[]): Promise<string | undefined> {
  const servedBefore = await servedBy(before, MODEL);
  const objects = render(
    cluster,
    modelsWithK((ks) => [...ks, Math.max(...ks) + 2]),
  );
  const outcome = await runTrainingJob(cluster, NAMESPACE, objects);
  cluster.timing('retraining: Job promoting a new version', outcome.seconds);
  const line = trainedLine(outcome.log, MODEL);
  const pickup = await pollUntil(
    () => servedBy(before, MODEL),
    (served) => line !== undefined && served.every((s) => s.version === line.version),
    { timeoutSeconds: (3 * pollInterval(objects)) / 1000 },
  );
  const restarted = restartedSince(before, apiPods(cluster, NAMESPACE));
  const newSha = pickup.value.every((s) => !servedBefore.some((b) => b.sha256 === s.sha256));
  const pickupDetail = pickup.done
    ? `every pod serves it ${pickup.seconds.toFixed(1)} s after the Job was seen ending ` +
      `(MODEL_POLL_INTERVAL_MS ${pollInterval(objects)})`
    : `after ${pickup.seconds.toFixed(0)} s the pods serve ${describeServed(pickup.value)}`;
  const uptimes = pickup.value.map((s) => s.uptimeSeconds).join('/');
  const samePods = `none (${before.length} pods, same UIDs, restartCount and start times; uptime now ${uptimes} s)`;
  const passed =
    outcome.state === 'Complete' &&
    line?.promoted === true &&
    line.version !== servedBefore[0]?.version &&
    pickup.done &&
    newSha &&
    restarted.length === 0;
  cluster.record(
    'retraining: promoted version served without a restart',
    passed,
    `${jobDetail(outcome)}; ${MODEL} ${servedBefore[0]?.version} → ${line?.version ?? '?'} (` +
      `${line?.promoted ? 'promoted' : 'not promoted'}); ` +
      `${pickupDetail}, ` +
      `sha256 ${newSha ? 'changed' : 'unchanged'}; ` +
      `restarts: ` +
      `${restarted.join(', ') || samePods}`,
  );
  return passed ? line.version : undefined;
}

/** A Job whose M1 fails the shipped gate: Failed, and the pods serve `promoted` throughout two poll intervals. */
async function refuseBadModel(cluster: LiveCluster, before: ApiPod[], promoted: string): Promise<void> {
  const objects = render(
    cluster,
    modelsWithK(() => [BAD_K]),
  );
  const outcome = await runTrainingJob(cluster, NAMESPACE, objects);
  cluster.timing('retraining: Job failing the gate', outcome.seconds);
  const line = trainedLine(outcome.log, MODEL);
  const gate =
    outcome.log.split('\n').find((l) => l.startsWith(`| ${MODEL} |`) && l.includes('accuracy |')) ??
    '(no gate table in the log)';
  // One pod, and the reason the policy gives: the refusal (exit 3) was not retried.
  const notRetried = outcome.reason === 'PodFailurePolicy' && outcome.failedPods === 1;
  cluster.record(
    'retraining: the gate refuses a bad model',
    outcome.state === 'Failed' && notRetried && line?.gateFailed === true && line.version !== promoted,
    `k=${BAD_K}: ${jobDetail(outcome)}; its log: "${MODEL} ${line?.version ?? '?'} ... ` +
      `${line?.gateFailed ? 'NOT promoted: gate failed' : 'no gate failure'}", gate row: ` +
      `${gate.replace(/\s+/g, ' ')}`,
  );
  // Nothing to wait for but time: a promotion would show within one poll interval, so two pass in silence.
  const watch = await pollUntil(
    () => servedBy(before, MODEL),
    (served) => served.some((s) => s.version !== promoted),
    { timeoutSeconds: (2 * pollInterval(objects)) / 1000 },
  );
  const restarted = restartedSince(before, apiPods(cluster, NAMESPACE));
  cluster.record(
    'retraining: served version unchanged after the refusal',
    !watch.done && restarted.length === 0,
    `over ${watch.seconds.toFixed(0)} s (2 × MODEL_POLL_INTERVAL_MS) after the Job failed the pods serve ` +
      `${describeServed(watch.value)} (expected ${promoted}); restarts: ${restarted.join(', ') || 'none'}`,
  );
}

export const check: LiveCheck = {
  name: 'retraining',
  order: 50,
  async run(cluster) {
    await inNamespaces(cluster, [NAMESPACE], async () => {
      const pods = await deploy(cluster, render(cluster));
      if (pods.length === 0) return;
      const promoted = await promoteNewVersion(cluster, pods);
      if (promoted !== undefined) await refuseBadModel(cluster, pods, promoted);
    });
  },
};
