import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { productionSecretProblems } from '../scripts/check-production-secrets';
import { credentialsPolicy } from './support/policy-credentials';
import type { Workspace } from './support/render';
import { K8S_DIR, makeWorkspace, PRODUCTION_SECRETS_FIXTURE, ROOT, renderCombination } from './support/render';

const CHECK = join(K8S_DIR, 'scripts', 'check-production-secrets.ts');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

let fresh: Workspace;

beforeAll(() => {
  fresh = makeWorkspace({ freshClone: true });
});

afterAll(() => fresh?.cleanup());

describe('a fresh clone (no secret file written)', () => {
  test(
    'when the kind overlay is rendered, then it needs no ' + 'manual step and carries the development credentials',
    () => {
      const docs = renderCombination(fresh, 'kind', []);
      expect(docs.filter((d) => d.kind === 'Secret')).toHaveLength(1);
      expect(credentialsPolicy('kind')(docs)).toEqual([]);
    },
  );

  test('when the production overlay is rendered, then kustomize refuses and names the missing file', () => {
    expect(() => renderCombination(fresh, 'production', [])).toThrow(/base\/secrets\/secrets\.env: no such file/);
  });

  test('when the deploy checks the secrets, then one line says what to write, and it exits 2', () => {
    const run = spawnSync(TSX, [CHECK, '--dir', join(fresh.dir, 'base', 'secrets')], { encoding: 'utf8', cwd: ROOT });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(
      /secrets\.env is missing: write MONITORING_TOKEN=.*users\.txt is missing: make one with `npm run users -- add NAME/,
    );
  });
});

describe('check-production-secrets', () => {
  let work: Workspace;
  const dir = (): string => join(work.dir, 'base', 'secrets');

  beforeEach(() => {
    work = makeWorkspace();
  });

  afterEach(() => work.cleanup());

  test('when the files hold a random token and real users, then they pass', () => {
    expect(productionSecretProblems(dir())).toEqual([]);
    const run = spawnSync(TSX, [CHECK, '--dir', dir()], { encoding: 'utf8', cwd: ROOT });
    expect(run.status).toBe(0);
  });

  test("when the token is the example placeholder or kind's, then it is refused", () => {
    writeFileSync(join(dir(), 'secrets.env'), readFileSync(join(K8S_DIR, 'base', 'secrets', 'secrets.example.env')));
    expect(productionSecretProblems(dir()).join('\n')).toMatch(/MONITORING_TOKEN is a published placeholder/);
    copyFileSync(join(K8S_DIR, 'overlays', 'kind', 'dev-credentials', 'monitoring.env'), join(dir(), 'secrets.env'));
    expect(productionSecretProblems(dir()).join('\n')).toMatch(/MONITORING_TOKEN is a published placeholder/);
    writeFileSync(join(dir(), 'secrets.env'), 'MONITORING_TOKEN=short\n');
    expect(productionSecretProblems(dir()).join('\n')).toMatch(/MONITORING_TOKEN has 5 characters, fewer than 32/);
  });

  test('when the users file holds a published development user beside real ones, then it is refused', () => {
    const devUsers = readFileSync(join(ROOT, 'api', 'users.dev.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('bob:'));
    writeFileSync(
      join(dir(), 'users.txt'),
      `${readFileSync(join(PRODUCTION_SECRETS_FIXTURE, 'users.txt'), 'utf8')}${devUsers.join('\n')}\n`,
    );
    expect(productionSecretProblems(dir())).toEqual([
      expect.stringMatching(/holds the published development user\(s\) bob: remove them/),
    ]);
  });

  test('when the users file is empty or malformed, then the problem names the file and line', () => {
    writeFileSync(join(dir(), 'users.txt'), '# nobody yet\n');
    expect(productionSecretProblems(dir()).join('\n')).toMatch(/users\.txt has no user/);
    writeFileSync(join(dir(), 'users.txt'), 'carol:plaintext\n');
    expect(productionSecretProblems(dir()).join('\n')).toMatch(/users\.txt:1: expected "name:scrypt/);
  });
});
