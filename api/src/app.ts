import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express from 'express';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { BasicAuth } from './security/auth';
import type { BatchPredictor } from './prediction/batch-predictor';
import type { Config } from './config';
import type { AppContext } from './context';
import { CredentialReview } from './security/credential-posture';
import { sendError } from './http/error-response';
import { ApiError } from './http/errors';
import type { Logger } from './observability/logging';
import type { ApiMetrics } from './observability/metrics';
import type { ModelStore } from './models/model-store';
import { predictHandler } from './routes/predict-fast-path';
import type { PredictionLog } from './observability/prediction-log';
import { predictionRecorder } from './observability/prediction-recorder';
import { predictionStep } from './prediction/prediction-step';
import type { RequestPipeline } from './http/pipeline';
import { predictStages, requestPipeline } from './http/pipeline';
import { healthRoutes } from './routes/health';
import { modelRoutes, modelScoreRoutes } from './routes/models';
import { oipRoutes } from './routes/oip';
import { opsRoutes } from './routes/ops';
import { predictRoutes } from './routes/predict';
import type { Variant } from './models/variant';

/** What `createApp` needs; everything is injected so tests run without ports or globals. */
export interface AppDeps {
  config: Config;
  /** The served models (not to be confused with `metrics.registry`, prom-client's). */
  models: ModelStore;
  metrics: ApiMetrics;
  logger: Logger;
  auth?: BasicAuth;
  /** The credential posture /status reports; reviewed from `config` and the users when not given. */
  credentials?: CredentialReview;
  predictionLog?: PredictionLog;
  /** Predicts large batches off the event loop (server.ts starts it; in-process apps predict inline). */
  batchPredictor?: BatchPredictor;
  /** Set by the server while it drains; readiness turns 503. */
  lifecycle?: { draining: boolean };
}

/**
 * Builds the request listener from one request pipeline (pipeline.ts): POST /predict on the plain
 * node:http fast path, every other route on Express, both running the pipeline's stages. It never
 * listens: `server.ts` does.
 */
export function createApp(deps: AppDeps): RequestListener {
  const lifecycle = deps.lifecycle ?? { draining: false };
  const auth =
    deps.auth ?? new BasicAuth(deps.config.USERS_FILE, deps.metrics, { trustProxy: deps.config.TRUST_PROXY });
  const pipeline = requestPipeline({
    config: deps.config,
    metrics: deps.metrics,
    logger: deps.logger,
    auth,
    lifecycle,
  });
  const ctx = appContext(deps, pipeline, { auth, lifecycle });
  const app = expressApp(ctx, pipeline);
  const predict = predictHandler(ctx, predictStages(pipeline));
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && (req.url === '/predict' || req.url?.startsWith('/predict?'))) predict(req, res);
    else app(req, res);
  };
}

/** What route modules share: the dependencies, the pipeline's route stages, and small decisions. */
function appContext(
  deps: AppDeps,
  pipeline: RequestPipeline,
  made: { auth: BasicAuth; lifecycle: { draining: boolean } },
): AppContext {
  const { config, models, metrics, logger, predictionLog } = deps;
  const { lifecycle } = made;
  return {
    config,
    models,
    metrics,
    logger,
    credentials: deps.credentials ?? new CredentialReview(config, made.auth.table),
    protect: pipeline.protect,
    json: pipeline.json,
    isReady: () => models.ready && !lifecycle.draining,
    draining: () => lifecycle.draining,
    modelFor: (variant: Variant) => {
      const model = models.forVariant(variant);
      // Draining does not refuse: a request that got here is in flight and is allowed to finish.
      if (!model) throw new ApiError('not_ready', 'the model is not loaded yet');
      return model;
    },
    predict: predictionStep({
      config,
      record: predictionRecorder(metrics, predictionLog),
      logger,
      batchPredictor: deps.batchPredictor,
    }),
  };
}

/** Every route but POST /predict: the pipeline's stages for every request, the routes, 404, errors. */
function expressApp(ctx: AppContext, pipeline: RequestPipeline): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // req.ip and req.protocol believe the same proxies the login throttle does.
  app.set('trust proxy', ctx.config.TRUST_PROXY);
  app.set('etag', false);
  app.use(...(pipeline.everyRequest as unknown as RequestHandler[]));
  app.use(healthRoutes(ctx));
  app.use(predictRoutes());
  app.use(modelRoutes(ctx));
  app.use(oipRoutes(ctx));
  app.use(opsRoutes(ctx));
  // Last: `/:name` answers only for a served model, and every route above keeps its path.
  app.use(modelScoreRoutes(ctx));
  app.use((req: Request, _res, next) => {
    next(new ApiError('not_found', `no route ${req.method} ${req.path}; see /docs`));
  });
  const errors: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    sendError(req, res, error, ctx.logger);
  };
  app.use(errors);
  return app;
}
