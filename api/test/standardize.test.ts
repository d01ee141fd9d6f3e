import { Registry } from 'prom-client';
import { loadModelConfigs } from '../../model/src/algorithms/configs';
import { standardizeRow } from '../../model/src/preprocess';
import { loadPromoted } from '../../model/src/registry';
import { splitOf } from '../../model/src/training';
import { loadTrainingData } from '../../model/src/training-data';
import { createMetrics } from '../src/observability/metrics';
import { loadServedModel, predictLabels } from '../src/models/model-store';
import { predictionRecorder } from '../src/observability/prediction-recorder';
import { ROOT, trainedModelDir } from './helpers';

const MODELS_FILE = `${ROOT}/model/models.json`;
const configs = loadModelConfigs(MODELS_FILE);
const datasets = loadTrainingData(MODELS_FILE, configs, Object.keys(configs));

describe.each(Object.keys(configs))('%s: training, serving and the drift metric agree', (name) => {
  const dir = trainedModelDir();
  const served = loadServedModel(dir, name);
  const artifact = loadPromoted(dir, name);
  const data = datasets.get(name)!;
  // Every row of the data set, and rows far outside it (scaled and shifted), in the caller's units.
  const rows = [...data.X, ...data.X.slice(0, 50).map((row) => row.map((v, j) => v * (1.5 + j / 4) - 3))];

  test('when the API predicts the held-out test rows, then it scores exactly the accuracy training recorded', () => {
    const { test: held } = splitOf(data, configs[name]!);
    const labels = predictLabels(
      served,
      held.map((i) => data.X[i]!),
    );
    const correct = labels.filter((label, i) => label === data.classNames[data.y[held[i]!]!]).length;
    expect(correct / held.length).toBe(artifact.scores.accuracy);
  });

  test('when a batch is recorded, then the drift histogram sums the rows standardized as in training', async () => {
    const registry = new Registry();
    const record = predictionRecorder(createMetrics(registry, false), undefined);
    const batch = rows.slice(0, 64);
    record({
      model: served,
      variant: 'v1',
      rows: batch,
      labels: predictLabels(served, batch),
      seconds: 0.001,
      requestId: 'test',
      output: {},
    });
    const sums = (await registry.getMetricsAsJSON())
      .flatMap(
        (metric) =>
          metric.values as Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>,
      )
      .filter((v) => v.metricName === 'model_input_feature_value_sum');
    const standardized = batch.map((row) => standardizeRow(artifact.preprocessing, row));
    served.featureNames.forEach((feature, j) => {
      let expected = 0;
      for (const z of standardized) expected += z[j]!;
      expect(sums.find((v) => v.labels.feature === feature)?.value).toBe(expected);
    });
  });
});
