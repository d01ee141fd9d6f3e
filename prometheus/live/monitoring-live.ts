/**
 * The live monitoring test (`npm run test:monitoring`): trains models into a temp registry, starts
 * a v1 and a v2 API replica, nginx with its exporter and node_exporter when installed, and
 * Prometheus with the repository's config (only intervals, target files and token path swapped),
 * drives traffic over every route, variant and class plus a 401, 400, 404 and 429, then asserts
 * through Prometheus's HTTP API that every target is up, every recording rule has data and every
 * dashboard query returns a series. Prints a table; exits 1 when anything failed. Everything it
 * started is stopped by pid in `finally`, also on failure.
 *
 * Run: `npm run build && npx tsx prometheus/live/monitoring-live.ts`
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pollUntil } from '../../scripts/support/poll-until';
import { PROMETHEUS_DIR } from '../src/paths';
import { findExecutable, INSTALL_HINT, runTool } from '../src/tools';
import { writeNginxConfig } from './edge';
import { writeLiveConfig } from './live-config';
import type { TargetGroup } from './live-config';
import { INTERVAL_SECONDS, PORTS, RATE_LIMIT_PER_MINUTE, SETTLE_TIMEOUT_MS } from './live-settings';
import { answers200, start, stopAll, waitUntil } from './processes';
import type { Started } from './processes';
import { PrometheusApi } from './prometheus-api';
import type { Exporters, Row } from './result-rows';
import { coverageRows, printTable, prometheusRows } from './result-rows';
import { driveEdge, driveRound, driveUntilRateLimited, newCoverage } from './traffic';
import type { ApiTarget, Coverage } from './traffic';

const REPO_ROOT = resolve(PROMETHEUS_DIR, '..');

function fail(message: string): never {
  throw new Error(message);
}

/** The programs this run needs (Prometheus, the built API and trainer) and those it can use. */
interface Binaries {
  serverJs: string;
  trainJs: string;
  prometheus: string;
  nginx?: string | undefined;
  nginxExporter?: string | undefined;
  nodeExporter?: string | undefined;
  exporters: Exporters;
}

/** Where this run keeps its files and every process it started (stopped in `finally`). */
interface LiveRun {
  dir: string;
  logDir: string;
  processes: Started[];
}

/** Phase 1: finds the programs; stops with one line when a required one is missing. */
function findBinaries(): Binaries {
  const serverJs = join(REPO_ROOT, 'dist/api/server.js');
  const trainJs = join(REPO_ROOT, 'dist/model/src/train.js');
  if (!existsSync(serverJs) || !existsSync(trainJs)) fail('dist/ has no API or trainer: run `npm run build` first');
  const prometheus = findExecutable('prometheus') ?? fail(`prometheus not found on PATH; ${INSTALL_HINT}`);
  const nginx = findExecutable('nginx') ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined);
  const nginxExporter = findExecutable('prometheus-nginx-exporter') ?? findExecutable('nginx-prometheus-exporter');
  const nodeExporter = findExecutable('prometheus-node-exporter') ?? findExecutable('node_exporter');
  return {
    serverJs,
    trainJs,
    prometheus,
    nginx,
    nginxExporter,
    nodeExporter,
    exporters: { nginx: Boolean(nginx && nginxExporter), node: Boolean(nodeExporter) },
  };
}

/** Phase 2: trains into a temporary registry and starts a v1 and a v2 replica on it. */
async function startApis(run: LiveRun, bins: Binaries, token: string): Promise<ApiTarget[]> {
  const modelDir = join(run.dir, 'models');
  const trained = spawnSync(process.execPath, [bins.trainJs, '--promote', '--model-dir', modelDir], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (trained.status !== 0) fail(`training failed:\n${trained.stdout}${trained.stderr}`);
  const apis: ApiTarget[] = [
    { baseUrl: `http://127.0.0.1:${PORTS.v1}`, variant: 'v1', model: 'M1' },
    { baseUrl: `http://127.0.0.1:${PORTS.v2}`, variant: 'v2', model: 'M2' },
  ];
  for (const target of apis) {
    const env = {
      ...process.env,
      PORT: String(target.variant === 'v1' ? PORTS.v1 : PORTS.v2),
      HOST: '127.0.0.1',
      MODEL_DIR: modelDir,
      API_VARIANT: target.variant,
      MONITORING_TOKEN: token,
      RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT_PER_MINUTE),
      LOG_LEVEL: 'warn',
    };
    const api = start(`api-${target.variant}`, process.execPath, [bins.serverJs], run.logDir, env);
    run.processes.push(api);
    await waitUntil(api, 'readiness', () => answers200(`${target.baseUrl}/readyz`));
  }
  return apis;
}

/** Phase 3: nginx with its exporter, and node_exporter, when installed; their scrape targets. */
async function startExporters(run: LiveRun, bins: Binaries): Promise<Record<string, TargetGroup[]>> {
  const targets: Record<string, TargetGroup[]> = {};
  if (bins.exporters.nginx) {
    const nginxDir = join(run.dir, 'nginx');
    mkdirSync(nginxDir);
    const conf = writeNginxConfig(nginxDir, {
      proxy: PORTS.edge,
      status: PORTS.nginxStatus,
      v1: PORTS.v1,
      v2: PORTS.v2,
    });
    const nginx = start('nginx', bins.nginx!, ['-p', nginxDir, '-c', conf], run.logDir);
    run.processes.push(nginx);
    await waitUntil(nginx, 'stub_status', () => answers200(`http://127.0.0.1:${PORTS.nginxStatus}/stub_status`));
    const exporter = start(
      'nginx-exporter',
      bins.nginxExporter!,
      [
        `-nginx.scrape-uri=http://127.0.0.1:${PORTS.nginxStatus}/stub_status`,
        `-web.listen-address=127.0.0.1:${PORTS.nginxExporter}`,
      ],
      run.logDir,
    );
    run.processes.push(exporter);
    await waitUntil(exporter, 'metrics', () => answers200(`http://127.0.0.1:${PORTS.nginxExporter}/metrics`));
    targets.nginx = [{ targets: [`127.0.0.1:${PORTS.nginxExporter}`] }];
  }
  if (bins.exporters.node) {
    const node = start(
      'node-exporter',
      bins.nodeExporter!,
      [`--web.listen-address=127.0.0.1:${PORTS.nodeExporter}`],
      run.logDir,
    );
    run.processes.push(node);
    await waitUntil(node, 'metrics', () => answers200(`http://127.0.0.1:${PORTS.nodeExporter}/metrics`));
    targets.node = [{ targets: [`127.0.0.1:${PORTS.nodeExporter}`] }];
  }
  return targets;
}

/** Phase 4: Prometheus on the live copy of the repo's config (checked by promtool when present); its URL. */
async function startPrometheus(
  run: LiveRun,
  bins: Binaries,
  config: { token: string; targets: Record<string, TargetGroup[]> },
): Promise<string> {
  const file = writeLiveConfig({
    dir: join(run.dir, 'prometheus'),
    interval: `${INTERVAL_SECONDS}s`,
    token: config.token,
    targets: config.targets,
  });
  const promtool = findExecutable('promtool');
  if (promtool) {
    const check = runTool(promtool, ['check', 'config', file], run.dir);
    if (check.status !== 0) fail(`promtool check config on the live copy failed:\n${check.output}`);
  }
  const prometheusUrl = `http://127.0.0.1:${PORTS.prometheus}`;
  const prometheus = start(
    'prometheus',
    bins.prometheus,
    [
      `--config.file=${file}`,
      `--storage.tsdb.path=${join(run.dir, 'prometheus', 'data')}`,
      `--web.listen-address=127.0.0.1:${PORTS.prometheus}`,
    ],
    run.logDir,
  );
  run.processes.push(prometheus);
  await waitUntil(prometheus, 'readiness', () => answers200(`${prometheusUrl}/-/ready`));
  return prometheusUrl;
}

/** Phase 5: traffic over every route, variant and class, then bursts until each replica answers 429. */
async function driveTraffic(
  apis: ApiTarget[],
  exporters: Exporters,
): Promise<{ coverage: Coverage; rateLimited: boolean }> {
  // Several rounds a few scrapes apart, so counters have increases (not just a first sample).
  const coverage = newCoverage();
  for (let round = 0; round < 3; round++) {
    for (const api of apis) await driveRound(api, coverage);
    if (exporters.nginx) await driveEdge(`http://127.0.0.1:${PORTS.edge}`, coverage);
    await sleep(INTERVAL_SECONDS * 2500);
  }
  let rateLimited = true;
  for (const api of apis) rateLimited = (await driveUntilRateLimited(api, coverage)) && rateLimited;
  await sleep(INTERVAL_SECONDS * 3000);
  return { coverage, rateLimited };
}

/** Phase 6: the checks, re-run until none fails or SETTLE_TIMEOUT_MS passes. */
async function settledRows(
  prometheusUrl: string,
  traffic: { coverage: Coverage; rateLimited: boolean },
  exporters: Exporters,
  expectedTargets: number,
): Promise<Row[]> {
  const promApi = new PrometheusApi(prometheusUrl);
  const checked = async (): Promise<Row[]> => [
    ...coverageRows(traffic.coverage, traffic.rateLimited),
    ...(await prometheusRows(promApi, exporters, expectedTargets)),
  ];
  const settled = await pollUntil(checked, (rows) => !rows.some((r) => r.outcome === 'FAIL'), {
    timeoutMs: SETTLE_TIMEOUT_MS,
    intervalMs: INTERVAL_SECONDS * 1500,
  });
  return settled.value;
}

async function main(): Promise<number> {
  const bins = findBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'mlship-monitoring-'));
  const run: LiveRun = { dir, logDir: join(dir, 'logs'), processes: [] };
  mkdirSync(run.logDir);
  const stopOnSignal = (): void => {
    void stopAll(run.processes).then(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  let failed = true;
  try {
    const token = randomBytes(24).toString('hex');
    const apis = await startApis(run, bins, token);
    const targets: Record<string, TargetGroup[]> = {
      'mlship-api': apis.map((a) => ({ targets: [a.baseUrl.replace('http://', '')], labels: { variant: a.variant } })),
      ...(await startExporters(run, bins)),
    };
    const prometheusUrl = await startPrometheus(run, bins, { token, targets });
    const traffic = await driveTraffic(apis, bins.exporters);
    const expectedTargets = Object.values(targets).reduce(
      (n, groups) => n + groups.reduce((m, g) => m + g.targets.length, 0),
      0,
    );
    const rows = await settledRows(prometheusUrl, traffic, bins.exporters, expectedTargets);
    printTable(rows);
    failed = rows.some((r) => r.outcome === 'FAIL');
    return failed ? 1 : 0;
  } finally {
    await stopAll(run.processes);
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
    if (failed) console.error(`logs kept in ${run.logDir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`monitoring live test: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
