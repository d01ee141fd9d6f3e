import { appendFile, mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiMetrics } from './metrics';

/** One logged prediction: enough to replay it and to compare live inputs with training data. */
export interface PredictionRecord {
  time: string;
  requestId: string;
  model: string;
  version: string;
  variant: string;
  input: number[][];
  output: unknown;
}

export interface PredictionLogOptions {
  /** Lines held in memory at most; more are dropped and counted. */
  maxBufferedLines?: number;
  /** Rotate when the current file reaches this size. */
  maxFileBytes?: number;
  /** Rotated files kept besides the current one. */
  keepFiles?: number;
  flushIntervalMs?: number;
}

const CURRENT = 'predictions.jsonl';

/**
 * JSON lines of predictions for drift analysis, written off the request path: `write` only pushes
 * into a bounded buffer; a timer appends batches to `predictions.jsonl` and rotates it by size.
 * A full buffer, a full disk or an unwritable directory drops lines and counts them in
 * `prediction_log_dropped_total`; it never delays or fails a request.
 */
export class PredictionLog {
  private buffer: string[] = [];
  private writing: Promise<void> | undefined;
  private size = -1;
  private readonly timer: NodeJS.Timeout;
  private readonly options: Required<PredictionLogOptions>;

  constructor(
    private readonly dir: string,
    private readonly metrics: ApiMetrics,
    options: PredictionLogOptions = {},
  ) {
    this.options = { maxBufferedLines: 10_000, maxFileBytes: 64 * 1024 * 1024, keepFiles: 5, flushIntervalMs: 250, ...options };
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Queues a record; O(1) apart from JSON.stringify, never throws. */
  write(record: PredictionRecord): void {
    if (this.buffer.length >= this.options.maxBufferedLines) {
      this.metrics.predictionLogDropped.inc({ reason: 'buffer_full' });
      return;
    }
    this.buffer.push(JSON.stringify(record));
  }

  /** Writes what is buffered; resolves when written or dropped. Concurrent calls share one write. */
  flush(): Promise<void> {
    if (this.writing) return this.writing;
    if (this.buffer.length === 0) return Promise.resolve();
    const lines = this.buffer;
    this.buffer = [];
    this.writing = this.append(lines).finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    await this.flush();
  }

  private async append(lines: string[]): Promise<void> {
    const text = lines.join('\n') + '\n';
    try {
      if (this.size < 0) {
        await mkdir(this.dir, { recursive: true });
        this.size = await stat(join(this.dir, CURRENT)).then((s) => s.size, () => 0);
      }
      if (this.size > 0 && this.size + text.length > this.options.maxFileBytes) await this.rotate();
      await appendFile(join(this.dir, CURRENT), text);
      this.size += Buffer.byteLength(text);
    } catch {
      this.metrics.predictionLogDropped.inc({ reason: 'write_error' }, lines.length);
      // Re-read the size next time: the directory may have come back.
      this.size = -1;
    }
  }

  private async rotate(): Promise<void> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    await rename(join(this.dir, CURRENT), join(this.dir, `predictions-${stamp}.jsonl`));
    this.size = 0;
    const rotated = (await readdir(this.dir)).filter((f) => /^predictions-.*\.jsonl$/.test(f)).sort();
    for (const old of rotated.slice(0, Math.max(0, rotated.length - this.options.keepFiles))) await unlink(join(this.dir, old));
  }
}
