import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express from 'express';
import type { ErrorRequestHandler, Request, Response } from 'express';
import { BasicAuth } from './auth';
import type { Config } from './config';
import type { AppContext, Variant } from './context';
import { CredentialReview } from './credential-posture';
import { sendError } from './error-response';
import { bodyLimitBytes } from './config';
import { ApiError } from './errors';
import { jsonBody } from './json-body';
import { accessLogger } from './logging';
import type { Logger } from './logging';
import type { ApiMetrics } from './metrics';
import type { ModelStore } from './model-store';
import { observeRequest } from './observe';
import type { Middleware } from './predict-fast-path';
import { predictHandler } from './predict-fast-path';
import type { PredictionLog } from './prediction-log';
import { predictionRecorder } from './prediction-recorder';
import { FixedWindowLimiter, rateLimitMiddleware } from './rate-limit';
import { helmetHeaders } from './security-headers';
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
  /** The credential posture /status reports; reviewed from `config` and the users when not given. */
  credentials?: CredentialReview;
  predictionLog?: PredictionLog;
  /** Set by the server while it drains; readiness turns 503. */
  lifecycle?: { draining: boolean };
}

/**
 * Builds the request listener: POST /predict on the plain node:http fast path, every other route
 * on Express. Both share one context (auth, rate limit store, metrics, logger, models). It never
 * listens: `server.ts` does.
 */
export function createApp(deps: AppDeps): RequestListener {
  const { config, registry: models, metrics, logger, predictionLog } = deps;
  const lifecycle = deps.lifecycle ?? { draining: false };
  const access = accessLogger(logger);
  const auth = deps.auth ?? new BasicAuth(config.USERS_FILE, metrics, { trustProxy: config.TRUST_PROXY });
  const credentials = deps.credentials ?? new CredentialReview(config, auth.table);

  const headers = helmetHeaders({
    contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'] } },
  });
  const securityHeaders: Middleware = (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
  // Decided when the headers go out, not when the request came in: a request in flight when the
  // drain starts also tells its keep-alive client (or nginx) not to reuse the connection.
  const closeWhileDraining: Middleware = (_req, res, next) => {
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((...args: Parameters<typeof writeHead>) => {
      if (lifecycle.draining) res.setHeader('Connection', 'close');
      return writeHead(...args);
    }) as typeof writeHead;
    next();
  };
  // Runs after authentication, so the key is the verified user, never a claimed one.
  const limiter = rateLimitMiddleware(
    new FixedWindowLimiter(config.RATE_LIMIT_PER_MINUTE, 60_000),
    (res) => `user:${String(res.locals.user)}`,
    () => metrics.rateLimited.inc(),
  );
  const parseJson = jsonBody(bodyLimitBytes(config.BODY_LIMIT)) as Middleware;

  const ctx: AppContext = {
    config,
    models,
    metrics,
    logger,
    accessLog: access,
    credentials,
    protect: [auth.middleware, limiter],
    json: [parseJson],
    isReady: () => models.ready && !lifecycle.draining,
    draining: () => lifecycle.draining,
    variantOf: (header) => (header === 'debug' ? 'v2' : config.API_VARIANT),
    modelFor: (variant: Variant) => {
      const model = models.get(variant === 'v2' ? config.AB_MODEL_NAME : config.MODEL_NAME);
      // Draining does not refuse: a request that got here is in flight and is allowed to finish.
      if (!model) throw new ApiError('not_ready', 'the model is not loaded yet');
      return model;
    },
    record: predictionRecorder(metrics, predictionLog),
  };

  const app = express();
  app.disable('x-powered-by');
  // req.ip and req.protocol believe the same proxies the login throttle does.
  app.set('trust proxy', config.TRUST_PROXY);
  app.set('etag', false);
  app.use((req: Request, res: Response, next) => {
    observeRequest(req, res, metrics, access, () => routeTemplate(req));
    next();
  });
  app.use(securityHeaders as unknown as express.RequestHandler, closeWhileDraining as unknown as express.RequestHandler);
  app.use(healthRoutes(ctx));
  app.use(predictRoutes());
  app.use(modelRoutes(ctx));
  app.use(oipRoutes(ctx));
  app.use(opsRoutes(ctx));
  app.use((req: Request, _res, next) => {
    next(new ApiError('not_found', `no route ${req.method} ${req.path}; see /docs`));
  });
  const errors: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    sendError(req, res, error, logger);
  };
  app.use(errors);

  const predict = predictHandler(ctx, [securityHeaders, auth.middleware, limiter, parseJson]);
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && (req.url === '/predict' || req.url?.startsWith('/predict?'))) predict(req, res);
    else app(req, res);
  };
}

/** The matched route's template (`/models/:name`), never the raw path, so label values stay few. */
function routeTemplate(req: Request): string {
  const route = req.route as { path?: string | string[] } | undefined;
  if (!route?.path) return 'unmatched';
  return Array.isArray(route.path) ? route.path[0]! : route.path;
}
