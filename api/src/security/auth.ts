import { createHash, hash, timingSafeEqual } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { TrustedProxies } from './client-address';
import { clientAddressOf, DEFAULT_TRUSTED_PROXIES } from './client-address';
import { ApiError } from '../http/errors';
import type { ApiMetrics } from '../observability/metrics';
import { FixedWindowLimiter } from './rate-limit';
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
/** Client addresses with failures remembered at once; under a flood of addresses the oldest go. */
const FAILING_ADDRESSES_LIMIT = 10_000;

/** What a users file reload did: the new users, or why the old ones stay. */
export type ReloadOutcome = { table: UserTable; problem?: undefined } | { problem: string; table?: undefined };

/** How BasicAuth tells clients apart, and its clock (tests move it by hand). */
export interface BasicAuthOptions {
  /** Proxies whose X-Forwarded-For names the client (TRUST_PROXY); loopback when not given. */
  trustProxy?: TrustedProxies;
  now?: () => number;
}

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
 * file changes. A client address (as the trusted proxies name it) with repeated failures is
 * throttled with 429 for the rest of the window, so passwords cannot be guessed at full speed.
 * The throttle only stops credentials not verified yet, and stops them before any scrypt: a user
 * whose login is cached passes even when someone else behind the same address keeps failing.
 */
export class BasicAuth {
  private users: UserTable;
  private readonly verified = new Map<string, string>();
  private readonly failures: FixedWindowLimiter;
  private readonly clientAddress: (req: IncomingMessage) => string;
  private readonly pending = new Map<string, Promise<boolean>>();
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    private readonly file: string,
    private readonly metrics: ApiMetrics,
    options: BasicAuthOptions = {},
  ) {
    this.users = UserTable.load(file);
    this.failures = new FixedWindowLimiter(
      FAILURES_BEFORE_THROTTLE,
      FAILURE_WINDOW_MS,
      options.now,
      FAILING_ADDRESSES_LIMIT,
    );
    this.clientAddress = clientAddressOf(options.trustProxy ?? DEFAULT_TRUSTED_PROXIES);
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
  readonly middleware = (
    req: IncomingMessage,
    res: { locals: Record<string, unknown> },
    next: (error?: unknown) => void,
  ): void => {
    const header = req.headers.authorization;
    // No credentials is the challenge step, not a guess: always 401, never counted against the
    // address or throttled (a client's first request often carries none).
    if (!header) {
      this.metrics.authFailures.inc();
      next(unauthorized('credentials required (HTTP Basic)'));
      return;
    }
    // One-shot hash: createHash() builds a Hash object per call, several times the cost here.
    const digest = hash('sha256', header, 'base64');
    // A login verified before passes whatever its address did since: others' failures behind the
    // same proxy or NAT never lock a user out.
    const known = this.verified.get(digest);
    if (known !== undefined) {
      res.locals.user = known;
      next();
      return;
    }
    // Anything else from a throttled address is refused before it costs an scrypt.
    const client = this.clientAddress(req);
    const throttle = this.failures.peek(client);
    if (throttle.limited) {
      this.metrics.rateLimited.inc();
      next(
        new ApiError('rate_limited', 'too many failed logins from this address; try again later', undefined, {
          'Retry-After': String(throttle.resetSeconds),
        }),
      );
      return;
    }
    const credentials = parseBasic(header);
    if (!credentials) {
      this.fail(client, next, 'Authorization must be "Basic base64(user:password)"');
      return;
    }
    this.verifyOnce(digest, credentials.user, credentials.password).then(
      (ok) => {
        if (!ok) {
          this.fail(client, next, 'wrong user name or password');
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

  private fail(client: string, next: (error?: unknown) => void, message: string): void {
    this.metrics.authFailures.inc();
    this.failures.hit(client);
    next(unauthorized(message));
  }
}

function unauthorized(message: string): ApiError {
  return new ApiError('unauthorized', message, undefined, {
    'WWW-Authenticate': 'Basic realm="mlship", charset="UTF-8"',
  });
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
    const given = createHash('sha256')
      .update(header.startsWith('Bearer ') ? header.slice(7) : '')
      .digest();
    if (header.startsWith('Bearer ') && timingSafeEqual(given, expected)) return next();
    next(
      new ApiError('unauthorized', 'a valid bearer token is required for /metrics', undefined, {
        'WWW-Authenticate': 'Bearer realm="metrics"',
      }),
    );
  };
}
