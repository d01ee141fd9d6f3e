import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CoreFixture } from '../../../test/support/actions-core';
import { csvTable, run } from '../src/main';

// @actions/core is ESM-only: ts-jest's CommonJS cannot load it, so it is replaced whole.
jest.mock(
  '@actions/core',
  () =>
    jest.requireActual<{ createCoreFixture(): CoreFixture }>('../../../test/support/actions-core').createCoreFixture(),
  {
    virtual: true,
  },
);

const core = jest.requireMock<CoreFixture>('@actions/core');
const FIXTURES = join(__dirname, 'fixtures');

let dir: string;

/** Copies a fixture into the scratch directory as summary.json and returns its path. */
function summaryFrom(fixture: string): string {
  const file = join(dir, 'summary.json');
  copyFileSync(join(FIXTURES, fixture), file);
  return file;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'k6-report-'));
  core.reset();
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('k6-report action', () => {
  test('when every threshold held, then it writes the summary, JUnit and HTML and passes', async () => {
    core.reset({
      summary: summaryFrom('http-passed.json'),
      title: 'k6 smoke',
      scenario: 'smoke',
      target: 'http://127.0.0.1:8000',
    });
    await run();
    expect(core.failures).toEqual([]);
    expect(core.outputs).toMatchObject({
      passed: 'true',
      'failed-thresholds': '',
      requests: '3000',
      rate: '49.99',
      p50: '35.7',
      p95: '102.9',
      p99: '233',
      'error-rate': '0.0033',
    });
    expect(core.summaryWritten).toContain('✅ k6 smoke: passed');
    expect(core.summaryWritten).toContain('`p(95)<500`');
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toContain('<testsuites');
    expect(junit).not.toContain('<failure');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)[^"'\s]*\.(js|css)/i);
  });

  test('when a threshold was breached, then the step fails and names each failed threshold', async () => {
    core.reset({
      summary: summaryFrom('http-failed.json'),
      junit: join(dir, 'out', 'k6.xml'),
      html: join(dir, 'out', 'k6.html'),
      markdown: join(dir, 'out', 'k6.md'),
    });
    await run();
    expect(core.outputs.passed).toBe('false');
    expect(core.outputs['failed-thresholds']?.split('\n')).toEqual([
      'http_req_duration: p(95)<500',
      'http_req_failed: rate<0.01',
    ]);
    expect(core.failures).toEqual(['k6 thresholds failed: http_req_duration: p(95)<500; http_req_failed: rate<0.01']);
    expect(readFileSync(join(dir, 'out', 'k6.xml'), 'utf8').match(/<failure/g)).toHaveLength(2);
    expect(readFileSync(join(dir, 'out', 'k6.md'), 'utf8')).toBe(core.summaryWritten.replace(/\n$/, ''));
    expect(core.outputs.html).toBe(join(dir, 'out', 'k6.html'));
  });

  test('when fail-on-threshold is false, then a breach is reported but the step passes', async () => {
    core.reset({ summary: summaryFrom('http-failed.json'), 'fail-on-threshold': 'false' });
    await run();
    expect(core.outputs.passed).toBe('false');
    expect(core.failures).toEqual([]);
  });

  test(
    "when given k6's own handleSummary fixture (custom metrics, no HTTP), then it reads it and fails on its two " +
      'breaches',
    async () => {
      core.reset({ summary: summaryFrom('k6-handle-summary-raw.json') });
      await run();
      expect(core.outputs.passed).toBe('false');
      expect(core.outputs.p95).toBe('');
      expect(core.outputs['failed-thresholds']?.split('\n').sort()).toEqual([
        'http_reqs: rate<100',
        'my_trend: my_trend<1000',
      ]);
    },
  );

  test('when a timeline and a CSV table are given, then the HTML shows them', async () => {
    const point = (t: number, metric: string, value: number): string =>
      JSON.stringify({
        type: 'Point',
        metric,
        data: { time: new Date(1_700_000_000_000 + t).toISOString(), value, tags: {} },
      });
    const lines = [0, 400, 1200, 1600, 2500].flatMap((t) => [
      point(t, 'http_reqs', 1),
      point(t, 'http_req_duration', 20 + t / 100),
    ]);
    writeFileSync(join(dir, 'k6.json.gz'), gzipSync(lines.join('\n') + '\n'));
    writeFileSync(join(dir, 'replicas.csv'), 'seconds,desired,ready\n0,2,2\n5,3,2\n10,3,3\n');
    core.reset({
      summary: summaryFrom('http-passed.json'),
      timeline: join(dir, 'k6.json.gz'),
      'csv-tables': `Replicas during the test | ${join(dir, 'replicas.csv')}`,
    });
    await run();
    expect(core.failures).toEqual([]);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('Replicas during the test');
    expect(html).toContain('<svg');
  });

  test.each([
    [{ summary: '' }, 'Input required and not supplied: summary'],
    [{ summary: '/nonexistent/summary.json' }, 'summary /nonexistent/summary.json not found'],
    [{ summary: 'SUMMARY', 'fail-on-threshold': 'maybe' }, 'input fail-on-threshold must be'],
    [{ summary: 'SUMMARY', 'csv-tables': 'no bar here' }, 'input csv-tables: "no bar here" is not "Title | file.csv"'],
    [{ summary: 'SUMMARY', timeline: '/nonexistent/k6.json' }, 'timeline /nonexistent/k6.json not found'],
  ])('when the inputs are %p, then the step fails with one clear line', async (inputs, message) => {
    const summary = summaryFrom('http-passed.json');
    core.reset(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v === 'SUMMARY' ? summary : v])));
    await run();
    expect(core.failures).toHaveLength(1);
    expect(core.failures[0]).toContain(message);
    expect(core.failures[0]).not.toContain('\n');
  });

  test('when the file is a --summary-export file or not JSON, then it says what it got, writing nothing', async () => {
    core.reset({ summary: summaryFrom('summary-export.json') });
    await run();
    expect(core.failures[0]).toMatch(/summary-export/);
    writeFileSync(join(dir, 'summary.json'), 'not json');
    core.reset({ summary: join(dir, 'summary.json') });
    await run();
    expect(core.failures[0]).toMatch(/not JSON/);
    expect(existsSync(join(dir, 'junit.xml'))).toBe(false);
  });

  test('when a CSV table has numbers, then they become numbers and the header the columns', () => {
    expect(csvTable('t', 'a,b\n1,x\n\n2.5,\n')).toEqual({
      title: 't',
      columns: ['a', 'b'],
      rows: [
        [1, 'x'],
        [2.5, ''],
      ],
    });
  });
});
