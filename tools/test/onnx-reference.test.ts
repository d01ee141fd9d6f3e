import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCsv } from '../../model/src/dataset';
import { seededRandom } from '../../model/src/random';
import { stratifiedSplit } from '../../model/src/split';
import type { Predictions, Reference } from './onnx-reference';
import { onnxReference } from './onnx-reference';
import { runInFreshHome } from '../../model/test/helpers';
import { ROOT, describeWithTools } from './venv';

/**
 * tools/python/onnx_reference.py, the onnxruntime answers a server serving the example ONNX model
 * must match: its rows are mlship's own reading of the data, its columns follow the classes, and
 * the model it describes earns M3's gate on the rows mlship holds out.
 */
const MODEL = 'model/examples/penguins-onnx/model.onnx';
const RANDOM_ROWS = 500;

interface Entry {
  data: { path: string; label: string };
  testFraction: number;
  seed: number;
  gate: { minAccuracy: number };
}

const m3 = (JSON.parse(readFileSync(join(ROOT, 'model/models.json'), 'utf8')) as { models: Record<string, Entry> })
  .models.M3!;
const dataset = loadCsv(join(ROOT, m3.data.path), m3.data.label);

function argmax(values: number[]): number {
  return values.reduce((best, value, i) => (value > values[best]! ? i : best), 0);
}

describeWithTools('onnx_reference.py on the example ONNX model', ['python'], ({ python }) => {
  let reference: Reference;
  beforeAll(async () => {
    reference = await onnxReference(python!, MODEL, 'M3', RANDOM_ROWS);
  }, 90_000);

  test('when it runs outside CI, then onnxruntime writes nothing to the home directory (its telemetry is off)', () => {
    const run = runInFreshHome(python!, [
      join(ROOT, 'tools/python/onnx_reference.py'),
      join(ROOT, MODEL),
      '--entry',
      'M3',
    ]);
    expect(run).toMatchObject({ code: 0, homeFiles: [] });
  });

  test('when it describes the committed model, then it names the file and its sha256', () => {
    expect(reference.model).toBe(MODEL);
    expect(reference.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(join(ROOT, MODEL)))
        .digest('hex'),
    );
  });

  test('when it reads the data, then its rows, features and classes are those mlship reads', () => {
    expect(reference.featureNames).toEqual(dataset.featureNames);
    expect(reference.classes).toEqual(dataset.classNames);
    expect(reference.data.rows).toEqual(dataset.X);
  });

  test("when it draws random rows, then there are as many as asked, each feature inside the data's range", () => {
    expect(reference.random.rows).toHaveLength(RANDOM_ROWS);
    dataset.featureNames.forEach((_, j) => {
      const column = dataset.X.map((row) => row[j]!);
      const [lo, hi] = [Math.min(...column), Math.max(...column)];
      expect(reference.random.rows.filter((row) => !(row[j]! >= lo && row[j]! <= hi))).toEqual([]);
    });
  });

  const runs = (['data', 'random'] as const).flatMap((part) => [
    [`${part} rows, in one run`, (r: Reference): Predictions => r[part], part] as const,
    [`${part} rows, a run per row`, (r: Reference): Predictions => r[part].oneRow, part] as const,
  ]);
  test.each(runs)(
    'when it answers the %s, then each label is the class of the largest probability and the probabilities sum to 1',
    (_name, pick, part) => {
      const answers = pick(reference);
      expect(answers.labels).toHaveLength(reference[part].rows.length);
      const inconsistent = answers.probabilities
        .map((p, i) => ({ i, p, label: answers.labels[i] }))
        .filter(
          ({ p, label }) =>
            label !== reference.classes[argmax(p)] ||
            Math.abs(p.reduce((a, b) => a + b, 0) - 1) > 1e-6 ||
            p.some((v) => v < 0 || v > 1),
        );
      expect(inconsistent.slice(0, 5)).toEqual([]);
    },
  );

  test.each(['data', 'random'] as const)(
    'when the %s rows run one at a time, then the labels are those of one run and the probabilities differ by ' +
      'float32 rounding at most',
    (part) => {
      const { labels, probabilities, oneRow } = reference[part];
      expect(oneRow.labels).toEqual(labels);
      // A float32 probability's last bit is at most 2^-24 (6e-8) in [0.5, 1]; 1e-6 leaves room for a few.
      const apart = probabilities.filter((p, i) => p.some((v, j) => Math.abs(v - oneRow.probabilities[i]![j]!) > 1e-6));
      expect(apart.slice(0, 5)).toEqual([]);
    },
  );

  test("when its labels are scored on the rows M3 holds out, then the model passes M3's accuracy gate", () => {
    const { test: held } = stratifiedSplit(
      dataset.y,
      dataset.classNames.length,
      m3.testFraction,
      seededRandom(m3.seed),
    );
    const correct = held.filter((i) => reference.data.labels[i] === dataset.classNames[dataset.y[i]!]).length;
    console.log(
      JSON.stringify({ onnxExample: { heldOutRows: held.length, correct, accuracy: correct / held.length } }),
    );
    expect(correct / held.length).toBeGreaterThanOrEqual(m3.gate.minAccuracy);
  });
});
