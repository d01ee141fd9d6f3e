/**
 * deploy.yml's deploy paths and the live checks on a real cluster (root; part of .ci/run):
 *
 *   npx tsx k8s/cluster/deploy-check.ts [--reuse-cluster] [--only kind,kubernetes,rollback,live]
 *
 * 1. the API image (built when missing) pushed to a local registry on 127.0.0.1:5000, by tag and
 *    by digest; `up.sh --load IMAGE` (the live checks run the loaded image),
 * 2. the kind job of deploy.yml through the pipeline twin: pull, load into the node, the kind
 *    overlay with its development credentials, rollout status, smoke.sh and lineage on the NodePort
 *    127.0.0.1:30080, the load scenario (the local runner in place of k6) with the replica counts,
 * 3. the kubernetes job: deploy-kubernetes.sh with the production overlay, generated secrets, the
 *    image by digest pulled by the kubelet from the local registry, rollout, smoke and lineage,
 * 4. rollback for real: the same job with an image whose io.mlship.models label does not match
 *    what it serves, requests sent to the Service throughout: the job must fail on lineage, roll
 *    back, and not one request may fail,
 * 5. the live checks (k8s/cluster/live/checks), in two lanes of their own (side-by-side.ts): the
 *    checks that mostly wait (retraining, gateway-api, network-policies) from the start, beside 2;
 *    the traffic checks (the others but drain) beside 3 and 4; then the drain, alone once the
 *    other checks are done (their namespaces going meanwhile),
 * 6. `down.sh`.
 * One ok/FAIL row per fact, the timings, and "cluster-deploy: N passed, N failed".
 * --reuse-cluster runs against a cluster that is up and leaves it up (the image must be loaded).
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Service } from '../../docker/e2e/processes';
import { stopServices } from '../../docker/e2e/processes';
import { startRegistry } from '../../docker/e2e/services';
import { ensureApiImage } from './api-image';
import { clusterSettings } from './host-snapshot';
import type { LiveCluster, LiveResults } from './live/context';
import { liveCluster } from './live/context';
import { loadChecks, printSummary, runChecks } from './live/run';
import { clusterCommand, clusterScript, deployStepsPassed, podImages, removeFromNode } from './deploy/cluster-state';
import { deleteNamespace, retireNamespaces } from './live/namespaces';
import { mislabel, productionSecrets, pushImage } from './deploy/images';
import type { Lane } from './deploy/side-by-side';
import { startLiveChecks } from './deploy/side-by-side';
import { snapshotManifests } from './live/manifests';
import { cancelledDeploys, lineageRollback } from './deploy/rollback-checks';
import type { TwinSetting } from './deploy/twin';
import { closing, prepareCheckout, runDeployJob, step } from './deploy/twin';

const IMAGE = process.env.MLSHIP_CHECK_IMAGE || 'mlship-api:local';
const NAMESPACE = 'mlship';

async function kindJob(cluster: LiveCluster, twin: TwinSetting, tagged: string): Promise<void> {
  const started = Date.now();
  const run = await runDeployJob(twin, { target: 'kind', environment: 'staging', image: tagged, scenario: 'load' });
  cluster.timing('kind job', run.seconds);
  cluster.record('kind job of deploy.yml', run.status === 0, `${closing(run)} in ${run.seconds.toFixed(0)} s`);
  const steps = deployStepsPassed(run, [
    'Wait for the rollout',
    'Smoke test on the NodePort',
    'Lineage (the API serves the image',
    'k6 load test, recording the replica count',
  ]);
  cluster.record('kind: rollout, smoke, lineage on the NodePort, load', steps.ok, steps.detail);
  // The local runner writes its summary into a timestamped folder of SUMMARY_DIR.
  const results = join(twin.workspace, 'loadtest/results/deploy');
  // This run's only: a checkout keeps the reports of earlier rehearsals.
  const summaries = readdirSync(results, { recursive: true, encoding: 'utf8' }).filter(
    (file) => file.endsWith('summary.json') && statSync(join(results, file)).mtimeMs >= started,
  );
  const verdict = /mlship load test: load: [^\n]*/.exec(run.output)?.[0] ?? 'no verdict line from the load runner';
  const replicas = readText(join(results, 'replicas.md'));
  const peak = Number(/Peak ready replicas: (\d+)/.exec(replicas)?.[1] ?? 0);
  cluster.record(
    'kind: load scenario and replica counts',
    summaries.length === 1 && /PASSED/.test(verdict) && peak >= 2,
    `${verdict}; ${summaries.join(', ') || 'no summary.json'}; peak ready replicas of deployment/api ${peak} (` +
      `${replicas.split('\n').filter((line) => /^\| \d/.test(line)).length} samples)`,
  );
  const images = podImages(cluster, NAMESPACE);
  cluster.record(
    'kind: every pod runs the loaded image',
    images.length >= 3 && images.every((image) => image.startsWith('kind.invalid/mlship:deploy-')),
    images.join(', '),
  );
}

async function kubernetesJob(
  cluster: LiveCluster,
  twin: TwinSetting,
  pinned: string,
  secrets: Record<string, string>,
): Promise<void> {
  // Off the node first (a reused cluster may have it): the kubelet must pull it by digest.
  removeFromNode(cluster, pinned);
  const run = await runDeployJob(twin, { target: 'kubernetes', environment: 'production', image: pinned }, secrets);
  cluster.timing('kubernetes job', run.seconds);
  const deploy = step(run, 'Deploy with the production overlay');
  cluster.record(
    'kubernetes job of deploy.yml',
    run.status === 0 && deploy?.verdict === 'passed',
    `${closing(run)}; deploy-kubernetes.sh ${deploy?.verdict ?? 'not run'} in ${deploy?.seconds.toFixed(0) ?? '?'} s`,
  );
  const images = podImages(cluster, NAMESPACE);
  cluster.record(
    'kubernetes: every pod runs the image by digest',
    images.length >= 2 && images.every((image) => image === pinned),
    `${images.length} pods: ${[...new Set(images)].join(', ')}`,
  );
  const pulled = clusterCommand(cluster, [
    '-n',
    NAMESPACE,
    'get',
    'events',
    '--field-selector',
    'reason=Pulled',
    '-o',
    'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
  ]);
  const pull = pulled.split('\n').find((line) => line.startsWith(`Successfully pulled image "${pinned}"`));
  cluster.record(
    'kubernetes: the kubelet pulled it from the local registry',
    pull !== undefined,
    pull ?? `no pull of ${pinned} among the events: ${pulled.slice(0, 300)}`,
  );
  checkProductionSecrets(cluster);
}

/** The Secret deploy-kubernetes.sh made holds the generated user, and nothing turns the development users on. */
function checkProductionSecrets(cluster: LiveCluster): void {
  const users = clusterCommand(cluster, [
    '-n',
    NAMESPACE,
    'get',
    'secret',
    '-l',
    'app.kubernetes.io/name=mlship',
    '-o',
    'jsonpath={.items[0].data.users\\.txt}',
  ]);
  const config = clusterCommand(cluster, [
    '-n',
    NAMESPACE,
    'get',
    'configmap',
    '-l',
    'app.kubernetes.io/name=mlship',
    '-o',
    'json',
  ]);
  const usersText = Buffer.from(users, 'base64').toString();
  cluster.record(
    'kubernetes: production secrets, no development credentials',
    /^rehearsal:/m.test(usersText) && !/^alice:/m.test(usersText) && !config.includes('ALLOW_DEV_CREDENTIALS'),
    `users.txt holds ${usersText
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(':')[0])
      .join(', ')}; ALLOW_DEV_CREDENTIALS ${config.includes('ALLOW_DEV_CREDENTIALS') ? 'set' : 'absent'}`,
  );
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * From the start, beside the kind job: checks in namespaces of their own that mostly wait (a Job, a
 * controller's sync, CRDs becoming Established) and send no load through the kind job's Service.
 */
const FROM_THE_START = ['retraining', 'gateway-api', 'network-policies'];
/** Last, alone: it cordons the only node. */
const LAST = ['drain'];

/** Every live check but those FROM_THE_START and LAST, in their order: the lane beside the kubernetes job. */
function trafficLane(): string[] {
  return loadChecks()
    .map((check) => check.name)
    .filter((name) => !FROM_THE_START.includes(name) && !LAST.includes(name));
}

/**
 * The kind job, with the lane of waiting checks beside it (its load scenario's latency thresholds
 * hold: the lane sends it no traffic, and 50 requests/s leave the cores mostly idle); then the
 * kubernetes job and the rollback beside the traffic checks (each asserts failures, not latency);
 * then the drain, alone once every other check is done (their namespaces may still be going: the
 * drain has its own, and drains only its own pods), its namespace left to `down`.
 */
async function deployAndCheck(cluster: LiveCluster, only: string[], dir: string, results: LiveResults): Promise<void> {
  const wants = (name: string): boolean => only.length === 0 || only.includes(name);
  const good = pushImage(IMAGE, 'rehearsal');
  const settings = cluster.settings;
  const env = {
    ...process.env,
    KUBECONFIG: settings.kubeconfig,
    PATH: `${settings.kubectl.replace(/\/kubectl$/, '')}:${settings.kustomize}:${process.env.PATH}`,
  };
  const checkout = prepareCheckout(dir);
  const twin = { ...checkout, env };
  const lanes: Lane[] = [];
  // Taken before any job edits an overlay (prepareCheckout made sure none is edited yet).
  const manifests = snapshotManifests(dir);
  try {
    if (wants('live')) lanes.push(startLiveChecks(IMAGE, FROM_THE_START, 'live-a', results, manifests));
    if (wants('kind')) {
      await kindJob(cluster, twin, good.tagged);
      deleteNamespace(cluster, NAMESPACE);
      checkout.restore();
    }
    if (wants('live')) lanes.push(startLiveChecks(IMAGE, trafficLane(), 'live-b', results, manifests));
    if (wants('kubernetes') || wants('rollback')) await kubernetesAndRollback(cluster, twin, good, wants('rollback'));
    await Promise.all(lanes.map((lane) => lane.checksDone));
    checkout.restore();
    if (wants('live')) await runChecks(IMAGE, LAST, results, { awaitCleanup: false });
  } finally {
    await Promise.all(lanes.map((lane) => lane.ended));
    checkout.restore();
  }
}

async function kubernetesAndRollback(
  cluster: LiveCluster,
  twin: TwinSetting & { restore: () => void },
  good: { pinned: string },
  andRollback: boolean,
): Promise<void> {
  const secrets = productionSecrets(IMAGE);
  const twinSecrets = {
    KUBECONFIG: readFileSync(cluster.settings.kubeconfig, 'utf8'),
    MONITORING_TOKEN: secrets.monitoringToken,
    MLSHIP_USERS_FILE: secrets.usersFile,
    LOADTEST_USER: secrets.user,
    LOADTEST_PASSWORD: secrets.password,
  };
  await kubernetesJob(cluster, twin, good.pinned, twinSecrets);
  twin.restore();
  if (andRollback) {
    const bad = mislabel(IMAGE, 'mislabelled');
    const images = { good: good.pinned, bad: bad.pinned };
    const authorization = `Basic ${Buffer.from(`${secrets.user}:${secrets.password}`).toString('base64')}`;
    await lineageRollback(cluster, twin, images, twinSecrets, authorization);
    twin.restore();
    await cancelledDeploys(cluster, twin.env, images, twinSecrets, authorization);
  }
  // Nothing after this uses the namespace: it goes while the checks go on, and `down` ends it.
  retireNamespaces(cluster, [NAMESPACE]);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { 'reuse-cluster': { type: 'boolean', default: false }, only: { type: 'string', default: '' } },
  });
  const only = values.only.split(',').filter(Boolean);
  const results: LiveResults = { rows: [], timings: [] };
  const cluster = liveCluster(clusterSettings(), IMAGE, results);
  const image = ensureApiImage(IMAGE);
  if (!cluster.record('image', image.ok, image.detail)) return printSummary('cluster-deploy', results);
  const dir = mkdtempSync(join(tmpdir(), 'mlship-deploy-check-'));
  // The registry runs unprivileged and must reach its folder inside this one.
  chmodSync(dir, 0o711);
  const services: Service[] = [];
  try {
    await startRegistry(join(dir, 'registry'), services);
    if (
      !values['reuse-cluster'] &&
      !cluster.record('up', await clusterScript('up.sh', ['--load', IMAGE]), 'npm run cluster:up -- --load ' + IMAGE)
    )
      return printSummary('cluster-deploy', results);
    await deployAndCheck(cluster, only, dir, results);
  } catch (error) {
    cluster.record('deploy-check', false, (error as Error).stack ?? String(error));
  } finally {
    if (!values['reuse-cluster']) cluster.record('down', await clusterScript('down.sh', []), 'npm run cluster:down');
    await stopServices(services);
    rmSync(dir, { recursive: true, force: true });
  }
  return printSummary('cluster-deploy', results);
}

main()
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: Error) => {
    console.log(`FAIL deploy-check: ${error.stack ?? error.message}`);
    process.exitCode = 1;
  });
