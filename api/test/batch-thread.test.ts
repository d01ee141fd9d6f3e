import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { batchBody } from '../../scripts/bench/requests';
import { BatchPredictor, predictWorkerFile } from '../src/prediction/batch-predictor';
import { predictLabels } from '../src/models/model-store';
import type { ServedModel } from '../src/models/model-store';
import { MODELS_KEPT } from '../src/prediction/predict-worker';
import { ALICE, makeApp, ROOT } from './helpers';

const WORKER = predictWorkerFile(join(ROOT, 'dist', 'api'));

/** Rows around a model's training data and far from it, on a 0.1 grid. */
function rowsFor(model: ServedModel, count: number): number[][] {
  return Array.from({ length: count }, (_, i) =>
    model.mean.map(
      (mean, j) => Math.round((mean + (model.std[j] as number) * ((((i * (7 + 4 * j)) % 41) - 20) / 8)) * 10) / 10,
    ),
  );
}

/** A thread file that exits at once with `code`. */
function dyingWorker(code: number): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mlship-thread-')), 'dies.js');
  writeFileSync(file, `process.exit(${code});\n`);
  return file;
}

const predictors: BatchPredictor[] = [];
function predictor(file = WORKER!, retryAfterMs?: number): BatchPredictor {
  const made = new BatchPredictor(file, retryAfterMs);
  predictors.push(made);
  return made;
}
afterAll(() => Promise.all(predictors.map((p) => p.close())));

describe('the batch prediction thread', () => {
  test('when the server is built, then the thread is bundled beside it', () => {
    expect(WORKER).toBe(join(ROOT, 'dist', 'bundle', 'predict-worker.js'));
  });

  test("when every served model predicts 1,000 rows on the thread, then the labels are the event loop's", async () => {
    const { store } = makeApp();
    const thread = predictor();
    for (const name of ['M1', 'M2', 'M3', 'M4']) {
      const model = store.get(name) ?? makeApp({ MODEL_NAME: name }).store.get(name)!;
      // The iris models get the benchmark's batch: on the data's 0.1 cm grid, some of its rows tie.
      // The penguins models (KNN and ONNX) get rows around their own data.
      const iris = name === 'M1' || name === 'M2';
      const rows = iris ? (JSON.parse(batchBody(1000)) as { X: number[][] }).X : rowsFor(model, 1000);
      const inline = predictLabels(model, rows);
      expect(await thread.predict(model, rows)).toEqual(inline);
      expect(new Set(inline).size).toBeGreaterThan(1);
    }
  });

  test(
    'when batches for more models than the thread keeps come in turn, ' + 'then each is predicted with its own model',
    async () => {
      const { store } = makeApp();
      const base = store.get('M1')!;
      const variants = Array.from({ length: MODELS_KEPT + 2 }, (_, i) => ({ ...base, sha256: `${base.sha256}-${i}` }));
      const thread = predictor();
      const rows = rowsFor(base, 100);
      const expected = predictLabels(base, rows);
      // Forward, then back over ones the thread has already let go: each is sent again.
      for (const variant of [...variants, ...variants.slice().reverse(), variants[0]!]) {
        expect(await thread.predict(variant, rows)).toEqual(expected);
      }
    },
  );

  test('when many batches are in flight at once, then each answer comes back to its own request', async () => {
    const { store } = makeApp();
    const model = store.get('M1')!;
    const thread = predictor();
    const batches = Array.from({ length: 20 }, (_, i) => rowsFor(model, 64 + i).slice(i));
    const answers = await Promise.all(batches.map((rows) => thread.predict(model, rows)));
    answers.forEach((labels, i) => expect(labels).toEqual(predictLabels(model, batches[i]!)));
  });

  test(
    'when the thread exits, then its batch is rejected naming the exit, it is unavailable for a while, and then ' +
      'a batch starts a new thread',
    async () => {
      const { store } = makeApp();
      const model = store.get('M1')!;
      const file = dyingWorker(3);
      const paused = predictor(file);
      await expect(paused.predict(model, rowsFor(model, 10))).rejects.toThrow('the batch prediction thread exited (3)');
      expect(paused.available).toBe(false);
      const retried = predictor(file, 0);
      await expect(retried.predict(model, rowsFor(model, 10))).rejects.toThrow(
        'the batch prediction thread exited (3)',
      );
      expect(retried.available).toBe(true);
      writeFileSync(file, `require(${JSON.stringify(WORKER)});\n`);
      expect(await retried.predict(model, rowsFor(model, 10))).toEqual(predictLabels(model, rowsFor(model, 10)));
    },
  );

  test('when the thread is stopped with a batch in flight, then that batch is rejected, not left waiting', async () => {
    const { store } = makeApp();
    const model = store.get('M1')!;
    const thread = predictor();
    await thread.predict(model, rowsFor(model, 10));
    const inFlight = thread.predict(model, rowsFor(model, 1000));
    await thread.close();
    await expect(inFlight).rejects.toThrow('the batch prediction thread was stopped');
  });
});

describe('POST /predict and the batch thread', () => {
  test(
    'when a batch reaches BATCH_THREAD_MIN_ROWS, ' + 'then the thread predicts it and the answer is the inline one',
    async () => {
      const inline = makeApp({ BATCH_THREAD_MIN_ROWS: '0' });
      const threaded = makeApp({ BATCH_THREAD_MIN_ROWS: '64' }, { batchPredictor: predictor() });
      const rows = rowsFor(inline.store.get('M1')!, 200);
      const a = await request(inline.app).post('/predict').set('Authorization', ALICE).send({ X: rows });
      const b = await request(threaded.app).post('/predict').set('Authorization', ALICE).send({ X: rows });
      expect(b.status).toBe(200);
      expect(b.text).toBe(a.text);
      expect(b.headers['x-model-version']).toBe(a.headers['x-model-version']);
      // Every row is counted, as for a batch predicted inline.
      const counted = (await threaded.metrics.registry.metrics())
        .split('\n')
        .filter((l) => l.startsWith('model_predictions_total{'));
      expect(counted.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0)).toBe(200);
    },
  );

  test(
    'when OIP infer asks only for labels of a batch that reaches BATCH_THREAD_MIN_ROWS, then the thread predicts ' +
      'it and the answer is the inline one',
    async () => {
      // The real thread, started through a file that leaves a mark: the mark says the thread ran.
      const dir = mkdtempSync(join(tmpdir(), 'mlship-thread-'));
      const marked = join(dir, 'marked.js');
      writeFileSync(
        marked,
        `require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'started'))}, '');\nrequire(` +
          `${JSON.stringify(WORKER)});\n`,
      );
      const inline = makeApp({ BATCH_THREAD_MIN_ROWS: '0' });
      const threaded = makeApp({ BATCH_THREAD_MIN_ROWS: '64' }, { batchPredictor: predictor(marked) });
      const rows = rowsFor(inline.store.get('M1')!, 200);
      const body = JSON.stringify({
        inputs: [{ name: 'input', shape: [rows.length, 4], datatype: 'FP64', data: rows }],
        outputs: [{ name: 'label' }],
      });
      const infer = (app: typeof inline.app) =>
        request(app)
          .post('/v2/models/M1/infer')
          .set({ Authorization: ALICE, 'Content-Type': 'application/json' })
          .send(body);
      const a = await infer(inline.app);
      const b = await infer(threaded.app);
      expect(b.status).toBe(200);
      expect(b.text).toBe(a.text);
      expect(threaded.logs.filter((l) => l.includes('batch prediction thread failed'))).toHaveLength(0);
      expect(existsSync(join(dir, 'started'))).toBe(true);
    },
  );

  test(
    'when the thread fails, then the batch and the next ones are predicted on the event loop, answered 200, with ' +
      'one warning; smaller batches never use the thread',
    async () => {
      const inline = makeApp({ BATCH_THREAD_MIN_ROWS: '0' });
      const broken = makeApp({ BATCH_THREAD_MIN_ROWS: '64' }, { batchPredictor: predictor(dyingWorker(5)) });
      const rows = rowsFor(inline.store.get('M1')!, 64);
      const small = await request(broken.app)
        .post('/predict')
        .set('Authorization', ALICE)
        .send({ X: rows.slice(1) });
      expect(small.status).toBe(200);
      expect(broken.logs.filter((l) => l.includes('batch prediction thread failed'))).toHaveLength(0);
      const a = await request(inline.app).post('/predict').set('Authorization', ALICE).send({ X: rows });
      const b = await request(broken.app).post('/predict').set('Authorization', ALICE).send({ X: rows });
      expect(b.status).toBe(200);
      expect(b.text).toBe(a.text);
      const warnings = broken.logs.filter((l) => l.includes('batch prediction thread failed'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('exited (5)');
      // While the thread is paused, batches are predicted here without a new thread or warning.
      const again = await request(broken.app).post('/predict').set('Authorization', ALICE).send({ X: rows });
      expect(again.text).toBe(a.text);
      expect(broken.logs.filter((l) => l.includes('batch prediction thread failed'))).toHaveLength(1);
    },
  );
});
