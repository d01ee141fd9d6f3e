import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseMetricKey, parseThreshold } from '../report/core';
import { parseDuration } from './duration';
import { REQUEST_KINDS } from './requests';
import type { Scenario } from './types';

/** The scenario files' directory: `loadtest/scenarios`. */
export const SCENARIO_DIR = resolve(__dirname, '..', '..', 'scenarios');

/** Metrics a scenario may put thresholds on, with their k6 type (what aggregations make sense). */
export const METRIC_TYPES: Record<string, 'trend' | 'rate' | 'counter' | 'gauge'> = {
  http_req_duration: 'trend',
  http_req_waiting: 'trend',
  http_req_failed: 'rate',
  http_reqs: 'counter',
  checks: 'rate',
  iterations: 'counter',
  data_sent: 'counter',
  data_received: 'counter',
  vus: 'gauge',
  vus_max: 'gauge',
  predictions: 'counter',
  /**
   * Per predict_batch answer: 1 when it named every class of the served model (each batch carries a row of each class
   * found).
   */
  classes_covered: 'rate',
};

const AGGREGATIONS: Record<string, RegExp> = {
  trend: /^(avg|min|max|med|count|p\(\d+(\.\d+)?\))$/,
  rate: /^rate$/,
  counter: /^(count|rate)$/,
  gauge: /^(value|min|max)$/,
};

const duration = z.string().refine((text) => {
  try {
    return parseDuration(text) > 0;
  } catch {
    return false;
  }
}, 'a k6 duration such as 30s, 2m or 1h');
const count = z.number().int().min(0);
const stages = z.array(z.object({ duration, target: count })).min(1);

const ScenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  description: z.string().min(1),
  profile: z.discriminatedUnion('executor', [
    z.strictObject({ executor: z.literal('constant-vus'), vus: count.min(1), duration }),
    z.strictObject({
      executor: z.literal('ramping-vus'),
      startVUs: count,
      stages,
      gracefulRampDown: duration.optional(),
    }),
    z.strictObject({
      executor: z.literal('constant-arrival-rate'),
      rate: count.min(1),
      timeUnit: duration,
      duration,
      preAllocatedVUs: count.min(1),
      maxVUs: count.min(1),
    }),
    z.strictObject({
      executor: z.literal('ramping-arrival-rate'),
      startRate: count,
      timeUnit: duration,
      stages,
      preAllocatedVUs: count.min(1),
      maxVUs: count.min(1),
    }),
  ]),
  thinkTime: z.number().positive().max(60).optional(),
  mix: z.partialRecord(z.enum(REQUEST_KINDS as [string, ...string[]]), z.number().min(0)),
  thresholds: z.record(z.string(), z.array(z.string()).min(1)),
  local: z.strictObject({
    timeScale: z.number().positive().max(1),
    maxSeconds: z
      .number()
      .positive()
      .max(24 * 3600),
    maxRequests: z.number().int().min(1),
  }),
});

/** Checks what the schema cannot: known metrics, valid threshold expressions, a non-empty mix. */
function semanticProblems(scenario: Scenario): string[] {
  const problems: string[] = [];
  for (const [key, expressions] of Object.entries(scenario.thresholds)) {
    const { name } = parseMetricKey(key);
    const type = METRIC_TYPES[name];
    if (!type) {
      problems.push(`thresholds: unknown metric "${name}" (known: ${Object.keys(METRIC_TYPES).join(', ')})`);
      continue;
    }
    for (const expression of expressions) {
      const parsed = parseThreshold(expression);
      if (!parsed)
        problems.push(`thresholds.${key}: "${expression}" is not a k6 threshold such as p(95)<200 or rate<0.01`);
      else if (!AGGREGATIONS[type]!.test(parsed.aggregation))
        problems.push(`thresholds.${key}: ${parsed.aggregation} does not apply to a ${type} metric`);
    }
  }
  if (!Object.values(scenario.mix).some((weight) => (weight ?? 0) > 0))
    problems.push('mix: give at least one request kind a positive weight');
  return problems;
}

/** Validates parsed JSON as a scenario; throws one line naming the file, the field and the fix. */
export function validateScenario(data: unknown, source: string): Scenario {
  const parsed = ScenarioSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const scenario = parsed.data as Scenario;
  const problems = semanticProblems(scenario);
  if (problems.length) throw new Error(`${source}: ${problems[0]}`);
  return scenario;
}

/** The names of the scenario files in `dir`. */
export function scenarioNames(dir = SCENARIO_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** Reads and validates `<dir>/<name>.json`; the file's `name` must match its file name. */
export function loadScenario(name: string, dir = SCENARIO_DIR): Scenario {
  const known = scenarioNames(dir);
  if (!known.includes(name)) throw new Error(`unknown scenario "${name}"; choose one of ${known.join(', ')}`);
  const file = join(dir, `${name}.json`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const scenario = validateScenario(data, file);
  if (scenario.name !== name) throw new Error(`${file}: name is "${scenario.name}" but the file is ${name}.json`);
  return scenario;
}
