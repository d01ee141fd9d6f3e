import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import {
  parseSummary,
  renderAll,
  renderHtml,
  renderJUnit,
  renderMarkdown,
  textSummary,
  thresholdRows,
  timelineFromK6Json,
  verdict,
} from '../src/report';
import { parseThreshold } from '../src/report/core';
import { resampleTimeline } from '../src/report/html';
import type { K6Summary, TimelinePoint } from '../src/report/types';

const FIXTURES = join(__dirname, 'fixtures');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const raw = (): K6Summary => parseSummary(fixture('k6-handle-summary-raw.json'));
const http = (): K6Summary => parseSummary(fixture('k6-http-summary.json'));

describe('reading a k6 summary', () => {
  test(
    'when given k6 v2.2.0 handleSummary data, ' + 'then every threshold is listed with its verdict and observed value',
    () => {
      const rows = thresholdRows(raw());
      expect(rows.map((r) => [r.metric, r.source, r.ok])).toEqual([
        ['checks', 'rate>70', true],
        ['http_reqs', 'rate<100', false],
        ['my_trend', 'my_trend<1000', false],
      ]);
      expect(rows[0]!.observedText).toBe('75.00%');
      expect(rows[1]!.observedText).toBe('3/s');
      // "my_trend<1000" names no aggregation k6's summary holds: shown as n/a, not invented.
      expect(rows[2]!.observedText).toBe('n/a');
      expect(verdict(raw())).toEqual({ passed: false, failed: ['http_reqs: rate<100', 'my_trend: my_trend<1000'] });
    },
  );

  test('when the file is a --summary-export, then parsing says so in one line', () => {
    expect(() => parseSummary(fixture('k6-summary-export.json'))).toThrow(/--summary-export/);
    expect(() => parseSummary('{"nope":')).toThrow(/not JSON/);
    expect(() => parseSummary('[]')).toThrow(/no "metrics"/);
  });

  test.each([
    ['p(95)<500', { aggregation: 'p(95)', operator: '<', value: 500 }],
    ['rate < 0.01', { aggregation: 'rate', operator: '<', value: 0.01 }],
    ['count>=0', { aggregation: 'count', operator: '>=', value: 0 }],
    ['p(99.9)<=1e3', { aggregation: 'p(99.9)', operator: '<=', value: 1000 }],
  ])('when parsing the threshold %s, then it splits into aggregation, operator and value', (source, parsed) => {
    expect(parseThreshold(source)).toEqual(parsed);
  });

  test('when a threshold is not k6 syntax, then it does not parse', () => {
    expect(parseThreshold('p95 < 500')).toBeUndefined();
    expect(parseThreshold('rate<')).toBeUndefined();
  });
});

describe('rendering', () => {
  test('when a threshold fails, then JUnit has one failing test case for it and passing cases for the rest', () => {
    const xml = renderJUnit(raw(), { name: 'k6 thresholds', classname: 'smoke' });
    expect(xml).toContain('<testsuites name="k6 thresholds" tests="3" failures="2"');
    expect(xml).toContain('<testcase name="checks - rate&gt;70" classname="smoke"></testcase>');
    expect(xml).toMatch(
      /<testcase name="http_reqs - rate&lt;100" classname="smoke">\s*<failure message="threshold rate&lt;100 on http_reqs failed: observed 3\/s" type="threshold"\/>/,
    );
  });

  test('when every threshold holds, then the markdown says passed and tabulates thresholds and latency', () => {
    const md = renderMarkdown({ summary: http(), title: 'mlship load test: load', meta: { runner: 'k6' } });
    expect(md.split('\n')[0]).toBe('## ✅ mlship load test: load: passed');
    expect(md).toContain('| ✅ | `http_req_duration` | `p(95)<500` | 102.90ms |');
    expect(md).toContain('| min | avg | med | p(90) | p(95) | p(99) | max |');
    expect(md).toContain('### Checks (2 failing)');
  });

  test('when rendering HTML, then it is self-contained and carries the figures and every threshold', () => {
    const timeline: TimelinePoint[] = [0, 1, 2].map((t) => ({
      t,
      seconds: 1,
      requests: 50,
      failed: t === 1 ? 1 : 0,
      p50: 30,
      p95: 90,
      p99: 200,
    }));
    const html = renderHtml({
      summary: http(),
      title: 'report <test>',
      timeline,
      tables: [{ title: 'bench', columns: ['load', 'rps'], rows: [['api', 1234]] }],
    });
    expect(html).not.toMatch(/<script|<link|src=|url\(|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain('<title>report &lt;test&gt;</title>');
    for (const figure of ['latency', 'throughput', 'latency-over-time'])
      expect(html).toContain(`data-figure="${figure}"`);
    expect(html.match(/✓ pass/g)).toHaveLength(4);
    expect(html).toContain('data-verdict="passed"');
    expect(html).toContain('1,234');
  });

  test('when there is no timeline, then the report says how to get one instead of drawing an empty chart', () => {
    const html = renderHtml({ summary: raw() });
    expect(html).toContain('--out json=points.json');
    expect(html).toContain('data-verdict="failed"');
  });

  test(
    'when printing the console summary, then verdict, ' + 'thresholds, checks and metrics are in it without colours',
    () => {
      const text = textSummary(raw(), { title: 'k6', enableColors: false });
      expect(text).toContain('k6: FAILED (1/3 thresholds hold) in 1.00s');
      expect(text).toMatch(/✗ my_trend\s+my_trend<1000\s+n\/a/);
      expect(text).toContain('✗ child › check3  (5 of 15 failed)');
      expect(text).toContain('my_trend');
      expect(text).not.toContain('\u001b[');
    },
  );

  test('when rendering everything at once, then the four renderings agree on the verdict', () => {
    const all = renderAll({ summary: raw(), title: 't' });
    expect(all.html).toContain('FAILED');
    expect(all.markdown).toContain('❌');
    expect(all.junit).toContain('failures="2"');
    expect(all.text).toContain('FAILED');
  });
});

describe('timelines', () => {
  test('when reading k6 --out json lines, then requests, failures and latency land in one-second slices', () => {
    const points = timelineFromK6Json(fixture('k6-points.json').split('\n'));
    expect(points).toHaveLength(2);
    expect(points[0]).toMatchObject({ t: 0, requests: 1, failed: 0, p50: 12.5, vus: 5 });
    expect(points[1]).toMatchObject({ t: 1, requests: 2, failed: 1 });
  });

  test('when a run is long, then the timeline is merged down to a few hundred points keeping totals', () => {
    const long: TimelinePoint[] = Array.from({ length: 3600 }, (_, t) => ({
      t,
      seconds: 1,
      requests: 20,
      failed: t % 100 === 0 ? 1 : 0,
      p95: t === 1800 ? 900 : 50,
    }));
    const merged = resampleTimeline(long);
    expect(merged.length).toBeLessThanOrEqual(300);
    expect(merged.reduce((s, p) => s + p.requests, 0)).toBe(72000);
    expect(merged.reduce((s, p) => s + p.failed, 0)).toBe(36);
    expect(Math.max(...merged.map((p) => p.p95 ?? 0))).toBe(900);
  });
});

describe('the report module as the k6-report action bundles it', () => {
  const dir = join(__dirname, '..', 'src', 'report');

  test('when bundled by esbuild for a neutral platform, then it needs no Node built-in', () => {
    const result = buildSync({
      entryPoints: [join(dir, 'index.ts')],
      bundle: true,
      platform: 'neutral',
      format: 'cjs',
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0]!.text).not.toMatch(/require\(["']node:/);
  });

  test('when k6 loads core.ts without a bundler, then it finds nothing but type imports', () => {
    for (const file of ['core.ts', 'types.ts']) {
      const source = readFileSync(join(dir, file), 'utf8');
      const imports = source.match(/^import .*$/gm) ?? [];
      expect(imports.every((line) => line.startsWith('import type '))).toBe(true);
    }
    expect(readdirSync(dir).every((f) => !readFileSync(join(dir, f), 'utf8').includes("from 'node:"))).toBe(true);
  });
});
