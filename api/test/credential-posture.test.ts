import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { BasicAuth } from '../src/security/auth';
import { ConfigError, loadConfig } from '../src/config';
import {
  assessCredentials,
  CredentialReview,
  isDevelopmentUsersFile,
  PUBLISHED_USER_ENTRIES,
  publishedUsers,
} from '../src/security/credential-posture';
import { createMetrics } from '../src/observability/metrics';
import { hashPassword, UserTable } from '../src/security/users-file';
import { tempDir } from '../../model/test/helpers';
import { ROOT } from './helpers';

const DEV_FILE = join(ROOT, 'api/users.dev.txt');
const devText = (): string => readFileSync(DEV_FILE, 'utf8');
const TOKEN = 'a-real-monitoring-token-0123';

/** Writes a users file (mode 0600 unless given) and loads it. */
function usersFile(text: string, mode = 0o600): { file: string; table: UserTable } {
  const file = join(tempDir(), 'people.txt');
  writeFileSync(file, text);
  chmodSync(file, mode);
  return { file, table: UserTable.load(file) };
}

/** The dev file's entries, renamed and re-commented, in another order, with CRLF line ends. */
function disguisedDevCopy(): string {
  const entries = devText()
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'));
  return ['# our production users, honest', ...entries.reverse(), ''].join('\r\n');
}

describe('development users file detection', () => {
  test('when the committed dev file is hashed entry by entry, then PUBLISHED_USER_ENTRIES is exactly that', () => {
    const entries = devText()
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const digests = new Map(
      entries.map((line) => [createHash('sha256').update(line).digest('hex'), line.slice(0, line.indexOf(':'))]),
    );
    expect(digests).toEqual(PUBLISHED_USER_ENTRIES);
  });

  test('when a renamed copy has other comments, another order and CRLF, then it is still the development file', () => {
    const { table } = usersFile(disguisedDevCopy());
    expect(isDevelopmentUsersFile(table)).toBe(true);
    expect(publishedUsers(table).sort()).toEqual(['alice', 'bob', 'clementine']);
  });

  test(
    'when a file keeps only alice from the dev file, then it is still the development file (every login it ' +
      'allows is published)',
    () => {
      const alice = devText()
        .split('\n')
        .find((line) => line.startsWith('alice:'))!;
      expect(isDevelopmentUsersFile(usersFile(`${alice}\n`).table)).toBe(true);
    },
  );

  test(
    'when the dev file gets one extra real user, then it is not the development file, but its published users ' +
      'are named',
    async () => {
      const { file, table } = usersFile(`${devText()}dora:${await hashPassword('explorer-42')}\n`);
      expect(isDevelopmentUsersFile(table)).toBe(false);
      expect(publishedUsers(table)).toEqual(['alice', 'bob', 'clementine']);
      const posture = assessCredentials(
        loadConfig({ NODE_ENV: 'production', USERS_FILE: file, MONITORING_TOKEN: TOKEN }),
        table,
      );
      expect(posture.refusal).toBeUndefined();
      expect(posture.warnings.map((w) => w.code)).toEqual(['published_users']);
      expect(posture.devCredentials).toBe(true);
    },
  );

  test(
    'when alice is re-hashed with a new salt (a real ' + 'password change), then she is not a published user',
    async () => {
      const { table } = usersFile(`alice:${await hashPassword('a-new-secret-password')}\n`);
      expect(isDevelopmentUsersFile(table)).toBe(false);
      expect(publishedUsers(table)).toEqual([]);
    },
  );

  test('when the file is empty, then it is not the development file', () => {
    expect(isDevelopmentUsersFile(usersFile('# nobody yet\n').table)).toBe(false);
  });
});

describe('credential posture', () => {
  const dev = (): UserTable => UserTable.load(DEV_FILE);

  test(
    'when production mode has the dev users and no token, then the refusal is one line naming both fixes and the ' +
      'opt-in',
    () => {
      const posture = assessCredentials(loadConfig({ NODE_ENV: 'production', USERS_FILE: DEV_FILE }), dev());
      expect(posture.refusal).toMatch(
        /^NODE_ENV=production will not serve development credentials: USERS_FILE=.*users\.dev\.txt is the development users file and MONITORING_TOKEN is unset; /,
      );
      expect(posture.refusal).toContain('npm run users -- add NAME --file');
      expect(posture.refusal).toContain('Key Vault secret mlship-users');
      expect(posture.refusal).toContain('Key Vault secret mlship-monitoring-token');
      expect(posture.refusal).toContain('ALLOW_DEV_CREDENTIALS=true');
      expect(posture.refusal).not.toContain('\n');
    },
  );

  test('when production mode has real users but no token, then only the token is asked for', async () => {
    const { file, table } = usersFile(`dora:${await hashPassword('explorer-42')}\n`);
    const posture = assessCredentials(loadConfig({ NODE_ENV: 'production', USERS_FILE: file }), table);
    expect(posture.refusal).toMatch(/: MONITORING_TOKEN is unset; set MONITORING_TOKEN/);
    expect(posture.refusal).not.toContain('USERS_FILE=');
  });

  test('when production mode opts in, then nothing is refused and the warnings say what is open', () => {
    const posture = assessCredentials(loadConfig({ NODE_ENV: 'production', ALLOW_DEV_CREDENTIALS: 'true' }), dev());
    expect(posture.refusal).toBeUndefined();
    expect(posture.devCredentials).toBe(true);
    expect(posture.warnings.map((w) => w.code)).toEqual(['dev_users_file', 'metrics_open']);
  });

  test('when outside production mode, then the dev users work with the same warnings and no refusal', () => {
    const posture = assessCredentials(loadConfig({}), dev());
    expect(posture.refusal).toBeUndefined();
    expect(posture.warnings.map((w) => w.code)).toEqual(['dev_users_file', 'metrics_open']);
  });

  test('when real users and a token are set, then production mode has nothing to say', async () => {
    const { file, table } = usersFile(`dora:${await hashPassword('explorer-42')}\n`, 0o640);
    expect(
      assessCredentials(loadConfig({ NODE_ENV: 'production', USERS_FILE: file, MONITORING_TOKEN: TOKEN }), table),
    ).toEqual({ devCredentials: false, warnings: [] });
  });

  test('when a real users file is readable by others (0644), then it gets a warning, not a refusal', async () => {
    const { file, table } = usersFile(`dora:${await hashPassword('explorer-42')}\n`, 0o644);
    const posture = assessCredentials(
      loadConfig({ NODE_ENV: 'production', USERS_FILE: file, MONITORING_TOKEN: TOKEN }),
      table,
    );
    expect(posture.refusal).toBeUndefined();
    expect(posture.warnings).toEqual([{ code: 'users_file_mode', message: expect.stringContaining('mode 0644') }]);
  });

  test(
    'when production mode sees its users file replaced by the dev file, then the reload is refused and the old ' +
      'users stay',
    async () => {
      const { file } = usersFile(`dora:${await hashPassword('explorer-42')}\n`);
      const config = loadConfig({ NODE_ENV: 'production', USERS_FILE: file, MONITORING_TOKEN: TOKEN });
      const auth = new BasicAuth(file, createMetrics(new Registry(), false));
      const review = new CredentialReview(config, auth.table);
      writeFileSync(file, disguisedDevCopy());
      const outcome = auth.reload(review.vet);
      expect(outcome.problem).toMatch(/is the development users file/);
      expect(await auth.table.verify('dora', 'explorer-42')).toBe(true);
      expect(await auth.table.verify('alice', 'wonderland')).toBe(false);
    },
  );

  test.each([
    ['ALLOW_DEV_CREDENTIALS', 'yes', 'invalid ALLOW_DEV_CREDENTIALS="yes": true or false'],
    ['NODE_ENV', 'staging', 'invalid NODE_ENV="staging"'],
    ['MODEL_POLL_INTERVAL_MS', '50', 'invalid MODEL_POLL_INTERVAL_MS="50": 0 (off) or at least 100'],
    ['MODEL_POLL_INTERVAL_MS', '-1', 'invalid MODEL_POLL_INTERVAL_MS="-1"'],
  ])('when %s=%s, then the configuration is refused with one line', (key, value, message) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(message);
  });

  test('when the new settings are unset, then the defaults are development mode, no opt-in and a 2 s poll', () => {
    expect(loadConfig({})).toMatchObject({
      NODE_ENV: 'development',
      ALLOW_DEV_CREDENTIALS: false,
      MODEL_POLL_INTERVAL_MS: 2000,
    });
    expect(loadConfig({ ALLOW_DEV_CREDENTIALS: 'true', MODEL_POLL_INTERVAL_MS: '0' })).toMatchObject({
      ALLOW_DEV_CREDENTIALS: true,
      MODEL_POLL_INTERVAL_MS: 0,
    });
  });
});
