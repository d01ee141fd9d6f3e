import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import SonicBoom from 'sonic-boom';
import { accessLogger, batchedDestination, createLogger, isoTime } from '../src/observability/logging';
import { tempDir } from '../../model/test/helpers';

/** A batched destination on a file, and a way to read what reached the file. */
function fileDestination() {
  const path = join(tempDir(), 'log.jsonl');
  const fd = openSync(path, 'w');
  const boom = new SonicBoom({ fd, sync: false, minLength: 0 });
  const stops: string[] = [];
  const destination = batchedDestination(boom, (error) => stops.push(String(error.code)));
  return { boom, destination, stops, read: () => readFileSync(path, 'utf8'), close: () => closeSync(fd) };
}

describe('log destination and time', () => {
  test('when lines are written, then they reach the file whole and in order, batched or flushed', async () => {
    const file = fileDestination();
    const logger = accessLogger(createLogger('info', file.destination));
    // Enough lines to fill several 4 KiB chunks, then a tail that only a flush writes.
    for (let i = 0; i < 100; i++) logger.info({ reqId: `r${i}`, status: 200, ms: i / 4 }, 'request');
    await new Promise<void>((resolve) => file.destination.flush(() => resolve()));
    file.destination.flushSync();
    const lines = file
      .read()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.reqId)).toEqual(Array.from({ length: 100 }, (_, i) => `r${i}`));
    expect(lines[3]).toEqual({
      level: 30,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: 'mlship-api',
      reqId: 'r3',
      status: 200,
      ms: 0.75,
      msg: 'request',
    });
    file.close();
  });

  test('when stdout fails, then logging stops once, later lines are dropped and flushing does not throw', async () => {
    const file = fileDestination();
    file.destination.write('{"a":1}\n');
    file.boom.emit('error', Object.assign(new Error('broken pipe'), { code: 'EPIPE' }));
    expect(file.destination.write('x'.repeat(5000))).toBe(true);
    await new Promise<void>((resolve) => file.destination.flush(() => resolve()));
    expect(() => file.destination.flushSync()).not.toThrow();
    expect(file.stops).toEqual(['EPIPE']);
    expect(file.read()).toBe('');
    file.close();
  });

  test('when a time is formatted twice in one millisecond or in the next, then it reads as Date#toISOString', () => {
    const now = Date.UTC(2026, 11, 1, 14, 30, 0, 123);
    expect(isoTime(now)).toBe('2026-12-01T14:30:00.123Z');
    expect(isoTime(now)).toBe(new Date(now).toISOString());
    expect(isoTime(now + 1)).toBe('2026-12-01T14:30:00.124Z');
    expect(Date.parse(isoTime())).toBeGreaterThanOrEqual(now);
  });
});
