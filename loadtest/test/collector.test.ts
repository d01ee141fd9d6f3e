import { SummaryCollector } from '../src/runner/collector';
import { percentile } from '../src/report/timeline';
import { thresholdRows } from '../src/report/core';

describe('the k6-shaped summary of the local runner', () => {
  test('when computing percentiles, then they interpolate between ranks as k6 TrendSink.P does', () => {
    const sorted = [10, 15, 20];
    expect(percentile(sorted, 0.5)).toBe(15);
    expect(percentile(sorted, 0.9)).toBe(19);
    expect(percentile(sorted, 0.95)).toBe(19.5);
    expect(percentile(sorted, 0.99)).toBeCloseTo(19.9, 10);
    expect(percentile([], 0.5)).toBe(0);
    expect(percentile([7], 0.99)).toBe(7);
  });

  const collect = (): SummaryCollector => {
    const c = new SummaryCollector();
    // k6's own fixture: my_trend 10, 15, 20 → avg 15, med 15, p(90) 19, p(95) 19.5.
    for (const [ms, kind, failed] of [
      [10, 'predict_single', 0],
      [15, 'predict_single', 0],
      [20, 'infer', 1],
    ] as const) {
      c.add('http_req_duration', 'trend', ms, { kind }, 'time');
      c.add('http_req_failed', 'rate', failed, { kind });
      c.add('http_reqs', 'counter', 1, { kind });
    }
    c.check('status 200', true);
    c.check('status 200', true);
    c.check('status 200', false);
    c.add('predictions', 'counter', 2, { class: 'setosa', variant: 'v1' });
    return c;
  };

  test('when summarising, then metrics have k6 types, units and values', () => {
    const summary = collect().summary(1000, {});
    expect(summary.metrics.http_req_duration).toEqual({
      type: 'trend',
      contains: 'time',
      values: {
        avg: 15,
        min: 10,
        med: 15,
        max: 20,
        'p(90)': 19,
        'p(95)': 19.5,
        'p(99)': expect.closeTo(19.9, 10),
        count: 3,
      },
    });
    expect(summary.metrics.http_req_failed).toEqual({
      type: 'rate',
      contains: 'default',
      values: { rate: 1 / 3, passes: 1, fails: 2 },
    });
    expect(summary.metrics.http_reqs).toEqual({ type: 'counter', contains: 'default', values: { count: 3, rate: 3 } });
    expect(summary.metrics.checks!.values).toEqual({ rate: 2 / 3, passes: 2, fails: 1 });
    expect(summary.root_group).toEqual({
      name: '',
      path: '',
      id: 'd41d8cd98f00b204e9800998ecf8427e',
      groups: [],
      checks: [
        { name: 'status 200', path: '::status 200', id: expect.stringMatching(/^[0-9a-f]{32}$/), passes: 2, fails: 1 },
      ],
    });
    expect(summary.options.summaryTrendStats).toContain('p(99)');
    expect(summary.state.testRunDurationMs).toBe(1000);
  });

  test(
    'when thresholds name tagged sub-metrics, ' + 'then those appear with verdicts computed from matching samples only',
    () => {
      const summary = collect().summary(1000, {
        http_req_duration: ['p(95)<19', 'avg<100'],
        'http_req_duration{kind:predict_single}': ['max<=15'],
        http_req_failed: ['rate<0.5'],
        'predictions{variant:v2}': ['count>0'],
        'predictions{class:setosa}': ['count>1'],
      });
      expect((summary.metrics['http_req_duration{kind:predict_single}']!.values as Record<string, number>).count).toBe(
        2,
      );
      expect(thresholdRows(summary).map((r) => `${r.metric} ${r.source} ${r.ok}`)).toEqual([
        'http_req_duration p(95)<19 false',
        'http_req_duration avg<100 true',
        'http_req_duration{kind:predict_single} max<=15 true',
        'http_req_failed rate<0.5 true',
        'predictions{class:setosa} count>1 true',
        // No v2 sample at all: the sub-metric still exists, counts 0, and fails, as in k6.
        'predictions{variant:v2} count>0 false',
      ]);
    },
  );

  test('when a threshold names a metric that got no samples, then it is judged on zero rather than skipped', () => {
    const summary = new SummaryCollector().summary(1000, { checks: ['rate==1'], http_req_duration: ['p(95)<100'] });
    expect(summary.metrics.checks).toMatchObject({ type: 'rate', thresholds: { 'rate==1': { ok: false } } });
    expect(summary.metrics.http_req_duration).toMatchObject({
      type: 'trend',
      contains: 'time',
      thresholds: { 'p(95)<100': { ok: true } },
    });
  });
});
