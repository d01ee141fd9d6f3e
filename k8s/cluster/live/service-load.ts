/**
 * Bounded load through the API Service's NodePort on 127.0.0.1, counting what a client sees: every
 * request sent, each status, and, as docker/e2e/rolling-restart.ts counts, every answer other than
 * 200 and every network error or timeout as a failure.
 *
 * Which pod answered: kube-proxy DNATs each new connection to one endpoint, and the kernel's
 * connection tracking table (/proc/net/nf_conntrack) keeps that choice (the reply's source is the
 * pod's address) for two minutes after the connection closes (TIME_WAIT). Each request goes on a
 * connection of its own, so its local port names its entry, and a poll of the namespace's pods
 * turns the address into a pod name. A connection of its own also lets kube-proxy choose again for
 * every request, as it would for many clients, instead of pinning a keep-alive client to one pod.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { SETOSA, basicAuth } from '../../../docker/smoke/smoke';
import type { LiveCluster } from './context';
import { listPods, sleep } from './pods';

export interface LoadOptions {
  /** The namespace whose pods answer: their addresses become names. */
  namespace: string;
  nodePort: number;
  /** Requests per second over all clients; modest, for a 2-core machine shared with other work. */
  ratePerSecond?: number;
  clients?: number;
  /** Hard bounds: the load stops at whichever comes first, or at stop(). */
  maxSeconds: number;
  maxRequests?: number;
}

export interface LoadResult {
  sent: number;
  failed: number;
  seconds: number;
  statuses: Record<string, number>;
  /** Requests each pod answered (any status), by pod name (by address if no pod had it). */
  byPod: Record<string, number>;
  /** Requests whose connection no tracking entry named (a network error before connecting, or an entry gone). */
  unattributed: number;
  /** Every pod of the namespace seen during the load, with its address and whether it was ever Ready. */
  pods: Record<string, { ip: string; everReady: boolean }>;
  /** The first few failures, with when they happened. */
  failures: string[];
}

export interface RunningLoad {
  /** Requests answered so far (any status), to wait for progress instead of sleeping. */
  answered(): number;
  /** Ends the load now; resolves once every request is counted and attributed. */
  stop(): Promise<LoadResult>;
  /** Resolves as stop() does, once the load reached its own bounds. */
  finished(): Promise<LoadResult>;
}

const USER = basicAuth('alice', 'wonderland');
const BODY = JSON.stringify({ X: SETOSA });
/** Beyond this a request that should have an entry is counted unattributed. */
const ATTRIBUTION_GRACE_MS = 15_000;

/**
 * From /proc/net/nf_conntrack's text: the pod address each 127.0.0.1 → 127.0.0.1:nodePort connection, by local port,
 * was sent to.
 */
export function nodePortBackends(conntrack: string, nodePort: number): Map<number, string> {
  const backends = new Map<number, string>();
  for (const line of conntrack.split('\n')) {
    const fields = [...line.matchAll(/\b(src|dst|sport|dport)=(\S+)/g)].map(([, key, value]) => `${key}=${value}`);
    // Original direction first (src dst sport dport), then the reply's.
    const [src, dst, sport, dport, replySrc] = fields;
    if (src !== 'src=127.0.0.1' || dst !== 'dst=127.0.0.1' || dport !== `dport=${nodePort}` || !sport || !replySrc)
      continue;
    backends.set(Number(sport.slice('sport='.length)), replySrc.slice('src='.length));
  }
  return backends;
}

/** One POST /predict on a connection of its own; `port` is set once connected. */
function predictOnce(nodePort: number, onPort: (port: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: nodePort,
        path: '/predict',
        method: 'POST',
        agent: false,
        timeout: 10_000,
        headers: {
          authorization: USER,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(BODY),
          connection: 'close',
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('socket', (socket) => socket.once('connect', () => onPort(socket.localPort ?? 0)));
    req.on('timeout', () => req.destroy(new Error('timeout after 10 s')));
    req.on('error', reject);
    req.end(BODY);
  });
}

interface Pending {
  port: number;
  doneAt: number;
}

/** The bookkeeping of one load: counts, requests awaiting a tracking entry, pods seen. */
class Tally {
  readonly started = Date.now();
  sent = 0;
  answered = 0;
  readonly statuses: Record<string, number> = {};
  readonly failures: string[] = [];
  failed = 0;
  readonly byIp = new Map<string, number>();
  unattributed = 0;
  pending: Pending[] = [];
  readonly pods = new Map<string, { ip: string; everReady: boolean }>();

  count(status: string, ok: boolean, what: string): void {
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (ok) return;
    this.failed++;
    if (this.failures.length < 5) this.failures.push(`${((Date.now() - this.started) / 1000).toFixed(1)} s: ${what}`);
  }

  /** Attributes the requests done before the sample was read; gives up on those too old. */
  attribute(sampledAt: number, backends: Map<number, string>): void {
    this.pending = this.pending.filter((p) => {
      if (p.doneAt > sampledAt) return true;
      const ip = backends.get(p.port);
      if (ip) this.byIp.set(ip, (this.byIp.get(ip) ?? 0) + 1);
      else if (sampledAt - p.doneAt < ATTRIBUTION_GRACE_MS) return true;
      else this.unattributed++;
      return false;
    });
  }
}

async function client(tally: Tally, options: LoadOptions, keepGoing: () => boolean, intervalMs: number): Promise<void> {
  while (keepGoing()) {
    const sentAt = Date.now();
    tally.sent++;
    let port = 0;
    try {
      const status = await predictOnce(options.nodePort, (p) => (port = p));
      tally.answered++;
      tally.count(String(status), status === 200, `status ${status}`);
    } catch (error) {
      tally.count('error', false, (error as Error).message);
    }
    if (port > 0) tally.pending.push({ port, doneAt: Date.now() });
    else tally.unattributed++;
    const rest = intervalMs - (Date.now() - sentAt);
    if (rest > 0) await sleep(rest);
  }
}

/**
 * Reads the tracking table and the namespace's pods once a second until `done`, then until every
 * request is attributed or given up (at most ATTRIBUTION_GRACE_MS more).
 */
async function observe(cluster: LiveCluster, tally: Tally, options: LoadOptions, done: () => boolean): Promise<void> {
  for (let last = false; ; last = done()) {
    const sampledAt = Date.now();
    const [conntrack, pods] = await Promise.all([
      readFile('/proc/net/nf_conntrack', 'utf8').catch(() => ''),
      listPods(cluster, options.namespace),
    ]);
    for (const pod of pods ?? []) {
      const seen = tally.pods.get(pod.name);
      tally.pods.set(pod.name, { ip: pod.ip || seen?.ip || '', everReady: (seen?.everReady ?? false) || pod.ready });
    }
    tally.attribute(sampledAt, nodePortBackends(conntrack, options.nodePort));
    if (last && tally.pending.length === 0) break;
    await sleep(1000);
  }
}

function result(tally: Tally, seconds: number): LoadResult {
  const names = new Map([...tally.pods].filter(([, pod]) => pod.ip !== '').map(([name, pod]) => [pod.ip, name]));
  const byPod = Object.fromEntries([...tally.byIp].map(([ip, count]) => [names.get(ip) ?? ip, count]));
  return {
    sent: tally.sent,
    failed: tally.failed,
    seconds,
    statuses: tally.statuses,
    byPod,
    unattributed: tally.unattributed + tally.pending.length,
    pods: Object.fromEntries(tally.pods),
    failures: tally.failures,
  };
}

/** Starts the load; it runs until stop() (or its bounds) and resolves with what it saw. */
export function startServiceLoad(cluster: LiveCluster, options: LoadOptions): RunningLoad {
  const tally = new Tally();
  const clients = options.clients ?? 5;
  const intervalMs = (1000 * clients) / (options.ratePerSecond ?? 25);
  const deadline = tally.started + options.maxSeconds * 1000;
  let stopped = false;
  const keepGoing = (): boolean => !stopped && Date.now() < deadline && tally.sent < (options.maxRequests ?? Infinity);
  const load = Promise.all(Array.from({ length: clients }, () => client(tally, options, keepGoing, intervalMs)));
  let loadEnded = 0;
  const ended = load.then(() => (loadEnded = Date.now()));
  const watching = observe(cluster, tally, options, () => loadEnded > 0);
  const finished = async (): Promise<LoadResult> => {
    await ended;
    await watching;
    return result(tally, (loadEnded - tally.started) / 1000);
  };
  return {
    answered: () => tally.answered,
    stop() {
      stopped = true;
      return finished();
    },
    finished,
  };
}

/** One line for a row's detail: sent, failed, seconds, statuses and the pods that answered. */
export function describeLoad(load: LoadResult): string {
  const pods = Object.entries(load.byPod)
    .map(([pod, count]) => `${pod} ${count}`)
    .join(', ');
  const failures = load.failures.length > 0 ? `; first failures: ${load.failures.join(' | ')}` : '';
  return (
    `${load.sent} sent, ${load.failed} failed in ${load.seconds.toFixed(1)} s (statuses ` +
    `${JSON.stringify(load.statuses)}); answered by ${pods || 'no pod'}` +
    `${load.unattributed > 0 ? `, ${load.unattributed} unattributed` : ''}${failures}`
  );
}
