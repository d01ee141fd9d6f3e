import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { algorithmNamed, algorithmNames, algorithms, DEFAULT_ALGORITHM } from '../src/algorithms';
import { loadWith } from '../src/algorithms/loaders';
import { canonicalJson, sha256 } from '../src/canonical';
import { loadInputOf, metricsOf, readArtifact, serialize, writeArtifact } from '../src/artifact';
import { readMetrics } from '../src/registry-files';
import { loadIris } from '../src/dataset';
import { ArtifactError, InputError } from '../src/errors';
import { renderModelCard } from '../src/model-card';
import { loadModelConfigs } from '../src/algorithms/configs';
import { trainModel } from '../src/training';
import { loadTrainingData } from '../src/training-data';
import { ROOT, tempDir } from './helpers';

const configs = loadModelConfigs(`${ROOT}/model/models.json`);
const iris = loadIris();

/** A models file holding one entry `M1` (M1's configuration with `changes`), written to a temporary folder. */
function modelsFileWith(changes: Record<string, unknown>): string {
  const file = join(tempDir(), 'models.json');
  const raw = JSON.parse(readFileSync(`${ROOT}/model/models.json`, 'utf8')) as {
    models: Record<string, Record<string, unknown>>;
  };
  writeFileSync(file, JSON.stringify({ models: { M1: { ...raw.models.M1, ...changes } } }));
  return file;
}

/**
 * Writes `content` as a model.json sealed as training seals one (so only what is checked after the digest can fail).
 */
function sealedFile(content: Record<string, unknown>): string {
  const { sha256: _old, ...rest } = content;
  const file = join(tempDir(), 'model.json');
  writeFileSync(file, canonicalJson({ ...rest, sha256: sha256(canonicalJson(rest)) }, 2));
  return file;
}

describe('the algorithm registry', () => {
  test('when a name is not registered, then the error names it and the known ones', () => {
    expect(() => algorithmNamed('forest')).toThrow(InputError);
    expect(() => algorithmNamed('forest')).toThrow(
      `unknown algorithm "forest"; known: ${algorithms()
        .map((a) => a.name)
        .join(', ')}`,
    );
  });

  test('when no name is given, then it is the default, and every algorithm has its own name and formats', () => {
    expect(algorithmNamed(undefined).name).toBe(DEFAULT_ALGORITHM);
    for (const key of ['name', 'format', 'metricsFormat'] as const) {
      expect(new Set(algorithms().map((a) => a[key])).size).toBe(algorithms().length);
    }
  });
});

/**
 * A model of algorithm `name`: the first models.json entry of it, on its data; for an algorithm no
 * entry names yet (a new one), Iris with M1's settings and the algorithm's own defaults, so adding
 * an algorithm needs no models.json entry for this test.
 */
function trainedWith(name: string): { data: { X: number[][] }; input: ReturnType<typeof loadInputOf> } {
  const model = Object.keys(configs).find((m) => (configs[m]!.algorithm ?? DEFAULT_ALGORITHM) === name);
  if (model !== undefined) {
    const data = loadTrainingData(`${ROOT}/model/models.json`, configs, [model]).get(model)!;
    return { data, input: loadInputOf(trainModel(data, model, configs[model]!)) };
  }
  const { description, testFraction, seed, gate } = configs.M1!;
  const config = {
    algorithm: name,
    description,
    data: { source: 'iris' as const },
    testFraction,
    seed,
    gate,
    ...(algorithmNamed(name).config.parse({}) as object),
  };
  return { data: iris, input: loadInputOf(trainModel(iris, 'X1', config)) };
}

describe("the batch thread's loaders", () => {
  const folder = join(ROOT, 'model/src/algorithms');

  test("when compared with the registry, then each algorithm's folder is its name, its load.ts exporting load", () => {
    for (const { name } of algorithms()) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- found by name, as the thread finds it
      const loader = require(join(folder, name, 'load')) as { load?: unknown };
      // eslint-disable-next-line @typescript-eslint/unbound-method -- compared as the same function, never called
      expect(loader.load).toBe(algorithmNamed(name).load);
    }
  });

  test('when the folders are listed, then each one is a registered algorithm', () => {
    const folders = readdirSync(folder, { withFileTypes: true }).filter((entry) => entry.isDirectory());
    expect(folders.map((entry) => entry.name).sort()).toEqual([...algorithmNames()].sort());
  });

  test(
    "when each loads a configured model of its algorithm, then its predictor answers as the registry's load does " +
      'on every row of its data',
    () => {
      for (const name of algorithmNames()) {
        const { data, input } = trainedWith(name);
        const viaLoader = loadWith(name, input);
        const viaRegistry = algorithmNamed(name).load(input);
        expect(data.X.map((row) => viaLoader.predict(row))).toEqual(data.X.map((row) => viaRegistry.predict(row)));
      }
    },
  );

  test('when no folder has the name, then the error names the file it looked for', () => {
    const input = loadInputOf(trainModel(iris, 'M1', configs.M1!));
    expect(() => loadWith('forest', input)).toThrow(
      `the batch thread has no loader for algorithm "forest": no ${join(folder, 'forest', 'load')}`,
    );
    expect(() => loadWith('../knn', input)).toThrow('algorithm "../knn" is not an algorithm folder\'s name');
  });
});

describe('models.json entries and the algorithm field', () => {
  test("when an entry names an unknown algorithm, then loading stops naming the entry's field", () => {
    const known = algorithms()
      .map((a) => a.name)
      .join(', ');
    expect(() => loadModelConfigs(modelsFileWith({ algorithm: 'forest' }))).toThrow(
      `models.M1.algorithm: unknown algorithm "forest"; known: ${known}`,
    );
  });

  test(
    'when an entry has a field neither the common schema ' + 'nor its algorithm reads, then it is refused by name',
    () => {
      expect(() => loadModelConfigs(modelsFileWith({ depth: 3 }))).toThrow(/models\.M1: Unrecognized key: "depth"/);
    },
  );

  test("when an algorithm's own field is invalid, then the error names it under the entry", () => {
    expect(() => loadModelConfigs(modelsFileWith({ distance: 'cosine' }))).toThrow(/models\.M1\.distance: /);
  });

  test(
    'when an entry names the default algorithm, ' + 'then it trains the very artifact an entry without the field does',
    () => {
      const named = loadModelConfigs(modelsFileWith({ algorithm: DEFAULT_ALGORITHM })).M1!;
      expect(serialize(trainModel(iris, 'M1', named))).toBe(serialize(trainModel(iris, 'M1', configs.M1!)));
    },
  );
});

describe('the artifact envelope', () => {
  const artifact = trainModel(iris, 'M1', configs.M1!);

  test(
    'when trained with the default algorithm, ' +
      'then the envelope records no algorithm field and its format names it',
    () => {
      expect(artifact).not.toHaveProperty('algorithm');
      expect(artifact.format).toBe(algorithmNamed(DEFAULT_ALGORITHM).format);
      expect(metricsOf(artifact).format).toBe(algorithmNamed(DEFAULT_ALGORITHM).metricsFormat);
    },
  );

  test(
    'when a file names an algorithm that is not registered, ' + 'then reading it is an ArtifactError naming the file',
    () => {
      const file = sealedFile({ ...artifact, algorithm: 'forest' });
      expect(() => readArtifact(file)).toThrow(ArtifactError);
      expect(() => readArtifact(file)).toThrow(`${file}: unknown algorithm "forest"`);
    },
  );

  test('when the model body is not what its algorithm loads, then the error names the field inside it', () => {
    expect(() => readArtifact(sealedFile({ ...artifact, model: { name: 'KNN' } }))).toThrow(/invalid field model\.k: /);
    expect(() =>
      readArtifact(sealedFile({ ...artifact, hyperparameters: { ...artifact.hyperparameters, k: 0 } })),
    ).toThrow(/invalid field hyperparameters\.k: /);
  });

  test("when a metrics file's format is no algorithm's metrics format, then it is not taken for one", () => {
    const file = join(writeArtifact(tempDir(), artifact, renderModelCard(artifact)), 'metrics.json');
    expect(readMetrics(file).format).toBe(algorithmNamed(DEFAULT_ALGORITHM).metricsFormat);
    writeFileSync(file, JSON.stringify({ ...metricsOf(artifact), format: 'mlship.knn-model/v1' }));
    expect(() => readMetrics(file)).toThrow(
      /not an mlship metrics file \(expected an mlship\.<algorithm>-metrics\/v<n> format\)/,
    );
  });
});
