import { join } from 'node:path';
import { closedLoop } from '../../docker/e2e/load';
import type { LoopTally } from '../../docker/e2e/load';
import { ALICE } from './helpers';
import { promoteCorruptCopy, promoteFrom, servedOnDisk, trainAnotherVersion } from './promotion';
import { copyRegistry, sleep, startServer, waitUntil } from './server-process';

const ROW = JSON.stringify({ X: [6.7, 3.0, 5.2, 2.3] });
const CLIENTS = 4;
/** The bound: a promoted version is served within 10 s. */
const PROMOTION_DEADLINE_MS = 10_000;
/** The poll interval the server runs with here (its default). */
const POLL_MS = 2000;

interface Answer {
  sentAt: number;
  status: number;
  version: string | null;
}

/** Closed-loop load: CLIENTS keep-alive clients POST /predict until stopped (or 60 s at most). */
function loadLoop(port: number): { answers: Answer[]; failures: LoopTally['failures']; stop: () => Promise<void> } {
  const answers: Answer[] = [];
  let running = true;
  const hardStop = Date.now() + 60_000;
  const load = closedLoop({
    clients: CLIENTS,
    send: async () => {
      const res = await fetch(`http://127.0.0.1:${port}/predict`, {
        method: 'POST',
        headers: { Authorization: ALICE, 'Content-Type': 'application/json' },
        body: ROW,
      });
      return { status: res.status, body: await res.text(), version: res.headers.get('x-model-version') };
    },
    keepGoing: () => running && Date.now() < hardStop,
    onAnswer: ({ status, version }, sentAt) => answers.push({ sentAt, status, version }),
  });
  return {
    answers,
    failures: load.tally.failures,
    stop: async () => {
      running = false;
      await load.done;
    },
  };
}

describe('hot promotion under load (real process)', () => {
  test(
    'when a new version is promoted into MODEL_DIR, then it is served within 10 s; a corrupt one after it is ' +
      'refused once and the good one keeps serving; 0 requests fail',
    async () => {
      const dir = copyRegistry();
      const first = servedOnDisk(dir, 'M1');
      const retrained = trainAnotherVersion('M1');
      expect(retrained.version).not.toBe(first.version);
      // The load is one user for ~15 s: on a fast machine that passes the default 6,000 a minute, and
      // this test is about promotion, not the per-user limit.
      const server = await startServer({ MODEL_DIR: dir, RATE_LIMIT_PER_MINUTE: '1000000' });
      const base = `http://127.0.0.1:${server.port}`;
      const status = async (): Promise<{ models: Array<{ name: string; version: string; sha256: string }> }> =>
        (await fetch(`${base}/status`)).json() as never;
      const load = loadLoop(server.port);
      try {
        await waitUntil(() => load.answers.length >= 50, 'the load to get going', 10_000);
        expect(load.answers.every((a) => a.version === first.version)).toBe(true);

        promoteFrom(retrained.registry, dir, 'M1', retrained.version);
        await waitUntil(
          () => load.answers.some((a) => a.version === retrained.version),
          'the promoted version in X-Model-Version',
          PROMOTION_DEADLINE_MS,
        );
        expect((await status()).models.find((m) => m.name === 'M1')).toEqual({
          name: 'M1',
          ...servedOnDisk(dir, 'M1'),
        });
        const exposition = await (await fetch(`${base}/metrics`)).text();
        const modelInfo = exposition.split('\n').filter((line) => line.startsWith('model_info{model="M1"'));
        expect(modelInfo).toEqual([
          `model_info{model="M1",version="${retrained.version}",variant="v1",sha256="${retrained.sha256}"} 1`,
        ]);

        promoteCorruptCopy(dir, 'M1', retrained.version, 'bad000000001');
        const refusals = (): string[] =>
          server
            .output()
            .split('\n')
            .filter((line) => line.includes('"msg":"reload failed: still serving the previous models"'));
        await waitUntil(() => refusals().length > 0, 'the refusal of the corrupt version', PROMOTION_DEADLINE_MS);
        const refusedAt = Date.now();
        // Several more polls see the same corrupt pointer: none may log again or swap anything.
        await sleep(3 * POLL_MS);
        expect(refusals()).toHaveLength(1);
        expect(JSON.parse(refusals()[0]!)).toMatchObject({
          level: 50,
          trigger: 'poll',
          pointers: { M1: 'bad000000001' },
        });
        expect(refusals()[0]).toContain(join(dir, 'M1', 'bad000000001', 'model.json'));
        expect((await status()).models.find((m) => m.name === 'M1')).toEqual({
          name: 'M1',
          version: retrained.version,
          sha256: retrained.sha256,
        });
        const afterRefusal = load.answers.filter((a) => a.sentAt > refusedAt);
        expect(afterRefusal.length).toBeGreaterThan(0);
        expect(afterRefusal.filter((a) => a.version !== retrained.version)).toEqual([]);
      } finally {
        await load.stop();
        server.child.kill('SIGTERM');
      }
      expect(load.failures).toEqual([]);
      expect(server.output().match(/"trigger":"poll".*"msg":"reloaded promoted models"/g)).toHaveLength(1);
      // The watch's timer neither blocks the drain nor keeps the process alive.
      expect((await server.exited).code).toBe(0);
      process.stdout.write(
        `${JSON.stringify({ hotPromotion: { requests: load.answers.length, failed: load.failures.length } })}\n`,
      );
    },
    60_000,
  );
});
