import { randomUUID } from 'node:crypto';
import express from 'express';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { BasicAuth } from './auth';
import type { Config } from './config';
import type { AppContext, Variant } from './context';
import { ApiError, errorBody } from './errors';
import type { Logger } from './logging';
import type { ApiMetrics } from './metrics';
import type { ModelStore } from './model-store';
import type { PredictionLog } from './prediction-log';
import { healthRoutes } from './routes/health';
import { modelRoutes } from './routes/models';
import { oipRoutes } from './routes/oip';
import { opsRoutes } from './routes/ops';
import { predictRoutes } from './routes/predict';

/** What `createApp` needs; everything is injected so tests run without ports or globals. */
export interface AppDeps {
  config: Config;
  registry: ModelStore;
  metrics: ApiMetrics;
  logger: Logger;
  auth?: BasicAuth;
  predictionLog?: PredictionLog;
  /** Set by the server while it drains; readiness turns 503. */
  lifecycle?: { draining: boolean };
}

/** Rows of a batch whose inputs feed the drift histogram: enough for a distribution, bounded per request. */
const DRIFT_SAMPLE_ROWS = 64;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the Express app. It never listens: `server.ts` does. */
export function createApp(deps: AppDeps): Express {
  const { config, registry: models, metrics, logger, predictionLog } = deps;
  const lifecycle = deps.lifecycle ?? { draining: false };
  const auth = deps.auth ?? new BasicAuth(config.USERS_FILE, metrics);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('etag', false);

  app.use(observe(metrics, logger));
  app.use((_req, res, next) => {
    // Decided when the headers go out, not when the request came in: a request in flight when the
    // drain starts also tells its keep-alive client (or nginx) not to reuse the connection.
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((...args: Parameters<typeof writeHead>) => {
      if (lifecycle.draining) res.setHeader('Connection', 'close');
      return writeHead(...args);
    }) as typeof writeHead;
    next();
  });
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'] },
      },
    }),
  );

  const limiter = rateLimit({
    windowMs: 60_000,
    limit: config.RATE_LIMIT_PER_MINUTE,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Runs after authentication, so the key is the verified user, never a claimed one.
    keyGenerator: (_req, res) => `user:${String(res.locals.user)}`,
    handler: (_req, _res, next) => {
      metrics.rateLimited.inc();
      next(new ApiError('rate_limited', `more than ${config.RATE_LIMIT_PER_MINUTE} requests per minute for this user; slow down`));
    },
  });
  const parseJson = express.json({ limit: config.BODY_LIMIT, strict: false, type: () => true });
  const requireJson: RequestHandler = (req, _res, next) => {
    if (!req.is('application/json')) {
      next(new ApiError('unsupported_media_type', `send the body as application/json (got ${req.get('content-type') ?? 'no Content-Type'})`));
      return;
    }
    next();
  };

  const ctx: AppContext = {
    config,
    models,
    metrics,
    logger,
    ...(predictionLog ? { predictionLog } : {}),
    protect: [auth.middleware, limiter],
    json: [requireJson, parseJson],
    isReady: () => models.ready && !lifecycle.draining,
    draining: () => lifecycle.draining,
    variantOf: (header) => (header === 'debug' ? 'v2' : config.API_VARIANT),
    modelFor: (variant: Variant) => {
      const model = models.get(variant === 'v2' ? config.AB_MODEL_NAME : config.MODEL_NAME);
      // Draining does not refuse: a request that got here is in flight and is allowed to finish.
      if (!model) throw new ApiError('not_ready', 'the model is not loaded yet');
      return model;
    },
    record: (model, variant, rows, labels, seconds, requestId, output) => {
      metrics.inferenceDuration.observe({ model: model.name, variant }, seconds);
      const perClass = new Map<string, number>();
      for (const label of labels) perClass.set(label, (perClass.get(label) ?? 0) + 1);
      for (const [label, count] of perClass) metrics.predictions.inc({ model: model.name, version: model.version, variant, class: label }, count);
      const sample = Math.min(rows.length, DRIFT_SAMPLE_ROWS);
      for (let i = 0; i < sample; i++) {
        const row = rows[i]!;
        model.featureNames.forEach((feature, j) => {
          metrics.featureValue.observe({ model: model.name, feature }, ((row[j] as number) - (model.mean[j] as number)) / (model.std[j] as number));
        });
      }
      predictionLog?.write({ time: new Date().toISOString(), requestId, model: model.name, version: model.version, variant, input: rows, output });
    },
  };

  app.use(healthRoutes(ctx));
  app.use(predictRoutes(ctx));
  app.use(modelRoutes(ctx));
  app.use(oipRoutes(ctx));
  app.use(opsRoutes(ctx));
  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new ApiError('not_found', `no route ${req.method} ${req.path}; see /docs`));
  });
  app.use(errorHandler(logger));
  return app;
}

/** Request id, in-flight gauge, request metrics with route templates, and one log line per request. */
function observe(metrics: ApiMetrics, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const given = req.get('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    metrics.inFlight.inc();
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      metrics.inFlight.dec();
      const route = routeTemplate(req);
      const labels = { method: req.method, route, status: String(res.statusCode) };
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
      logger.info({ reqId: requestId, method: req.method, route, path: req.path.slice(0, 200), status: res.statusCode, ms: Math.round(seconds * 1e5) / 100, user: res.locals.user as string | undefined }, 'request');
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  };
}

/** The matched route's template (`/models/:name`), never the raw path, so label values stay few. */
function routeTemplate(req: Request): string {
  const route = req.route as { path?: string | string[] } | undefined;
  if (!route?.path) return 'unmatched';
  return Array.isArray(route.path) ? route.path[0]! : route.path;
}

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

/** The one error middleware: every error becomes the contract's JSON (the protocol's under /v2). */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const api = toApiError(error);
    if (api.status >= 500 && api.code !== 'not_ready') logger.error({ err: error, reqId: res.locals.requestId as string }, 'request failed');
    res.status(api.status).set(api.headers);
    if (req.path.startsWith('/v2')) res.json({ error: api.message, code: api.code });
    else res.json(errorBody(api));
  };
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const parser = error as BodyParserError;
  switch (parser.type) {
    case 'entity.too.large':
      return new ApiError('payload_too_large', 'the request body is larger than BODY_LIMIT');
    case 'entity.parse.failed':
      return new ApiError('malformed_json', `the body is not valid JSON: ${(error as Error).message.slice(0, 120)}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError('unsupported_media_type', (error as Error).message);
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ApiError('invalid_input', (error as Error).message);
  }
  if (parser.status && parser.status >= 400 && parser.status < 500 && parser.expose) return new ApiError('invalid_input', (error as Error).message);
  return new ApiError('internal', 'internal error');
}
