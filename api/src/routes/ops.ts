import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { Router } from 'express';
import { bearerToken } from '../security/auth';
import type { AppContext } from '../context';
import { openApiDocument } from '../http/openapi/document';
import { allow } from './method-not-allowed';

/** /metrics, /openapi.json and /docs (Swagger UI from the installed package, never a CDN). */
export function opsRoutes(ctx: AppContext): Router {
  const router = Router();
  router
    .route('/metrics')
    .get(bearerToken(ctx.config.MONITORING_TOKEN), async (_req, res) => {
      res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
    })
    .all(allow('GET'));

  // Built once the models are loaded, so it can give their row length; rebuilt when a reload changes it.
  let document = { key: '', text: '' };
  router
    .route('/openapi.json')
    .get((_req, res) => {
      const served = ctx.models.all();
      const behindPredict = (['v1', 'v2'] as const).flatMap((variant) => ctx.models.forVariant(variant) ?? []);
      const key = [...served, ...behindPredict].map((m) => `${m.name}:${m.featureNames.length}`).join(',');
      if (document.key !== key || !document.text) {
        const shape = served.length
          ? {
              features: behindPredict.map((m) => m.featureNames.length),
              inferFeatures: served.map((m) => m.featureNames.length),
              models: served.map((m) => m.name),
            }
          : undefined;
        document = { key, text: JSON.stringify(openApiDocument(ctx.config.MAX_BATCH, shape)) };
      }
      res.type('application/json').send(document.text);
    })
    .all(allow('GET'));

  // Resolved at run time, so it also works from a bundled server.
  const uiDir = dirname(require.resolve('swagger-ui-dist/package.json'));
  // The package's page with its initializer pointed at our document instead of the pet store.
  const page = readFileSync(join(uiDir, 'index.html'), 'utf8');
  const initializer =
    `window.onload = () => { window.ui = SwaggerUIBundle({ url: '../openapi.json', dom_id: ` +
    `'#swagger-ui', deepLinking: true }); };\n`;
  router
    .route('/docs')
    .get((req, res) => {
      // Relative asset links need the trailing slash.
      if (!req.originalUrl.endsWith('/')) {
        res.redirect(301, '/docs/');
        return;
      }
      res.type('html').send(page);
    })
    .all(allow('GET'));
  router.get('/docs/swagger-initializer.js', (_req, res) => {
    res.type('application/javascript').send(initializer);
  });
  router.use('/docs', express.static(uiDir, { index: false, fallthrough: true }));
  return router;
}
