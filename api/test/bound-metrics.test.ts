import { Counter, Histogram, Registry } from 'prom-client';
import { BoundCounter, BoundHistogram } from '../src/observability/bound-metrics';

// No bound of -1 here: prom-client 15 files values above the last bound under the key -1 too.
const BUCKETS = [-2, 0, 0.5, 1, 2.5];
const VALUES = [-3, -1, -0.2, 0, 0.3, 0.5, 0.9, 1, 2.4, 2.5, 7, 1e6];

/** The same metric from prom-client and from bound-metrics, each alone in its own registry. */
async function exposition(
  make: (registry: Registry) => (labels: Record<'model' | 'feature', string>, value: number) => void,
): Promise<string> {
  const registry = new Registry();
  const observe = make(registry);
  for (const [i, value] of VALUES.entries()) observe({ model: 'M1', feature: i % 2 ? 'petal' : 'sepal' }, value);
  observe({ model: 'M2', feature: 'petal' }, 0.25);
  return registry.metrics();
}

/** Series lines sorted: prom-client and we may list label sets in a different order. */
const lines = (text: string): string[] => text.split('\n').filter(Boolean).sort();

describe('bound metrics', () => {
  test(
    'when a histogram sees the same values as prom-client’s, ' + 'then the registry prints the same series and values',
    async () => {
      const theirs = await exposition((registry) => {
        const h = new Histogram({
          name: 'feature_value',
          help: 'h',
          labelNames: ['model', 'feature'],
          buckets: BUCKETS,
          registers: [registry],
        });
        return (labels, value) => h.labels(labels).observe(value);
      });
      const ours = await exposition((registry) => {
        const h = new BoundHistogram('feature_value', 'h', ['model', 'feature'], BUCKETS, [registry]);
        return (labels, value) => h.labels(labels).observe(value);
      });
      expect(lines(ours)).toEqual(lines(theirs));
    },
  );

  test(
    'when a bound is -1 (the drift histogram has one), ' + 'then values above the last bound count only in +Inf',
    async () => {
      const registry = new Registry();
      const child = new BoundHistogram('drift', 'h', ['feature'], [-1, 0, 3], [registry]).labels({ feature: 'petal' });
      for (const value of [-2, 7, 12]) child.observe(value);
      const values = (await registry.getMetricsAsJSON())[0]!.values as Array<{
        labels: Record<string, string | number>;
        value: number;
        metricName?: string;
      }>;
      const buckets = values.filter((v) => v.metricName === 'drift_bucket').map((v) => [v.labels.le, v.value]);
      // prom-client's findBound answers -1 for "above every bound", which collides with this bound:
      // it would print le="-1" 3. The drift dashboards need 1.
      expect(buckets).toEqual([
        [-1, 1],
        [0, 1],
        [3, 1],
        ['+Inf', 3],
      ]);
    },
  );

  test(
    'when a counter is incremented as prom-client’s is, ' + 'then the registry prints the same series and values',
    async () => {
      const theirs = await exposition((registry) => {
        const c = new Counter({
          name: 'predictions_total',
          help: 'c',
          labelNames: ['model', 'feature'],
          registers: [registry],
        });
        return (labels, value) => c.labels(labels).inc(Math.abs(value) % 3);
      });
      const ours = await exposition((registry) => {
        const c = new BoundCounter('predictions_total', 'c', ['model', 'feature'], [registry]);
        return (labels, value) => c.labels(labels).inc(Math.abs(value) % 3);
      });
      expect(lines(ours)).toEqual(lines(theirs));
    },
  );

  test('when the registry is reset, then children held by callers are zeroed in place and keep counting', async () => {
    const registry = new Registry();
    const h = new BoundHistogram('d', 'h', ['route'], [1], [registry]);
    const child = h.labels({ route: '/predict' });
    child.observe(0.5);
    registry.resetMetrics();
    child.observe(2);
    const json = await registry.getMetricsAsJSON();
    expect(json[0]!.values).toEqual([
      { labels: { route: '/predict', le: 1 }, value: 0, metricName: 'd_bucket' },
      { labels: { route: '/predict', le: '+Inf' }, value: 1, metricName: 'd_bucket' },
      { labels: { route: '/predict' }, value: 2, metricName: 'd_sum' },
      { labels: { route: '/predict' }, value: 1, metricName: 'd_count' },
    ]);
  });

  test('when a value is not a finite number, then it is skipped rather than turning the sum into NaN', () => {
    const registry = new Registry();
    const child = new BoundHistogram('d', 'h', ['route'], [1], [registry]).labels({ route: '/' });
    child.observe(Number.NaN);
    child.observe(Number.POSITIVE_INFINITY);
    child.observe(0.5);
    expect({ sum: child.sum, count: child.count }).toEqual({ sum: 0.5, count: 1 });
  });

  test('when two metrics of one name are registered, then the registry refuses the second, as with prom-client', () => {
    const registry = new Registry();
    new BoundCounter('x_total', 'c', ['a'], [registry]);
    expect(() => new BoundCounter('x_total', 'c', ['a'], [registry])).toThrow(/already been registered/);
  });
});
