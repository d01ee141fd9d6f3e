import request from 'supertest';
import { ALICE, makeApp } from './helpers';

describe('POST /predict answers (texts made once per model and class)', () => {
  test(
    'when single rows of different classes are predicted, then each answer is the JSON of its own prediction ' +
      'with a matching Content-Length',
    async () => {
      const { app, store } = makeApp();
      const model = store.get('M1')!;
      const rows = { setosa: [5.1, 3.5, 1.4, 0.2], virginica: [6.7, 3.0, 5.2, 2.3] };
      // Twice each: the second answer comes from the cache and must read the same.
      for (const label of ['setosa', 'virginica', 'setosa', 'virginica'] as const) {
        const res = await request(app).post('/predict').set('Authorization', ALICE).send({ X: rows[label] });
        expect(res.status).toBe(200);
        expect(res.text).toBe(
          JSON.stringify({ model: 'M1', version: model.version, variant: 'v1', prediction: label }),
        );
        expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.text)));
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.headers['x-model-name']).toBe('M1');
      }
    },
  );

  test(
    'when a batch or the debug variant is asked for, then the answer keeps its shape: predictions, or the ' +
      'detailed fields',
    async () => {
      const { app } = makeApp();
      const batch = await request(app)
        .post('/predict')
        .set('Authorization', ALICE)
        .send({
          X: [
            [5.1, 3.5, 1.4, 0.2],
            [6.7, 3.0, 5.2, 2.3],
          ],
        });
      expect(Object.keys(batch.body as object)).toEqual(['model', 'version', 'variant', 'predictions']);
      expect((batch.body as { predictions: string[] }).predictions).toEqual(['setosa', 'virginica']);
      const detailed = await request(app)
        .post('/predict')
        .set({ Authorization: ALICE, 'X-Experiment-Group': 'debug' })
        .send({ X: [5.1, 3.5, 1.4, 0.2] });
      expect(Object.keys(detailed.body as object)).toEqual([
        'model',
        'version',
        'variant',
        'prediction',
        'probabilities',
        'neighbours',
      ]);
      expect(detailed.headers['content-length']).toBe(String(Buffer.byteLength(detailed.text)));
    },
  );
});
