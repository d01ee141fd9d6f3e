import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { PairError } from '../src/models/ab-pair';
import { publishModelMetrics } from '../src/observability/metrics';
import { ALICE, makeApp, trainedModelDir } from './helpers';
import { startServer } from './server-process';

/** One Adelie penguin from model/data/penguins.csv (bill length, bill depth, flipper length, body mass). */
const PENGUIN = [39.1, 18.7, 181, 3750];
const IRIS = [5.1, 3.5, 1.4, 0.2];
const PENGUIN_FEATURES = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'];

const inferBody = (row: number[]) =>
  JSON.stringify({ inputs: [{ name: 'input', shape: [1, row.length], datatype: 'FP32', data: [row] }] });

describe('every promoted model is served (MODELS unset)', () => {
  const { app, metrics, store } = makeApp();
  const infer = (name: string, row: number[]) =>
    request(app)
      .post(`/v2/models/${name}/infer`)
      .set({ Authorization: ALICE, 'Content-Type': 'application/json' })
      .send(inferBody(row));

  test(
    'when GET /models and /status, then M1, M2, M3 and M4 are listed, and /status says every promoted model is ' +
      'served',
    async () => {
      const models = await request(app).get('/models').set('Authorization', ALICE);
      expect(models.body.models.map((m: { name: string; features: string[] }) => [m.name, m.features.length])).toEqual([
        ['M1', 4],
        ['M2', 4],
        ['M3', 4],
        ['M4', 4],
      ]);
      const status = await request(app).get('/status');
      expect(status.body).toMatchObject({
        servesAllPromoted: true,
        models: [{ name: 'M1' }, { name: 'M2' }, { name: 'M3' }, { name: 'M4' }],
      });
    },
  );

  test(
    'when M3, a model outside the A/B pair, is asked for over the OIP, then its metadata, readiness and ' +
      'inference answer with its own features',
    async () => {
      const meta = await request(app).get('/v2/models/M3');
      expect(meta.status).toBe(200);
      expect(meta.body.inputs[0].parameters.features).toBe(PENGUIN_FEATURES.join(','));
      expect((await request(app).get('/v2/models/M3/ready')).body).toEqual({ name: 'M3', ready: true });
      const res = await infer('M3', PENGUIN);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        model_name: 'M3',
        outputs: [
          { name: 'label', data: ['Adelie'] },
          { name: 'probabilities', shape: [1, 3] },
        ],
      });
      expect(res.headers).toMatchObject({ 'x-model-name': 'M3', 'x-variant': 'v1' });
    },
  );

  test(
    'when every served model is inferred over the OIP, ' + 'then each answers, and only the experiment model as v2',
    async () => {
      const answers = await Promise.all(['M1', 'M2'].map((name) => infer(name, IRIS)));
      const labelOf = (body: { outputs: Array<{ data: string[] }> }): string | undefined => body.outputs[0]?.data[0];
      expect(
        answers.map((r): unknown[] => [
          r.status,
          r.headers['x-model-name'],
          r.headers['x-variant'],
          labelOf(r.body as { outputs: Array<{ data: string[] }> }),
        ]),
      ).toEqual([
        [200, 'M1', 'v1', 'setosa'],
        [200, 'M2', 'v2', 'setosa'],
      ]);
    },
  );

  test(
    'when GET /M3, then its score answers like /M1 and /M2 do, ' + 'and the metrics count it under its own path',
    async () => {
      const res = await request(app).get('/M3').set('Authorization', ALICE);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ model: 'M3', score: expect.any(Number) });
      expect((await request(app).get('/M3')).status).toBe(401);
      expect((await request(app).post('/M3').set('Authorization', ALICE)).status).toBe(405);
      expect(await metrics.registry.getSingleMetricAsString('http_requests_total')).toContain(
        'route="/M3",status="200"',
      );
    },
  );

  test('when a model is not served, then every model route answers 404 with the contract JSON', async () => {
    const one = await request(app).get('/models/W9').set('Authorization', ALICE);
    expect([one.status, one.body.error.code, one.body.error.message]).toEqual([
      404,
      'not_found',
      'no model "W9" is served here; see GET /models',
    ]);
    const score = await request(app).get('/W9').set('Authorization', ALICE);
    expect([score.status, score.body.error.code]).toEqual([404, 'not_found']);
    const oip = await infer('W9', IRIS);
    expect([oip.status, oip.body]).toEqual([404, { error: 'unknown model "W9"', code: 'not_found' }]);
    expect((await request(app).get('/v2/models/W9/ready')).status).toBe(404);
  });

  test('when model_info is published, then it has a series for every served model', async () => {
    publishModelMetrics(metrics, store);
    const series = (await metrics.modelInfo.get()).values.map((v) => [v.labels.model, v.labels.variant]);
    expect(series).toEqual([
      ['M1', 'v1'],
      ['M2', 'v2'],
      ['M3', 'v1'],
      ['M4', 'v1'],
    ]);
  });
});

describe('MODELS lists the models served', () => {
  const { app } = makeApp({ MODELS: 'M1,M3' });

  test(
    'when MODELS=M1,M3, then exactly those are listed and inferable, M2 is a 404 everywhere, and /predict has no ' +
      'experiment',
    async () => {
      const models = await request(app).get('/models').set('Authorization', ALICE);
      expect(models.body.models.map((m: { name: string }) => m.name)).toEqual(['M1', 'M3']);
      expect((await request(app).get('/status')).body.servesAllPromoted).toBe(false);
      expect((await request(app).get('/v2/models/M3')).status).toBe(200);
      expect((await request(app).get('/v2/models/M2')).status).toBe(404);
      expect((await request(app).get('/M2').set('Authorization', ALICE)).status).toBe(404);
      const debug = await request(app)
        .post('/predict')
        .set({ Authorization: ALICE, 'X-Experiment-Group': 'debug' })
        .send({ X: IRIS });
      expect(debug.headers).toMatchObject({ 'x-model-name': 'M1', 'x-variant': 'v2' });
    },
  );
});

describe('the A/B pair takes one set of features', () => {
  test(
    'when MODEL_NAME=M3 and AB_MODEL_NAME is unset, then the default partner M2 (Iris) is dropped: v2 answers ' +
      'from M3',
    async () => {
      const { app, store } = makeApp({ MODEL_NAME: 'M3' });
      expect(store.pair).toEqual({
        v1: 'M3',
        v2: 'M3',
        dropped: expect.stringMatching(
          /^AB_MODEL_NAME=M2 takes 4 features \(sepal_length.*MODEL_NAME=M3 takes 4 features \(bill_length_mm.*no A\/B experiment: v2 answers from M3$/,
        ),
      });
      const debug = await request(app)
        .post('/predict')
        .set({ Authorization: ALICE, 'X-Experiment-Group': 'debug' })
        .send({ X: PENGUIN });
      expect([debug.status, debug.headers['x-model-name'], debug.headers['x-variant'], debug.body.prediction]).toEqual([
        200,
        'M3',
        'v2',
        'Adelie',
      ]);
      // M2 is still served on its own routes.
      expect(
        (
          await request(app)
            .post('/v2/models/M2/infer')
            .set({ Authorization: ALICE, 'Content-Type': 'application/json' })
            .send(inferBody(IRIS))
        ).status,
      ).toBe(200);
    },
  );

  test(
    'when AB_MODEL_NAME is set to a model with other features, ' + 'then loading refuses with one line naming both',
    () => {
      expect(() => makeApp({ MODEL_NAME: 'M3', AB_MODEL_NAME: 'M2' })).toThrow(PairError);
      expect(() => makeApp({ MODEL_NAME: 'M3', AB_MODEL_NAME: 'M2' })).toThrow(
        /^AB_MODEL_NAME=M2 takes 4 features \(sepal_length, .*\), MODEL_NAME=M3 takes 4 features \(bill_length_mm, .*\): an A\/B pair must take the same features; set AB_MODEL_NAME to a model trained on M3's features, or unset it$/,
      );
    },
  );
});

describe('the server refuses a selection it cannot serve', () => {
  const refusal = async (env: Record<string, string>): Promise<{ code: number | null; output: string }> => {
    const server = await startServer({ MODEL_DIR: trainedModelDir(), LOG_LEVEL: 'silent', ...env });
    return { code: (await server.exited).code, output: server.output().trim() };
  };

  test('when MODELS names a model the registry has not promoted, then it exits 2 with one line naming it', async () => {
    expect(await refusal({ MODELS: 'M1,W9' })).toEqual({
      code: 2,
      output:
        `error: MODELS names W9, which is not promoted in ${trainedModelDir()} (no <name>/current); promoted ` +
        `there: M1, M2, M3, M4`,
    });
    const empty = mkdtempSync(join(tmpdir(), 'mlship-empty-'));
    expect(await refusal({ MODEL_DIR: empty, MODELS: 'M1' })).toMatchObject({
      code: 2,
      output: expect.stringMatching(
        /^error: MODELS names M1, which is not promoted in .*; promoted there: none \(run `npm run train -- --promote`\)$/,
      ),
    });
  });

  test('when the A/B pair set takes different features, then it exits 2 with one line', async () => {
    const { code, output } = await refusal({ MODEL_NAME: 'M3', AB_MODEL_NAME: 'M1' });
    expect(code).toBe(2);
    expect(output).toMatch(
      /^error: AB_MODEL_NAME=M1 takes 4 features \(sepal_length, [^\n]*: an A\/B pair must take the same features; set AB_MODEL_NAME to a model trained on M3's features, or unset it$/,
    );
  });
});
