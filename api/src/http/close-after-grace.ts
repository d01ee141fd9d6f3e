import type { Server } from 'node:http';

/** How often the grace looks for connections still open. */
const POLL_MS = 50;

/** Why the listener closed: no connection was left, or the grace ran out with some still open. */
export type GraceEnd = 'no connection left' | 'grace ended';

/** How long a drain keeps the listener and idle keep-alive connections open: 2 s, or half a shorter timeout. */
export function idleCloseGraceMs(shutdownTimeoutMs: number): number {
  return Math.min(2000, Math.floor(shutdownTimeoutMs / 2));
}

/**
 * Calls `close` once `server` has no connection left or `graceMs` has passed, whichever comes first:
 * the grace is for clients still holding a keep-alive connection (server.ts's drain says why), and
 * a server whose clients have all gone need not wait for it.
 */
export function closeAfterGrace(server: Server, graceMs: number, close: (why: GraceEnd) => void): void {
  const ends = Date.now() + graceMs;
  const check = (): void => {
    server.getConnections((error, count) => {
      if (!error && count > 0 && Date.now() < ends) {
        setTimeout(check, POLL_MS);
        return;
      }
      close(!error && count === 0 ? 'no connection left' : 'grace ended');
    });
  };
  check();
}
