/**
 * The host services of the end-to-end run, all from Debian packages and all on 127.0.0.1: the
 * image registry, nginx with the repo's edge config, the exporters and Prometheus with the repo's
 * prometheus.yml. Each runs from a private temporary directory, unprivileged when the harness is
 * root, and is stopped by PID.
 */
import { chownSync, cpSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { SpawnOptions } from 'node:child_process';
import { DEFAULT_NGINX_OPTIONS, renderNginxConfig } from '../nginx/render';
import { DEV_USERS, sendRequest } from '../smoke/smoke';
import type { Service } from './processes';
import { run, startService } from './processes';
import { waitFor } from '../../scripts/support/poll-until';
import { ROOT } from '../../scripts/support/repo-root';

/** `nobody`: services run as this user when the harness itself is root. */
const NOBODY = 65534;

/** Spawn options that drop root for a service; none when already unprivileged. */
export function unprivileged(): SpawnOptions {
  return process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
}

/** Hands a directory tree to the unprivileged service user (when root). */
export function giveToService(dir: string): void {
  if (process.getuid?.() !== 0) return;
  const walk = (path: string): void => {
    chownSync(path, NOBODY, NOBODY);
    if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  walk(dir);
}

/** True when something already accepts connections on 127.0.0.1:port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

async function httpOk(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  const res = await sendRequest(url, { path: new URL(url).pathname, headers, timeoutMs: 2000 });
  return res.status === 200;
}

/** Starts docker-registry on 127.0.0.1:5000 with storage under `dir`. */
export async function startRegistry(dir: string, services: Service[]): Promise<void> {
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'storage')}`,
      'http:',
      '  addr: 127.0.0.1:5000',
      '',
    ].join('\n'),
  );
  giveToService(dir);
  services.push(
    startService('registry', 'docker-registry', ['serve', config], join(dir, 'registry.log'), unprivileged()),
  );
  await waitFor('the registry on 127.0.0.1:5000', () => httpOk('http://127.0.0.1:5000/v2/'), {
    timeoutMs: 20_000,
    intervalMs: 250,
  });
}

/** What the edge needs from the caller. */
export interface EdgeSetup {
  dir: string;
  v1Ports: number[];
  v2Ports: number[];
  ratePerSecond: number;
  rateBurst: number;
}

/** Where the running edge keeps its files. */
export interface Edge {
  caFile: string;
  accessLog: string;
  errorLog: string;
}

/**
 * Makes the certificate and an htpasswd for the dev users, renders the repo's nginx template with
 * paths inside `dir`, checks it with `nginx -t` and starts nginx in the foreground.
 */
export async function startEdge(setup: EdgeSetup, services: Service[]): Promise<Edge> {
  const { dir } = setup;
  for (const sub of ['logs', 'tmp', 'certs']) mkdirSync(join(dir, sub), { recursive: true });
  run('bash', [join(ROOT, 'docker/nginx/make-cert.sh'), join(dir, 'certs')]);
  // Edge basic auth with the same dev users as the API (apr1: nginx verifies it itself).
  const htpasswd = DEV_USERS.map(
    ({ user, password }) => `${user}:${run('openssl', ['passwd', '-apr1', password]).stdout.trim()}`,
  );
  writeFileSync(join(dir, 'htpasswd'), `${htpasswd.join('\n')}\n`);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    renderNginxConfig({
      ...DEFAULT_NGINX_OPTIONS,
      v1Servers: setup.v1Ports.map((p) => `127.0.0.1:${p}`),
      v2Servers: setup.v2Ports.map((p) => `127.0.0.1:${p}`),
      ratePerSecond: setup.ratePerSecond,
      rateBurst: setup.rateBurst,
      // Relative paths: certificates and htpasswd beside nginx.conf, logs and temp under the prefix.
      tlsCert: 'certs/tls.crt',
      tlsKey: 'certs/tls.key',
      edgeAuthFile: 'htpasswd',
      accessLog: 'logs/access.log',
      tempDir: 'tmp',
      workerProcesses: 1,
    }),
  );
  const errorLog = join(dir, 'logs/error.log');
  const base = ['-p', `${dir}/`, '-c', conf, '-e', errorLog];
  const pid = `pid ${join(dir, 'nginx.pid')};`;
  run('nginx', [...base, '-t', '-q', '-g', pid]);
  // After the check, which may have created the log files as this user.
  giveToService(dir);
  services.push(
    startService('nginx', 'nginx', [...base, '-g', `daemon off; ${pid}`], join(dir, 'nginx.out'), unprivileged()),
  );
  await waitFor('nginx on 127.0.0.1:8080', () => httpOk('http://127.0.0.1:8080/stub_status'), {
    timeoutMs: 15_000,
    intervalMs: 250,
  });
  return { caFile: join(dir, 'certs/tls.crt'), accessLog: join(dir, 'logs/access.log'), errorLog };
}

/** Which exporter binaries this machine has (Debian: prometheus-nginx-exporter, prometheus-node-exporter). */
export function availableExporters(): { nginx: boolean; node: boolean } {
  const has = (bin: string): boolean => {
    try {
      run('sh', ['-c', `command -v ${bin}`]);
      return true;
    } catch {
      return false;
    }
  };
  return { nginx: has('prometheus-nginx-exporter'), node: has('prometheus-node-exporter') };
}

/** Starts the exporters that are installed; returns the scrape targets they serve. */
export async function startExporters(dir: string, services: Service[]): Promise<{ nginx: string[]; node: string[] }> {
  mkdirSync(dir, { recursive: true });
  giveToService(dir);
  const have = availableExporters();
  const targets = { nginx: [] as string[], node: [] as string[] };
  if (have.nginx) {
    // Debian's 0.11 takes Go-style single-dash flags (1.x takes --nginx.scrape-uri).
    services.push(
      startService(
        'nginx-exporter',
        'prometheus-nginx-exporter',
        ['-nginx.scrape-uri=http://127.0.0.1:8080/stub_status', '-web.listen-address=127.0.0.1:9113'],
        join(dir, 'nginx-exporter.log'),
        unprivileged(),
      ),
    );
    targets.nginx.push('127.0.0.1:9113');
  }
  if (have.node) {
    services.push(
      startService(
        'node-exporter',
        'prometheus-node-exporter',
        ['--web.listen-address=127.0.0.1:9100'],
        join(dir, 'node-exporter.log'),
        unprivileged(),
      ),
    );
    targets.node.push('127.0.0.1:9100');
  }
  for (const target of [...targets.nginx, ...targets.node]) {
    await waitFor(`exporter on ${target}`, () => httpOk(`http://${target}/metrics`), {
      timeoutMs: 15_000,
      intervalMs: 250,
    });
  }
  return targets;
}

/** Scrape targets per job for the e2e Prometheus. */
export interface PrometheusTargets {
  v1: string[];
  v2: string[];
  nginx: string[];
  node: string[];
}

/**
 * Runs Prometheus with the repo's prometheus.yml, rules and token file unchanged: they are copied
 * into `dir`, whose targets/ (file-based service discovery) names this run's processes instead.
 * Copied, not linked: the unprivileged service user may not be able to enter the checkout (a clone
 * under /root or a mkdtemp directory), so everything a service reads lives in its own directory.
 */
export async function startPrometheus(dir: string, targets: PrometheusTargets, services: Service[]): Promise<void> {
  mkdirSync(join(dir, 'targets'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  for (const entry of ['prometheus.yml', 'rules', 'secrets'])
    cpSync(join(ROOT, 'prometheus', entry), join(dir, entry), { recursive: true });
  const group = (list: string[], labels?: Record<string, string>): string =>
    list.length === 0 ? '[]\n' : `${JSON.stringify([{ targets: list, ...(labels ? { labels } : {}) }])}\n`;
  writeFileSync(join(dir, 'targets/api-v1.yml'), group(targets.v1, { variant: 'v1' }));
  writeFileSync(join(dir, 'targets/api-v2.yml'), group(targets.v2, { variant: 'v2' }));
  writeFileSync(join(dir, 'targets/nginx.yml'), group(targets.nginx));
  writeFileSync(join(dir, 'targets/node.yml'), group(targets.node));
  // No Alertmanager in this run; rules are still evaluated.
  writeFileSync(join(dir, 'targets/alertmanager.yml'), '[]\n');
  giveToService(dir);
  run('promtool', ['check', 'config', join(dir, 'prometheus.yml')]);
  services.push(
    startService(
      'prometheus',
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        '--web.listen-address=127.0.0.1:9090',
      ],
      join(dir, 'prometheus.log'),
      unprivileged(),
    ),
  );
  await waitFor('Prometheus on 127.0.0.1:9090', () => httpOk('http://127.0.0.1:9090/-/ready'), {
    timeoutMs: 30_000,
    intervalMs: 250,
  });
}

/** One scrape target as Prometheus reports it. */
export interface TargetHealth {
  job: string;
  instance: string;
  health: string;
  lastError: string;
}

/** The active targets and their health, from Prometheus' API. */
export async function prometheusTargets(): Promise<TargetHealth[]> {
  const res = await sendRequest('http://127.0.0.1:9090', { path: '/api/v1/targets?state=active' });
  const body = JSON.parse(res.body) as {
    data: { activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> };
  };
  return body.data.activeTargets.map((t) => ({
    job: t.labels.job ?? '',
    instance: t.labels.instance ?? '',
    health: t.health,
    lastError: t.lastError,
  }));
}
