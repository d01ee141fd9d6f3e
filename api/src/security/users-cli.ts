import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../../../model/src/atomic-write';
import { hashPassword, UserTable } from './users-file';

const USAGE = 'npm run users -- add NAME [--file api/users.dev.txt]   (the password is read from standard input)';

function fail(message: string): never {
  process.stderr.write(`error: ${message}; usage: ${USAGE}\n`);
  process.exit(2);
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/** Adds or replaces a user in a users file with an scrypt hash of the password from stdin. */
async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: { file: { type: 'string', default: process.env.USERS_FILE || 'api/users.dev.txt' } },
      allowPositionals: true,
    });
  } catch (error) {
    fail((error as Error).message);
  }
  const [command, name, ...rest] = parsed.positionals;
  if (command !== 'add' || !name || rest.length > 0) fail('expected: add NAME');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) fail(`"${name}" is not a user name (letters, digits, . _ -)`);
  const password = await readPassword();
  if (password.length < 8) fail('the password needs at least 8 characters');
  const file = parsed.values.file;
  const kept = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.trim() && !line.startsWith(`${name}:`))
    : [];
  writeFileAtomic(file, [...kept, `${name}:${await hashPassword(password)}`].join('\n') + '\n');
  UserTable.load(file);
  process.stdout.write(`${name} added to ${file}\n`);
}

void main();
