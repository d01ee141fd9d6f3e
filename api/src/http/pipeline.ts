import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BasicAuth } from '../security/auth';
import type { Config } from '../config';
import { bodyLimitBytes } from '../config';
import { jsonBody } from './json-body';
import { accessLogger } from '../observability/logging';
import type { Logger } from '../observability/logging';
import type { ApiMetrics } from '../observability/metrics';
import { observeRequest } from '../observability/observe';
import { FixedWindowLimiter, rateLimitMiddleware } from '../security/rate-limit';
import { setResponseHeader } from './response-headers';
import { helmetHeaders } from '../security/security-headers';

export type LocalsResponse = ServerResponse & { locals: Record<string, unknown> };

/**
 * One stage of the request pipeline, connect-style: it works on plain node:http objects, so the
 * same function runs under Express and on the POST /predict fast path.
 */
export type Middleware = (req: IncomingMessage, res: LocalsResponse, next: (error?: unknown) => void) => unknown;

/**
 * The request pipeline, declared once. Express runs `everyRequest` for every request and each
 * route adds `protect` and `json` as it needs them; the POST /predict fast path runs
 * `predictStages` (the same functions, in the same order), so security headers, request ids,
 * metrics, drain handling, auth and the rate limit cannot differ between the two.
 */
export interface RequestPipeline {
  /** Request id + metrics + access log, the security headers, then `Connection: close` while draining. */
  everyRequest: Middleware[];
  /** Basic auth, then the per-user rate limit (keyed by the verified user, so it comes second). */
  protect: Middleware[];
  /** The JSON body reader with the contract's 413/415/400 errors. */
  json: Middleware[];
}

export interface PipelineDeps {
  config: Config;
  metrics: ApiMetrics;
  /** The access log's lines come from this logger's `accessLogger` child. */
  logger: Logger;
  auth: BasicAuth;
  lifecycle: { draining: boolean };
}

// Helmet's defaults plus what the Swagger UI page at /docs needs (its own scripts, inline styles,
// data: images). One set for every route: a JSON answer never loads anything, so the page's
// allowances cost it nothing.
const CONTENT_SECURITY_POLICY = {
  directives: { 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'] },
};

export function requestPipeline({ config, metrics, logger, auth, lifecycle }: PipelineDeps): RequestPipeline {
  const limiter = rateLimitMiddleware(
    new FixedWindowLimiter(config.RATE_LIMIT_PER_MINUTE, 60_000),
    (res) => `user:${String(res.locals.user)}`,
    () => metrics.rateLimited.inc(),
  );
  return {
    everyRequest: [
      observeStage(metrics, accessLogger(logger)),
      securityHeadersStage(),
      closeWhileDrainingStage(lifecycle),
    ],
    protect: [auth.middleware, limiter],
    json: [jsonBody(bodyLimitBytes(config.BODY_LIMIT))],
  };
}

/** What POST /predict runs before its handler: every stage a protected JSON route runs on Express. */
export function predictStages(pipeline: RequestPipeline): Middleware[] {
  return [...pipeline.everyRequest, ...pipeline.protect, ...pipeline.json];
}

/**
 * Request id, in-flight gauge, request metrics and the access line. The route label is the one
 * the request was answered under: `locals.route` when the fast path set it, else Express's
 * matched route template (`/models/:name`, never the raw path, so label values stay few).
 */
function observeStage(metrics: ApiMetrics, accessLog: Logger): Middleware {
  return (req, res, next) => {
    observeRequest(req, res, metrics, accessLog, () => (res.locals.route as string | undefined) ?? routeTemplate(req));
    next();
  };
}

function routeTemplate(req: IncomingMessage): string {
  const route = (req as IncomingMessage & { route?: { path?: string | string[] } }).route;
  if (!route?.path) return 'unmatched';
  return Array.isArray(route.path) ? route.path[0]! : route.path;
}

/** helmet's headers, worked out once at start-up and set on every answer, errors included. */
function securityHeadersStage(): Middleware {
  const headers = helmetHeaders({ contentSecurityPolicy: CONTENT_SECURITY_POLICY });
  return (_req, res, next) => {
    for (const [name, value] of headers) setResponseHeader(res, name, value);
    next();
  };
}

/**
 * Decided when the headers go out, not when the request came in: a request in flight when the
 * drain starts also tells its keep-alive client (or nginx) not to reuse the connection.
 */
function closeWhileDrainingStage(lifecycle: { draining: boolean }): Middleware {
  return (_req, res, next) => {
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((...args: Parameters<typeof writeHead>) => {
      // Gathered headers: the list is writeHead's own argument, so the header joins it.
      if (lifecycle.draining) setResponseHeader(res, 'Connection', 'close');
      return writeHead(...args);
    }) as typeof writeHead;
    next();
  };
}

/** Runs stages in order on plain node:http objects; the first error (or throw) goes to `done`. */
export function runStages(
  stages: readonly Middleware[],
  req: IncomingMessage,
  res: LocalsResponse,
  done: (error?: unknown) => void,
): void {
  let index = 0;
  const next = (error?: unknown): void => {
    if (error !== undefined && error !== null) return done(error);
    const stage = stages[index++];
    if (!stage) return done();
    try {
      const result = stage(req, res, next);
      if (result instanceof Promise) result.catch(done);
    } catch (thrown) {
      done(thrown);
    }
  };
  next();
}
