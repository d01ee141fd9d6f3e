import autocannon from 'autocannon';
import { TimelineBuilder } from '../report/timeline';
import type { K6Summary, TimelinePoint } from '../report/types';
import { seededRandom } from '../../../model/src/random';
import { buildRequest, judge, REQUEST_KINDS, weightedPicker } from '../scenario/requests';
import type { Judgement, RequestSpec } from '../scenario/requests';
import type { Scenario } from '../scenario/types';
import { SummaryCollector } from './collector';
import type { Step } from './plan';

/** What a local run needs. */
export interface RunOptions {
  scenario: Scenario;
  steps: Step[];
  /** Base URL without a trailing slash (already vetted). */
  base: string;
  /** Full Authorization header value. */
  authorization: string;
  /** Model named by the Open Inference Protocol requests. */
  model?: string;
  /** Stop sending once this many requests got an answer or an error. */
  maxRequests: number;
  /** Seed of the request mix; the same seed sends the same sequence per connection order. */
  seed?: number;
  /** Rounds of unrecorded warm-up requests (one of each kind per round) before measuring; default 10. */
  warmUpRounds?: number;
  /** Progress lines (one per step); default silent. */
  log?: (line: string) => void;
}

/** What a local run produced. */
export interface RunResult {
  summary: K6Summary;
  timeline: TimelinePoint[];
  stoppedEarly?: string;
}

/** Bytes on the wire for a request: request line, the headers autocannon adds and ours, body. */
function requestBytes(spec: RequestSpec, host: string): number {
  const headerBytes = Object.entries(spec.headers).reduce((sum, [k, v]) => sum + k.length + v.length + 4, 0);
  return `${spec.method} ${spec.path} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\nContent-Length: ${spec.body.length}\r\n\r\n`.length + headerBytes + Buffer.byteLength(spec.body);
}

function lowerCaseKeys(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) out[key.toLowerCase()] = Array.isArray(value) ? String(value[0]) : String(value);
  return out;
}

/**
 * A few unrecorded requests of every kind first, so the first measured ones do not pay for the
 * server's JIT warm-up (a k6 run meets a deployed, already-warm service).
 */
async function warmUp(base: string, authorization: string, model: string | undefined, random: () => number, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    await Promise.all(
      REQUEST_KINDS.map(async (kind) => {
        const spec = buildRequest(kind, authorization, random, model);
        const res = await fetch(`${base}${spec.path}`, { method: spec.method, headers: spec.headers, body: spec.body, signal: AbortSignal.timeout(10000) });
        await res.arrayBuffer();
      }),
    );
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Plays `steps` against `base` with autocannon, one instance per step, judging every answer with
 * the same checks as the k6 script and recording k6's metrics, then builds the k6-shaped summary
 * with the scenario's thresholds. Bounded by the steps' total time and by `maxRequests`.
 */
export async function runScenario(options: RunOptions): Promise<RunResult> {
  const { scenario, steps, base, authorization } = options;
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed ?? 1);
  const nextKind = weightedPicker(scenario.mix, random);
  const url = new URL(base);
  const prefix = url.pathname.replace(/\/+$/, '');
  await warmUp(base, authorization, options.model, seededRandom((options.seed ?? 1) + 1), options.warmUpRounds ?? 10);
  const collector = new SummaryCollector();
  const started = Date.now();
  const timeline = new TimelineBuilder(started);
  let answered = 0;
  let connections = 0;
  let maxConnections = 0;
  let stoppedEarly: string | undefined;
  let current: autocannon.Instance | undefined;

  // autocannon calls onResponse and then emits 'response' synchronously for the same request,
  // so the judgement made in the first is the one the second times.
  let pending: { spec: RequestSpec; judgement: Judgement; status: number } | undefined;

  const sampleVus = (): void => {
    collector.add('vus', 'gauge', connections);
    collector.add('vus_max', 'gauge', maxConnections);
    timeline.vus(Date.now(), connections);
  };
  const sampler = setInterval(sampleVus, 1000);

  const record = (bytes: number, durationMs: number): void => {
    const done = pending;
    pending = undefined;
    if (!done) return;
    const { spec, judgement, status } = done;
    const expected = status === spec.expectedStatus;
    const tags = { kind: spec.kind, name: spec.kind, method: spec.method, status: String(status), expected_response: String(expected), scenario: scenario.name };
    collector.add('http_reqs', 'counter', 1, tags);
    collector.add('http_req_duration', 'trend', durationMs, tags, 'time');
    collector.add('http_req_failed', 'rate', expected ? 0 : 1, tags);
    collector.add('iterations', 'counter', 1, { scenario: scenario.name });
    collector.add('data_received', 'counter', bytes, {}, 'data');
    collector.add('data_sent', 'counter', requestBytes(spec, url.host), {}, 'data');
    for (const check of judgement.checks) collector.check(check.name, check.ok, { kind: spec.kind });
    if (judgement.predictions) {
      for (const cls of judgement.predictions.classes) collector.add('predictions', 'counter', 1, { class: cls, variant: judgement.predictions.variant });
    }
    timeline.request(Date.now(), !expected, durationMs);
    answered++;
    if (answered >= options.maxRequests && current) {
      stoppedEarly = `reached the request cap (${options.maxRequests})`;
      current.stop();
    }
  };

  try {
    for (const [index, step] of steps.entries()) {
      if (stoppedEarly) break;
      const load = step.overallRate ? `${step.overallRate} req/s` : step.connectionRate ? `${step.connectionRate} req/s per connection` : 'as fast as answered';
      log(`step ${index + 1}/${steps.length}: ${step.connections} connections, ${step.connections ? load : 'pause'}, ${step.seconds.toFixed(1)}s`);
      connections = step.connections;
      maxConnections = Math.max(maxConnections, connections);
      sampleVus();
      if (step.connections === 0) {
        await sleep(step.seconds * 1000);
        continue;
      }
      let finish: (error?: unknown) => void = () => undefined;
      const finished = new Promise<void>((resolve, reject) => {
        finish = (error) => (error ? reject(error instanceof Error ? error : new Error(`autocannon failed: ${JSON.stringify(error)}`)) : resolve());
      });
      const instance = autocannon({
        url: base,
        connections: step.connections,
        duration: step.seconds,
        ...(step.overallRate ? { overallRate: step.overallRate } : {}),
        ...(step.connectionRate ? { connectionRate: step.connectionRate } : {}),
        timeout: 10,
        requests: [
          {
            setupRequest: (request, context) => {
              const spec = buildRequest(nextKind(), authorization, random, options.model);
              (context as { spec?: RequestSpec }).spec = spec;
              return { ...request, method: spec.method, path: `${prefix}${spec.path}`, headers: spec.headers, body: spec.body };
            },
            onResponse: (status, body, context, headers) => {
              const spec = (context as { spec?: RequestSpec }).spec;
              if (!spec) return;
              pending = { spec, status, judgement: judge(spec, { status, body, headers: lowerCaseKeys(headers) }) };
            },
          },
        ],
      }, (error) => finish(error ?? undefined));
      current = instance;
      instance.on('response', (_client, _status, resBytes, responseTime) => record(resBytes, responseTime));
      instance.on('reqError', () => {
        pending = undefined;
        const tags = { kind: 'unknown', name: 'unknown', method: 'POST', status: '0', expected_response: 'false', scenario: scenario.name };
        collector.add('http_reqs', 'counter', 1, tags);
        collector.add('http_req_failed', 'rate', 1, tags);
        timeline.request(Date.now(), true);
        answered++;
      });
      await finished;
      current = undefined;
    }
  } finally {
    clearInterval(sampler);
  }
  const durationMs = Date.now() - started;
  // Latency per request kind and prediction counts per class and variant, whether or not a
  // threshold names them (k6 shows a sub-metric only when one does).
  const extra = [
    // k6 always reports this one.
    'http_req_duration{expected_response:true}',
    ...collector.tagValues('http_req_duration', 'kind').map((kind) => `http_req_duration{kind:${kind}}`),
    ...collector.tagValues('predictions', 'class').map((cls) => `predictions{class:${cls}}`),
    ...collector.tagValues('predictions', 'variant').map((variant) => `predictions{variant:${variant}}`),
  ];
  const summary = collector.summary(durationMs, scenario.thresholds, extra);
  return { summary, timeline: timeline.points(started + durationMs), ...(stoppedEarly ? { stoppedEarly } : {}) };
}
