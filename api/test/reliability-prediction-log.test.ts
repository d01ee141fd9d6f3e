import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createMetrics } from '../src/observability/metrics';
import { PredictionLog } from '../src/observability/prediction-log';
import { tempDir } from '../../model/test/helpers';
import type { LiveServer } from './hostile-client';
import { listen, pool } from './hostile-client';
import { ALICE, makeApp } from './helpers';

const REQUESTS = 3000;
const BODY = JSON.stringify({
  X: [
    [5.1, 3.5, 1.4, 0.2],
    [6.7, 3.0, 5.2, 2.3],
    [5.9, 3.0, 4.2, 1.5],
  ],
});

/**
 * A 64 KiB tmpfs: a disk that really fills up. Mounting needs root (and a sandbox that allows it);
 * elsewhere a path under a regular file stands in, which fails every write just the same.
 */
function fullDisk(): { dir: string; kind: string; release: () => void } {
  const mountPoint = tempDir('mlship-fulldisk-');
  const mounted =
    process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint]).status === 0;
  if (mounted)
    return { dir: mountPoint, kind: 'tmpfs of 64 KiB', release: () => void spawnSync('umount', [mountPoint]) };
  writeFileSync(join(mountPoint, 'not-a-dir'), 'x');
  return { dir: join(mountPoint, 'not-a-dir', 'logs'), kind: 'unwritable path', release: () => undefined };
}

async function measure(live: LiveServer): Promise<{ statuses: Record<number, number>; p50: number }> {
  const statuses: Record<number, number> = {};
  const times = await pool(Array.from({ length: REQUESTS }), 4, async () => {
    const started = process.hrtime.bigint();
    const res = await live.send({
      method: 'POST',
      path: '/predict',
      headers: { authorization: ALICE, 'content-type': 'application/json' },
      body: BODY,
    });
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    return Number(process.hrtime.bigint() - started) / 1e6;
  });
  return { statuses, p50: times.sort((a, b) => a - b)[Math.floor(times.length / 2)]! };
}

describe('prediction log on a full disk', () => {
  const disk = fullDisk();
  afterAll(() => disk.release());

  test(
    `when the log's disk fills up, then ${REQUESTS} predictions ` +
      `still all answer 200 and the lost lines are counted`,
    async () => {
      mkdirSync(disk.dir, { recursive: true, mode: 0o755 });
      const failing = createMetrics(new Registry(), false);
      const failingLog = new PredictionLog(disk.dir, failing, { flushIntervalMs: 20 });
      const healthy = createMetrics(new Registry(), false);
      const healthyLog = new PredictionLog(tempDir('mlship-okdisk-'), healthy, { flushIntervalMs: 20 });
      const withFailing = await listen(
        makeApp({ RATE_LIMIT_PER_MINUTE: '100000000' }, { metrics: failing, predictionLog: failingLog }).app,
      );
      const withHealthy = await listen(
        makeApp({ RATE_LIMIT_PER_MINUTE: '100000000' }, { metrics: healthy, predictionLog: healthyLog }).app,
      );
      try {
        // Alternating, so both runs share whatever else the machine is doing.
        const healthyRun = await measure(withHealthy);
        const failingRun = await measure(withFailing);
        await failingLog.close();
        await healthyLog.close();
        const dropped = async (m: typeof failing): Promise<number> => {
          const values = (await m.registry.getSingleMetric('prediction_log_dropped_total')!.get()).values;
          return values.filter((v) => v.labels.reason === 'write_error').reduce((a, v) => a + v.value, 0);
        };
        const lost = await dropped(failing);
        const fullDisk = {
          kind: disk.kind,
          requests: REQUESTS,
          droppedLines: lost,
          p50MsHealthyLog: +healthyRun.p50.toFixed(3),
          p50MsFullDisk: +failingRun.p50.toFixed(3),
        };
        process.stdout.write(`${JSON.stringify({ fullDisk })}\n`);
        expect(failingRun.statuses).toEqual({ 200: REQUESTS });
        expect(healthyRun.statuses).toEqual({ 200: REQUESTS });
        // 3000 lines of ~400 bytes cannot fit in 64 KiB: most were dropped, and counted.
        expect(lost).toBeGreaterThan(REQUESTS / 2);
        expect(lost).toBeLessThanOrEqual(REQUESTS);
        expect(await dropped(healthy)).toBe(0);
      } finally {
        await withFailing.close();
        await withHealthy.close();
      }
    },
    60_000,
  );
});
