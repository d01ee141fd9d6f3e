import { Router } from 'express';
import { allow } from './method-not-allowed';

/**
 * /predict on Express answers only the methods it does not serve (405 with Allow): POST /predict
 * itself runs on the fast path (predict-fast-path.ts) before Express sees the request.
 */
export function predictRoutes(): Router {
  const router = Router();
  router.route('/predict').all(allow('POST'));
  return router;
}
