import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseSoakOptions, SoakUsageError } from '../src/soak/options';
import type { SoakMeasurement } from '../src/soak/verdict';
import { judgeSoak, settledEnd, windowFloor } from '../src/soak/verdict';
import { ROOT } from '../../scripts/support/repo-root';

const MIB = 1048576;
const measured = (over: Partial<SoakMeasurement>): SoakMeasurement => ({
  requests: 1000,
  failed: 0,
  firstFailures: [],
  rssStart: 100 * MIB,
  rssEnd: 105 * MIB,
  rssSamples: [100 * MIB, 105 * MIB],
  latencyMs: { p50: 2, p99: 20, max: 40 },
  scheduled: 1000,
  ...over,
});

describe('soak verdict', () => {
  test('when RSS grew 5% and nothing failed, then it passes', () => {
    expect(judgeSoak(measured({}), 0.1)).toMatchObject({ passed: true, reasons: [] });
  });

  test('when RSS grew more than 10% after warm-up, then it fails saying by how much', () => {
    const verdict = judgeSoak(measured({ rssEnd: 111 * MIB }), 0.1);
    expect(verdict.passed).toBe(false);
    expect(verdict.reasons[0]).toMatch(/^RSS grew 11\.0% after warm-up \(100\.0 MiB -> 111\.0 MiB\)/);
  });

  test('when a single request failed, then it fails naming it', () => {
    const verdict = judgeSoak(
      measured({ failed: 1, firstFailures: ['predict_single: status 500, expected 200'] }),
      0.1,
    );
    expect(verdict.reasons).toEqual(['1 of 1000 requests failed (first: predict_single: status 500, expected 200)']);
  });

  test('when the end is read, then it is the median of the last samples, not one noisy reading', () => {
    expect(settledEnd([1, 2, 9, 3, 4])).toBe(4);
  });
});

describe('soak options', () => {
  test(
    'when no flags are given, then it is the documented ' + '5-minute run at 50/s with a 30 s warm-up and a 10% limit',
    () => {
      expect(parseSoakOptions([])).toEqual({
        seconds: 300,
        rate: 50,
        warmupSeconds: 30,
        maxGrowth: 0.1,
        port: 0,
        serve: [],
        json: false,
      });
    },
  );

  test('when --seconds 60 is given (CI), then the warm-up is still 30 s', () => {
    expect(parseSoakOptions(['--seconds', '60'])).toMatchObject({ seconds: 60, warmupSeconds: 30 });
  });

  test('when --serve names the penguins model, then the API it starts trains and serves only that one', () => {
    expect(parseSoakOptions(['--serve', 'M3'])).toMatchObject({ serve: ['M3'] });
  });

  test.each([
    ['--seconds', 'ten'],
    ['--rate', '0'],
    ['--max-growth', '-1'],
    ['--bogus', '1'],
    ['--serve', 'M1,M2,M3'],
  ])('when given %s %s, then it is a one-line usage error', (flag, value) => {
    expect(() => parseSoakOptions([flag, value])).toThrow(SoakUsageError);
  });
});

describe('npm run soak (real API, short)', () => {
  test.each([
    ['the default Iris models', []],
    ['only the penguins model', ['--serve', 'M3']],
  ])(
    'when run for a few seconds against %s, then it prints RSS at start and end and passes',
    (_models, serve) => {
      const result = spawnSync(
        process.execPath,
        [
          join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
          join(ROOT, 'loadtest/src/soak/cli.ts'),
          '--seconds',
          '6',
          '--warmup-seconds',
          '4',
          '--rate',
          '40',
          '--max-growth',
          '0.5',
          ...serve,
          '--json',
        ],
        {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      const line = result.stdout.trim().split('\n').pop() ?? '';
      const { soak } = JSON.parse(line) as {
        soak: { passed: boolean; requests: number; failed: number; rssStartBytes: number; rssEndBytes: number };
      };
      expect(result.status).toBe(0);
      expect(soak).toMatchObject({ passed: true, failed: 0 });
      expect(soak.requests).toBeGreaterThan(300);
      expect(soak.rssStartBytes).toBeGreaterThan(10 * MIB);
      expect(soak.rssEndBytes).toBeGreaterThan(10 * MIB);
    },
    90_000,
  );
});

describe('soak RSS windows', () => {
  test('when RSS saws with garbage collection, then start and end are the floors of the first and last quarter', () => {
    const samples = [100, 120, 98, 118, 101, 119, 99, 121];
    expect(windowFloor(samples, 'first')).toBe(100);
    expect(windowFloor(samples, 'last')).toBe(99);
    expect(windowFloor([], 'last')).toBe(0);
  });
});
