import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** scrypt cost: 16 MiB and ~50 ms per hash here, so guessing is slow; verified logins are cached. */
const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, params: ScryptOptions & { N: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { ...params, maxmem: 128 * params.N * (params.r ?? 8) * 2 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$salt$hash` (base64) for a new password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** A parsed hash; malformed entries make the users file invalid at load time, not at login. */
interface StoredHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(text: string): StoredHash | undefined {
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((v) => Number.isInteger(v) && v > 0) || (N & (N - 1)) !== 0) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length !== KEY_LENGTH) return undefined;
  return { N, r, p, salt, key };
}

// Unknown users are checked against this, so they cost the same time as a wrong password.
const DUMMY: StoredHash = { ...PARAMS, salt: Buffer.alloc(16, 7), key: Buffer.alloc(KEY_LENGTH) };

/** The users of a users file: `name:scrypt$…` per line; `#` comments and blank lines allowed. */
export class UserTable {
  private constructor(
    private readonly users: Map<string, StoredHash>,
    /** sha256 (hex) of each `name:hash` entry as written, by user name: what identifies a published entry. */
    readonly entryDigests: ReadonlyMap<string, string>,
  ) {}

  /** Reads and validates a users file; throws an Error naming the file and line at fault. */
  static load(file: string): UserTable {
    const users = new Map<string, StoredHash>();
    const digests = new Map<string, string>();
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const at = line.indexOf(':');
      const hash = at > 0 ? parseHash(line.slice(at + 1)) : undefined;
      if (!hash)
        throw new Error(
          `${file}:${i + 1}: expected "name:scrypt$N$r$p$salt$hash" (make one with \`npm run users -- add NAME\`)`,
        );
      users.set(line.slice(0, at), hash);
      digests.set(line.slice(0, at), createHash('sha256').update(line).digest('hex'));
    });
    return new UserTable(users, digests);
  }

  get size(): number {
    return this.users.size;
  }

  /** True when `password` is `user`'s; takes the same time whether or not the user exists. */
  async verify(user: string, password: string): Promise<boolean> {
    const stored = this.users.get(user);
    const target = stored ?? DUMMY;
    const key = await derive(password, target.salt, target);
    return timingSafeEqual(key, target.key) && stored !== undefined;
  }
}
