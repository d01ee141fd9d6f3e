import { serialize } from '../src/artifact';
import { loadIris } from '../src/dataset';
import { InputError } from '../src/errors';
import { loadModelConfigs } from '../src/algorithms/configs';
import { fitStandardizer } from '../src/preprocess';
import { stratifiedKFold, stratifiedSplit } from '../src/split';
import { seededRandom } from '../src/random';
import { splitOf, trainModel } from '../src/training';
import { loadTrainingData } from '../src/training-data';
import { ROOT } from './helpers';

const MODELS_FILE = `${ROOT}/model/models.json`;
const configs = loadModelConfigs(MODELS_FILE);
const names = Object.keys(configs);
const datasets = loadTrainingData(MODELS_FILE, configs, names);
const iris = loadIris();

describe('training each configured model on its own data', () => {
  test.each(names)('when %s is trained twice, then model.json is byte-identical', (name) => {
    const dataset = datasets.get(name)!;
    expect(serialize(trainModel(dataset, name, configs[name]!))).toBe(
      serialize(trainModel(dataset, name, configs[name]!)),
    );
  });

  test.each(names)('when %s is trained, then it meets its gate thresholds on a fifth of its data held out', (name) => {
    const dataset = datasets.get(name)!;
    const { scores } = trainModel(dataset, name, configs[name]!);
    expect(scores.accuracy).toBeGreaterThanOrEqual(configs[name]!.gate.minAccuracy);
    expect(scores.macroF1).toBeGreaterThanOrEqual(configs[name]!.gate.minMacroF1);
    expect(scores.testRows).toBe(splitOf(dataset, configs[name]!).test.length);
    expect(scores.testRows / dataset.X.length).toBeCloseTo(configs[name]!.testFraction, 1);
  });
});

describe('training on Iris', () => {
  test('when M1 and M2 are trained, then they are different configurations with different versions', () => {
    const m1 = trainModel(iris, 'M1', configs.M1!);
    const m2 = trainModel(iris, 'M2', configs.M2!);
    expect(m1.hyperparameters.distance).not.toBe(m2.hyperparameters.distance);
    expect(m1.version).not.toBe(m2.version);
  });

  test('when the seed changes, then the split and the version change', () => {
    const a = trainModel(iris, 'M1', configs.M1!);
    const b = trainModel(iris, 'M1', { ...configs.M1!, seed: 1 });
    expect(a.version).not.toBe(b.version);
  });

  test('when trained, then standardization is fitted on the training split only', () => {
    const artifact = trainModel(iris, 'M1', configs.M1!);
    const { train } = splitOf(iris, configs.M1!);
    expect(artifact.preprocessing).toEqual(fitStandardizer(train.map((i) => iris.X[i]!)));
    expect(artifact.preprocessing).not.toEqual(fitStandardizer(iris.X));
  });

  test('when trained, then the scores have per-class figures and a confusion matrix that add up', () => {
    const { scores } = trainModel(iris, 'M2', configs.M2!);
    expect(Object.keys(scores.perClass)).toEqual(['setosa', 'versicolor', 'virginica']);
    const matrix = scores.confusionMatrix.matrix;
    expect(matrix.flat().reduce((a, b) => a + b, 0)).toBe(30);
    const correct = matrix.reduce((s, row, i) => s + row[i]!, 0);
    expect(scores.accuracy).toBeCloseTo(correct / 30, 12);
    for (const c of Object.values(scores.perClass)) expect(c.support).toBe(10);
  });

  test('when the data has one class, then training refuses with an InputError', () => {
    const one = { ...iris, classNames: ['setosa'], y: iris.y.map(() => 0) };
    expect(() => trainModel(one, 'M1', configs.M1!)).toThrow(InputError);
  });
});

describe('stratified splits', () => {
  const y = Array.from({ length: 90 }, (_, i) => i % 3);

  test('when splitting, then each class keeps its share and no row is in both parts', () => {
    const { train, test } = stratifiedSplit(y, 3, 0.2, seededRandom(1));
    expect(test).toHaveLength(18);
    expect(new Set([...train, ...test]).size).toBe(90);
    for (const c of [0, 1, 2]) expect(test.filter((i) => y[i] === c)).toHaveLength(6);
  });

  test('when folding, then every row validates exactly once and folds are stratified', () => {
    const folds = stratifiedKFold(y, 3, 5, seededRandom(2));
    expect(folds.flatMap((f) => f.validate).sort((a, b) => a - b)).toEqual(y.map((_, i) => i));
    for (const fold of folds) {
      for (const c of [0, 1, 2]) expect(fold.validate.filter((i) => y[i] === c)).toHaveLength(6);
      expect(fold.fit).toHaveLength(72);
    }
  });
});
