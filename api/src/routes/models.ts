import { Router } from 'express';
import type { AppContext } from '../context';
import { ApiError } from '../http/errors';
import type { ServedModel } from '../models/model-store';
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
  return router;
}

/**
 * GET /<name> for every served model: the original API's /M1 and /M2 (the score of model 1 and 2),
 * for whichever models are served. Mounted after every other route, so a model named like one of
 * them (status, docs) is still reached under /models/<name>; a name that is not served falls
 * through to the 404. The metrics label the route by its path (one per served model, as /M1 and
 * /M2 always were), not as /:name.
 */
export function modelScoreRoutes(ctx: AppContext): Router {
  const scores = Router({ mergeParams: true });
  scores
    .route('/')
    .get(...ctx.protect, (req, res) => {
      const name = String((req.params as { name?: string }).name);
      const model = ctx.models.get(name);
      if (!model) throw new ApiError('not_found', `no model "${name}" is served here; see GET /models`);
      res.json({
        model: model.name,
        version: model.version,
        score: model.metrics.scores.accuracy,
        accuracy: model.metrics.scores.accuracy,
        macroF1: model.metrics.scores.macroF1,
      });
    })
    .all(allow('GET'));
  const router = Router();
  // A prefix match that enters no route: a path that is not a served model leaves with no route
  // recorded, so its 404 is counted as unmatched like any other.
  router.use(
    '/:name',
    (req, res, next) => {
      const served = ctx.models.get(String(req.params.name));
      if (!served) return next('router');
      res.locals.route = `/${served.name}`;
      next();
    },
    scores,
  );
  return router;
}
