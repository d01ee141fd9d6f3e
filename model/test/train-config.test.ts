import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint, loadCsv, loadIris } from '../src/dataset';
import { loadModelConfigs } from '../src/algorithms/configs';
import { loadTrainingData } from '../src/training-data';
import { expectRefused, listFiles, ROOT, runCli, tempDir } from './helpers';

const TRAIN = 'model/src/train.js';
const PENGUINS = join(ROOT, 'model/data/penguins.csv');

interface TrainedModel {
  name: string;
  version: string;
  dataset: string;
  dataSha256: string;
  accuracy: number;
  promoted: boolean;
}

function train(args: string[]): TrainedModel[] {
  const result = runCli(TRAIN, [...args, '--json']);
  expect([result.code, result.stderr]).toEqual([0, '']);
  return (JSON.parse(result.stdout) as { models: TrainedModel[] }).models;
}

interface ModelFile {
  sha256: string;
  dataset: { sha256: string; source: string; rows: number };
}

function readModel(dir: string, m: TrainedModel): ModelFile {
  return JSON.parse(readFileSync(join(dir, m.name, m.version, 'model.json'), 'utf8')) as ModelFile;
}

/**
 * A repository-like tree in a temporary folder: a package.json at its root, the models file at
 * model/models.json and a copy of the penguins CSV at model/data/penguins.csv.
 */
function fakeRepo(models: Record<string, unknown>): { root: string; modelsFile: string; csv: string } {
  const root = tempDir('mlship-repo-');
  mkdirSync(join(root, 'model', 'data'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{}\n');
  const csv = join(root, 'model', 'data', 'penguins.csv');
  copyFileSync(PENGUINS, csv);
  const modelsFile = join(root, 'model', 'models.json');
  writeFileSync(modelsFile, JSON.stringify({ models }, null, 2));
  return { root, modelsFile, csv };
}

const configs = loadModelConfigs(join(ROOT, 'model/models.json'));
const penguinsModel = { ...configs.M3!, data: { source: 'csv', path: 'model/data/penguins.csv', label: 'species' } };

describe('npm run train with the data named in models.json', () => {
  test('when run with no flags, then each model trains on its own data set and records its fingerprint', () => {
    const dir = tempDir();
    const models = train(['--model-dir', dir]);
    expect(models.map((m) => [m.name, m.dataset])).toEqual([
      ['M1', 'iris'],
      ['M2', 'iris'],
      ['M3', 'csv:penguins.csv'],
      ['M4', 'csv:penguins.csv'],
    ]);
    const penguins = fingerprint(loadCsv(PENGUINS, 'species'));
    const iris = fingerprint(loadIris());
    const [m1, m2, m3, m4] = models.map((m) => readModel(dir, m));
    expect(m4!.dataset).toEqual(m3!.dataset);
    expect(m1!.dataset.sha256).toBe(iris.sha256);
    expect(m2!.dataset.sha256).toBe(iris.sha256);
    expect(m3!.dataset).toMatchObject({ source: 'csv:penguins.csv', sha256: penguins.sha256, rows: 342 });
    expect(models[2]!.dataSha256).toBe(penguins.sha256);
    expect(models[2]!.accuracy).toBeGreaterThanOrEqual(configs.M3!.gate.minAccuracy);
  });

  test('when several models share a data set, then it is loaded once for all of them', () => {
    const datasets = loadTrainingData(join(ROOT, 'model/models.json'), configs, ['M1', 'M2', 'M3']);
    expect(datasets.get('M1')).toBe(datasets.get('M2'));
    expect(datasets.get('M3')).not.toBe(datasets.get('M1'));
    expect(datasets.get('M3')!.classNames).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
  });

  test(
    'when the CSV path is relative, then it is read from the models file repository root, whatever the working ' +
      'directory',
    () => {
      const repo = fakeRepo({ P: penguinsModel });
      const dir = tempDir();
      // runCli works from the mlship checkout, not from the fake repository.
      const [p] = train(['--models', repo.modelsFile, '--model-dir', dir]);
      expect(readModel(dir, p!).dataset.sha256).toBe(fingerprint(loadCsv(repo.csv, 'species')).sha256);
    },
  );

  test(
    'when one row of the CSV changes, then the data fingerprint, the version and the sha256 change, and the old ' +
      'version stays',
    () => {
      const repo = fakeRepo({ P: penguinsModel });
      const dir = tempDir();
      const [before] = train(['--models', repo.modelsFile, '--model-dir', dir]);
      const lines = readFileSync(repo.csv, 'utf8').split('\n');
      expect(lines[1]).toBe('Adelie,39.1,18.7,181,3750');
      lines[1] = 'Adelie,39.2,18.7,181,3750';
      writeFileSync(repo.csv, lines.join('\n'));
      const [after] = train(['--models', repo.modelsFile, '--model-dir', dir]);
      expect(after!.version).not.toBe(before!.version);
      expect(after!.dataSha256).not.toBe(before!.dataSha256);
      expect(readModel(dir, after!).sha256).not.toBe(readModel(dir, before!).sha256);
      expect(readModel(dir, before!).dataset.sha256).toBe(before!.dataSha256);
    },
  );

  test('when --data and --label are given, then they replace the configured data of the selected models only', () => {
    const csv = join(tempDir('mlship-csv-'), 'data.csv');
    const rows = ['a,b,kind'];
    for (let i = 0; i < 20; i++) rows.push(`${i},${i % 3},x`, `${i + 0.5},${(i % 3) + 5},y`);
    writeFileSync(csv, rows.join('\n') + '\n');
    const dir = tempDir();
    const models = train(['--model-dir', dir, '--model', 'M3', '--data', csv, '--label', 'kind']);
    expect(models.map((m) => [m.name, m.dataset])).toEqual([['M3', 'csv:data.csv']]);
    expect(readModel(dir, models[0]!).dataset.sha256).toBe(fingerprint(loadCsv(csv, 'kind')).sha256);
  });

  test('when --if-missing finds some models promoted, then it trains only the others, each on its own data', () => {
    const dir = tempDir();
    train(['--model-dir', dir, '--model', 'M1', '--model', 'M2', '--promote']);
    const models = train(['--model-dir', dir, '--if-missing', '--promote']);
    expect(models.map((m) => [m.name, m.dataset, m.promoted])).toEqual([
      ['M3', 'csv:penguins.csv', true],
      ['M4', 'csv:penguins.csv', true],
    ]);
  });
});

describe('npm run train with a bad data configuration', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['no data', undefined, /models\.P\.data: expected \{"source":"iris"\} or \{"source":"csv"/],
    ['an unknown source', { source: 's3', path: 'x.csv' }, /models\.P\.data\.source: expected \{"source":"iris"\}/],
    [
      'a CSV without its label',
      { source: 'csv', path: 'model/data/penguins.csv' },
      /models\.P\.data\.label: give the name of the class column/,
    ],
    [
      'iris with a path',
      { source: 'iris', path: 'model/data/penguins.csv' },
      /models\.P\.data: Unrecognized key: "path"/,
    ],
    [
      'a missing file',
      { source: 'csv', path: 'model/data/nope.csv', label: 'species' },
      /models\.P\.data\.path: "model\/data\/nope\.csv" not found \(looked for .*\); give a CSV path relative to the repository root/,
    ],
    [
      'an unknown label column',
      { source: 'csv', path: 'model/data/penguins.csv', label: 'kind' },
      /models\.P\.data: .*penguins\.csv: no column named "kind" for the label; columns are "species", "bill_length_mm"/,
    ],
  ];

  test.each(bad)(
    'when a model has %s, then train exits 2 with one line naming it and writes nothing',
    (_what, data, message) => {
      const { modelsFile } = fakeRepo({
        Ok: { ...configs.M1!, data: { source: 'iris' } },
        P: { ...penguinsModel, data },
      });
      const dir = tempDir();
      expectRefused(runCli(TRAIN, ['--models', modelsFile, '--model-dir', dir]), message, dir);
    },
  );

  test('when two models share a configured CSV with a bad row, then the one line names both and the row', () => {
    const repo = fakeRepo({ P: penguinsModel, Q: { ...penguinsModel, distance: 'manhattan' } });
    writeFileSync(
      repo.csv,
      readFileSync(repo.csv, 'utf8').replace('Adelie,39.1,18.7,181,3750', 'Adelie,39.1,NA,181,3750'),
    );
    const dir = tempDir();
    const result = runCli(TRAIN, ['--models', repo.modelsFile, '--model-dir', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /models\.P\.data, models\.Q\.data: .*penguins\.csv: row 2, column "bill_depth_mm": missing value/,
    );
    expect(listFiles(dir)).toEqual([]);
  });
});
