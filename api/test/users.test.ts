import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import request from 'supertest';
import { BasicAuth } from '../src/security/auth';
import { createMetrics } from '../src/observability/metrics';
import { UserTable } from '../src/security/users-file';
import { tempDir } from '../../model/test/helpers';
import { ALICE, basic, makeApp, ROOT } from './helpers';
import { waitUntil } from './server-process';

describe('users file', () => {
  test('when the committed dev file is read, then alice, bob and clementine verify and others do not', async () => {
    const users = UserTable.load(join(ROOT, 'api/users.dev.txt'));
    expect(users.size).toBe(3);
    expect(await users.verify('alice', 'wonderland')).toBe(true);
    expect(await users.verify('bob', 'builder')).toBe(true);
    expect(await users.verify('clementine', 'mandarine')).toBe(true);
    expect(await users.verify('alice', 'Wonderland')).toBe(false);
    expect(await users.verify('nobody', 'wonderland')).toBe(false);
  });

  test('when `npm run users -- add` is given a password on stdin, then the new user can log in', async () => {
    const file = join(tempDir(), 'users.txt');
    copyFileSync(join(ROOT, 'api/users.dev.txt'), file);
    const result = spawnSync(
      process.execPath,
      [join(ROOT, 'dist/api/src/security/users-cli.js'), 'add', 'dora', '--file', file],
      { input: 'explorer-42\n', encoding: 'utf8' },
    );
    expect(result.status).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^dora:scrypt\$16384\$8\$1\$/m);
    expect(await UserTable.load(file).verify('dora', 'explorer-42')).toBe(true);
    const short = spawnSync(
      process.execPath,
      [join(ROOT, 'dist/api/src/security/users-cli.js'), 'add', 'eve', '--file', file],
      { input: 'short\n', encoding: 'utf8' },
    );
    expect(short.status).toBe(2);
    expect(short.stderr).toMatch(/^error: the password needs at least 8 characters/);
  });

  test('when a line is malformed, then loading names the file and line', () => {
    const file = join(tempDir(), 'users.txt');
    writeFileSync(file, 'alice:plaintext\n');
    expect(() => UserTable.load(file)).toThrow(`${file}:1: expected "name:scrypt$N$r$p$salt$hash"`);
  });

  test('when the users file changes, then cached logins are dropped and the new file applies', async () => {
    const file = join(tempDir(), 'users.txt');
    copyFileSync(join(ROOT, 'api/users.dev.txt'), file);
    const metrics = createMetrics(new Registry(), false);
    const auth = new BasicAuth(file, metrics);
    auth.watch(20);
    try {
      const { app } = makeApp({}, { auth, metrics });
      const send = (header: string) =>
        request(app)
          .post('/predict')
          .set('Authorization', header)
          .send({ X: [5.1, 3.5, 1.4, 0.2] });
      expect((await send(ALICE)).status).toBe(200);
      // alice is removed: her cached login must not outlive the file.
      writeFileSync(
        file,
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => !l.startsWith('alice:'))
          .join('\n'),
      );
      await waitUntil(async () => (await send(ALICE)).status === 401, 'the edited users file to apply');
      expect((await send(basic('bob', 'builder'))).status).toBe(200);
    } finally {
      auth.close();
    }
  });
});
