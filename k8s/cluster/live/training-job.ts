/**
 * The retraining component's Job `train`, run as its README says a deployer runs it (delete the
 * old Job, apply the rendered objects) and followed to its end: how it ended, in how many
 * seconds by the Job's own status, and what its pods printed.
 */
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { stringify } from 'yaml';
import type { LiveCluster } from './context';
import type { RenderedObject, RenderRequest } from './overlay-render';
import { applyObjects } from './overlay-render';
import { pollUntil } from './poll';

export interface JobOutcome {
  /** Complete, Failed, or `timeout` when neither came in time. */
  state: string;
  /** The Failed condition's reason (BackoffLimitExceeded, PodFailurePolicy, ...). */
  reason: string;
  /** From the Job's startTime to its Complete/Failed condition (the API's one-second resolution). */
  seconds: number;
  /** Pods that ended Failed (the first, and each retry under backoffLimit). */
  failedPods: number;
  /** Every pod's `train` log, oldest pod first. */
  log: string;
}

function jobState(cluster: Pick<LiveCluster, 'kubectl'>, namespace: string): IJob | undefined {
  const result = cluster.kubectl(['-n', namespace, 'get', 'job', 'train', '-o', 'json']);
  return result.status === 0 ? (JSON.parse(result.out) as IJob) : undefined;
}

function ended(job: IJob | undefined): { type: string; reason: string; at: string } | undefined {
  const condition = job?.status?.conditions?.find(
    (c) => ['Complete', 'Failed'].includes(c.type) && c.status === 'True',
  );
  return condition
    ? { type: condition.type, reason: condition.reason ?? '', at: String(condition.lastTransitionTime) }
    : undefined;
}

function podLogs(cluster: Pick<LiveCluster, 'kubectl'>, namespace: string): string {
  const result = cluster.kubectl([
    '-n',
    namespace,
    'get',
    'pods',
    '-l',
    'batch.kubernetes.io/job-name=train',
    '--sort-by=.metadata.creationTimestamp',
    '-o',
    'json',
  ]);
  const pods = result.status === 0 ? (JSON.parse(result.out) as { items: IPod[] }).items : [];
  return pods
    .map((pod) => cluster.kubectl(['-n', namespace, 'logs', pod.metadata?.name ?? '', '-c', 'train']).out)
    .join('\n');
}

/** Deletes the previous Job (with its pods), applies `objects` and waits up to `timeoutSeconds` for the Job to end. */
export async function runTrainingJob(
  cluster: Pick<LiveCluster, 'kubectl'>,
  namespace: string,
  objects: RenderedObject[],
  timeoutSeconds = 420,
): Promise<JobOutcome> {
  const removed = cluster.kubectl([
    '-n',
    namespace,
    'delete',
    'job',
    'train',
    '--ignore-not-found',
    '--cascade=foreground',
    '--wait=true',
    '--timeout=120s',
  ]);
  if (removed.status !== 0) throw new Error(`kubectl delete job train: ${removed.out}`);
  applyObjects(cluster, objects);
  const polled = await pollUntil(
    () => jobState(cluster, namespace),
    (job) => ended(job) !== undefined,
    { timeoutSeconds, intervalMs: 2000 },
  );
  const end = ended(polled.value);
  const start = polled.value?.status?.startTime;
  return {
    state: end?.type ?? 'timeout',
    reason: end?.reason ?? '',
    seconds: end && start ? (Date.parse(end.at) - Date.parse(String(start))) / 1000 : polled.seconds,
    failedPods: polled.value?.status?.failed ?? 0,
    log: podLogs(cluster, namespace),
  };
}

/** The version a Job's log reports for `model` ("M1 190357a56951  iris ..."), with the outcome that line names. */
export function trainedLine(
  log: string,
  model: string,
): { version: string; promoted: boolean; gateFailed: boolean } | undefined {
  const line = log
    .split('\n')
    .reverse()
    .find((l) => new RegExp(`^${model} [0-9a-f]{12} `).test(l));
  if (!line) return undefined;
  return {
    version: line.split(' ')[1]!,
    promoted: line.endsWith('(promoted)'),
    gateFailed: line.includes('NOT promoted: gate failed'),
  };
}

/**
 * What a deployer adds in an overlay to retrain with a models.json of their own: the file as a
 * ConfigMap, mounted over the image's model/models.json in the Job only, so the Job's command
 * stays the component's (`train.js --promote --model-dir /models`).
 */
export function ownModelsFile(modelsJson: string): Pick<RenderRequest, 'extra' | 'files'> {
  const patch = [
    {
      op: 'add',
      path: '/spec/template/spec/volumes/-',
      value: { name: 'train-models', configMap: { name: 'mlship-train-models' } },
    },
    {
      op: 'add',
      path: '/spec/template/spec/containers/0/volumeMounts/-',
      value: { name: 'train-models', mountPath: '/app/model/models.json', subPath: 'models.json', readOnly: true },
    },
  ];
  return {
    extra: {
      configMapGenerator: [{ name: 'mlship-train-models', files: ['models.json'] }],
      patches: [{ target: { kind: 'Job', name: 'train' }, patch: stringify(patch) }],
    },
    files: { 'models.json': modelsJson },
  };
}
