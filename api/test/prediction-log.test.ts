import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import request from 'supertest';
import { createMetrics } from '../src/observability/metrics';
import { inputJson } from '../src/routes/predict-fast-path';
import { PredictionLog } from '../src/observability/prediction-log';
import type { PredictionRecord } from '../src/observability/prediction-log';
import { ALICE, makeApp } from './helpers';
import { tempDir } from '../../model/test/helpers';

const record = (i: number): PredictionRecord => ({
  time: '2026-01-01T00:00:00.000Z',
  requestId: `r${i}`,
  model: 'M1',
  version: 'abc',
  variant: 'v1',
  input: [[1, 2, 3, 4]],
  output: ['setosa'],
});
const dropped = (metrics: ReturnType<typeof createMetrics>): Promise<string> =>
  metrics.registry.getSingleMetricAsString('prediction_log_dropped_total');

describe('prediction log', () => {
  test(
    'when predictions are served, then each becomes one ' + 'JSON line with request id, model, input and output',
    async () => {
      const dir = tempDir();
      const metrics = createMetrics(new Registry(), false);
      const log = new PredictionLog(dir, metrics, { flushIntervalMs: 10 });
      const { app } = makeApp({}, { predictionLog: log });
      await request(app)
        .post('/predict')
        .set({ Authorization: ALICE, 'X-Request-Id': 'req-1' })
        .send({
          X: [
            [5.1, 3.5, 1.4, 0.2],
            [6.7, 3.0, 5.2, 2.3],
          ],
        });
      await log.close();
      const lines = readFileSync(join(dir, 'predictions.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        requestId: 'req-1',
        model: 'M1',
        variant: 'v1',
        input: [
          [5.1, 3.5, 1.4, 0.2],
          [6.7, 3.0, 5.2, 2.3],
        ],
        output: ['setosa', 'virginica'],
      });
      expect(JSON.stringify(lines)).not.toContain(ALICE.slice(6));
    },
  );

  test('when the buffer is full, then further lines are dropped and counted, never blocking', async () => {
    const metrics = createMetrics(new Registry(), false);
    // Room for exactly five of these lines (all the same length), newlines included.
    const lineBytes = JSON.stringify(record(0)).length + 1;
    const log = new PredictionLog(tempDir(), metrics, { maxBufferedBytes: 5 * lineBytes, flushIntervalMs: 60_000 });
    for (let i = 0; i < 8; i++) log.write(record(i));
    expect(await dropped(metrics)).toContain('prediction_log_dropped_total{reason="buffer_full"} 3');
    await log.close();
  });

  test(
    'when lines arrive while a flush is being written, then they wait in the other buffer and none is lost or ' +
      'reordered',
    async () => {
      const dir = tempDir();
      const log = new PredictionLog(dir, createMetrics(new Registry(), false), { flushIntervalMs: 60_000 });
      for (let i = 0; i < 3; i++) log.write(record(i));
      const first = log.flush();
      for (let i = 3; i < 6; i++) log.write(record(i));
      await first;
      for (let i = 6; i < 9; i++) log.write(record(i));
      await log.close();
      const ids = readFileSync(join(dir, 'predictions.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as PredictionRecord).requestId);
      expect(ids).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8']);
    },
  );

  test(
    'when the directory cannot be written, ' + 'then lines are dropped and counted and predictions still answer',
    async () => {
      const parent = tempDir();
      const dir = join(parent, 'logs');
      mkdirSync(dir);
      chmodSync(dir, 0o500);
      // Root ignores directory permissions; a path under a regular file fails for everyone.
      const blocked = process.getuid?.() === 0 ? join(parent, 'file-not-dir', 'logs') : dir;
      if (blocked !== dir) writeFileSync(join(parent, 'file-not-dir'), 'x');
      const metrics = createMetrics(new Registry(), false);
      const log = new PredictionLog(blocked, metrics, { flushIntervalMs: 10 });
      const { app } = makeApp({}, { predictionLog: log, metrics });
      const res = await request(app)
        .post('/predict')
        .set('Authorization', ALICE)
        .send({ X: [5.1, 3.5, 1.4, 0.2] });
      expect(res.status).toBe(200);
      await log.close();
      expect(await dropped(metrics)).toContain('prediction_log_dropped_total{reason="write_error"} 1');
    },
  );

  test(
    'when the file reaches its size limit, ' + 'then it is rotated and only the newest rotated files are kept',
    async () => {
      const dir = tempDir();
      const log = new PredictionLog(dir, createMetrics(new Registry(), false), {
        maxFileBytes: 400,
        keepFiles: 2,
        flushIntervalMs: 60_000,
      });
      for (let batch = 0; batch < 6; batch++) {
        for (let i = 0; i < 3; i++) log.write(record(batch * 3 + i));
        await log.flush();
        // Rotated names carry a millisecond timestamp; keep them distinct.
        await new Promise((r) => setTimeout(r, 5));
      }
      await log.close();
      const files = readdirSync(dir).sort();
      expect(files).toContain('predictions.jsonl');
      expect(files.filter((f) => f.startsWith('predictions-'))).toHaveLength(2);
    },
  );
  test(
    'when a record comes with its input as JSON text, then the line is the one JSON.stringify writes, the text ' +
      'in place of the rows',
    async () => {
      const dir = tempDir();
      const log = new PredictionLog(dir, createMetrics(new Registry(), false), { flushIntervalMs: 60_000 });
      const canonical = record(1);
      log.write(canonical, JSON.stringify(canonical.input));
      log.write(record(2), '[[1.0, 2, 3e0, 4]]');
      await log.close();
      const lines = readFileSync(join(dir, 'predictions.jsonl'), 'utf8').split('\n');
      expect(lines[0]).toBe(JSON.stringify(canonical));
      expect(JSON.parse(lines[1]!)).toEqual(record(2));
    },
  );

  test(
    'when the rows are cut from the body text, then only a plain one-line {"X": rows} gives them, never another ' +
      'member',
    () => {
      expect(inputJson('{"X":[5.1,3.5,1.4,0.2]}', false)).toBe('[[5.1,3.5,1.4,0.2]]');
      expect(inputJson(' { "X" : [[1,2,3,4], [5,6,7,8]] }\t', true)).toBe('[[1,2,3,4], [5,6,7,8]]');
      // Duplicate keys parse to the last value: the text between the braces is not the validated rows.
      expect(inputJson('{"X":[[9,9,9,9]],"X":[[1,2,3,4]]}', true)).toBeUndefined();
      expect(inputJson('{"\\u0058":[1,2,3,4]}', false)).toBeUndefined();
      expect(inputJson('{"X":[[1,2,3,4],\n[5,6,7,8]]}', true)).toBeUndefined();
      expect(inputJson(undefined, false)).toBeUndefined();
    },
  );

  test(
    'when a body repeats X or spreads over lines, ' +
      'then the log still holds the validated rows, one line per request',
    async () => {
      const dir = tempDir();
      const log = new PredictionLog(dir, createMetrics(new Registry(), false), { flushIntervalMs: 60_000 });
      const { app } = makeApp({}, { predictionLog: log });
      const send = (body: string) =>
        request(app).post('/predict').set({ Authorization: ALICE, 'Content-Type': 'application/json' }).send(body);
      expect((await send('{"X":[[9,9,9,9]],"X":[[5.1,3.5,1.4,0.2]]}')).status).toBe(200);
      expect((await send('{\n  "X": [[6.7, 3.0, 5.2, 2.3],\n        [5.1, 3.5, 1.4, 0.2]]\n}\n')).status).toBe(200);
      expect((await send('{"X": [5.90, 3.0e0, 4.2, 1.5]}')).status).toBe(200);
      await log.close();
      const lines = readFileSync(join(dir, 'predictions.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as PredictionRecord);
      expect(lines.map((l) => l.input)).toEqual([
        [[5.1, 3.5, 1.4, 0.2]],
        [
          [6.7, 3.0, 5.2, 2.3],
          [5.1, 3.5, 1.4, 0.2],
        ],
        [[5.9, 3.0, 4.2, 1.5]],
      ]);
      expect(lines.map((l) => l.output)).toEqual([['setosa'], ['virginica', 'setosa'], ['versicolor']]);
    },
  );
});
