import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ServedModel } from '../models/model-store';
import type { FromWorker, ToWorker } from './predict-worker';
import { MODELS_KEPT } from './predict-worker';

/**
 * Batch predictions on a second thread. The event loop parses, validates, logs and answers; the
 * model's prediction of a 1,000-row batch takes it milliseconds, so on a machine with a second core the
 * thread doubles batch throughput, and single-row requests are not held up behind a batch.
 *
 * Each model goes to the thread once, with the first batch for its sha256; both sides keep the
 * last MODELS_KEPT models in the order sent (messages arrive in order), so they agree on what the
 * thread holds without asking. A thread that fails rejects what it had pending; for RETRY_AFTER_MS
 * after that `available` is false and the caller predicts batches itself, then the next batch
 * starts a new thread (so a thread that cannot run, say out of memory, is not restarted per batch).
 */
export const RETRY_AFTER_MS = 30_000;

export class BatchPredictor {
  private worker: Worker | undefined;
  private failedAt = -Infinity;
  private sent: string[] = [];
  private readonly pending = new Map<
    number,
    { resolve: (labels: Int32Array) => void; reject: (error: Error) => void }
  >();
  private nextId = 1;

  constructor(
    private readonly file: string,
    private readonly retryAfterMs = RETRY_AFTER_MS,
  ) {}

  /** False for a while after the thread failed: predict on the event loop meanwhile. */
  get available(): boolean {
    return performance.now() - this.failedAt >= this.retryAfterMs;
  }

  async predict(model: ServedModel, rows: readonly number[][]): Promise<string[]> {
    const worker = this.thread();
    if (!this.sent.includes(model.sha256)) {
      worker.postMessage({ type: 'model', model: { sha256: model.sha256, ...model.loadable } } satisfies ToWorker);
      this.sent = [...this.sent, model.sha256].slice(-MODELS_KEPT);
    }
    const width = model.featureNames.length;
    const flat = new Float64Array(rows.length * width);
    rows.forEach((row, i) => flat.set(row, i * width));
    const id = this.nextId++;
    const labels = await new Promise<Int32Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ type: 'predict', id, sha256: model.sha256, rows: flat } satisfies ToWorker, [flat.buffer]);
    });
    return Array.from(labels, (c) => model.classNames[c] as string);
  }

  /** Stops the thread (after the server has drained); pending batches are rejected. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
    for (const waiting of this.pending.values()) waiting.reject(new Error('the batch prediction thread was stopped'));
    this.pending.clear();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    // A 1 MiB young generation: the thread's garbage per batch is one Int32Array of labels, and
    // V8's default young generation would add several times that to the RSS (the target is
    // 100 MB under load). The old generation keeps V8's default limit: it grows with the models
    // sent, which a fork may make large.
    const worker = new Worker(this.file, { resourceLimits: { maxYoungGenerationSizeMb: 1 } });
    worker.unref();
    worker.on('message', (message: FromWorker) => {
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if ('labels' in message) waiting?.resolve(message.labels);
      else waiting?.reject(new Error(message.error));
    });
    const fail = (error: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failedAt = performance.now();
      this.sent = [];
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the batch prediction thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }
}

/** The bundled thread beside the server's bundle (dist/api -> dist/bundle/predict-worker.js), if built. */
export function predictWorkerFile(serverDir: string): string | undefined {
  const file = join(serverDir, '..', 'bundle', 'predict-worker.js');
  return existsSync(file) ? file : undefined;
}
