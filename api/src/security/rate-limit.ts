import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../http/errors';
import { setResponseHeader } from '../http/response-headers';

/** One key's count in its current window. */
interface Window {
  hits: number;
  resetAt: number;
}

/** What a hit found: whether it is over the limit, what is left, and when the window ends. */
export interface RateLimitInfo {
  limited: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * Fixed-window counts per key (requests of a verified user; failed logins of a client address): at most `limit` hits
 * from a key's first hit until `windowMs` later, then a new window. Synchronous on purpose: express-rate-limit, which
 * this replaces, awaits its store several times per request, and on POST /predict that cost about
 * a tenth of the throughput. Keys idle for a whole window are forgotten, so memory follows the
 * number of active users, never the number ever seen.
 */
export class FixedWindowLimiter {
  private current = new Map<string, Window>();
  private previous = new Map<string, Window>();
  private rotateAt: number;

  /** `maxKeys` bounds memory when keys are not users (client addresses): the oldest go first. */
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = Number.POSITIVE_INFINITY,
  ) {
    this.rotateAt = now() + windowMs;
  }

  /** Counts one request for `key`. */
  hit(key: string): RateLimitInfo {
    const now = this.now();
    let window = this.liveWindow(key, now);
    if (!window) {
      this.makeRoom();
      window = { hits: 0, resetAt: now + this.windowMs };
      this.current.set(key, window);
    }
    window.hits++;
    return this.info(window.hits > this.limit, window, now);
  }

  /** What a hit would find now, without counting one: `limited` when the key has no hits left. */
  peek(key: string): RateLimitInfo {
    const now = this.now();
    const window = this.liveWindow(key, now);
    if (!window) return this.info(false, { hits: 0, resetAt: now + this.windowMs }, now);
    return this.info(window.hits >= this.limit, window, now);
  }

  /** The key's window if it has not ended yet (moved into the current map), after rotating the maps when due. */
  private liveWindow(key: string, now: number): Window | undefined {
    if (now >= this.rotateAt) {
      // Keys untouched since the last rotation are dropped; a live window moves over when hit.
      this.previous = now >= this.rotateAt + this.windowMs ? new Map<string, Window>() : this.current;
      this.current = new Map<string, Window>();
      this.rotateAt = now + this.windowMs;
    }
    let window = this.current.get(key);
    if (!window) {
      window = this.previous.get(key);
      if (!window) return undefined;
      this.previous.delete(key);
      this.current.set(key, window);
    }
    if (window.resetAt > now) return window;
    this.current.delete(key);
    return undefined;
  }

  private makeRoom(): void {
    // Under a flood of distinct keys, forget the oldest rather than grow without bound.
    while (this.size > 0 && this.size >= this.maxKeys) {
      const from = this.previous.size > 0 ? this.previous : this.current;
      from.delete(from.keys().next().value as string);
    }
  }

  private info(limited: boolean, window: Window, now: number): RateLimitInfo {
    return {
      limited,
      limit: this.limit,
      remaining: Math.max(0, this.limit - window.hits),
      resetSeconds: Math.max(0, Math.ceil((window.resetAt - now) / 1000)),
    };
  }

  /** Keys with a window now (for tests and for the bound on memory). */
  get size(): number {
    return this.current.size + this.previous.size;
  }
}

/**
 * Middleware for Express and plain node:http alike, after authentication: counts the request
 * against `keyOf` (the verified user), sets the IETF draft-7 `RateLimit-Policy` and `RateLimit`
 * headers on every answer, and refuses with 429 and `Retry-After` over the limit.
 */
export function rateLimitMiddleware(
  limiter: FixedWindowLimiter,
  keyOf: (res: { locals: Record<string, unknown> }) => string,
  onLimited: () => void,
): (
  req: IncomingMessage,
  res: ServerResponse & { locals: Record<string, unknown> },
  next: (error?: unknown) => void,
) => void {
  const policy = `${limiter.limit};w=${Math.ceil(limiter.windowMs / 1000)}`;
  return (_req, res, next) => {
    const info = limiter.hit(keyOf(res));
    setResponseHeader(res, 'RateLimit-Policy', policy);
    setResponseHeader(res, 'RateLimit', `limit=${info.limit}, remaining=${info.remaining}, reset=${info.resetSeconds}`);
    if (!info.limited) return next();
    onLimited();
    next(
      new ApiError(
        'rate_limited',
        `more than ${limiter.limit} requests per minute for this user; slow down`,
        undefined,
        { 'Retry-After': String(info.resetSeconds) },
      ),
    );
  };
}
