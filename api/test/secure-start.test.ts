import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../src/security/users-file';
import { tempDir } from '../../model/test/helpers';
import { ALICE, basic, ROOT } from './helpers';
import type { RunningServer } from './server-process';
import { copyRegistry, startServer, waitUntil } from './server-process';

const TOKEN = 'a-real-monitoring-token-0123';
const DEV_FILE = join(ROOT, 'api/users.dev.txt');

/** A real users file (dora/explorer-42) with the given mode. */
async function realUsersFile(mode: number): Promise<string> {
  const file = join(tempDir(), 'users.txt');
  writeFileSync(file, `dora:${await hashPassword('explorer-42')}\n`);
  chmodSync(file, mode);
  return file;
}

/** Log lines at warn level (pino's 40). */
function warnings(server: RunningServer): Array<{ msg: string; warnings: string[] }> {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"level":40'))
    .map((line) => JSON.parse(line) as { msg: string; warnings: string[] });
}

async function statusOf(
  server: RunningServer,
): Promise<{ devCredentials: boolean; warnings: Array<{ code: string }> }> {
  return (await fetch(`http://127.0.0.1:${server.port}/status`)).json() as never;
}

async function predictStatus(server: RunningServer, authorization: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${server.port}/predict`, {
    method: 'POST',
    headers: { Authorization: authorization, 'Content-Type': 'application/json' },
    body: '{"X":[5.1,3.5,1.4,0.2]}',
  });
  await res.arrayBuffer();
  return res.status;
}

/** Starts a server, runs `check` on it, and always stops it. */
async function withServer(
  env: Record<string, string>,
  check: (server: RunningServer) => Promise<void>,
): Promise<RunningServer> {
  const server = await startServer({ MODEL_DIR: copyRegistry(), MONITORING_TOKEN: '', ...env });
  try {
    expect(server.port).toBeGreaterThan(0);
    await check(server);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  return server;
}

describe('secure by default (real process)', () => {
  test(
    'when production mode starts with the dev users and no token, then it exits 2 with one line saying what to ' +
      'set and how',
    async () => {
      const server = await startServer({
        MODEL_DIR: copyRegistry(),
        NODE_ENV: 'production',
        USERS_FILE: DEV_FILE,
        MONITORING_TOKEN: '',
      });
      expect(server.port).toBe(-1);
      expect((await server.exited).code).toBe(2);
      const lines = server.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^error: NODE_ENV=production will not serve development credentials: USERS_FILE=\S+users\.dev\.txt is the development users file and MONITORING_TOKEN is unset; /,
      );
      for (const hint of ['npm run users -- add NAME --file', 'Key Vault', 'Kubernetes', 'ALLOW_DEV_CREDENTIALS=true'])
        expect([hint, lines[0]!.includes(hint)]).toEqual([hint, true]);
    },
  );

  test(
    'when production mode is given a renamed, re-commented copy of the dev users file and a token, then it still ' +
      'exits 2 naming USERS_FILE',
    async () => {
      const copy = join(tempDir(), 'prod-users.txt');
      writeFileSync(copy, `# production users\n${readFileSync(DEV_FILE, 'utf8').replace(/^#.*\n/gm, '')}`);
      const server = await startServer({
        MODEL_DIR: copyRegistry(),
        NODE_ENV: 'production',
        USERS_FILE: copy,
        MONITORING_TOKEN: TOKEN,
      });
      expect((await server.exited).code).toBe(2);
      const lines = server.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`USERS_FILE=${copy} is the development users file;`);
      expect(lines[0]).not.toContain('MONITORING_TOKEN is unset');
    },
  );

  test('when ALLOW_DEV_CREDENTIALS is not true or false, then start-up stops with exit 2 and one line', async () => {
    const server = await startServer({ MODEL_DIR: copyRegistry(), ALLOW_DEV_CREDENTIALS: 'yes' });
    expect((await server.exited).code).toBe(2);
    expect(server.output().trim()).toBe('error: invalid ALLOW_DEV_CREDENTIALS="yes": true or false');
  });

  test(
    'when production mode opts in with ALLOW_DEV_CREDENTIALS=true, then it serves, warns once at start and says ' +
      'so in /status; `npm start` mode warns with the same line',
    async () => {
      const optIn = await withServer({ NODE_ENV: 'production', ALLOW_DEV_CREDENTIALS: 'true' }, async (server) => {
        expect(await predictStatus(server, ALICE)).toBe(200);
        expect(await statusOf(server)).toMatchObject({
          devCredentials: true,
          warnings: [{ code: 'dev_users_file' }, { code: 'metrics_open' }],
        });
      });
      const development = await withServer({ NODE_ENV: 'development' }, async (server) => {
        expect(await predictStatus(server, ALICE)).toBe(200);
        expect((await statusOf(server)).devCredentials).toBe(true);
      });
      expect(warnings(optIn)).toHaveLength(1);
      expect(warnings(optIn)[0]).toMatchObject({
        warnings: ['dev_users_file', 'metrics_open'],
        msg: expect.stringMatching(/^insecure credentials: the users file is the development one/),
      });
      expect(warnings(development).map((w) => w.msg)).toEqual(warnings(optIn).map((w) => w.msg));
    },
  );

  test(
    'when production mode has real users (0640) and a token, ' + 'then it serves them only, with no warning',
    async () => {
      const server = await withServer(
        { NODE_ENV: 'production', USERS_FILE: await realUsersFile(0o640), MONITORING_TOKEN: TOKEN },
        async (running) => {
          expect(await predictStatus(running, basic('dora', 'explorer-42'))).toBe(200);
          expect(await predictStatus(running, ALICE)).toBe(401);
          expect(await statusOf(running)).toMatchObject({ devCredentials: false, warnings: [] });
          expect((await fetch(`http://127.0.0.1:${running.port}/metrics`)).status).toBe(401);
        },
      );
      expect(warnings(server)).toEqual([]);
    },
  );

  test(
    'when the real users file is readable by others (0644), then production mode serves and warns once about the ' +
      'mode',
    async () => {
      const server = await withServer(
        { NODE_ENV: 'production', USERS_FILE: await realUsersFile(0o644), MONITORING_TOKEN: TOKEN },
        async (running) => {
          expect(await predictStatus(running, basic('dora', 'explorer-42'))).toBe(200);
          expect(await statusOf(running)).toMatchObject({
            devCredentials: false,
            warnings: [{ code: 'users_file_mode' }],
          });
        },
      );
      expect(warnings(server)).toHaveLength(1);
      expect(warnings(server)[0]!.msg).toContain('mode 0644');
    },
  );

  test(
    'when a running production server sees its users file replaced by the dev users, then it refuses the change, ' +
      'logs it and keeps the real users',
    async () => {
      const file = await realUsersFile(0o600);
      await withServer({ NODE_ENV: 'production', USERS_FILE: file, MONITORING_TOKEN: TOKEN }, async (server) => {
        expect(await predictStatus(server, basic('dora', 'explorer-42'))).toBe(200);
        writeFileSync(file, readFileSync(DEV_FILE, 'utf8'));
        await waitUntil(
          () => server.output().includes('"msg":"users file change refused: still using the previous users"'),
          'the refused users file change',
          10_000,
        );
        expect(await predictStatus(server, ALICE)).toBe(401);
        expect(await predictStatus(server, basic('dora', 'explorer-42'))).toBe(200);
        expect(await statusOf(server)).toMatchObject({ devCredentials: false, warnings: [] });
      });
    },
  );
});
