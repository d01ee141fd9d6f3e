/**
 * Checks the two git-ignored files the production overlay turns into the Secret mlship-secrets
 * (k8s/base/secrets/secrets.env and users.txt) before anything is applied:
 *
 *   npx tsx k8s/scripts/check-production-secrets.ts [--dir k8s/base/secrets]
 *
 * Exits 2 with one line naming what to write when a file is missing, the token is a placeholder
 * or the published development one, or the users file holds a published development user.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs, parseEnv } from 'node:util';
import { UserTable } from '../../api/src/security/users-file';
import { ROOT } from '../../scripts/support/repo-root';

const DEFAULT_DIR = join(ROOT, 'k8s', 'base', 'secrets');
/** The published development credentials a production Secret must never hold. */
const DEV_USERS_FILE = join(ROOT, 'api', 'users.dev.txt');
const DEV_TOKEN_FILE = join(ROOT, 'k8s', 'overlays', 'kind', 'dev-credentials', 'monitoring.env');
/** Shorter tokens are guessable; `openssl rand -hex 32` gives 64 characters. */
const MIN_TOKEN_LENGTH = 32;

function userLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

function tokenProblems(file: string, shown: string): string[] {
  if (!existsSync(file))
    return [
      `${shown} is missing: write MONITORING_TOKEN=<a random token> into it (the deploy workflow does, from the ` +
        `MONITORING_TOKEN secret)`,
    ];
  const token =
    (parseEnv(readFileSync(file, 'utf8')) as Record<string, string | undefined>).MONITORING_TOKEN?.trim() ?? '';
  const devToken = (parseEnv(readFileSync(DEV_TOKEN_FILE, 'utf8')) as Record<string, string | undefined>)
    .MONITORING_TOKEN;
  if (!token)
    return [`${shown} has no MONITORING_TOKEN: add MONITORING_TOKEN=<a random token> (e.g. openssl rand -hex 32)`];
  if (token.startsWith('change-me') || token === devToken)
    return [`${shown}: MONITORING_TOKEN is a published placeholder: set a random token (e.g. openssl rand -hex 32)`];
  if (token.length < MIN_TOKEN_LENGTH)
    return [
      `${shown}: MONITORING_TOKEN has ${token.length} characters, fewer than ${MIN_TOKEN_LENGTH}: set a random ` +
        `token (e.g. openssl rand -hex 32)`,
    ];
  return [];
}

function usersProblems(file: string, shown: string): string[] {
  const make = `make one with \`npm run users -- add NAME --file ${shown}\``;
  if (!existsSync(file))
    return [`${shown} is missing: ${make} (the deploy workflow writes it from the MLSHIP_USERS_FILE secret)`];
  let size: number;
  try {
    size = UserTable.load(file).size;
  } catch (e) {
    return [e instanceof Error ? e.message.replace(file, shown) : `${shown}: ${String(e)}`];
  }
  if (size === 0) return [`${shown} has no user: ${make}`];
  const published = new Set(userLines(DEV_USERS_FILE));
  const devUsers = userLines(file)
    .filter((line) => published.has(line))
    .map((line) => line.slice(0, line.indexOf(':')));
  if (devUsers.length > 0)
    return [`${shown} holds the published development user(s) ${devUsers.join(', ')}: remove them and ${make}`];
  return [];
}

/** A path as the user typed it: relative to the working directory when under it. */
function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** Every problem with the production secret files in `dir`; empty when they are fit to deploy. */
export function productionSecretProblems(dir: string): string[] {
  const shown = (name: string): string => display(join(dir, name));
  return [
    ...tokenProblems(join(dir, 'secrets.env'), shown('secrets.env')),
    ...usersProblems(join(dir, 'users.txt'), shown('users.txt')),
  ];
}

function main(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string', default: DEFAULT_DIR } } });
  const problems = productionSecretProblems(resolve(values.dir));
  if (problems.length > 0) {
    console.error(problems.join('; '));
    return 2;
  }
  console.log(
    `production secrets in ${display(resolve(values.dir))}: a monitoring token and real users, no development ` +
      `credential`,
  );
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 2;
  }
}
