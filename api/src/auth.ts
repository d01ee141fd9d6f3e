import { createHash, hash, timingSafeEqual } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { clientAddress } from './client-address';
import { ApiError } from './errors';
import type { ApiMetrics } from './metrics';
import { UserTable } from './users-file';

const CACHE_LIMIT = 1024;
/**
 * scrypt holds 16 MiB while it runs, in a libuv thread whose malloc arena keeps it afterwards:
 * two at a time bounds that memory; identical headers arriving together share one verification.
 */
const CONCURRENT_VERIFICATIONS = 2;
const FAILURE_WINDOW_MS = 60_000;
/** Failed attempts per client address in a window before it is throttled. */
export const FAILURES_BEFORE_THROTTLE = 10;

/** What a users file reload did: the new users, or why the old ones stay. */
export type ReloadOutcome = { table: UserTable; problem?: undefined } | { problem: string; table?: undefined };

/** Hooks for the users file watch. */
export interface UsersFileEvents {
  /** Checks a freshly read file; a returned problem keeps the previous users. */
  vet?: (table: UserTable) => string | undefined;
  /** Told after every reload the watch makes. */
  reloaded?: (outcome: ReloadOutcome) => void;
}

/**
 * HTTP Basic authentication against a users file.
 *
 * scrypt is deliberately slow, so a verified Authorization header is remembered in a bounded cache
 * keyed by its sha256 (the header itself is never stored). The cache is dropped when the users
 * file changes. A client address with repeated failures is throttled with 429 for the rest of the
 * window, so passwords cannot be guessed at full speed.
 */
export class BasicAuth {
  private users: UserTable;
  private readonly verified = new Map<string, string>();
  private readonly failures = new Map<string, { count: number; resetAt: number }>();
  private readonly pending = new Map<string, Promise<boolean>>();
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    private readonly file: string,
    private readonly metrics: ApiMetrics,
    private readonly now: () => number = Date.now,
  ) {
    this.users = UserTable.load(file);
  }

  /** The users in force now. */
  get table(): UserTable {
    return this.users;
  }

  /** Re-reads the users file when it changes (polling, which also works on mounted secrets). */
  watch(intervalMs = 2000, events: UsersFileEvents = {}): void {
    watchFile(this.file, { interval: intervalMs, persistent: false }, () => {
      const outcome = this.reload(events.vet);
      events.reloaded?.(outcome);
    });
  }

  close(): void {
    unwatchFile(this.file);
  }

  /**
   * Loads the users file again and forgets every cached login. A broken file, or one that `vet`
   * refuses, keeps the old users; the outcome says which.
   */
  reload(vet?: (table: UserTable) => string | undefined): ReloadOutcome {
    let table: UserTable;
    try {
      table = UserTable.load(this.file);
    } catch (error) {
      return { problem: (error as Error).message };
    }
    const problem = vet?.(table);
    if (problem) return { problem };
    this.users = table;
    this.verified.clear();
    return { table };
  }

  /**
   * Middleware for Express and for plain node:http requests alike: sets `res.locals.user` or
   * fails with 401 (or 429 when throttled).
   */
  readonly middleware = (req: IncomingMessage, res: { locals: Record<string, unknown> }, next: (error?: unknown) => void): void => {
    const header = req.headers.authorization;
    // No credentials is the challenge step, not a guess: always 401, never counted or throttled.
    if (!header) {
      this.metrics.authFailures.inc();
      next(unauthorized('credentials required (HTTP Basic)'));
      return;
    }
    // Resolving the (possibly forwarded) client address costs more than a cached login: only when
    // some address has failed is it needed before the credentials are looked at.
    const client = this.failures.size > 0 ? clientAddress(req) : undefined;
    const throttle = client === undefined ? undefined : this.failures.get(client);
    if (throttle && throttle.count >= FAILURES_BEFORE_THROTTLE && throttle.resetAt > this.now()) {
      this.metrics.rateLimited.inc();
      const retryAfter = Math.ceil((throttle.resetAt - this.now()) / 1000);
      next(new ApiError('rate_limited', 'too many failed logins from this address; try again later', undefined, { 'Retry-After': String(retryAfter) }));
      return;
    }
    // One-shot hash: createHash() builds a Hash object per call, several times the cost here.
    const digest = hash('sha256', header, 'base64');
    const known = this.verified.get(digest);
    if (known !== undefined) {
      res.locals.user = known;
      next();
      return;
    }
    const credentials = parseBasic(header);
    if (!credentials) {
      this.fail(req, next, 'Authorization must be "Basic base64(user:password)"');
      return;
    }
    this.verifyOnce(digest, credentials.user, credentials.password).then(
      (ok) => {
        if (!ok) {
          this.fail(req, next, 'wrong user name or password');
          return;
        }
        if (this.verified.size >= CACHE_LIMIT) this.verified.delete(this.verified.keys().next().value as string);
        this.verified.set(digest, credentials.user);
        res.locals.user = credentials.user;
        next();
      },
      (error: unknown) => next(error),
    );
  };

  /** One verification per distinct header at a time, at most CONCURRENT_VERIFICATIONS running. */
  private verifyOnce(digest: string, user: string, password: string): Promise<boolean> {
    const shared = this.pending.get(digest);
    if (shared) return shared;
    const users = this.users;
    const run = new Promise<void>((resolve) => {
      if (this.running < CONCURRENT_VERIFICATIONS) resolve();
      else this.queue.push(resolve);
    })
      .then(() => {
        this.running++;
        return users.verify(user, password);
      })
      .finally(() => {
        this.running--;
        this.pending.delete(digest);
        this.queue.shift()?.();
      });
    this.pending.set(digest, run);
    return run;
  }

  private fail(req: IncomingMessage, next: (error?: unknown) => void, message: string): void {
    this.metrics.authFailures.inc();
    const client = clientAddress(req);
    const now = this.now();
    const entry = this.failures.get(client);
    if (!entry || entry.resetAt <= now) {
      if (this.failures.size >= 10_000) this.sweep(now);
      this.failures.set(client, { count: 1, resetAt: now + FAILURE_WINDOW_MS });
    } else {
      entry.count++;
    }
    next(unauthorized(message));
  }

  private sweep(now: number): void {
    for (const [client, entry] of this.failures) if (entry.resetAt <= now) this.failures.delete(client);
    // Under a flood of distinct addresses, forget the oldest rather than grow without bound.
    while (this.failures.size >= 10_000) this.failures.delete(this.failures.keys().next().value as string);
  }
}

function unauthorized(message: string): ApiError {
  return new ApiError('unauthorized', message, undefined, { 'WWW-Authenticate': 'Basic realm="mlship", charset="UTF-8"' });
}

function parseBasic(header: string): { user: string; password: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const at = decoded.indexOf(':');
  if (at <= 0) return undefined;
  return { user: decoded.slice(0, at), password: decoded.slice(at + 1) };
}

/** Express middleware for `/metrics`: demands `Bearer <token>` when a token is configured. */
export function bearerToken(token: string | undefined): RequestHandler {
  const expected = token ? createHash('sha256').update(token).digest() : undefined;
  return (req, _res, next) => {
    if (!expected) return next();
    const header = req.headers.authorization ?? '';
    // Comparing fixed-length digests keeps the comparison constant-time whatever the token length.
    const given = createHash('sha256').update(header.startsWith('Bearer ') ? header.slice(7) : '').digest();
    if (header.startsWith('Bearer ') && timingSafeEqual(given, expected)) return next();
    next(new ApiError('unauthorized', 'a valid bearer token is required for /metrics', undefined, { 'WWW-Authenticate': 'Bearer realm="metrics"' }));
  };
}

