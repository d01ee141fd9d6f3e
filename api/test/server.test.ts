import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainedModelDir, ALICE } from './helpers';
import { copyRegistry, startServer, waitUntil } from './server-process';

async function predict(port: number, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/predict`, {
    method: 'POST',
    headers: { Authorization: ALICE, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ X: [5.1, 3.5, 1.4, 0.2] }),
  });
}

describe('server lifecycle (real process, port 0)', () => {
  test(
    'when SIGTERM arrives during a request, then readiness drops, new connections are answered 503 with ' +
      'Connection: close for the grace and refused after it, the request completes and it exits 0',
    async () => {
      const server = await startServer({ MODEL_DIR: copyRegistry() });
      const body = JSON.stringify({ X: [6.7, 3.0, 5.2, 2.3] });
      // Send the headers and half the body, so the request is in flight when the signal lands.
      const socket = connect(server.port, '127.0.0.1');
      let response = '';
      socket.on('data', (d) => (response += d.toString()));
      await new Promise((r) => socket.once('connect', r));
      socket.write(
        `POST /predict HTTP/1.1\r\nHost: x\r\nAuthorization: ${ALICE}\r\nContent-Type: ` +
          `application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
      );
      await new Promise((r) => setTimeout(r, 100));
      server.child.kill('SIGTERM');
      await waitUntil(() => server.output().includes('"msg":"draining"'), 'the draining line');
      const inGrace = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      expect(inGrace.status).toBe(503);
      expect(inGrace.headers.get('connection')).toBe('close');
      // The half-sent request keeps the process draining past the grace (2 s), when the listener closes.
      await waitUntil(
        () =>
          fetch(`http://127.0.0.1:${server.port}/readyz`).then(
            () => false,
            () => true,
          ),
        'the listener to close',
      );
      socket.write(body.slice(10));
      const { code } = await server.exited;
      expect(response).toMatch(/^HTTP\/1.1 200 OK/);
      expect(response).toContain('"prediction":"virginica"');
      expect(response).toMatch(/Connection: close/i);
      expect(code).toBe(0);
      expect(server.output()).toContain('"msg":"draining"');
    },
  );

  test('when a second signal arrives while draining, then it exits at once without waiting for requests', async () => {
    const server = await startServer({ MODEL_DIR: copyRegistry(), SHUTDOWN_TIMEOUT_MS: '60000' });
    // A request that never finishes its body keeps the drain waiting.
    const socket = connect(server.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(
      `POST /predict HTTP/1.1\r\nHost: x\r\nAuthorization: ${ALICE}\r\nContent-Type: ` +
        `application/json\r\nContent-Length: 100\r\n\r\n{"X":`,
    );
    await new Promise((r) => setTimeout(r, 100));
    server.child.kill('SIGTERM');
    await waitUntil(() => server.output().includes('"msg":"draining"'), 'the draining line');
    server.child.kill('SIGTERM');
    // Exits long before the 60 s drain deadline; non-zero because requests were cut off.
    expect((await server.exited).code).toBe(1);
    expect(server.output()).toContain('second signal: exiting now');
    socket.destroy();
  });

  // 3 requests leave their log lines buffered, so the exit flush is the first write to fail;
  // 200 fill the buffer, so a background write fails first.
  test.each([3, 200])(
    'when whoever read its logs has gone (stdout is a closed pipe), then it serves %i requests and SIGTERM still ' +
      'stops it',
    async (requests) => {
      const server = await startServer({ MODEL_DIR: copyRegistry() });
      // Close our end of its stdout pipe: every later log write meets EPIPE.
      server.child.stdout!.destroy();
      for (let i = 0; i < requests; i++) expect((await predict(server.port)).status).toBe(200);
      server.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const exited = await Promise.race([
        server.exited,
        new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 8000))),
      ]);
      clearTimeout(timer);
      if (exited === 'hung') server.child.kill('SIGKILL');
      expect(exited).toMatchObject({ code: 0 });
    },
  );

  test(
    'when SIGHUP finds a corrupt new version, ' + 'then it keeps serving the old one; a good one is swapped in',
    async () => {
      const dir = copyRegistry();
      const server = await startServer({ MODEL_DIR: dir });
      try {
        const before = (await predict(server.port)).headers.get('x-model-version')!;
        // Promote a copy of the version with one byte changed: it fails verification.
        const corrupt = 'abcdefabcdef';
        cpSync(join(dir, 'M1', before), join(dir, 'M1', corrupt), { recursive: true });
        const file = join(dir, 'M1', corrupt, 'model.json');
        writeFileSync(file, readFileSync(file, 'utf8').replace('"k": 11', '"k": 12'));
        writeFileSync(join(dir, 'M1', 'current'), `${corrupt}\n`);
        server.child.kill('SIGHUP');
        await waitUntil(
          () => server.output().includes('reload failed: still serving the previous models'),
          'the reload failure',
        );
        const during = await predict(server.port);
        expect(during.status).toBe(200);
        expect(during.headers.get('x-model-version')).toBe(before);
        writeFileSync(join(dir, 'M1', 'current'), `${before}\n`);
        server.child.kill('SIGHUP');
        await waitUntil(() => server.output().includes('reloaded promoted models'), 'the reload');
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    },
  );

  test(
    'when the promoted model is missing or corrupt, ' + 'then it exits non-zero with one line naming the file',
    async () => {
      const dir = copyRegistry();
      const version = readFileSync(join(dir, 'M2', 'current'), 'utf8').trim();
      const file = join(dir, 'M2', version, 'model.json');
      writeFileSync(file, readFileSync(file, 'utf8').slice(0, 500));
      const server = await startServer({ MODEL_DIR: dir, LOG_LEVEL: 'silent' });
      expect((await server.exited).code).toBe(1);
      expect(server.output().trim()).toBe(`error: ${file}: not valid JSON (truncated or edited?)`);
      const empty = await startServer({ MODEL_DIR: mkdtempSync(join(tmpdir(), 'mlship-empty-')), LOG_LEVEL: 'silent' });
      expect((await empty.exited).code).toBe(1);
      expect(empty.output()).toMatch(/M1\/current: no promoted version/);
    },
  );

  test('when bytes that are not HTTP arrive, then the answer is still a JSON 400', async () => {
    const server = await startServer({ MODEL_DIR: copyRegistry() });
    try {
      const socket = connect(server.port, '127.0.0.1');
      let response = '';
      socket.on('data', (d) => (response += d.toString()));
      await new Promise((r) => socket.once('connect', r));
      socket.write('THIS IS NOT HTTP\r\n\r\n');
      await new Promise((r) => socket.once('close', r));
      expect(response).toMatch(/^HTTP\/1.1 400 Bad Request/);
      expect(JSON.parse(response.split('\r\n\r\n')[1]!)).toEqual({
        error: { code: 'invalid_input', message: 'the request is not valid HTTP/1.1' },
      });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  test('when a setting is invalid, then start-up stops with one line naming the variable', async () => {
    for (const [key, value, hint] of [
      ['PORT', 'eighty', 'PORT'],
      ['MAX_BATCH', '0', 'MAX_BATCH'],
      ['API_VARIANT', 'v3', 'API_VARIANT'],
      ['BODY_LIMIT', '1gb', 'BODY_LIMIT'],
    ] as const) {
      const server = await startServer({ MODEL_DIR: trainedModelDir(), [key]: value });
      expect((await server.exited).code).toBe(2);
      const lines = server.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^error: invalid ${hint}="${value}": `));
    }
  });
});
