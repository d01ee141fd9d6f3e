/**
 * Rolling back on the real cluster, requests sent to the Service throughout: the kubernetes job
 * failing on lineage, and the same job cancelled once applied (deploy/cancel.ts), both when the
 * script's own rollback runs to its end and when the runner's kill cuts it short.
 */
import type { LiveCluster } from '../live/context';
import { cancelKubernetesJob } from './cancel';
import { clusterCommand, podImages } from './cluster-state';
import type { TrafficResult } from './traffic';
import { startTraffic } from './traffic';
import type { TwinSetting } from './twin';
import { closing, runDeployJob } from './twin';

const NAMESPACE = 'mlship';
const SETOSA = [5.1, 3.5, 1.4, 0.2];

/** Requests to the API's Service while `during` runs. */
async function withTraffic<T>(
  cluster: LiveCluster,
  authorization: string,
  during: () => Promise<T>,
): Promise<{ result: T; load: TrafficResult }> {
  const ip = clusterCommand(cluster, ['-n', NAMESPACE, 'get', 'service', 'api', '-o', 'jsonpath={.spec.clusterIP}']);
  const traffic = startTraffic(`http://${ip}`, authorization, SETOSA);
  try {
    return { result: await during(), load: await traffic.stop() };
  } catch (error) {
    await traffic.stop();
    throw error;
  }
}

/** The rows every rollback ends with: the old ReplicaSets serve, and no request failed. */
function recordRestored(cluster: LiveCluster, what: string, good: string, load: TrafficResult): void {
  const serving = podImages(cluster, NAMESPACE);
  cluster.record(
    `${what}: the old ReplicaSet serves again`,
    serving.length >= 4 && serving.every((image) => image === good),
    `${serving.length} pods run ${[...new Set(serving)].join(', ')}`,
  );
  cluster.record(
    `${what}: requests sent throughout`,
    // At least half the 20 requests a second the traffic sends: it flowed the whole time.
    load.sent >= 10 * load.seconds && load.sent > 20 && load.failed === 0,
    `${load.sent} requests to the Service over ${load.seconds.toFixed(0)} s, ${load.failed} failed` +
      `${load.failures.length ? `: ${load.failures.join('; ')}` : ''}`,
  );
}

/**
 * The job fails on lineage and rolls back, requests sent throughout. `images.good` is serving;
 * `images.bad` claims models it does not serve.
 */
export async function lineageRollback(
  cluster: LiveCluster,
  twin: TwinSetting,
  images: { good: string; bad: string },
  secrets: Record<string, string>,
  authorization: string,
): Promise<void> {
  let rollingBackAt = 0;
  const onOutput = (text: string): void => {
    if (!rollingBackAt && text.includes('rolling back')) rollingBackAt = Date.now();
  };
  const { result: run, load } = await withTraffic(cluster, authorization, () =>
    runDeployJob(
      { ...twin, onOutput },
      { target: 'kubernetes', environment: 'production', image: images.bad },
      secrets,
    ),
  );
  const rolledBackIn = rollingBackAt ? (Date.now() - rollingBackAt) / 1000 : 0;
  cluster.timing('rollback (undo to both Deployments ready)', rolledBackIn);
  cluster.record(
    'rollback: the deploy fails on lineage and rolls back',
    run.status !== 0 && /lineage check failed/.test(run.output) && rollingBackAt > 0,
    `${closing(run)}; "${/deploy-kubernetes: [^\n]*rolling back/.exec(run.output)?.[0] ?? 'no rollback line'}"; ` +
      `rolled back in ${rolledBackIn.toFixed(1)} s`,
  );
  recordRestored(cluster, 'rollback', images.good, load);
}

/**
 * The kubernetes job cancelled once it has applied `images.bad` over `images.good`: first with the
 * runner's whole sequence (the script's own rollback ends within it, and the job's rollback step
 * finds nothing left to undo), then with the kill at once (the job's rollback step undoes both).
 */
export async function cancelledDeploys(
  cluster: LiveCluster,
  env: NodeJS.ProcessEnv,
  images: { good: string; bad: string },
  secrets: Record<string, string>,
  authorization: string,
): Promise<void> {
  for (const cutShort of [false, true]) {
    const what = cutShort ? 'cancel, rollback cut short' : 'cancel';
    const { result: job, load } = await withTraffic(cluster, authorization, () =>
      cancelKubernetesJob({ env, secrets, image: images.bad, cutShort }),
    );
    const said = (pattern: RegExp): string => pattern.exec(job.deploy.output)?.[0] ?? 'nothing';
    const rolledBack = /rolled back: the previous ReplicaSets serve again/.test(job.deploy.output);
    cluster.record(
      `${what}: the deploy step fails${cutShort ? ', killed before its own rollback' : ' and rolls back'}`,
      job.deploy.status !== 0 && job.signals[0] === 'SIGINT' && rolledBack === !cutShort,
      `signals ${job.signals.join(', ')}; exit ${job.deploy.status} after ${job.deploy.seconds.toFixed(1)} s; ` +
        `"${said(/deploy-kubernetes: cancelled[^\n]*/)}", "${said(/deploy-kubernetes: rolled back[^\n]*/)}"`,
    );
    const step = job.rollback;
    const lastLine = step?.output.trim().split('\n').pop() ?? '';
    const undid = /deployment\.apps\/api rolled back/.test(step?.output ?? '');
    cluster.record(
      `${what}: the job's rollback step ${cutShort ? 'undoes both' : 'finds nothing left to undo'}`,
      job.previous !== '' &&
        step?.status === 0 &&
        /the previous ReplicaSets serve/.test(lastLine) &&
        undid === cutShort,
      `previous=${job.previous || '(none)'}; ` +
        (step
          ? `exit ${step.status} after ${step.seconds.toFixed(1)} s, ${undid ? 'undid' : 'no undo'}: "${lastLine}"`
          : 'did not run'),
    );
    recordRestored(cluster, what, images.good, load);
  }
}
