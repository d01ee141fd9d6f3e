import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../context';
import { sendError } from '../http/error-response';
import type { ServedModel } from '../models/model-store';
import { setHeaderPairs } from '../prediction/model-headers';
import { endWith, gatherHeaders, setResponseHeader } from '../http/response-headers';
import type { LocalsResponse, Middleware } from '../http/pipeline';
import { runStages } from '../http/pipeline';
import type { Prediction, PredictionRoute, RowsRead } from '../prediction/prediction-step';
import { parsePredictBody } from '../http/validation';
import type { Variant } from '../models/variant';
import { BOTH_ARMS } from '../models/variant';

/** The answer's JSON for `answers` (the batch's list, or the one detailed prediction). */
function answerText(model: ServedModel, variant: Variant, batch: boolean, answers: unknown[]): string {
  const head = { model: model.name, version: model.version, variant };
  return JSON.stringify(batch ? { ...head, predictions: answers } : { ...head, ...(answers[0] as object) });
}

// A single-row answer is one of a few texts per served model (one per class and variant): made
// once, not stringified per request. Weakly keyed, so a reloaded model's texts go with it.
const singleAnswers = new WeakMap<ServedModel, Map<string, string>>();

/** `{"model","version","variant","prediction"}` for one label, as JSON.stringify writes it. */
function singleLabelAnswer(model: ServedModel, variant: Variant, label: string): string {
  let texts = singleAnswers.get(model);
  if (!texts) singleAnswers.set(model, (texts = new Map<string, string>()));
  const key = `${variant}\n${label}`;
  let text = texts.get(key);
  if (text === undefined) {
    text = JSON.stringify({ model: model.name, version: model.version, variant, prediction: label });
    // Bounded by the model's classes; anything else (never expected) is answered uncached.
    if (model.classNames.includes(label)) texts.set(key, text);
  }
  return text;
}

// `{"X": <value>}` with only JSON whitespace around, as a body that validated looks unless its key is escaped.
const ENVELOPE_START = /^[ \t\r\n]*\{[ \t\r\n]*"X"[ \t\r\n]*:/;

/**
 * The rows of a validated body as JSON text, cut from the text it was parsed from, for the
 * prediction log (which would otherwise turn every number back into text). Parsing it gives the
 * same rows; undefined (the log stringifies the rows) when the body is not plainly `{"X": …}` or
 * spans lines, since a log record must stay on one line.
 */
export function inputJson(bodyText: string | undefined, batch: boolean): string | undefined {
  if (bodyText === undefined || bodyText.includes('\n') || bodyText.includes('\r')) return undefined;
  const start = ENVELOPE_START.exec(bodyText);
  // The closing brace, found from the end (a regex anchored at the end would try every position).
  let end = bodyText.length - 1;
  while (end >= 0 && (bodyText[end] === ' ' || bodyText[end] === '\t')) end--;
  if (!start || bodyText[end] !== '}') return undefined;
  const rows = bodyText.slice(start[0].length, end).trim();
  // Rows hold no strings: a quote means another member follows (`{"X":[…],"X":[…]}` parses to the
  // last one), so this text would not be the value that was validated.
  if (rows.includes('"')) return undefined;
  return batch ? rows : `[${rows}]`;
}

/**
 * POST /predict on plain node:http, outside Express's router and request/response prototypes,
 * which cost more per request here than everything /predict does. It runs the pipeline's stages
 * (pipeline.ts: the same functions every Express route runs) and the prediction step OIP `infer`
 * runs (prediction-step.ts), and answers errors with the same contract JSON.
 */
export function predictHandler(
  ctx: AppContext,
  stages: readonly Middleware[],
): (req: IncomingMessage, res: ServerResponse) => void {
  // POST /predict answers as the arm the request asks for, with that arm's model; v2 answers in detail.
  const route: PredictionRoute = {
    arms: BOTH_ARMS,
    modelFor: (variant) => ctx.modelFor(variant),
    wantsDetails: (variant) => variant === 'v2',
  };
  return (req, raw) => {
    const res = raw as LocalsResponse;
    res.locals = { route: '/predict' };
    gatherHeaders(res);
    runStages(stages, req, res, (error) => {
      if (error !== undefined) return sendError(req, res, error, ctx.logger);
      try {
        answerPrediction(ctx, route, req, res);
      } catch (thrown) {
        sendError(req, res, thrown, ctx.logger);
      }
    });
  };
}

type BodyRequest = IncomingMessage & { body?: unknown; bodyText?: string };

/** The rows of a POST /predict body, and whether it was a batch (the answer's shape). */
interface PredictInput extends RowsRead {
  batch: boolean;
}

/** Validates the body, runs the prediction step and writes the answer (or the error). */
function answerPrediction(ctx: AppContext, route: PredictionRoute, req: BodyRequest, res: LocalsResponse): void {
  const read = (model: ServedModel): PredictInput => {
    const { rows, batch } = parsePredictBody(req.body, model.featureNames.length, ctx.config.MAX_BATCH);
    return { rows, batch, inputJson: inputJson(req.bodyText, batch) };
  };
  const predicted = ctx.predict({ headers: req.headers, requestId: String(res.locals.requestId), read }, route);
  if (predicted instanceof Promise)
    predicted
      .then((prediction) => writeAnswer(res, prediction))
      .catch((thrown: unknown) => sendError(req, res, thrown, ctx.logger));
  else writeAnswer(res, predicted);
}

/** The answer: the batch's labels, v2's detailed predictions, or one label's made-once text. */
function writeAnswer(
  res: LocalsResponse,
  { model, variant, input, labels, details, headers }: Prediction<PredictInput>,
): void {
  const text =
    details !== undefined
      ? answerText(model, variant, input.batch, details)
      : input.batch
        ? answerText(model, variant, true, labels)
        : singleLabelAnswer(model, variant, labels[0]!);
  setHeaderPairs(res, headers);
  setResponseHeader(res, 'Content-Type', 'application/json; charset=utf-8');
  endWith(res, 200, text);
}
