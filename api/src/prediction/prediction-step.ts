import type { IncomingHttpHeaders } from 'node:http';
import type { BatchPredictor } from './batch-predictor';
import type { Config } from '../config';
import type { Logger } from '../observability/logging';
import { modelHeaders } from './model-headers';
import type { DetailedPrediction, ServedModel } from '../models/model-store';
import { predictDetailed, predictLabels } from '../models/model-store';
import type { RecordPrediction } from '../observability/prediction-recorder';
import type { Variant } from '../models/variant';
import { chooseVariant, requestedVariant } from '../models/variant';

/**
 * The prediction step, shared by POST /predict (the fast path) and OIP `infer` (Express): it picks
 * the arm by one rule, reads the rows for the model that answers, predicts (on the batch thread
 * under the same conditions for both), times the prediction with one clock, records metrics and
 * the prediction log once, and says which headers name the model. The routes only parse their
 * protocol's input and write its output; they resolve the models (the step never looks one up).
 */

/** The rows a route read from its request, for the model that answers. */
export interface RowsRead {
  rows: number[][];
  /** The rows as JSON text on one line, when the route has it (the prediction log reuses it). */
  inputJson?: string;
}

/** One request, as the step needs it. */
export interface PredictionRequest<Read extends RowsRead> {
  /** The request's headers: `X-Experiment-Group` asks for an arm. */
  headers: IncomingHttpHeaders;
  requestId: string;
  /** Reads the rows for `model` (its feature count); throws the route's 400 when they are not valid. */
  read(model: ServedModel): Read;
}

/** The models a route answers with, resolved by the route, and what its answer needs. */
export interface PredictionRoute {
  /** The arms the route can answer as; the first when the request asks for another. */
  arms: readonly Variant[];
  /** The model answering as `variant` (one of `arms`); throws the route's 503 when it is not loaded. */
  modelFor(variant: Variant): ServedModel;
  /** True when the answer needs class probabilities and evidence, not only labels. */
  wantsDetails(variant: Variant): boolean;
}

/** What was predicted, and the headers that name the model that answered (name, value, name, value, …). */
export interface Prediction<Read extends RowsRead> {
  model: ServedModel;
  variant: Variant;
  input: Read;
  labels: string[];
  /** Present when the route wanted details. */
  details: DetailedPrediction[] | undefined;
  headers: string[];
}

/** Synchronous when predicted on the event loop, a promise when the batch thread predicts. */
export type PredictionStep = <Read extends RowsRead>(
  request: PredictionRequest<Read>,
  route: PredictionRoute,
) => Prediction<Read> | Promise<Prediction<Read>>;

export interface PredictionStepDeps {
  config: Pick<Config, 'API_VARIANT' | 'BATCH_THREAD_MIN_ROWS'>;
  record: RecordPrediction;
  logger: Logger;
  /** The batch prediction thread, when the server runs one. */
  batchPredictor?: BatchPredictor;
}

export function predictionStep({ config, record, logger, batchPredictor }: PredictionStepDeps): PredictionStep {
  const threadMin = config.BATCH_THREAD_MIN_ROWS;
  // Labels only: details (probabilities, evidence) are worked out on the event loop.
  const onThread = (rows: readonly number[][]): boolean =>
    batchPredictor !== undefined && threadMin > 0 && rows.length >= threadMin && batchPredictor.available;

  return <Read extends RowsRead>(request: PredictionRequest<Read>, route: PredictionRoute) => {
    const variant = chooseVariant(requestedVariant(request.headers, config.API_VARIANT), route.arms);
    const model = route.modelFor(variant);
    const input = request.read(model);
    const { rows } = input;
    // One clock for both routes, from handing the rows over until the labels are back (a wait for the thread included).
    const started = performance.now();
    const predicted = (labels: string[], details?: DetailedPrediction[]): Prediction<Read> => {
      const seconds = (performance.now() - started) / 1000;
      record({
        model,
        variant,
        rows,
        labels,
        seconds,
        requestId: request.requestId,
        output: details ?? labels,
        inputJson: input.inputJson,
      });
      return { model, variant, input, labels, details, headers: modelHeaders(model, variant) };
    };
    if (route.wantsDetails(variant)) {
      const details = predictDetailed(model, rows);
      return predicted(
        details.map((d) => d.prediction),
        details,
      );
    }
    if (!onThread(rows)) return predicted(predictLabels(model, rows));
    return batchPredictor!.predict(model, rows).then(predicted, (error: unknown) => {
      // The thread failed: this batch is predicted here, and so are the next ones for a while.
      logger.warn({ err: error }, 'batch prediction thread failed; predicted on the event loop');
      return predicted(predictLabels(model, rows));
    });
  };
}
