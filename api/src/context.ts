import type { RequestHandler } from 'express';
import type { Config } from './config';
import type { CredentialReview } from './security/credential-posture';
import type { Logger } from './observability/logging';
import type { ApiMetrics } from './observability/metrics';
import type { ModelStore, ServedModel } from './models/model-store';
import type { PredictionStep } from './prediction/prediction-step';
import type { Variant } from './models/variant';

/** What route modules share: the app's dependencies plus the middleware built from them. */
export interface AppContext {
  config: Config;
  models: ModelStore;
  metrics: ApiMetrics;
  logger: Logger;
  /** What the credentials in force are worth (for /status). */
  credentials: CredentialReview;
  /** Basic auth, then the per-user rate limit. */
  protect: RequestHandler[];
  /** JSON body parsing with the contract's 413/415/400 errors. */
  json: RequestHandler[];
  isReady(): boolean;
  draining(): boolean;
  /** The model serving a variant, or a 503 when it is not loaded. */
  modelFor(variant: Variant): ServedModel;
  /** The prediction step both prediction routes run: arm, prediction, timing, metrics, log, model headers. */
  predict: PredictionStep;
}
