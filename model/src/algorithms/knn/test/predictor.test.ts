import type { KnnModelJson } from 'ml-knn';
import { loadInputOf } from '../../../artifact';
import { loadModelConfigs } from '../../configs';
import { standardize } from '../../../preprocess';
import { trainModel } from '../../../training';
import { loadTrainingData } from '../../../training-data';
import { ROOT } from '../../../../test/helpers';
import { knn } from '..';
import type { KnnParams } from '../describe';
import { KnnKernel } from '../kernel';
import { KnnPredictor } from '../predictor';

const MODELS_FILE = `${ROOT}/model/models.json`;
const configs = loadModelConfigs(MODELS_FILE);
const knnNames = Object.keys(configs).filter((name) => (configs[name]!.algorithm ?? 'knn') === 'knn');
const datasets = loadTrainingData(MODELS_FILE, configs, knnNames);

describe.each(knnNames)('the KNN predictor of %s, as the port loads it', (name) => {
  const data = datasets.get(name)!;
  const artifact = trainModel(data, name, configs[name]!);
  const input = loadInputOf(artifact) as Parameters<typeof knn.load>[0];
  const loaded = (): KnnPredictor => {
    const predictor = knn.load(input);
    if (!(predictor instanceof KnnPredictor)) throw new Error('knn.load gave no KnnPredictor');
    return predictor;
  };
  // Every row of the data set, and rows far outside it (scaled and shifted, on a grid so some tie), in the caller's
  // units.
  const rows = [
    ...data.X,
    ...data.X.slice(0, 50).map((row) => row.map((v, j) => Math.round((v * (1.5 + j / 4) - 3) * 2) / 2)),
  ];

  test('when it predicts raw rows, then it answers as the kernel does on rows standardized as in training', () => {
    const kernel = new KnnKernel(
      artifact.model as KnnModelJson,
      (artifact.hyperparameters as unknown as KnnParams).distance,
      data.featureNames.length,
    );
    const predictor = loaded();
    expect(rows.map((row) => predictor.predict(row))).toEqual(
      standardize(artifact.preprocessing, rows).map((z) => kernel.predict(z)),
    );
  });

  test("when rows come laid end to end (the batch thread), then the labels are predict's, ties included", () => {
    const predictor = loaded();
    const flat = new Float64Array(rows.flat());
    const labels = new Int32Array(rows.length);
    const ties = predictor.kernel.tieCount;
    predictor.predictFlat(flat, labels);
    // Iris has duplicate rows, so some of its rows tie and replay ml-knn's traversal on this path too.
    if (configs[name]!.data.source === 'iris') expect(predictor.kernel.tieCount).toBeGreaterThan(ties);
    expect(Array.from(labels)).toEqual(rows.map((row) => predictor.predict(row)));
  });

  test("when it explains a row, then each neighbour reads back, in the caller's units, as a training row", () => {
    const predictor = loaded();
    for (const row of rows.slice(0, 40)) {
      const { label, evidence } = predictor.explain(row);
      expect(label).toBe(predictor.predict(row));
      const neighbours = evidence.neighbours as Array<{ label: string; features: number[] }>;
      expect(neighbours).toHaveLength((artifact.hyperparameters as unknown as KnnParams).k);
      for (const neighbour of neighbours) {
        expect(data.classNames).toContain(neighbour.label);
        const nearest = Math.min(
          ...data.X.map((x) => Math.max(...x.map((v, j) => Math.abs(v - neighbour.features[j]!)))),
        );
        expect(nearest).toBeLessThan(1e-9);
      }
    }
  });
});
