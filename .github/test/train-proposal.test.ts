import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTempDir } from '../../model/test/helpers';
import { dataSourceOf, formatJson, proposeModel } from '../scripts/propose-model';
import { ROOT } from '../../scripts/support/repo-root';

const config = {
  $comment: 'models',
  models: {
    M1: {
      description: 'euclidean',
      distance: 'euclidean',
      kCandidates: [3, 5],
      gate: { minAccuracy: 0.9 },
      data: { source: 'iris' },
    },
  },
};

describe('propose-model (train.yml)', () => {
  test('when a CSV and its label are given for an existing model, then only its data changes', () => {
    const data = dataSourceOf('model/data/penguins.csv', 'species', () => true);
    const next = proposeModel(config, 'M1', data);
    expect(next.models.M1).toEqual({
      ...config.models.M1,
      data: { source: 'csv', path: 'model/data/penguins.csv', label: 'species' },
    });
    expect(config.models.M1.data).toEqual({ source: 'iris' });
  });

  test('when the model is new and no data is given, then it copies the first model on Iris', () => {
    const next = proposeModel(config, 'M4', undefined);
    expect(next.models.M4).toMatchObject({ distance: 'euclidean', kCandidates: [3, 5], data: { source: 'iris' } });
    expect(Object.keys(next.models)).toEqual(['M1', 'M4']);
  });

  test.each([
    ['', 'species', '--label needs --data'],
    ['/etc/passwd.csv', 'x', 'give a path inside the repository'],
    ['../x.csv', 'x', 'give a path inside the repository'],
    ['model/data/x.txt', 'x', 'expected a .csv file'],
    ['model/data/x.csv', '', 'needs --label'],
  ])('when --data %p --label %p, then it refuses with one line', (data, label, message) => {
    expect(() => dataSourceOf(data, label, () => true)).toThrow(message);
  });

  test('when the CSV is not in the checkout or the name is not a model name, then it says so', () => {
    expect(() => dataSourceOf('model/data/none.csv', 'y', () => false)).toThrow(/no such file in this checkout/);
    expect(() => proposeModel(config, '1bad name', undefined)).toThrow(/--model "1bad name"/);
  });

  test("when the repository's models.json is formatted again, then it is byte for byte the same", () => {
    const text = readFileSync(join(ROOT, 'model', 'models.json'), 'utf8');
    expect(formatJson(JSON.parse(text)) + '\n').toBe(text);
  });
});

describe('train-pr-body.sh', () => {
  const dir = useTempDir('train-pr-');

  test('when the model was trained and gated, then the body holds the gate table, then the model card', () => {
    mkdirSync(join(dir(), 'model', 'artifacts', 'M3', 'abc123abc123'), { recursive: true });
    writeFileSync(join(dir(), 'model', 'artifacts', 'M3', 'latest'), 'abc123abc123');
    writeFileSync(join(dir(), 'model', 'artifacts', 'M3', 'abc123abc123', 'model-card.md'), '# Model card: M3\n');
    mkdirSync(join(dir(), 'reports'));
    writeFileSync(join(dir(), 'reports', 'model-gate.md'), '### Model gate: ✅ passed\n');
    const result = spawnSync(
      'bash',
      [join(ROOT, '.github', 'scripts', 'train-pr-body.sh'), 'M3', 'model/artifacts', 'reports/pr-body.md'],
      {
        cwd: dir(),
        encoding: 'utf8',
        env: { PATH: process.env.PATH, DATA: 'model/data/penguins.csv' },
      },
    );
    expect(result.stderr).toBe('');
    const body = readFileSync(join(dir(), 'reports', 'pr-body.md'), 'utf8');
    expect(body).toContain('Proposes model `M3` trained on model/data/penguins.csv');
    expect(body.indexOf('### Model gate: ✅ passed')).toBeGreaterThan(0);
    expect(body.indexOf('# Model card: M3')).toBeGreaterThan(body.indexOf('### Model gate'));
  });

  test('when the model has no trained version, then it fails with one line naming it', () => {
    const result = spawnSync(
      'bash',
      [join(ROOT, '.github', 'scripts', 'train-pr-body.sh'), 'M9', 'model/artifacts', 'out.md'],
      { cwd: dir(), encoding: 'utf8' },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('train-pr-body: no trained version of M9 in model/artifacts\n');
  });
});
