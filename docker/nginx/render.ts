/**
 * Renders docker/nginx/nginx.conf.template into a complete nginx.conf for one environment: the
 * compose stack (container paths) or the end-to-end run (a temporary prefix). The template holds
 * the configuration; this module only fills `${NAME}` placeholders and validates the values.
 *
 *   npx tsx docker/nginx/render.ts --out FILE [--canary-percent N] [--edge-auth FILE] [--v1 host:port,...]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** Where the template lives, beside this module. */
export const TEMPLATE_FILE = join(__dirname, 'nginx.conf.template');

/** Every value the template needs. Relative file paths resolve as nginx resolves them (see template). */
export interface NginxOptions {
  /** Address both servers bind; the contract keeps everything on 127.0.0.1. */
  listenAddress: string;
  httpsPort: number;
  /** Plain-HTTP port: redirects to HTTPS and serves /stub_status to 127.0.0.1. */
  httpPort: number;
  /** v1 replicas, `host:port`, round-robin. */
  v1Servers: string[];
  /** v2 replicas, `host:port`: the debug header and the canary share go here. */
  v2Servers: string[];
  /** Share (0-100) of requests without the debug header sent to v2. */
  canaryPercent: number;
  /** Sustained requests per second per client address at the edge, and the burst above it. */
  ratePerSecond: number;
  rateBurst: number;
  tlsCert: string;
  tlsKey: string;
  /** htpasswd file for basic auth at the edge; unset leaves authentication to the API alone. */
  edgeAuthFile?: string;
  accessLog: string;
  /** Directory for nginx's temporary request/response files. */
  tempDir: string;
  workerProcesses: number | 'auto';
}

/** The compose stack's values (its ports, docs/docker.md; paths inside the nginx container). */
export const DEFAULT_NGINX_OPTIONS: NginxOptions = {
  listenAddress: '127.0.0.1',
  httpsPort: 8443,
  httpPort: 8080,
  v1Servers: ['127.0.0.1:8001', '127.0.0.1:8002', '127.0.0.1:8003'],
  v2Servers: ['127.0.0.1:8004'],
  canaryPercent: 0,
  ratePerSecond: 100,
  rateBurst: 200,
  tlsCert: '/etc/mlship-nginx/certs/tls.crt',
  tlsKey: '/etc/mlship-nginx/certs/tls.key',
  accessLog: '/dev/stdout',
  tempDir: '/tmp/nginx',
  workerProcesses: 'auto',
};

const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$/;
// Paths end up unquoted in the config: no whitespace, quotes, semicolons or braces.
const SAFE_PATH = /^[^\s;{}'"$]+$/;

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`nginx config: ${message}`);
}

function validate(o: NginxOptions): void {
  for (const port of [o.httpsPort, o.httpPort])
    check(Number.isInteger(port) && port > 0 && port < 65536, `bad port ${port}`);
  check(o.v1Servers.length > 0, 'at least one v1 server is needed');
  check(o.v2Servers.length > 0, 'at least one v2 server is needed');
  for (const s of [...o.v1Servers, ...o.v2Servers]) check(HOST_PORT.test(s), `server "${s}" is not host:port`);
  check(
    Number.isInteger(o.canaryPercent) && o.canaryPercent >= 0 && o.canaryPercent <= 100,
    `canary percent ${o.canaryPercent} is not an integer 0-100`,
  );
  check(Number.isInteger(o.ratePerSecond) && o.ratePerSecond > 0, `rate ${o.ratePerSecond} is not a positive integer`);
  check(Number.isInteger(o.rateBurst) && o.rateBurst >= 0, `burst ${o.rateBurst} is not a non-negative integer`);
  check(
    o.workerProcesses === 'auto' || (Number.isInteger(o.workerProcesses) && o.workerProcesses > 0),
    'worker processes must be auto or a positive integer',
  );
  for (const p of [o.tlsCert, o.tlsKey, o.accessLog, o.tempDir, o.edgeAuthFile ?? 'unset'])
    check(SAFE_PATH.test(p), `unsafe path "${p}"`);
  check(/^[0-9.]+$|^[A-Za-z0-9.-]+$/.test(o.listenAddress), `bad listen address "${o.listenAddress}"`);
}

function upstreamServers(servers: string[]): string {
  // Two failures take a replica out for 1 s, and proxy_next_upstream retries the request elsewhere.
  // Longer windows outlast a rolling restart: replicas restarted a few seconds apart were all still
  // marked down together ("no live upstreams", 502) although each was back within a second.
  return servers.map((s) => `        server ${s} max_fails=2 fail_timeout=1s;`).join('\n');
}

function canarySplit(percent: number): string {
  // split_clients rejects a 0% share, so the two ends are a single catch-all.
  const shares =
    percent === 0 ? ['* mlship_v1;'] : percent === 100 ? ['* mlship_v2;'] : [`${percent}% mlship_v2;`, '* mlship_v1;'];
  return ['    split_clients "$request_id" $mlship_canary {', ...shares.map((s) => `        ${s}`), '    }'].join('\n');
}

function edgeAuth(file: string | undefined): string {
  if (!file) return '';
  return ['        auth_basic $mlship_edge_realm;', `        auth_basic_user_file ${file};`, ''].join('\n');
}

/** Fills the template; throws on an invalid value or a placeholder the template has but this lacks. */
export function renderNginxConfig(options: NginxOptions, template = readFileSync(TEMPLATE_FILE, 'utf8')): string {
  validate(options);
  const values: Record<string, string> = {
    WORKER_PROCESSES: String(options.workerProcesses),
    TEMP_DIR: options.tempDir,
    ACCESS_LOG: options.accessLog,
    RATE_PER_SECOND: String(options.ratePerSecond),
    RATE_BURST: String(options.rateBurst),
    CANARY_SPLIT: canarySplit(options.canaryPercent),
    V1_SERVERS: upstreamServers(options.v1Servers),
    V2_SERVERS: upstreamServers(options.v2Servers),
    LISTEN_ADDRESS: options.listenAddress,
    HTTP_PORT: String(options.httpPort),
    HTTPS_PORT: String(options.httpsPort),
    TLS_CERT: options.tlsCert,
    TLS_KEY: options.tlsKey,
    EDGE_AUTH: edgeAuth(options.edgeAuthFile),
  };
  // Only upper-case names are placeholders; nginx's own ${var} syntax stays lower-case.
  return template.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`nginx config: template placeholder \${${name}} has no value`);
    return value;
  });
}

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      'canary-percent': { type: 'string' },
      'edge-auth': { type: 'string' },
      v1: { type: 'string' },
      v2: { type: 'string' },
      rate: { type: 'string' },
      burst: { type: 'string' },
    },
  });
  if (!values.out)
    throw new Error(
      'usage: render.ts --out FILE [--canary-percent N] [--edge-auth FILE] [--v1 h:p,...] [--v2 h:p,...] [--rate N] ' +
        '[--burst N]',
    );
  const options: NginxOptions = { ...DEFAULT_NGINX_OPTIONS };
  if (values['canary-percent'] !== undefined) options.canaryPercent = Number(values['canary-percent']);
  if (values['edge-auth']) options.edgeAuthFile = values['edge-auth'];
  if (values.v1) options.v1Servers = values.v1.split(',');
  if (values.v2) options.v2Servers = values.v2.split(',');
  if (values.rate !== undefined) options.ratePerSecond = Number(values.rate);
  if (values.burst !== undefined) options.rateBurst = Number(values.burst);
  writeFileSync(values.out, renderNginxConfig(options));
  console.log(`wrote ${values.out}`);
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
