import autocannon from 'autocannon';
import { TimelineBuilder } from '../report/timeline';
import type { K6Summary, TimelinePoint } from '../report/types';
import { seededRandom } from '../../../model/src/random';
import { buildRequest, judge, REQUEST_KINDS, weightedPicker } from '../scenario/requests';
import type { Judgement, RequestSpec } from '../scenario/requests';
import type { TrafficModels } from '../scenario/discovery';
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
  /** What each route's requests send and which classes they must get back (runner/discover.ts). */
  models: TrafficModels;
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
  return (
    (
      `${spec.method} ${spec.path} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\nContent-Length: ` +
      `${spec.body.length}\r\n\r\n`
    ).length +
    headerBytes +
    Buffer.byteLength(spec.body)
  );
}

function lowerCaseKeys(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {}))
    out[key.toLowerCase()] = Array.isArray(value) ? String(value[0]) : String(value);
  return out;
}

/**
 * A few unrecorded requests of every kind first, so the first measured ones do not pay for the
 * server's JIT warm-up (a k6 run meets a deployed, already-warm service).
 */
async function warmUp(
  base: string,
  authorization: string,
  models: TrafficModels,
  random: () => number,
  rounds: number,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    await Promise.all(
      REQUEST_KINDS.map(async (kind) => {
        const spec = buildRequest(kind, authorization, random, models);
        const res = await fetch(`${base}${spec.path}`, {
          method: spec.method,
          headers: spec.headers,
          body: spec.body,
          signal: AbortSignal.timeout(10000),
        });
        await res.arrayBuffer();
      }),
    );
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What one answer left for the 'response' event: the request, its judgement and its status. */
interface Pending {
  spec: RequestSpec;
  judgement: Judgement;
  status: number;
}

/**
 * What the steps of one run share: k6's metrics, the time line, the count of answered requests
 * and the request cap, which stops the running autocannon instance when reached.
 */
class RunState {
  readonly collector = new SummaryCollector();
  readonly timeline: TimelineBuilder;
  connections = 0;
  maxConnections = 0;
  stoppedEarly: string | undefined;
  current: autocannon.Instance | undefined;
  // autocannon calls onResponse and then emits 'response' synchronously for the same request,
  // so the judgement made in the first is the one the second times.
  pending: Pending | undefined;
  private answered = 0;

  constructor(
    readonly started: number,
    private readonly run: { scenario: string; host: string; maxRequests: number },
  ) {
    this.timeline = new TimelineBuilder(started);
  }

  /** The VU gauges k6 reports, from the connections of the current step. */
  sampleVus(): void {
    this.collector.add('vus', 'gauge', this.connections);
    this.collector.add('vus_max', 'gauge', this.maxConnections);
    this.timeline.vus(Date.now(), this.connections);
  }

  /** A step begins: its connections are the VUs from now on. */
  enterStep(connections: number): void {
    this.connections = connections;
    this.maxConnections = Math.max(this.maxConnections, connections);
    this.sampleVus();
  }

  /** Records the pending answer as k6 would: request metrics, checks and predictions. */
  record(bytes: number, durationMs: number): void {
    const done = this.pending;
    this.pending = undefined;
    if (!done) return;
    const { spec, judgement, status } = done;
    const { collector, run } = this;
    const expected = status === spec.expectedStatus;
    const tags = {
      kind: spec.kind,
      name: spec.kind,
      method: spec.method,
      status: String(status),
      expected_response: String(expected),
      scenario: run.scenario,
    };
    collector.add('http_reqs', 'counter', 1, tags);
    collector.add('http_req_duration', 'trend', durationMs, tags, 'time');
    collector.add('http_req_failed', 'rate', expected ? 0 : 1, tags);
    collector.add('iterations', 'counter', 1, { scenario: run.scenario });
    collector.add('data_received', 'counter', bytes, {}, 'data');
    collector.add('data_sent', 'counter', requestBytes(spec, run.host), {}, 'data');
    for (const check of judgement.checks) collector.check(check.name, check.ok, { kind: spec.kind });
    if (judgement.predictions) {
      for (const cls of judgement.predictions.classes)
        collector.add('predictions', 'counter', 1, { class: cls, variant: judgement.predictions.variant });
    }
    if (judgement.everyClass !== undefined)
      collector.add('classes_covered', 'rate', judgement.everyClass ? 1 : 0, { kind: spec.kind });
    this.timeline.request(Date.now(), !expected, durationMs);
    this.answered++;
    if (this.answered >= run.maxRequests && this.current) {
      this.stoppedEarly = `reached the request cap (${run.maxRequests})`;
      this.current.stop();
    }
  }

  /** A request that got no answer (connection error or timeout): a failed request of unknown kind. */
  recordError(): void {
    this.pending = undefined;
    const tags = {
      kind: 'unknown',
      name: 'unknown',
      method: 'POST',
      status: '0',
      expected_response: 'false',
      scenario: this.run.scenario,
    };
    this.collector.add('http_reqs', 'counter', 1, tags);
    this.collector.add('http_req_failed', 'rate', 1, tags);
    this.timeline.request(Date.now(), true);
    this.answered++;
  }
}

/** Where a step sends and what: the target and the next request of the mix. */
interface Traffic {
  base: string;
  /** The base URL's path, prefixed to every request's path. */
  prefix: string;
  nextRequest: () => RequestSpec;
}

/** Plays one step with autocannon, judging and recording every answer; resolves when it ends. */
async function runStep(step: Step, state: RunState, traffic: Traffic): Promise<void> {
  let finish: (error?: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error) =>
      error
        ? reject(error instanceof Error ? error : new Error(`autocannon failed: ${JSON.stringify(error)}`))
        : resolve();
  });
  const instance = autocannon(
    {
      url: traffic.base,
      connections: step.connections,
      duration: step.seconds,
      ...(step.overallRate ? { overallRate: step.overallRate } : {}),
      ...(step.connectionRate ? { connectionRate: step.connectionRate } : {}),
      timeout: 10,
      requests: [
        {
          setupRequest: (request, context) => {
            const spec = traffic.nextRequest();
            (context as { spec?: RequestSpec }).spec = spec;
            return {
              ...request,
              method: spec.method,
              path: `${traffic.prefix}${spec.path}`,
              headers: spec.headers,
              body: spec.body,
            };
          },
          onResponse: (status, body, context, headers) => {
            const spec = (context as { spec?: RequestSpec }).spec;
            if (!spec) return;
            state.pending = { spec, status, judgement: judge(spec, { status, body, headers: lowerCaseKeys(headers) }) };
          },
        },
      ],
    },
    (error) => finish(error ?? undefined),
  );
  state.current = instance;
  instance.on('response', (_client, _status, resBytes, responseTime) => state.record(resBytes, responseTime));
  instance.on('reqError', () => state.recordError());
  await finished;
  state.current = undefined;
}

/** The k6-shaped summary with the scenario's thresholds, and the time line, of a finished run. */
function finishRun(state: RunState, thresholds: Scenario['thresholds']): RunResult {
  const { collector, started, stoppedEarly } = state;
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
  const summary = collector.summary(durationMs, thresholds, extra);
  return { summary, timeline: state.timeline.points(started + durationMs), ...(stoppedEarly ? { stoppedEarly } : {}) };
}

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
  const traffic: Traffic = {
    base,
    prefix: url.pathname.replace(/\/+$/, ''),
    nextRequest: () => buildRequest(nextKind(), authorization, random, options.models),
  };
  await warmUp(base, authorization, options.models, seededRandom((options.seed ?? 1) + 1), options.warmUpRounds ?? 10);
  const state = new RunState(Date.now(), { scenario: scenario.name, host: url.host, maxRequests: options.maxRequests });
  const sampler = setInterval(() => state.sampleVus(), 1000);
  try {
    for (const [index, step] of steps.entries()) {
      if (state.stoppedEarly) break;
      const load = step.overallRate
        ? `${step.overallRate} req/s`
        : step.connectionRate
          ? `${step.connectionRate} req/s per connection`
          : 'as fast as answered';
      log(
        `step ${index + 1}/${steps.length}: ${step.connections} connections, ${step.connections ? load : 'pause'}, ` +
          `${step.seconds.toFixed(1)}s`,
      );
      state.enterStep(step.connections);
      if (step.connections === 0) await sleep(step.seconds * 1000);
      else await runStep(step, state, traffic);
    }
  } finally {
    clearInterval(sampler);
  }
  return finishRun(state, scenario.thresholds);
}
