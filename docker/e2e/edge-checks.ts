/**
 * Step 3 of the end-to-end run (e2e.ts): the assertions through nginx over TLS, once the replicas,
 * the edge and Prometheus run. Each check records a line; none stops the others.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import type { HttpRequest, HttpResponse } from '../smoke/smoke';
import { DEV_USERS, SETOSA, basicAuth, runSmoke, sendRequest } from '../smoke/smoke';
import { runLoad } from './load';
import { sleep } from './processes';
import { waitFor } from '../../scripts/support/poll-until';
import type { Edge } from './services';
import { prometheusTargets } from './services';
import { ROOT } from '../../scripts/support/repo-root';

const EDGE = 'https://127.0.0.1:8443';
const MONITORING_TOKEN = readFileSync(join(ROOT, 'prometheus/secrets/monitoring-token'), 'utf8').trim();

/** What the checks need from the run: the edge, the replicas, and where results go. */
export interface EdgeRun {
  edge: Edge;
  /** Container id per compose service. */
  ids: Record<string, string>;
  v1Ports: number[];
  v2Ports: number[];
  /** The edge's limit_req for this run. */
  rate: { perSecond: number; burst: number };
  /** Stops a container as `docker stop` does (SIGTERM, then the grace period). */
  stopContainer: (id: string) => void;
  record: (name: string, passed: boolean, detail: string) => void;
  figures: Record<string, string | number>;
}

/** How the checks reach the edge: one keep-alive agent trusting the edge's CA. */
interface Client {
  ca: Buffer;
  agent: Agent;
  send: (req: HttpRequest) => Promise<HttpResponse>;
  alice: string;
}

interface Logged {
  request_id: string;
  status: number;
  upstream: string;
}

function accessLog(edge: Edge): Logged[] {
  return readFileSync(edge.accessLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Logged);
}

/** Round-robin must use every v1 replica and, with no canary share, never v2. */
async function checkSpread(run: EdgeRun, client: Client): Promise<void> {
  const spreadIds = Array.from({ length: 30 }, (_v, i) => `e2e-spread-${i}-${Date.now()}`);
  for (const id of spreadIds)
    await client.send({
      path: '/predict',
      json: { X: SETOSA },
      headers: { authorization: client.alice, 'x-request-id': id },
    });
  const wanted = new Set(spreadIds);
  const served: Record<string, number> = {};
  for (const entry of accessLog(run.edge))
    if (wanted.has(entry.request_id)) served[entry.upstream] = (served[entry.upstream] ?? 0) + 1;
  const v1Hit = run.v1Ports.every((p) => (served[`127.0.0.1:${p}`] ?? 0) > 0);
  run.record(
    'when 30 predictions go through the edge, then every v1 replica serves some and v2 none',
    v1Hit && !served['127.0.0.1:8004'],
    JSON.stringify(served),
  );
}

/** Metrics stay behind the bearer token on each replica. */
async function checkMetricsToken(run: EdgeRun): Promise<void> {
  const bare = await sendRequest('http://127.0.0.1:8001', { path: '/metrics' });
  const withToken = await sendRequest('http://127.0.0.1:8001', {
    path: '/metrics',
    headers: { authorization: `Bearer ${MONITORING_TOKEN}` },
  });
  run.record(
    'when /metrics is scraped on a replica, then it needs the monitoring token',
    bare.status === 401 && withToken.status === 200 && withToken.body.includes('http_requests_total'),
    `without token ${bare.status}, with token ${withToken.status}`,
  );
}

/** Every Prometheus target up: the API replicas and the exporters, scraped with the repo's config. */
async function checkPrometheusTargets(run: EdgeRun): Promise<void> {
  let last = '';
  try {
    await waitFor(
      'every Prometheus target up',
      async () => {
        const targets = await prometheusTargets();
        last = targets
          .map((t) => `${t.job}/${t.instance}=${t.health}${t.lastError ? ` (${t.lastError})` : ''}`)
          .join(', ');
        const apis = targets.filter((t) => t.job === 'mlship-api').length;
        return apis === run.v1Ports.length + run.v2Ports.length && targets.every((t) => t.health === 'up');
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    run.record('when Prometheus scrapes with the repo config, then every target is up', true, last);
  } catch {
    run.record('when Prometheus scrapes with the repo config, then every target is up', false, last);
  }
}

/** Burst: far over rate + burst at once, so limit_req must answer 429 (and nothing else fails). */
async function checkBurst(run: EdgeRun, client: Client): Promise<void> {
  const burst = await Promise.all(
    Array.from({ length: 200 }, () =>
      client.send({ path: '/healthz' }).then(
        (r) => r.status,
        () => -1,
      ),
    ),
  );
  const count = (s: number): number => burst.filter((b) => b === s).length;
  run.record(
    'when 200 requests arrive at once, then the edge answers 429 beyond the burst',
    count(429) > 0 && count(200) + count(429) === burst.length,
    `${count(200)} x 200, ${count(429)} x 429, ${burst.length - count(200) - count(429)} other`,
  );
  await sleep(Math.ceil((run.rate.burst / run.rate.perSecond) * 1000) + 1000);
}

/** Failover: steady load (about 40 requests/s, under the edge limit) while one replica stops. */
async function checkFailover(run: EdgeRun, client: Client): Promise<void> {
  const victim = 'api-v1-2';
  const report = await runLoad({
    durationMs: 12_000,
    workers: 4,
    intervalMs: 100,
    expectStatus: 200,
    send: () => client.send({ path: '/predict', json: { X: SETOSA }, headers: { authorization: client.alice } }),
    // docker stop sends SIGTERM: the replica drains while nginx moves its traffic elsewhere.
    during: { atMs: 3000, action: () => Promise.resolve(run.stopContainer(run.ids[victim]!)) },
  });
  run.figures['failover load (requests)'] = report.total;
  run.record(
    `when ${victim} is stopped under load, then no request fails`,
    report.failures.length === 0 && report.total > 100,
    `${report.total} requests in ${report.durationMs} ms, statuses ${JSON.stringify(report.statuses)}, stop took ` +
      `${report.action ? report.action.finishedMs - report.action.startedMs : '?'} ms` +
      (report.failures.length ? `; first failures ${JSON.stringify(report.failures.slice(0, 3))}` : ''),
  );
}

/** Step 3: the smoke checks, then spread, metrics token, targets, burst and failover, in that order. */
export async function stepAssertions(run: EdgeRun): Promise<void> {
  const ca = readFileSync(run.edge.caFile);
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ca });
  const client: Client = {
    ca,
    agent,
    send: (req) => sendRequest(EDGE, req, { ca, agent }),
    alice: basicAuth(DEV_USERS[0]!.user, DEV_USERS[0]!.password),
  };
  for (const r of await runSmoke({
    baseUrl: EDGE,
    httpUrl: 'http://127.0.0.1:8080',
    users: DEV_USERS,
    client: { ca, agent },
  }))
    run.record(r.name, r.passed, r.detail);
  await checkSpread(run, client);
  await checkMetricsToken(run);
  await checkPrometheusTargets(run);
  await checkBurst(run, client);
  await checkFailover(run, client);
}
