import { cpSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALICE } from './helpers';
import { copyRegistry, rawConnection, sleep, startServer, waitUntil } from './server-process';

const ROW = JSON.stringify({ X: [6.7, 3.0, 5.2, 2.3] });
const predictHead = (length: number): string =>
  `POST /predict HTTP/1.1\r\nHost: x\r\nAuthorization: ${ALICE}\r\nContent-Type: ` +
  `application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('drain on SIGTERM (real process)', () => {
  test(
    'when slow uploads are in flight at SIGTERM, then readiness answers 503 first, every upload completes with ' +
      '200, and it exits 0 before SHUTDOWN_TIMEOUT_MS',
    async () => {
      const timeoutMs = 8000;
      const server = await startServer({ MODEL_DIR: copyRegistry(), SHUTDOWN_TIMEOUT_MS: String(timeoutMs) });
      // Five clients that trickle their body one byte at a time, and one that has half-sent a readiness probe.
      const uploads = await Promise.all(Array.from({ length: 5 }, () => rawConnection(server.port)));
      for (const u of uploads) u.socket.write(predictHead(ROW.length));
      const probe = await rawConnection(server.port);
      probe.socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\n');
      await sleep(100);
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      await waitUntil(() => server.output().includes('"msg":"draining"'), 'the draining line');
      probe.socket.write('\r\n');
      await waitUntil(() => probe.received().includes('\r\n\r\n{'), 'the readiness answer');
      expect(probe.received()).toMatch(/^HTTP\/1.1 503 /);
      expect(probe.received()).toContain('"code":"not_ready"');
      // About 1.5 s of upload after the signal: longer than any probe period, shorter than the timeout.
      for (let i = 0; i < ROW.length; i++) {
        for (const u of uploads) u.socket.write(ROW[i]!);
        await sleep(1500 / ROW.length);
      }
      const { code, atMs } = await server.exited;
      for (const u of uploads) {
        expect(u.received()).toMatch(/^HTTP\/1.1 200 OK/);
        expect(u.received()).toContain('"prediction":"virginica"');
        expect(u.received()).toMatch(/Connection: close/i);
      }
      expect(code).toBe(0);
      expect(atMs - signalled).toBeLessThan(timeoutMs);
      expect(server.output()).toContain('"msg":"drained; bye"');
    },
  );

  test(
    'when a keep-alive client reuses its idle connection just after SIGTERM, then it is answered 200 with ' +
      'Connection: close, and a connection left idle is closed after the grace, exit 0 well before the timeout',
    async () => {
      const timeoutMs = 8000;
      const server = await startServer({ MODEL_DIR: copyRegistry(), SHUTDOWN_TIMEOUT_MS: String(timeoutMs) });
      const request = `${predictHead(ROW.length)}${ROW}`;
      const [reused, left] = await Promise.all([rawConnection(server.port), rawConnection(server.port)]);
      for (const client of [reused, left]) {
        client.socket.write(request);
        await waitUntil(() => client.received().includes('"prediction"'), 'the answer before the signal');
        expect(client.received()).toMatch(/Connection: keep-alive/i);
      }
      const before = reused.received().length;
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      await waitUntil(() => server.output().includes('"msg":"draining"'), 'the draining line');
      reused.socket.write(request);
      await waitUntil(() => reused.received().slice(before).includes('"prediction"'), 'the answer after the signal');
      const after = reused.received().slice(before);
      expect(after).toMatch(/^HTTP\/1.1 200 OK/);
      expect(after).toMatch(/Connection: close/i);
      await reused.closed;
      // The idle one sent nothing: the drain closes it after its grace (2 s), not at the timeout.
      await left.closed;
      const { code, atMs } = await server.exited;
      expect(code).toBe(0);
      expect(atMs - signalled).toBeLessThan(timeoutMs);
      expect(left.received()).not.toContain('HTTP/1.1 503');
      expect(server.output()).toContain('"why":"grace ended","msg":"listener closing"');
    },
  );

  test('when no connection is open at SIGTERM, then the listener closes without waiting for the grace', async () => {
    const server = await startServer({ MODEL_DIR: copyRegistry() });
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    expect(code).toBe(0);
    expect(server.output()).toContain('"why":"no connection left","msg":"listener closing"');
  });

  test(
    'when an upload never finishes, then the process gives ' + 'up after SHUTDOWN_TIMEOUT_MS, says so and exits 1',
    async () => {
      const timeoutMs = 1500;
      const server = await startServer({ MODEL_DIR: copyRegistry(), SHUTDOWN_TIMEOUT_MS: String(timeoutMs) });
      const stuck = await rawConnection(server.port);
      stuck.socket.write(`${predictHead(ROW.length)}${ROW.slice(0, 5)}`);
      await sleep(100);
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      const { code, atMs } = await server.exited;
      expect(code).toBe(1);
      expect(atMs - signalled).toBeGreaterThanOrEqual(timeoutMs - 50);
      // Bounded by the setting, not by the client: well before the client would ever finish.
      expect(atMs - signalled).toBeLessThan(timeoutMs * 3);
      expect(server.output()).toContain('in-flight requests did not finish in time');
      stuck.socket.destroy();
    },
  );
});

/** Ways a promoted model can be broken on disk: each gets the file path and returns nothing. */
const CORRUPTIONS: Array<[string, (dir: string, version: string) => string, RegExp]> = [
  [
    'a truncated model.json',
    (dir, v) => truncate(join(dir, 'M1', v, 'model.json')),
    /not valid JSON \(truncated or edited\?\)$/,
  ],
  [
    'a bit-flipped model.json',
    (dir, v) => flipBit(join(dir, 'M1', v, 'model.json')),
    /(sha256 mismatch|not valid JSON)/,
  ],
  [
    'a wrong-format model.json',
    (dir, v) =>
      rewrite(join(dir, 'M1', v, 'model.json'), (t) =>
        t.replace(/"format":\s*"[^"]+"/, '"format": "sklearn-pickle/1"'),
      ),
    /wrong format "sklearn-pickle\/1"; expected/,
  ],
  [
    'a model.json that is a JSON array',
    (dir, v) => rewrite(join(dir, 'M1', v, 'model.json'), () => '[1,2,3]\n'),
    /not a model artifact/,
  ],
  ['an empty model.json', (dir, v) => rewrite(join(dir, 'M1', v, 'model.json'), () => ''), /not valid JSON/],
  ['a missing model.json', (dir, v) => remove(join(dir, 'M1', v, 'model.json')), /file not found$/],
  ['a missing current', (dir) => remove(join(dir, 'M1', 'current')), /no promoted version/],
  [
    'a current that names no version',
    (dir) => rewrite(join(dir, 'M1', 'current'), () => '../../etc/passwd\n'),
    /not a version id$/,
  ],
  [
    'a current that names a missing version',
    (dir) => rewrite(join(dir, 'M1', 'current'), () => '0123456789ab\n'),
    /file not found$/,
  ],
];

function rewrite(file: string, change: (text: string) => string): string {
  writeFileSync(file, change(readFileSync(file, 'utf8')));
  return file;
}
function truncate(file: string): string {
  const bytes = readFileSync(file);
  writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
  return file;
}
function flipBit(file: string): string {
  const bytes = readFileSync(file);
  // A digit inside the model's numbers: still valid JSON, so only the digest can catch it.
  const at = bytes.indexOf('"kdTree"') + 200;
  const digit = bytes.indexOf('5', at);
  bytes[digit] = bytes[digit]! ^ 0x01;
  writeFileSync(file, bytes);
  return file;
}
function remove(file: string): string {
  unlinkSync(file);
  return file;
}

describe('broken models (real process)', () => {
  test.each(CORRUPTIONS)(
    'when the promoted model has %s, then start-up stops with exit 1 and one line naming the file',
    async (_what, corrupt, reason) => {
      const dir = copyRegistry();
      const version = readFileSync(join(dir, 'M1', 'current'), 'utf8').trim();
      corrupt(dir, version);
      const server = await startServer({ MODEL_DIR: dir, LOG_LEVEL: 'silent' });
      expect(server.port).toBe(-1);
      expect((await server.exited).code).toBe(1);
      const lines = server.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toMatch(reason);
      expect(lines[0]).toContain(join(dir, 'M1'));
    },
  );

  test(
    'when SIGHUP finds each kind of broken promotion in turn, ' + 'then it keeps serving the old version every time',
    async () => {
      const dir = copyRegistry();
      // The promotion watch off: this is about SIGHUP alone (reliability-promotion tests the watch).
      const server = await startServer({ MODEL_DIR: dir, MODEL_POLL_INTERVAL_MS: '0' });
      const good = readFileSync(join(dir, 'M1', 'current'), 'utf8').trim();
      const predict = async (): Promise<{ status: number; version: string | null }> => {
        const res = await fetch(`http://127.0.0.1:${server.port}/predict`, {
          method: 'POST',
          headers: { Authorization: ALICE, 'Content-Type': 'application/json' },
          body: ROW,
        });
        return { status: res.status, version: res.headers.get('x-model-version') };
      };
      try {
        let failures = 0;
        for (const [what, corrupt] of CORRUPTIONS) {
          // Each case promotes a broken copy under a new version id, as a bad deploy would.
          const bad = (0xabc000000000 + failures).toString(16);
          const copy = copyRegistry();
          corrupt(copy, good);
          rmSync(join(dir, 'M1', bad), { recursive: true, force: true });
          try {
            cpSync(join(copy, 'M1', good), join(dir, 'M1', bad), { recursive: true });
          } catch {
            // The corruption removed the version itself: the pointer then names a missing directory.
          }
          writeFileSync(
            join(dir, 'M1', 'current'),
            /current/.test(what) ? (what.includes('names no') ? 'garbage\n' : `${'f'.repeat(12)}\n`) : `${bad}\n`,
          );
          server.child.kill('SIGHUP');
          failures++;
          const reported = (): number =>
            (server.output().match(/reload failed: still serving the previous models/g) ?? []).length;
          await waitUntil(() => reported() >= failures, `the reload failure for ${what}`);
          expect([what, reported()]).toEqual([what, failures]);
          expect([what, await predict()]).toEqual([what, { status: 200, version: good }]);
          expect([what, (await fetch(`http://127.0.0.1:${server.port}/readyz`)).status]).toEqual([what, 200]);
        }
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    },
  );
});
