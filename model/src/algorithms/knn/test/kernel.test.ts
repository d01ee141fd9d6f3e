import type { KnnModelJson } from 'ml-knn';
import { loadModelConfigs } from '../../configs';
import { standardize } from '../../../preprocess';
import { seededRandom } from '../../../random';
import { splitOf, trainModel } from '../../../training';
import { loadTrainingData } from '../../../training-data';
import { batchBody } from '../../../../../scripts/bench/requests';
import { ROOT } from '../../../../test/helpers';
import type { KnnParams } from '../describe';
import { KnnKernel } from '../kernel';
import { fitMlKnn, loadMlKnn } from '../ml-knn';
import type { DistanceName } from '../ml-knn';

const MODELS_FILE = `${ROOT}/model/models.json`;
const configs = loadModelConfigs(MODELS_FILE);
const knnNames = Object.keys(configs).filter((name) => (configs[name]!.algorithm ?? 'knn') === 'knn');
const datasets = loadTrainingData(MODELS_FILE, configs, knnNames);

describe.each(knnNames)('serving kernel of %s, on its own data', (name) => {
  const config = configs[name]!;
  const data = datasets.get(name)!;
  const artifact = trainModel(data, name, config);
  const { distance, k } = artifact.hyperparameters as unknown as KnnParams;
  const model = artifact.model as KnnModelJson;
  const reference = loadMlKnn(model, distance);
  const rows = standardize(artifact.preprocessing, data.X);
  const split = splitOf(data, config);

  test('when given every training and every test row, then it answers exactly as ml-knn does', () => {
    const kernel = new KnnKernel(model, distance, data.featureNames.length);
    for (const index of [...split.train, ...split.test]) {
      expect([index, kernel.predict(rows[index]!)]).toEqual([index, reference.predict(rows[index]!)]);
    }
    // Iris has duplicate rows and equal distances, so its rows exercise the tie path too; the
    // penguins' measurements have no such ties, and the random grid points below cover them.
    if (config.data.source === 'iris') expect(kernel.tieCount).toBeGreaterThan(0);
  });

  test('when given random points around the data, then it answers exactly as ml-knn does', () => {
    const kernel = new KnnKernel(model, distance, data.featureNames.length);
    const random = seededRandom(7);
    for (let i = 0; i < 3000; i++) {
      // Snapped to a coarse grid so that equal distances, and so ties, are common.
      const point = data.featureNames.map(() => Math.round((random() * 6 - 3) * 4) / 4);
      expect(kernel.predict(point)).toBe(reference.predict(point));
    }
    expect(kernel.tieCount).toBeGreaterThan(0);
  });

  test('when given points far from the data, then it answers and explains exactly as ml-knn does', () => {
    // The API benchmark's batch rows (synthetic combinations of plausible iris values, far from any
    // real flower once standardized) and random points 3 to 12 standard deviations out, snapped to a
    // grid so that ties stay common: where the scan's pruning is weakest and the heap works hardest.
    const benchRows = standardize(
      artifact.preprocessing,
      (JSON.parse(batchBody(1000)) as { X: number[][] }).X.map((row) => row.slice(0, data.featureNames.length)),
    );
    const random = seededRandom(11);
    const farPoints = Array.from({ length: 2000 }, () => {
      const direction = data.featureNames.map(() => random() * 2 - 1);
      const scale = (3 + random() * 9) / (Math.hypot(...direction) || 1);
      return direction.map((v) => Math.round(v * scale * 4) / 4);
    });
    const kernel = new KnnKernel(model, distance, data.featureNames.length);
    for (const point of [...benchRows, ...farPoints]) {
      const expected = reference.predict(point);
      expect(kernel.predict(point)).toBe(expected);
      expect(kernel.explain(point).label).toBe(expected);
    }
    expect(kernel.tieCount).toBeGreaterThan(0);
  });

  test('when explaining a row, then the label matches predict and the neighbours and votes add up', () => {
    const kernel = new KnnKernel(model, distance, data.featureNames.length);
    for (const index of split.test) {
      const explanation = kernel.explain(rows[index]!);
      expect(explanation.label).toBe(reference.predict(rows[index]!));
      expect(explanation.neighbours).toHaveLength(k);
      expect(explanation.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      const distances = explanation.neighbours.map((n) => n.distance);
      expect(distances).toEqual([...distances].sort((a, b) => a - b));
      const votes = explanation.probabilities.map((p) => Math.round(p * k));
      explanation.neighbours.forEach((n) => votes[n.label]!--);
      expect(votes.every((v) => v === 0)).toBe(true);
    }
  });
});

describe('serving kernel edge cases', () => {
  const cases: Array<[DistanceName, number]> = [
    ['euclidean', 1],
    ['manhattan', 2],
    ['euclidean', 4],
  ];
  test.each(cases)(
    'when %s with k=%i on a tiny tie-heavy set, then it agrees with ml-knn everywhere',
    (distance, k) => {
      const X = [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
        [0, 0],
        [2, 2],
      ];
      const y = [0, 1, 1, 0, 2, 2];
      const model = fitMlKnn(X, y, k, distance);
      const kernel = new KnnKernel(model, distance, 2);
      const reference = loadMlKnn(model, distance);
      for (let a = -1; a <= 3; a += 0.5) {
        for (let b = -1; b <= 3; b += 0.5) expect(kernel.predict([a, b])).toBe(reference.predict([a, b]));
      }
    },
  );

  test('when k is at least the number of points, then every point votes', () => {
    const model = fitMlKnn([[0], [1], [2]], [0, 1, 1], 5, 'euclidean');
    const kernel = new KnnKernel(model, 'euclidean', 1);
    const explanation = kernel.explain([0]);
    expect(explanation.label).toBe(1);
    expect(explanation.neighbours.map((n) => n.distance)).toEqual([0, 1, 2]);
    expect(explanation.label).toBe(loadMlKnn(model, 'euclidean').predict([0]));
  });
});
