import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { parseSummary } from '../src/report';
import { loadScenario } from '../src/scenario/load';
import { startApi, startBare } from '../src/runner/processes';
import type { Started } from '../src/runner/processes';
import { ROOT } from '../../scripts/support/repo-root';

/**
 * The local runner end to end against the real API (built by `npm run build`), serving the
 * default Iris models or only the penguins model M3, and its HTML report opened in Debian's
 * Chromium. Ports 18710-18719.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], timeoutMs = 60000): Promise<CliRun> {
  return new Promise((resolvePromise) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'loadtest/src/cli.ts'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

function listening(server: Server): Promise<Server> {
  return new Promise((resolvePromise) => server.listen(0, '127.0.0.1', () => resolvePromise(server)));
}

const jsonLine = (run: CliRun): Record<string, unknown> =>
  JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, unknown>;

describe('a local run against the real API', () => {
  let api: Started;
  let bare: Started;
  const out = mkdtempSync(join(tmpdir(), 'mlship-loadtest-results-'));
  let passing: CliRun;

  beforeAll(async () => {
    api = await startApi(18710);
    bare = await startBare(18711);
    passing = await cli([
      '--scenario',
      'smoke',
      '--url',
      `http://127.0.0.1:${api.port}`,
      '--time-scale',
      '0.25',
      '--out',
      out,
      '--json',
      '--compare-bare',
      '--bare-port',
      '18712',
      '--ceiling-seconds',
      '1',
    ]);
  }, 90000);

  afterAll(async () => {
    await Promise.all([api?.stop(), bare?.stop()]);
  });

  test('when smoke runs against a healthy API, then every threshold holds, exit 0, and the results are written', () => {
    expect(passing.stderr).toBe('');
    expect(passing.code).toBe(0);
    const line = jsonLine(passing);
    expect(line).toMatchObject({ scenario: 'smoke', passed: true, thresholdsFailed: 0 });
    for (const file of ['summary', 'junit', 'html', 'markdown', 'timeline'])
      expect(existsSync(String(line[file]))).toBe(true);
    const summary = parseSummary(readFileSync(String(line.summary), 'utf8'));
    // The shape the reports read: k6's names, and every scenario threshold judged.
    for (const metric of [
      'http_req_duration',
      'http_req_failed',
      'http_reqs',
      'checks',
      'vus',
      'vus_max',
      'data_sent',
      'data_received',
      'predictions{variant:v2}',
    ])
      expect(summary.metrics[metric]).toBeDefined();
    const judged = Object.entries(summary.metrics).flatMap(([name, m]) =>
      Object.keys(m.thresholds ?? {}).map((t) => `${name}:${t}`),
    );
    const declared = Object.entries(loadScenario('smoke').thresholds).flatMap(([name, list]) =>
      list.map((t) => `${name}:${t}`),
    );
    expect(judged.sort()).toEqual(declared.sort());
    // Invalid requests got their 4xx and did not count as failures.
    expect(
      (summary.metrics['http_req_duration{kind:invalid_row}']?.values as Record<string, number>).count,
    ).toBeGreaterThan(0);
    expect(summary.metrics.http_req_failed!.values).toMatchObject({ rate: 0 });
    expect(readFileSync(String(line.junit), 'utf8')).toContain('failures="0"');
    expect(readFileSync(String(line.html), 'utf8')).toContain('API versus the bare Node ceiling');
  });

  test('when the HTML report is opened in Chromium, then its figures draw and show the verdict', async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    const html = String(jsonLine(passing).html);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(`file://${html}`);
      await expect(page.locator('[data-verdict]').textContent()).resolves.toBe('PASSED');
      for (const figure of ['latency', 'throughput', 'latency-over-time', 'predictions-class', 'predictions-variant']) {
        const box = await page.locator(`svg[data-figure="${figure}"]`).boundingBox();
        expect([figure, box && box.width > 200 && box.height > 40]).toEqual([figure, true]);
      }
      // Bars have a length and lines have points: the figures are drawn, not just framed.
      const bars = await page
        .locator('svg[data-figure="latency"] rect.bar')
        .evaluateAll((rects) => rects.map((r) => (r as unknown as { getBBox(): { width: number } }).getBBox().width));
      expect(bars.length).toBeGreaterThanOrEqual(7);
      expect(bars.every((w) => w > 0)).toBe(true);
      const line = await page
        .locator('svg[data-figure="throughput"] path.series[data-series="requests/s"]')
        .getAttribute('d');
      expect(line!.split('L').length).toBeGreaterThan(1);
      await expect(page.locator('section[data-section="thresholds"] tr').count()).resolves.toBe(
        1 + Object.values(loadScenario('smoke').thresholds).flat().length,
      );
      // Self-contained: the page asked for nothing but itself.
      expect(requests.filter((u) => u !== `file://${html}`)).toEqual([]);
      mkdirSync(join(ROOT, 'loadtest/results'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'loadtest/results/report-screenshot.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 60000);

  test('when the target does not say what it serves, then no load is sent and the exit code is 1', async () => {
    const run = await cli(['--scenario', 'smoke', '--url', `http://127.0.0.1:${bare.port}`, '--out', out, '--json']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toMatch(
      /^GET \/models listed no model with features and classes: .*: not starting the smoke test$/,
    );
  }, 30000);

  test(
    'when the target lists a model but answers 200 to everything, then the invalid-request checks fail the ' +
      'thresholds and the exit code is 1',
    async () => {
      const yes = await listening(
        createServer((req, res) => {
          req.resume();
          const body =
            req.url === '/models'
              ? { models: [{ name: 'M1', features: ['a', 'b', 'c', 'd'], classes: ['yes', 'no'] }] }
              : { model: 'M1', version: 'x', variant: 'v1', prediction: 'yes' };
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
        }),
      );
      const run = await cli([
        '--scenario',
        'smoke',
        '--url',
        `http://127.0.0.1:${(yes.address() as AddressInfo).port}`,
        '--time-scale',
        '0.15',
        '--out',
        out,
        '--json',
      ]).finally(() => yes.close());
      expect(run.code).toBe(1);
      const line = jsonLine(run);
      expect(line.passed).toBe(false);
      const junit = readFileSync(String(line.junit), 'utf8');
      expect(junit).toMatch(/<testcase name="http_req_failed - rate==0" classname="smoke">\s*<failure/);
      expect(junit).toMatch(/<testcase name="predictions\{variant:v2\} - count&gt;0" classname="smoke">\s*<failure/);
    },
    60000,
  );

  test('when nothing listens at the URL, then no load is sent and the exit code is 1', async () => {
    const run = await cli(['--scenario', 'smoke', '--url', 'http://127.0.0.1:18719', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/readyz failed: .*the target is not ready, not starting the smoke test/);
  }, 30000);

  test.each([
    [
      ['--url', 'http://192.168.1.20:8000', '--allow-host', '192.168.1.20'],
      /refusing to load 192.168.1.20: 192.168.1.20 is a private address/,
    ],
    [['--url', 'http://93.184.216.34'], /only loopback by default/],
    [['--scenario', 'nope'], /unknown scenario "nope"; choose one of load, smoke, soak, spike, stress/],
    [['--time-scale', '3'], /--time-scale must be a number from 0.0001 to 1/],
    [['--start-server', '--url', 'http://127.0.0.1:1'], /either --url or --start-server/],
  ])(
    'when run with %j, then it refuses in one line with exit code 2',
    async (args, message) => {
      const run = await cli(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(2);
    },
    30000,
  );
});

describe('a local run against the real API serving only the penguins model (no Iris)', () => {
  let api: Started;
  const out = mkdtempSync(join(tmpdir(), 'mlship-loadtest-penguins-'));
  const summaryOf = (run: CliRun) => parseSummary(readFileSync(String(jsonLine(run).summary), 'utf8'));
  const countOf = (run: CliRun, metric: string): number => {
    const m = summaryOf(run).metrics[metric];
    return m?.type === 'counter' ? m.values.count : 0;
  };

  beforeAll(async () => {
    api = await startApi(18713, {}, [], ['M3']);
  }, 60000);

  afterAll(async () => {
    await api?.stop();
  });

  test(
    'when smoke starts its own server with --serve M3, then the traffic fits the penguins model and every ' +
      'threshold holds',
    async () => {
      const run = await cli([
        '--scenario',
        'smoke',
        '--start-server',
        '--serve',
        'M3',
        '--time-scale',
        '0.25',
        '--out',
        out,
        '--json',
      ]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(jsonLine(run)).toMatchObject({ scenario: 'smoke', passed: true, thresholdsFailed: 0 });
      const summary = summaryOf(run);
      expect(summary.root_group.checks.filter((c) => c.fails > 0)).toEqual([]);
      // Every penguin class predicted, no Iris class, and every batch answered with all three.
      for (const cls of ['Adelie', 'Chinstrap', 'Gentoo'])
        expect([cls, countOf(run, `predictions{class:${cls}}`) > 0]).toEqual([cls, true]);
      expect(Object.keys(summary.metrics).filter((m) => /setosa|versicolor|virginica/.test(m))).toEqual([]);
      expect(summary.metrics.classes_covered!.values).toMatchObject({ rate: 1 });
    },
    90000,
  );

  test(
    'when the load scenario runs against it, ' + 'then the model-agnostic class threshold holds along with the others',
    async () => {
      const run = await cli([
        '--scenario',
        'load',
        '--url',
        `http://127.0.0.1:${api.port}`,
        '--time-scale',
        '0.03',
        '--out',
        out,
        '--json',
      ]);
      expect(run.code).toBe(0);
      expect(jsonLine(run)).toMatchObject({ scenario: 'load', passed: true, thresholdsFailed: 0 });
      expect(summaryOf(run).metrics.classes_covered!.thresholds).toEqual({ 'rate>0.99': { ok: true } });
      expect(countOf(run, 'predictions{class:Chinstrap}')).toBeGreaterThan(0);
    },
    90000,
  );

  test(
    'when the started server is asked for with --serve but no --start-server, then it refuses in one line with ' +
      'exit code 2',
    async () => {
      const run = await cli(['--serve', 'M3', '--url', `http://127.0.0.1:${api.port}`]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--serve goes with --start-server/);
    },
    30000,
  );
});
