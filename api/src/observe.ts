import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from './logging';
import type { ApiMetrics } from './metrics';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Starts observing one request, on Express and plain node:http alike: takes or makes its
 * X-Request-Id (echoed and kept in `locals.requestId`), counts it in flight, and when it ends
 * records the request metrics under the route template `routeOf` gives and writes one log line.
 */
export function observeRequest(
  req: IncomingMessage,
  res: ServerResponse & { locals: Record<string, unknown> },
  metrics: ApiMetrics,
  logger: Logger,
  routeOf: () => string,
): void {
  const started = process.hrtime.bigint();
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.locals.requestId = requestId;
  res.setHeader('X-Request-Id', requestId);
  metrics.inFlight.inc();
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    metrics.inFlight.dec();
    const route = routeOf();
    const labels = { method: req.method ?? 'UNKNOWN', route, status: String(res.statusCode) };
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.child(metrics.httpRequests, labels).inc();
    metrics.child(metrics.httpDuration, labels).observe(seconds);
    const path = (req.url ?? '').split('?')[0]!.slice(0, 200);
    logger.info({ reqId: requestId, method: req.method, route, path, status: res.statusCode, ms: Math.round(seconds * 1e5) / 100, user: res.locals.user as string | undefined }, 'request');
  };
  res.on('finish', finish);
  res.on('close', finish);
}
