import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import request from 'supertest';
import { tempDir } from '../../model/test/helpers';
import { BatchPredictor } from '../src/prediction/batch-predictor';
import { createMetrics } from '../src/observability/metrics';
import { PredictionLog } from '../src/observability/prediction-log';
import type { Variant } from '../src/models/variant';
import { armsOf, chooseVariant } from '../src/models/variant';
import { ALICE, makeApp } from './helpers';

/**
 * POST /predict and OIP `infer` run one prediction step (prediction-step.ts). The same rows sent
 * both ways, with the same experiment header, give the same predictions, the same arm and model,
 * the same model headers, the same metric series and the same prediction log record; and both
 * send a labels-only batch to the batch thread under the same conditions.
 */

const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
  [5.9, 3.0, 4.2, 1.5],
];

type Routed = ReturnType<typeof makeApp> & { log: PredictionLog; logDir: string };

function appWithLog(env: Record<string, string>, extra: Parameters<typeof makeApp>[1] = {}): Routed {
  const logDir = tempDir();
  const log = new PredictionLog(logDir, createMetrics(new Registry(), false), { flushIntervalMs: 10 });
  return { ...makeApp(env, { predictionLog: log, ...extra }), log, logDir };
}

function predict(app: Routed['app'], rows: number[][], group?: string) {
  return request(app)
    .post('/predict')
    .set({ Authorization: ALICE, ...(group === undefined ? {} : { 'X-Experiment-Group': group }) })
    .send({ X: rows });
}

function infer(app: Routed['app'], model: string, rows: number[][], group?: string, outputs?: string[]) {
  const body = {
    inputs: [{ name: 'input', shape: [rows.length, 4], datatype: 'FP64', data: rows }],
    ...(outputs ? { outputs: outputs.map((name) => ({ name })) } : {}),
  };
  return request(app)
    .post(`/v2/models/${model}/infer`)
    .set({
      Authorization: ALICE,
      'Content-Type': 'application/json',
      ...(group === undefined ? {} : { 'X-Experiment-Group': group }),
    })
    .send(JSON.stringify(body));
}

/**
 * The model series one prediction adds to, as exposed: predictions by class, the inference-time
 * count (its sum and buckets are times), and the drift histograms of the input features.
 */
async function modelSeries(routed: Routed): Promise<string[]> {
  const text = await routed.metrics.registry.metrics();
  return text
    .split('\n')
    .filter((line) =>
      /^model_predictions_total\{|^model_inference_duration_seconds_count\{|^model_input_feature_value_/.test(line),
    );
}

/** The log's records without what differs per request (time, request id), outputs reduced to their labels. */
async function loggedRecords(routed: Routed): Promise<unknown[]> {
  await routed.log.close();
  return readFileSync(join(routed.logDir, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const { time: _time, requestId: _id, output, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return {
        ...rest,
        labels: (output as Array<string | { prediction: string }>).map((o) =>
          typeof o === 'string' ? o : o.prediction,
        ),
      };
    });
}

const modelHeaders = (res: request.Response) => ({
  name: res.headers['x-model-name'],
  version: res.headers['x-model-version'],
  variant: res.headers['x-variant'],
});

describe('one prediction step for POST /predict and OIP infer', () => {
  test.each([
    ['the default arm', {}, undefined, 'M1', 'v1'],
    ['the experiment header', {}, 'debug', 'M2', 'v2'],
    ['another experiment group', {}, 'control', 'M1', 'v1'],
    ['a v2 process', { API_VARIANT: 'v2' }, undefined, 'M2', 'v2'],
    ['one model in both arms, no header', { MODEL_NAME: 'M1', AB_MODEL_NAME: 'M1' }, undefined, 'M1', 'v1'],
    ['one model in both arms, the experiment header', { MODEL_NAME: 'M1', AB_MODEL_NAME: 'M1' }, 'debug', 'M1', 'v2'],
  ] as Array<[string, Record<string, string>, string | undefined, string, Variant]>)(
    'when the same rows come through both routes with %s, then the predictions, arm, headers, metric series and log ' +
      'record are the same',
    async (_what, env, group, model, variant) => {
      const viaPredict = appWithLog(env);
      const viaOip = appWithLog(env);
      const p = await predict(viaPredict.app, ROWS, group);
      expect(p.status).toBe(200);
      expect(modelHeaders(p)).toMatchObject({ name: model, variant });
      const o = await infer(viaOip.app, p.headers['x-model-name'] as string, ROWS, group);
      expect(o.status).toBe(200);
      expect(modelHeaders(o)).toEqual(modelHeaders(p));
      expect([o.body.model_name, o.body.model_version]).toEqual([p.body.model, p.body.version]);

      const outputs = o.body.outputs as Array<{ name: string; data: Array<string | number> }>;
      const classes = viaOip.store.get(model)!.classNames;
      const answers = p.body.predictions as Array<
        string | { prediction: string; probabilities: Record<string, number> }
      >;
      expect(outputs.find((t) => t.name === 'label')!.data).toEqual(
        answers.map((a) => (typeof a === 'string' ? a : a.prediction)),
      );
      if (variant === 'v2') {
        // v2's detailed answer and OIP's probabilities tensor come from the same prediction.
        const probabilities = answers.flatMap((a) =>
          classes.map((c) => (a as { probabilities: Record<string, number> }).probabilities[c]),
        );
        expect(outputs.find((t) => t.name === 'probabilities')!.data).toEqual(probabilities);
      }

      const series = await modelSeries(viaPredict);
      expect(series.some((line) => line.includes(`variant="${variant}"`))).toBe(true);
      expect(await modelSeries(viaOip)).toEqual(series);
      const records = await loggedRecords(viaPredict);
      expect(records).toHaveLength(1);
      expect(await loggedRecords(viaOip)).toEqual(records);
    },
  );

  test(
    'when OIP names the model of the other arm than the header asks for, then it answers as the arm that model ' +
      'serves',
    async () => {
      const { app, metrics } = makeApp();
      const res = await infer(app, 'M1', ROWS.slice(0, 1), 'debug');
      expect(modelHeaders(res)).toMatchObject({ name: 'M1', variant: 'v1' });
      expect(await metrics.registry.getSingleMetricAsString('model_predictions_total')).not.toMatch(/variant="v2"/);
    },
  );

  test(
    'when a batch reaches BATCH_THREAD_MIN_ROWS, then both routes hand it to the batch thread for labels only, ' +
      'and keep details on the event loop',
    async () => {
      // A thread that exits at once: each attempt to use it shows as one warning, and the batch is predicted here.
      const dying = join(mkdtempSync(join(tmpdir(), 'mlship-thread-')), 'dies.js');
      writeFileSync(dying, 'process.exit(7);\n');
      const rows = Array.from({ length: 64 }, (_, i) => ROWS[i % ROWS.length]!);
      const warnings = (logs: string[]) =>
        logs.filter((line) => line.includes('batch prediction thread failed')).length;
      const predictors: BatchPredictor[] = [];
      const withThread = () => {
        const batchPredictor = new BatchPredictor(dying);
        predictors.push(batchPredictor);
        return makeApp({ BATCH_THREAD_MIN_ROWS: '64' }, { batchPredictor });
      };
      try {
        const details = [withThread(), withThread()];
        expect((await predict(details[0]!.app, rows, 'debug')).status).toBe(200);
        expect((await infer(details[1]!.app, 'M1', rows)).status).toBe(200);
        expect(details.map((d) => warnings(d.logs))).toEqual([0, 0]);

        const small = [withThread(), withThread()];
        await predict(small[0]!.app, rows.slice(1));
        await infer(small[1]!.app, 'M1', rows.slice(1), undefined, ['label']);
        expect(small.map((d) => warnings(d.logs))).toEqual([0, 0]);

        const labels = [withThread(), withThread()];
        const p = await predict(labels[0]!.app, rows);
        const o = await infer(labels[1]!.app, 'M1', rows, undefined, ['label']);
        expect([p.status, o.status]).toEqual([200, 200]);
        expect(labels.map((d) => warnings(d.logs))).toEqual([1, 1]);
        expect(o.body.outputs[0].data).toEqual(p.body.predictions);
      } finally {
        await Promise.all(predictors.map((p) => p.close()));
      }
    },
  );
});

describe('the variant rule', () => {
  test.each([
    ['M1', 'M1', 'M2', ['v1']],
    ['M2', 'M1', 'M2', ['v2']],
    ['M1', 'M1', 'M1', ['v1', 'v2']],
    ['M3', 'M1', 'M2', ['v1']],
  ])('when %s is served and the pair served is v1=%s, v2=%s, then it serves in %j', (name, v1, v2, arms) => {
    expect(armsOf(name, { v1, v2 })).toEqual(arms);
  });

  test('when the pair is not known yet, then every model answers as v1', () => {
    expect(armsOf('M1', undefined)).toEqual(['v1']);
  });

  test("when the requested arm is one the route answers as, then it is chosen, else the route's first", () => {
    expect(chooseVariant('v2', ['v1', 'v2'])).toBe('v2');
    expect(chooseVariant('v2', ['v1'])).toBe('v1');
    expect(chooseVariant('v1', ['v2'])).toBe('v2');
  });
});
