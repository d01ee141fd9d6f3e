import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from './logging';
import type { ApiMetrics } from './metrics';
import { setResponseHeader } from '../http/response-headers';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** `/metrics` as Express routes it: any case, an optional trailing slash, any query. */
const SCRAPE = /^\/metrics\/?(?:\?|$)/i;

/**
 * Starts observing one request, on Express and plain node:http alike: takes or makes its
 * X-Request-Id (echoed and kept in `locals.requestId`), counts it in flight (a `/metrics` scrape
 * is not: autoscalers read that gauge, and each would count itself), and when it ends
 * records the request metrics under the route template `routeOf` gives and writes one log line.
 */
export function observeRequest(
  req: IncomingMessage,
  res: ServerResponse & { locals: Record<string, unknown> },
  metrics: ApiMetrics,
  logger: Logger,
  routeOf: () => string,
): void {
  const started = performance.now();
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.locals.requestId = requestId;
  setResponseHeader(res, 'X-Request-Id', requestId);
  const inFlight = !SCRAPE.test(req.url ?? '');
  if (inFlight) metrics.inFlight.inc();
  // 'close' comes once per response, after 'finish' or when the connection dies first: one listener.
  res.once('close', () => {
    if (inFlight) metrics.inFlight.dec();
    const route = routeOf();
    const seconds = (performance.now() - started) / 1000;
    const { requests, duration } = metrics.requestHandles(req.method ?? 'UNKNOWN', route, res.statusCode);
    requests.inc();
    duration.observe(seconds);
    const path = (req.url ?? '').split('?')[0]!.slice(0, 200);
    logger.info(
      {
        reqId: requestId,
        method: req.method,
        route,
        path,
        status: res.statusCode,
        ms: Math.round(seconds * 1e5) / 100,
        user: res.locals.user as string | undefined,
      },
      'request',
    );
  });
}
