import { Router } from 'express';
import type { AppContext } from '../context';
import { ApiError } from '../http/errors';
import { allow } from './method-not-allowed';

/** Liveness, readiness and the status summary: no auth, cheap, never touch the model files. */
export function healthRoutes(ctx: AppContext): Router {
  const router = Router();
  const started = Date.now();
  router
    .route('/status')
    .get((_req, res) => {
      const { devCredentials, warnings } = ctx.credentials.current;
      res.json({
        status: 'ok',
        service: 'mlship-api',
        variant: ctx.config.API_VARIANT,
        ready: ctx.isReady(),
        models: ctx.models.all().map((m) => ({ name: m.name, version: m.version, sha256: m.sha256 })),
        servesAllPromoted: ctx.config.MODELS === undefined,
        uptimeSeconds: Math.round((Date.now() - started) / 1000),
        devCredentials,
        warnings,
      });
    })
    .all(allow('GET'));
  router
    .route('/healthz')
    .get((_req, res) => {
      res.json({ status: 'ok' });
    })
    .all(allow('GET'));
  router
    .route('/readyz')
    .get((_req, res) => {
      if (!ctx.isReady()) throw new ApiError('not_ready', ctx.draining() ? 'shutting down' : 'models are not loaded');
      res.json({ status: 'ready', models: ctx.models.all().map((m) => ({ name: m.name, version: m.version })) });
    })
    .all(allow('GET'));
  return router;
}
