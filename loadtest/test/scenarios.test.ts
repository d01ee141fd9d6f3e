import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from '../src/scenario/duration';
import { loadScenario, scenarioNames, validateScenario } from '../src/scenario/load';
import { seededRandom } from '../../model/src/random';
import { buildRequest, judge, REQUEST_KINDS, weightedPicker } from '../src/scenario/requests';
import { planSteps } from '../src/runner/plan';
import { discoverWith, fakeApi, PENGUINS } from './fake-model-api';

const AUTH = 'Basic YWxpY2U6d29uZGVybGFuZA==';
/** What the traffic sends to a three-feature penguins model, as discovery finds it. */
const { models: MODELS } = discoverWith(fakeApi(PENGUINS));

describe('scenario files', () => {
  test('when listing loadtest/scenarios, then there is exactly one file per scenario', () => {
    expect(scenarioNames()).toEqual(['load', 'smoke', 'soak', 'spike', 'stress']);
  });

  test.each(['smoke', 'load', 'stress', 'spike', 'soak'])(
    'when loading %s, then it validates, holds the shared contract thresholds and names no class of any model',
    (name) => {
      const scenario = loadScenario(name);
      for (const metric of ['http_req_failed', 'http_req_duration', 'checks'])
        expect(scenario.thresholds[metric]).toBeDefined();
      expect(scenario.thresholds.http_req_duration!.some((t) => t.startsWith('p(95)'))).toBe(true);
      expect(scenario.thresholds.http_req_duration!.some((t) => t.startsWith('p(99)'))).toBe(true);
      // The mix covers single, batch, v2, OIP and invalid requests.
      for (const kind of REQUEST_KINDS) expect(scenario.mix[kind]).toBeGreaterThan(0);
      // Thresholds are fixed before the k6 script learns the served model's classes.
      expect(Object.keys(scenario.thresholds).filter((key) => key.includes('class:'))).toEqual([]);
    },
  );

  test('when load is loaded, then every batch must be answered with every class of the served model', () => {
    expect(loadScenario('load').thresholds.classes_covered).toEqual(['rate>0.99']);
  });

  test.each(['smoke', 'load', 'stress', 'spike', 'soak'])(
    'when planning %s locally, then it stays within its time bound',
    (name) => {
      const scenario = loadScenario(name);
      const steps = planSteps(scenario, scenario.local);
      const total = steps.reduce((s, step) => s + step.seconds, 0);
      expect(total).toBeLessThanOrEqual(scenario.local.maxSeconds + 0.001);
      expect(total).toBeGreaterThan(5);
      expect(steps.some((s) => s.connections > 0)).toBe(true);
    },
  );

  test('when smoke is planned, then it plays 2 connections for 12 seconds at the think-time pace', () => {
    expect(planSteps(loadScenario('smoke'), { timeScale: 1, maxSeconds: 60 })).toEqual([
      { seconds: 12, connections: 2, connectionRate: 10 },
    ]);
  });

  test('when a ramping arrival rate is planned, then the ramp becomes a staircase and a zero rate a pause', () => {
    const steps = planSteps(loadScenario('load'), { timeScale: 0.2, maxSeconds: 600 });
    const rates = steps.map((s) => s.overallRate ?? 0);
    expect(rates[0]).toBeLessThan(rates[2]!);
    expect(Math.max(...rates)).toBe(50);
    expect(steps.reduce((s, step) => s + step.seconds, 0)).toBeCloseTo(48, 5);
  });

  const write = (data: unknown): string => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(data));
    return dir;
  };
  const base = () => JSON.parse(JSON.stringify(loadScenario('smoke'))) as Record<string, unknown>;

  test.each([
    ['an unknown metric', { thresholds: { http_req_durations: ['p(95)<1'] } }, /unknown metric "http_req_durations"/],
    ['a threshold k6 would refuse', { thresholds: { http_req_duration: ['p95<1'] } }, /not a k6 threshold/],
    [
      'an aggregation the metric lacks',
      { thresholds: { http_req_failed: ['p(95)<1'] } },
      /does not apply to a rate metric/,
    ],
    ['an unknown request kind', { mix: { predict_all: 1 } }, /mix/],
    ['a mix without weight', { mix: { predict_single: 0 } }, /positive weight/],
    [
      'a bad duration',
      { profile: { executor: 'constant-vus', vus: 1, duration: 'soon' } },
      /profile.duration: a k6 duration/,
    ],
  ])('when a scenario has %s, then loading it fails with one line naming it', (_what, patch, message) => {
    const dir = write({ ...base(), name: 'bad', ...patch });
    expect(() => loadScenario('bad', dir)).toThrow(message);
  });

  test('when the file name and the name inside differ, then loading says so', () => {
    expect(() => loadScenario('bad', write(base()))).toThrow(/name is "smoke" but the file is bad.json/);
  });

  test('when validating something that is not a scenario, then the error names the field', () => {
    expect(() => validateScenario({ name: 'x' }, 'x.json')).toThrow(/^x\.json: description/);
  });
});

describe('durations', () => {
  test.each([
    ['30s', 30],
    ['2m', 120],
    ['1h30m', 5400],
    ['500ms', 0.5],
    ['1.5s', 1.5],
    ['15', 15],
  ])('when parsing %s, then it is %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBeCloseTo(seconds, 9);
  });
  test.each(['', 'soon', '5 m', '1x'])('when parsing "%s", then it throws', (text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });
});

describe('request kinds', () => {
  const random = seededRandom(3);

  test('when drawing from a mix, then kinds come in proportion to their weights', () => {
    const pick = weightedPicker({ predict_single: 3, infer: 1 }, seededRandom(42));
    const counts: Record<string, number> = {};
    for (let i = 0; i < 20000; i++) {
      const kind = pick();
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['infer', 'predict_single']);
    expect(counts.predict_single! / 20000).toBeCloseTo(0.75, 1);
  });

  test('when the mix has no weight, then the picker refuses', () => {
    expect(() => weightedPicker({}, random)).toThrow(/positive weight/);
  });

  test('when an invalid request gets its expected 4xx with the right code, then every check passes', () => {
    const spec = buildRequest('invalid_row', AUTH, random, MODELS);
    expect(spec.expectedStatus).toBe(400);
    expect(JSON.parse(spec.body).X).toHaveLength(4);
    const judged = judge(spec, {
      status: 400,
      body: '{"error":{"code":"invalid_input","message":"X: must have exactly 3 numbers"}}',
      headers: {},
    });
    expect(judged.checks.every((c) => c.ok)).toBe(true);
    expect(judged.predictions).toBeUndefined();
  });

  test('when a prediction answer is a 500 or lacks a class, then its checks fail and nothing is counted', () => {
    const spec = buildRequest('predict_single', AUTH, random, MODELS);
    expect(JSON.parse(spec.body).X).toHaveLength(3);
    expect(judge(spec, { status: 500, body: '{}', headers: {} }).checks.map((c) => c.ok)).toEqual([false, false]);
    expect(judge(spec, { status: 200, body: '{"prediction":"rose"}', headers: {} }).checks.map((c) => c.ok)).toEqual([
      true,
      false,
    ]);
    // A class of another model (Iris's) is not one of the served model's.
    expect(judge(spec, { status: 200, body: '{"prediction":"setosa"}', headers: {} }).checks.map((c) => c.ok)).toEqual([
      true,
      false,
    ]);
    expect(judge(spec, { status: 200, body: '{"prediction":"Gentoo"}', headers: {} }).checks.map((c) => c.ok)).toEqual([
      true,
      true,
    ]);
  });

  test('when a v2 answer comes from v1, then the v2 check fails', () => {
    const spec = buildRequest('predict_v2', AUTH, random, MODELS);
    expect(spec.headers['X-Experiment-Group']).toBe('debug');
    const judged = judge(spec, {
      status: 200,
      body: '{"prediction":"Adelie","variant":"v1"}',
      headers: { 'x-variant': 'v1' },
    });
    expect(judged.checks.find((c) => c.name.includes('variant v2'))!.ok).toBe(false);
  });

  test('when an OIP answer carries one label per row, then the classes are counted under its variant', () => {
    const spec = buildRequest('infer', AUTH, random, MODELS);
    expect(spec.path).toBe('/v2/models/P3/infer');
    expect(JSON.parse(spec.body).inputs[0].shape).toEqual([3, 3]);
    const body = JSON.stringify({ outputs: [{ name: 'label', data: ['Adelie', 'Gentoo', 'Adelie'] }] });
    expect(judge(spec, { status: 200, body, headers: { 'x-variant': 'v1' } }).predictions).toEqual({
      variant: 'v1',
      classes: ['Adelie', 'Gentoo', 'Adelie'],
    });
  });

  test(
    'when a batch is built, then it carries a row of each class, ' + 'and an answer missing a class is not covered',
    () => {
      const spec = buildRequest('predict_batch', AUTH, random, MODELS);
      const rows = JSON.parse(spec.body).X as number[][];
      expect(rows).toHaveLength(10);
      for (const row of MODELS.coverage) expect(rows).toContainEqual(row);
      const answer = (labels: string[]) =>
        judge(spec, { status: 200, body: JSON.stringify({ predictions: labels }), headers: {} });
      const all = rows.map((_, i) => PENGUINS.classes[i % 3]!);
      expect(answer(all)).toMatchObject({ everyClass: true, checks: [{ ok: true }, { ok: true }] });
      expect(answer(all.map((c) => (c === 'Chinstrap' ? 'Adelie' : c)))).toMatchObject({
        everyClass: false,
        checks: [{ ok: true }, { ok: true }],
      });
      expect(answer(all.slice(1)).checks[1]!.ok).toBe(false);
    },
  );
});
