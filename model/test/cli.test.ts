import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectRefused, listFiles, runCli, tempDir } from './helpers';

const TRAIN = 'model/src/train.js';
const GATE = 'model/src/gate.js';
const REGISTRY = 'model/src/registry-cli.js';

function csv(lines: string[]): string {
  const file = join(tempDir('mlship-csv-'), 'data.csv');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** A valid two-class CSV with `perClass` rows each. */
function goodRows(perClass: number): string[] {
  const rows = ['a,b,kind'];
  for (let i = 0; i < perClass; i++) rows.push(`${i},${i % 3},x`, `${i + 0.5},${(i % 3) + 5},y`);
  return rows;
}

describe('npm run train', () => {
  test(
    'when run twice on a fresh registry, ' + 'then every configured model is written with a byte-identical model.json',
    () => {
      const dir = tempDir();
      const first = runCli(TRAIN, ['--model-dir', dir, '--json']);
      expect(first.code).toBe(0);
      const summary = JSON.parse(first.stdout);
      expect(summary.models.map((m: { name: string }) => m.name)).toEqual(['M1', 'M2', 'M3', 'M4']);
      const files = listFiles(dir);
      for (const m of summary.models) {
        expect(files).toEqual(
          expect.arrayContaining([
            `${m.name}/${m.version}/model.json`,
            `${m.name}/${m.version}/metrics.json`,
            `${m.name}/${m.version}/model-card.md`,
          ]),
        );
        expect(m.accuracy).toBeGreaterThanOrEqual(0.9);
      }
      const bytes = summary.models.map((m: { name: string; version: string }) =>
        readFileSync(join(dir, m.name, m.version, 'model.json')),
      );
      const again = tempDir();
      expect(runCli(TRAIN, ['--model-dir', again]).code).toBe(0);
      summary.models.forEach((m: { name: string; version: string }, i: number) => {
        expect(readFileSync(join(again, m.name, m.version, 'model.json')).equals(bytes[i])).toBe(true);
      });
    },
  );

  test('when run with --promote, then current points at the new versions; --if-missing then trains nothing', () => {
    const dir = tempDir();
    const promoted = runCli(TRAIN, ['--model-dir', dir, '--promote', '--json']);
    expect(promoted.code).toBe(0);
    for (const m of JSON.parse(promoted.stdout).models) {
      expect(m.promoted).toBe(true);
      expect(readFileSync(join(dir, m.name, 'current'), 'utf8').trim()).toBe(m.version);
    }
    const skipped = runCli(TRAIN, ['--model-dir', dir, '--if-missing', '--promote']);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain('nothing to train');
  });

  test(
    'when a gate refuses a model, then --promote leaves ' + 'current as it was, prints the gate table and exits 3',
    () => {
      const dir = tempDir();
      expect(runCli(TRAIN, ['--model-dir', dir, '--model', 'M1', '--promote']).code).toBe(0);
      const served = readFileSync(join(dir, 'M1', 'current'), 'utf8');
      // k = 95 of Iris's training rows is nearly a majority vote: accuracy far under the gate's 0.9.
      const config = JSON.parse(readFileSync('model/models.json', 'utf8'));
      config.models.M1.kCandidates = [95];
      const models = join(tempDir('mlship-models-'), 'models.json');
      writeFileSync(models, JSON.stringify(config));
      const refused = runCli(TRAIN, ['--models', models, '--model-dir', dir, '--model', 'M1', '--promote']);
      expect(refused.code).toBe(3);
      expect(refused.stdout).toMatch(/^M1 [0-9a-f]{12} .*\(NOT promoted: gate failed\)$/m);
      expect(refused.stderr).toMatch(/\| M1 \| [0-9a-f]{12} \| accuracy \|/);
      expect(readFileSync(join(dir, 'M1', 'current'), 'utf8')).toBe(served);
    },
  );

  test('when given a valid CSV, then it trains on it and records the file as the source', () => {
    const dir = tempDir();
    const result = runCli(TRAIN, [
      '--model-dir',
      dir,
      '--data',
      csv(goodRows(20)),
      '--label',
      'kind',
      '--model',
      'M1',
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [m] = JSON.parse(result.stdout).models;
    const metrics = JSON.parse(readFileSync(join(dir, 'M1', m.version, 'metrics.json'), 'utf8'));
    expect(metrics.dataset).toMatchObject({ source: 'csv:data.csv', rows: 40 });
  });

  const badCsvs: Array<[string, string[], string[], RegExp]> = [
    [
      'a non-numeric feature',
      [...goodRows(20), 'abc,1,x'],
      ['--label', 'kind'],
      /row 42, column "a": "abc" is not a number/,
    ],
    ['a missing value', [...goodRows(20), '1,,x'], ['--label', 'kind'], /row 42, column "b": missing value/],
    [
      'an unknown label column',
      goodRows(20),
      ['--label', 'species'],
      /no column named "species" for the label; columns are "a", "b", "kind"/,
    ],
    [
      'fewer than two classes',
      ['a,b,kind', ...Array.from({ length: 30 }, (_, i) => `${i},${i},x`)],
      ['--label', 'kind'],
      /found 1 class \(x\); a classifier needs at least two/,
    ],
    [
      'a class too small for the folds',
      [...goodRows(20), '9,9,z', '8,8,z'],
      ['--label', 'kind'],
      /class "z" has 2 rows; with 5 folds .* needs at least 6: add rows or lower "folds"/,
    ],
    ['rows of different lengths', [...goodRows(20), '1,2'], ['--label', 'kind'], /not valid CSV/],
  ];

  test.each(badCsvs)(
    'when the CSV has %s, then it exits 2 with one clear line and writes nothing',
    (_what, lines, flags, message) => {
      const dir = tempDir();
      expectRefused(runCli(TRAIN, ['--model-dir', dir, '--data', csv(lines), ...flags]), message, dir);
    },
  );

  test('when a flag is unknown or --data lacks --label, then it exits 2 with one line', () => {
    for (const args of [['--bogus'], ['--data', 'x.csv'], ['--model', 'M9']]) {
      const result = runCli(TRAIN, ['--model-dir', tempDir(), ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('npm run gate', () => {
  const dir = tempDir();
  const trained = JSON.parse(runCli(TRAIN, ['--model-dir', dir, '--json']).stdout).models as Array<{
    name: string;
    version: string;
  }>;

  test('when the trained models meet the configured thresholds, then it prints the table and exits 0', () => {
    const result = runCli(GATE, ['--model-dir', dir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('### Model gate: ✅ passed');
    expect(result.stdout).toMatch(/\| M1 \| [0-9a-f]{12} \| accuracy \|/);
  });

  test('when a threshold is raised above the score, then it exits 1 and says why', () => {
    const result = runCli(GATE, ['--model-dir', dir, '--min-accuracy', '0.999']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('below the threshold 0.999');
  });

  test('when the baseline from main scored higher than the tolerance allows, then it exits 1 as a regression', () => {
    const m1 = trained[0]!;
    const baseline = JSON.parse(readFileSync(join(dir, 'M1', m1.version, 'metrics.json'), 'utf8'));
    baseline.scores.accuracy = 1;
    baseline.scores.macroF1 = 1;
    const file = join(tempDir(), 'main-metrics.json');
    writeFileSync(file, JSON.stringify(baseline));
    const result = runCli(GATE, [
      '--model-dir',
      dir,
      '--model',
      'M1',
      '--baseline',
      file,
      '--tolerance',
      '0.01',
      '--json',
    ]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).results[0].checks[0].reason).toMatch(/below the baseline/);
  });

  test('when the input is bad, then it exits 2 with one line', () => {
    for (const args of [
      ['--min-accuracy', '2'],
      ['--baseline', '/nope.json', '--model', 'M1'],
      ['--model-dir', tempDir()],
    ]) {
      const result = runCli(GATE, ['--model-dir', dir, ...args]);
      expect([args, result.code]).toEqual([args, 2]);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('npm run registry', () => {
  test('when listing, promoting and rolling back, then it reports each step and current follows', () => {
    const dir = tempDir();
    const a = JSON.parse(runCli(TRAIN, ['--model-dir', dir, '--model', 'M1', '--promote', '--json']).stdout).models[0];
    const models = join(tempDir(), 'models.json');
    const config = JSON.parse(readFileSync('model/models.json', 'utf8'));
    config.models.M1.seed = 3;
    writeFileSync(models, JSON.stringify(config));
    const b = JSON.parse(runCli(TRAIN, ['--model-dir', dir, '--models', models, '--model', 'M1', '--json']).stdout)
      .models[0];
    expect(b.version).not.toBe(a.version);
    expect(runCli(REGISTRY, ['promote', 'M1', b.version, '--model-dir', dir]).code).toBe(0);
    const listing = runCli(REGISTRY, ['list', '--model-dir', dir]).stdout;
    expect(listing).toContain(`${b.version}`);
    expect(listing).toMatch(new RegExp(`${b.version} .*\\[current, latest\\]`));
    const back = runCli(REGISTRY, ['rollback', 'M1', '--model-dir', dir]);
    expect(back.stdout).toContain(`current is now ${a.version}`);
    const bad = runCli(REGISTRY, ['frobnicate', '--model-dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown command "frobnicate"/);
  });
});
