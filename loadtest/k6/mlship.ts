/**
 * mlship's k6 load test. One script for every scenario: the profile, request mix and thresholds
 * come from `loadtest/scenarios/<SCENARIO>.json`, the same file the local autocannon runner reads.
 *
 *   k6 run -e SCENARIO=smoke -e BASE_URL=http://127.0.0.1:8000 loadtest/k6/mlship.ts
 *
 * Environment: SCENARIO (smoke | load | stress | spike | soak; default smoke), BASE_URL (default
 * http://127.0.0.1:8000), API_USER / API_PASSWORD (default: the documented dev user alice),
 * SUMMARY_DIR (where summary.json goes; default loadtest/results/k6-<scenario>), MODEL (the model
 * the Open Inference Protocol requests name; default: the one /predict answers).
 *
 * The script names no model, feature or class. setup() asks the target once (GET /models, then a
 * few /predict requests; src/scenario/discovery.ts) which model answers each route, its features
 * and classes, and real rows of each class (the debug variant's neighbours); every iteration builds
 * its request from that. Thresholds are fixed before setup() runs, so none names a class: the
 * `classes_covered` rate says whether each batch (which carries a row of every class found) was
 * answered with every class of the model.
 *
 * No remote imports: everything is in this repository.
 */
import { check, fail, sleep } from 'k6';
import encoding from 'k6/encoding';
import http from 'k6/http';
import type { Options } from 'k6/options';
import { Counter, Rate } from 'k6/metrics';
import { SUMMARY_TREND_STATS, textSummary } from '../src/report/core.ts';
import type { K6Summary } from '../src/report/types.ts';
import { ModelDiscovery } from '../src/scenario/discovery.ts';
import type { TrafficModels } from '../src/scenario/discovery.ts';
import { buildRequest, judge, weightedPicker } from '../src/scenario/requests.ts';
import type { Scenario } from '../src/scenario/types.ts';

/** k6's console (in every k6 runtime; @types/k6 does not declare it). */
declare const console: { warn(...values: unknown[]): void };

const SCENARIOS = ['smoke', 'load', 'stress', 'spike', 'soak'];
const scenarioName = __ENV.SCENARIO || 'smoke';
if (!SCENARIOS.includes(scenarioName))
  throw new Error(`SCENARIO must be one of ${SCENARIOS.join(', ')}; got "${scenarioName}"`);

// open() in the init context, resolved against this file rather than the working directory.
const scenario = JSON.parse(open(import.meta.resolve(`../scenarios/${scenarioName}.json`))) as Scenario;
const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8000').replace(/\/+$/, '');
const MODEL = __ENV.MODEL || undefined;
const CREDENTIALS = `${__ENV.API_USER || 'alice'}:${__ENV.API_PASSWORD || 'wonderland'}`;
const AUTHORIZATION = `Basic ${encoding.b64encode(CREDENTIALS)}`;

/** One k6 scenario named after the file; its profile and thresholds verbatim, p(99) in the summary. */
export const options: Options = {
  scenarios: { [scenario.name]: { ...scenario.profile, exec: 'default' } },
  thresholds: scenario.thresholds,
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: '30s',
};

/** Predictions answered, tagged with `class` and `variant` (thresholds make the sub-metrics show). */
const predictions = new Counter('predictions');
/** Per predict_batch answer: whether it named every class of the served model. */
const classesCovered = new Rate('classes_covered');

/** Each kind's one expected status, so a 400 the mix asked for is not an http_req_failed. */
const EXPECTED = {
  200: http.expectedStatuses(200),
  400: http.expectedStatuses(400),
  415: http.expectedStatuses(415),
} as const;
/** Discovery probes widths a 400 may refuse: no answer of it is a failed request. */
const EXPECTED_ANY = http.expectedStatuses({ min: 200, max: 499 });

const nextKind = weightedPicker(scenario.mix, Math.random);

/** What setup() hands every iteration. */
interface SetupData {
  ready: unknown;
  models: TrafficModels;
}

/** The discovery's requests, sent once with k6's http (tagged `discovery`, so they stay out of each kind's latency). */
function discoverModels(): TrafficModels {
  const discovery = new ModelDiscovery(AUTHORIZATION, MODEL);
  try {
    for (let call = discovery.next(); call; call = discovery.next()) {
      const res = http.request(call.method, `${BASE_URL}${call.path}`, call.body ?? null, {
        headers: call.headers,
        timeout: '10s',
        tags: { kind: 'discovery', name: 'discovery' },
        responseCallback: EXPECTED_ANY,
      });
      discovery.answer({ status: res.status, body: typeof res.body === 'string' ? res.body : '', headers: {} });
    }
    const models = discovery.result();
    for (const note of models.notes) console.warn(`model discovery: ${note}`);
    return models;
  } catch (error) {
    return fail(`${(error as Error).message}: not starting the ${scenario.name} test`);
  }
}

/** Fails the run before any load when the target is not ready or does not say what it serves. */
export function setup(): SetupData {
  const res = http.get(`${BASE_URL}/readyz`, { timeout: '10s', tags: { kind: 'readyz' } });
  if (res.status !== 200)
    fail(
      `${BASE_URL}/readyz answered ${res.status || res.error}: the target is not ready, not starting the ` +
        `${scenario.name} test`,
    );
  return { ready: res.json(), models: discoverModels() };
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(headers)) out[key.toLowerCase()] = headers[key]!;
  return out;
}

export default function (data: SetupData): void {
  const kind = nextKind();
  const spec = buildRequest(kind, AUTHORIZATION, Math.random, data.models);
  const res = http.request(spec.method, `${BASE_URL}${spec.path}`, spec.body, {
    headers: spec.headers,
    tags: { kind, name: kind },
    responseCallback: EXPECTED[spec.expectedStatus as keyof typeof EXPECTED],
  });
  const judgement = judge(spec, {
    status: res.status,
    body: typeof res.body === 'string' ? res.body : '',
    headers: lowerCaseKeys(res.headers),
  });
  const checks: Record<string, () => boolean> = {};
  for (const result of judgement.checks) checks[result.name] = () => result.ok;
  check(res, checks, { kind });
  if (judgement.predictions) {
    for (const cls of judgement.predictions.classes)
      predictions.add(1, { class: cls, variant: judgement.predictions.variant });
  }
  if (judgement.everyClass !== undefined) classesCovered.add(judgement.everyClass, { kind });
  if (scenario.thinkTime) sleep(scenario.thinkTime);
}

/** Writes summary.json (the input of the reports) and prints the console summary. */
export function handleSummary(data: K6Summary): Record<string, string> {
  const dir = __ENV.SUMMARY_DIR || `loadtest/results/k6-${scenario.name}`;
  return {
    stdout: textSummary(data, { title: `mlship load test: ${scenario.name} against ${BASE_URL}` }),
    [`${dir}/summary.json`]: JSON.stringify(data, null, 2),
  };
}
