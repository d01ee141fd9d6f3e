import { Router } from 'express';
import type { AppContext } from '../context';
import { ApiError } from '../errors';
import type { ServedModel } from '../model-store';
import { allow } from './method-not-allowed';

/** The common fields, with the algorithm's own hyperparameters after its name (k and distance, for one). */
function summary(model: ServedModel) {
  const { scores } = model.metrics;
  return {
    name: model.name,
    version: model.version,
    sha256: model.sha256,
    algorithm: model.algorithm,
    ...model.fields,
    features: model.featureNames,
    classes: model.classNames,
    accuracy: scores.accuracy,
    macroF1: scores.macroF1,
  };
}

/** The models and their scores, read from metrics.json as training wrote them (never recomputed). */
export function modelRoutes(ctx: AppContext): Router {
  const router = Router();
  const find = (name: string): ServedModel => {
    const model = ctx.models.get(name);
    if (!model) throw new ApiError('not_found', `no model "${name}" is served here; see GET /models`);
    return model;
  };
  router
    .route('/models')
    .get(...ctx.protect, (_req, res) => {
      res.json({ models: ctx.models.all().map((m) => ({ ...summary(m), scores: m.metrics.scores })) });
    })
    .all(allow('GET'));
  router
    .route('/models/:name')
    .get(...ctx.protect, (req, res) => {
      const model = find(String(req.params.name));
      res.json({ ...summary(model), scores: model.metrics.scores, card: model.card });
    })
    .all(allow('GET'));
  // The original API's routes: the score of model 1 and model 2.
  for (const name of ['M1', 'M2']) {
    router
      .route(`/${name}`)
      .get(...ctx.protect, (_req, res) => {
        const model = find(name);
        res.json({ model: model.name, version: model.version, score: model.metrics.scores.accuracy, accuracy: model.metrics.scores.accuracy, macroF1: model.metrics.scores.macroF1 });
      })
      .all(allow('GET'));
  }
  return router;
}
