/**
 * End-to-end proof of the container image and the edge, with a real Docker engine, registry, nginx
 * and Prometheus, all on 127.0.0.1 (`npm run test:e2e`):
 *   1. build the image with BuildKit (first, then again for the cache check), push it to a local registry, remove it
 *      and pull it back by digest;
 *   2. start the API replicas from docker/compose.yaml (read-only root filesystem, non-root), plus
 *      nginx and Prometheus from Debian with the repo's own config;
 *   3. assert through nginx over TLS: auth, predictions, spread over the v1 replicas, debug header
 *      to v2, 429 after a burst, no failed request while a replica stops under load, targets up;
 *   4. tear everything down by container id and PID, also when an assertion fails.
 * Prints figures (image size, layers above the base, build times, start-to-ready) and closes with
 * "e2e: N passed, N failed".
 *
 * Env: NODE_IMAGE (build stages' base; default mlship-base:bookworm-node24-<recipe>), RUNTIME_IMAGE (runtime
 * stage's base; default mlship-runtime:bookworm-node24-<recipe>; both from docker/base-image/build.sh),
 * E2E_COLD=1 (prune the whole BuildKit cache first, for a cold-build figure; off by default because it
 * wipes the developer's cache), DOCKER (/usr/bin/docker).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatResults, sendRequest } from '../smoke/smoke';
import { stepAssertions } from './edge-checks';
import type { Owned } from './e2e-run';
import { BASE_IMAGE, DOCKER, docker, figures, record, results, RUNTIME_IMAGE } from './e2e-run';
import { stepImage } from './image-step';
import { noteInterrupts, run, stopServices } from './processes';
import { waitFor } from '../../scripts/support/poll-until';
import type { Edge } from './services';
import { portInUse, startEdge, startExporters, startPrometheus } from './services';
import { ROOT } from '../../scripts/support/repo-root';

const PROJECT = 'mlship-e2e';
const COMPOSE_FILE = join(ROOT, 'docker/compose.yaml');
const V1_PORTS = [8001, 8002, 8003];
const V2_PORTS = [8004];
const API_SERVICES = ['api-v1-1', 'api-v1-2', 'api-v1-3', 'api-v2'];
const CONTRACT_PORTS = [...V1_PORTS, ...V2_PORTS, 8443, 8080, 9090, 5000, 9100, 9113];
// The edge's limit for this run: the paced load stays well under it, the burst goes well over.
const RATE_PER_SECOND = 50;
const RATE_BURST = 50;

function compose(args: string[], env: NodeJS.ProcessEnv): string {
  return run('docker-compose', ['-f', COMPOSE_FILE, '-p', PROJECT, ...args], {
    env: { ...process.env, ...env },
    timeoutMs: 180_000,
  }).stdout.trim();
}

async function preflight(): Promise<void> {
  docker(['info', '--format', '{{.ServerVersion}}'], 15_000);
  const busy: number[] = [];
  for (const port of CONTRACT_PORTS) if (await portInUse(port)) busy.push(port);
  if (busy.length)
    throw new Error(`ports already in use on 127.0.0.1: ${busy.join(', ')} (stop the stack or whatever holds them)`);
  for (const [image, how] of [
    [BASE_IMAGE, 'npm run base-image (or set NODE_IMAGE)'],
    [RUNTIME_IMAGE, 'npm run base-image -- --runtime (or set RUNTIME_IMAGE)'],
  ]) {
    try {
      docker(['image', 'inspect', image as string]);
    } catch {
      throw new Error(`base image ${image} is missing: run ${how}`);
    }
  }
}

function containerIds(): string[] {
  const out = docker(['ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${PROJECT}`]);
  return out ? out.split('\n') : [];
}

/**
 * Waits for every replica's /readyz and records each one's start-to-ready, read from its own
 * "ready" log line, and the time from compose up to all ready.
 */
async function waitForReplicas(ids: Record<string, string>, upStarted: number): Promise<void> {
  const ports: Record<string, number> = { 'api-v1-1': 8001, 'api-v1-2': 8002, 'api-v1-3': 8003, 'api-v2': 8004 };
  const readyMs: number[] = [];
  await Promise.all(
    API_SERVICES.map(async (service) => {
      const port = ports[service]!;
      await waitFor(
        `${service} /readyz on ${port}`,
        async () =>
          (await sendRequest(`http://127.0.0.1:${port}`, { path: '/readyz', timeoutMs: 1000 })).status === 200,
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      // The replica's own "ready" line, not the time this poll got through: compose starts the
      // replicas one after another and returns only then, so polling begins late for the first ones.
      const logs = run(DOCKER, ['logs', ids[service]!]);
      const readyLine = `${logs.stdout}${logs.stderr}`.split('\n').find((l) => l.includes('"msg":"ready"'));
      const readyAt = readyLine ? Date.parse((JSON.parse(readyLine) as { time: string }).time) : Date.now();
      const startedAt = Date.parse(
        docker(['inspect', '--format', '{{.State.StartedAt}}', ids[service]!]).replace(/(\.\d{3})\d*/, '$1'),
      );
      readyMs.push(readyAt - startedAt);
    }),
  );
  figures['container start to ready (ms, per replica)'] = readyMs.sort((a, b) => a - b).join(', ');
  figures['compose up to all ready (ms)'] = Date.now() - upStarted;
}

/** The replicas are healthy, non-root, read-only, and started from the image's V8 code cache. */
async function checkReplicas(ids: Record<string, string>): Promise<void> {
  await waitFor(
    'docker healthchecks to report healthy',
    () => API_SERVICES.every((s) => docker(['inspect', '--format', '{{.State.Health.Status}}', ids[s]!]) === 'healthy'),
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
  const hardening = API_SERVICES.map((s) => {
    const [readOnly, user] = docker([
      'inspect',
      '--format',
      '{{.HostConfig.ReadonlyRootfs}} {{.Config.User}}',
      ids[s]!,
    ]).split(' ');
    const uid = docker(['exec', ids[s]!, 'id', '-u']);
    let writable = true;
    try {
      docker(['exec', ids[s]!, 'touch', '/app/probe']);
    } catch {
      writable = false;
    }
    return readOnly === 'true' && uid !== '0' && !writable
      ? ''
      : `${s}: read-only ${readOnly}, user ${user}, uid ${uid}, /app writable ${writable}`;
  });
  record(
    'when the replicas run, then they are healthy, non-root and on a read-only root filesystem',
    hardening.every((h) => h === ''),
    hardening.filter(Boolean).join('; ') ||
      `${API_SERVICES.length} containers healthy, uid 10001, root filesystem read-only`,
  );

  // The ready line says whether V8's code cache (written in the image build) was accepted.
  const cold = API_SERVICES.filter((s) => !docker(['logs', ids[s]!]).includes('"codeCache":"used"'));
  record(
    'when the replicas start, then each compiles nothing: V8 accepts the code cache the image build wrote',
    cold.length === 0,
    cold.length
      ? `no "codeCache":"used" in the ready line of ${cold.join(', ')}`
      : `${API_SERVICES.length} replicas started from the code cache`,
  );
}

/** Step 2: API replicas from compose; nginx, exporters and Prometheus from Debian. */
async function stepServices(owned: Owned, image: string): Promise<{ edge: Edge; ids: Record<string, string> }> {
  const env = { MLSHIP_IMAGE: image };
  const upStarted = Date.now();
  try {
    compose(['up', '-d', '--no-build', ...API_SERVICES], env);
  } finally {
    for (const id of containerIds()) owned.containers.add(id);
  }
  const ids: Record<string, string> = {};
  for (const service of API_SERVICES) ids[service] = compose(['ps', '-q', service], env);
  await waitForReplicas(ids, upStarted);
  await checkReplicas(ids);

  const edge = await startEdge(
    {
      dir: join(owned.dir, 'nginx'),
      v1Ports: V1_PORTS,
      v2Ports: V2_PORTS,
      ratePerSecond: RATE_PER_SECOND,
      rateBurst: RATE_BURST,
    },
    owned.services,
  );
  const exporters = await startExporters(join(owned.dir, 'exporters'), owned.services);
  await startPrometheus(
    join(owned.dir, 'prometheus'),
    { v1: V1_PORTS.map((p) => `127.0.0.1:${p}`), v2: V2_PORTS.map((p) => `127.0.0.1:${p}`), ...exporters },
    owned.services,
  );
  return { edge, ids };
}

/** Step 4: stop what this run started, by PID and container id; never throws. */
async function teardown(owned: Owned): Promise<void> {
  await stopServices(owned.services);
  try {
    for (const id of containerIds()) owned.containers.add(id);
  } catch {
    // The engine may be the thing that failed; the ids recorded so far are still removed below.
  }
  if (owned.containers.size) {
    try {
      docker(['rm', '--force', ...owned.containers], 60_000);
    } catch (e) {
      console.error(`teardown: docker rm: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  for (const image of owned.images) {
    try {
      // By id: removing only the digest reference would leave a dangling image behind.
      docker(['image', 'rm', '--force', docker(['image', 'inspect', '--format', '{{.Id}}', image])]);
    } catch {
      // Already gone, or never built.
    }
  }
  if (process.env.E2E_KEEP_TMP !== '1') rmSync(owned.dir, { recursive: true, force: true });
  else console.log(`kept ${owned.dir}`);
}

async function main(): Promise<number> {
  const owned: Owned = {
    services: [],
    containers: new Set(),
    images: new Set(),
    dir: mkdtempSync(join(tmpdir(), 'mlship-e2e-')),
  };
  // The services run as nobody when the harness is root: they must reach their own subdirectories.
  chmodSync(owned.dir, 0o755);
  const interrupted = noteInterrupts();
  try {
    await preflight();
    console.log('step 1: build, push, pull by digest');
    const image = await stepImage(owned);
    if (interrupted()) throw new Error('interrupted');
    console.log('step 2: replicas from compose; nginx, exporters, Prometheus from Debian');
    const { edge, ids } = await stepServices(owned, image);
    if (interrupted()) throw new Error('interrupted');
    console.log('step 3: assertions through nginx over TLS');
    await stepAssertions({
      edge,
      ids,
      v1Ports: V1_PORTS,
      v2Ports: V2_PORTS,
      rate: { perSecond: RATE_PER_SECOND, burst: RATE_BURST },
      stopContainer: (id) => void docker(['stop', '--time', '15', id], 60_000),
      record,
      figures,
    });
  } catch (e) {
    record('the run completes', false, e instanceof Error ? e.message : String(e));
  } finally {
    console.log('step 4: teardown by PID and container id');
    await teardown(owned);
  }
  console.log('\nfigures');
  for (const [name, value] of Object.entries(figures)) console.log(`  ${name.padEnd(44)} ${value}`);
  console.log(JSON.stringify({ e2eFigures: figures }));
  const text = formatResults(results).split('\n');
  console.log(text[text.length - 1]!.replace(/^smoke:/, 'e2e:'));
  return results.every((r) => r.passed) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
