import { Router } from 'express';
import type { AppContext } from '../context';
import { predictDetailed, predictLabels } from '../model-store';
import { parsePredictBody } from '../validation';
import { allow } from './method-not-allowed';

/** POST /predict: one row or a batch; variant v2 answers with probabilities and neighbours. */
export function predictRoutes(ctx: AppContext): Router {
  const router = Router();
  router
    .route('/predict')
    .post(...ctx.protect, ...ctx.json, (req, res) => {
      const variant = ctx.variantOf(req.get('x-experiment-group'));
      const model = ctx.modelFor(variant);
      const { rows, batch } = parsePredictBody(req.body, model.featureNames.length, ctx.config.MAX_BATCH);
      const started = process.hrtime.bigint();
      const detailed = variant === 'v2' ? predictDetailed(model, rows) : undefined;
      const labels = detailed ? detailed.map((d) => d.prediction) : predictLabels(model, rows);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const answers = detailed ?? labels;
      const body = batch
        ? { model: model.name, version: model.version, variant, predictions: answers }
        : { model: model.name, version: model.version, variant, ...(detailed ? detailed[0] : { prediction: labels[0] }) };
      ctx.record(model, variant, rows, labels, seconds, String(res.locals.requestId), answers);
      res.set({ 'X-Model-Name': model.name, 'X-Model-Version': model.version, 'X-Variant': variant }).json(body);
    })
    .all(allow('POST'));
  return router;
}
