import { seededRandom } from '../../model/src/random';
import { buildRequest, judge, REQUEST_KINDS } from '../src/scenario/requests';
import type { FakeModel } from './fake-model-api';
import { ALICE, discoverWith, fakeApi, PENGUINS } from './fake-model-api';

/**
 * The model discovery (src/scenario/discovery.ts) against an in-process stand-in of the API: the
 * load traffic learns the served model's width, classes and real rows from the API, never from a
 * list of Iris rows.
 */
describe('model discovery', () => {
  test('when the API serves one three-feature model, then every route targets it with real rows of each class', () => {
    const api = fakeApi(PENGUINS);
    const { models, calls } = discoverWith(api);
    expect([models.v1.name, models.v2.name, models.infer.name]).toEqual(['P3', 'P3', 'P3']);
    expect(models.v1.features).toEqual(PENGUINS.features);
    expect(models.v1.classes).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(models.notes).toEqual([]);
    expect(calls.length).toBeLessThanOrEqual(2 + 2 * 8);
    // Real rows: each one is a training row of the model, as its neighbours reported them.
    const training = new Set(PENGUINS.data.map(([row]) => row.join()));
    expect(models.v1.rows.length).toBeGreaterThanOrEqual(3);
    for (const row of models.v1.rows) expect(training.has(row.join())).toBe(true);
    // One row per class, each predicted as that class by the model /predict answers.
    const predicted = models.coverage.map(
      (row) =>
        (
          JSON.parse(
            api({
              method: 'POST',
              path: '/predict',
              headers: { Authorization: ALICE, 'Content-Type': 'application/json' },
              body: JSON.stringify({ X: row }),
            }).body,
          ) as { prediction: string }
        ).prediction,
    );
    expect(predicted).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
  });

  test(
    'when requests are built from what was discovered, then every kind fits the model and the right answers pass ' +
      'every check',
    () => {
      const api = fakeApi(PENGUINS);
      const { models } = discoverWith(api);
      const random = seededRandom(5);
      for (let i = 0; i < 50; i++) {
        for (const kind of REQUEST_KINDS) {
          const spec = buildRequest(kind, ALICE, random, models);
          const judged = judge(spec, api(spec));
          expect([kind, judged.checks.filter((c) => !c.ok)]).toEqual([kind, []]);
          if (kind === 'predict_batch') expect(judged.everyClass).toBe(true);
          else expect(judged.everyClass).toBeUndefined();
        }
      }
      const infer = JSON.parse(buildRequest('infer', ALICE, random, models).body);
      expect(infer.inputs[0].shape).toEqual([3, 3]);
      expect(JSON.parse(buildRequest('invalid_row', ALICE, random, models).body).X).toHaveLength(4);
    },
  );

  test(
    'when v2 serves a model of another width, ' +
      'then the probes find it and v1 falls back to a row of zeros, saying so',
    () => {
      const other: FakeModel = {
        name: 'W2',
        features: ['x', 'y'],
        classes: ['low', 'high'],
        data: [
          [[0, 0], 'low'],
          [[0, 1], 'low'],
          [[1, 0], 'low'],
          [[9, 9], 'high'],
          [[9, 8], 'high'],
          [[8, 9], 'high'],
        ],
      };
      const { models, calls } = discoverWith(fakeApi(PENGUINS, other));
      expect([models.v1.name, models.v2.name]).toEqual(['P3', 'W2']);
      expect(calls.map((c): unknown => (c.body ? (JSON.parse(c.body) as { X: unknown }).X : c.path))).toEqual([
        '/models',
        [0, 0, 0],
        [0, 0, 0],
        [0, 0],
      ]);
      expect(models.v1.rows).toEqual([[0, 0, 0]]);
      expect(models.v2.rows).toEqual([[0, 0]]);
      expect(models.coverage).toEqual([]);
      expect(models.notes).toEqual([
        "the debug variant serves W2, whose features differ from P3's: P3 gets a row of zeros and no rows of its " +
          'classes',
      ]);
    },
  );

  test('when one class is never predicted, then coverage holds the others and a note names it', () => {
    const lonely: FakeModel = {
      ...PENGUINS,
      data: [...PENGUINS.data.filter(([, label]) => label !== 'Chinstrap'), [[38.5, 18.0, 188], 'Chinstrap']],
    };
    const { models } = discoverWith(fakeApi(lonely));
    expect(models.coverage).toHaveLength(2);
    expect(models.notes).toEqual([
      expect.stringMatching(
        /^no row found that P3 predicts as Chinstrap \(\d+ rows tried\): batches cannot name every class$/,
      ),
    ]);
  });

  test('when MODEL names a model that is not served, then discovery refuses naming the served ones', () => {
    expect(() => discoverWith(fakeApi(PENGUINS), ALICE, 'M1')).toThrow(
      'the model M1 for the Open Inference Protocol requests is not served here; GET /models lists P3',
    );
  });

  test('when the credentials are refused, then discovery stops at GET /models with its answer', () => {
    expect(() => discoverWith(fakeApi(PENGUINS, PENGUINS, 'alice:other'))).toThrow(
      /^GET \/models answered 401 during model discovery: \{"error"/,
    );
  });
});
