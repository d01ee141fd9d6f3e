import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from './context';
import { sendError } from './error-response';
import { predictDetailed, predictLabels } from './model-store';
import type { DetailedPrediction, ServedModel } from './model-store';
import { setModelHeaders } from './model-headers';
import { endWith, gatherHeaders, setResponseHeader } from './response-headers';
import type { LocalsResponse, Middleware } from './pipeline';
import { runStages } from './pipeline';
import { parsePredictBody } from './validation';
import type { Variant } from './variant';

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
 * (pipeline.ts: the same functions every Express route runs) and the same validation, model and
 * metrics code, and answers errors with the same contract JSON.
 */
export function predictHandler(ctx: AppContext, stages: readonly Middleware[]): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, raw) => {
    const res = raw as LocalsResponse;
    res.locals = { route: '/predict' };
    gatherHeaders(res);
    runStages(stages, req, res, (error) => {
      if (error !== undefined) return sendError(req, res, error, ctx.logger);
      try {
        answerPrediction(ctx, req, res);
      } catch (thrown) {
        sendError(req, res, thrown, ctx.logger);
      }
    });
  };
}

type BodyRequest = IncomingMessage & { body?: unknown; bodyText?: string };

/** Validates the body, predicts with the variant's model, records it and writes the answer. */
function answerPrediction(ctx: AppContext, req: BodyRequest, res: LocalsResponse): void {
  const header = req.headers['x-experiment-group'];
  const variant = ctx.variantOf(typeof header === 'string' ? header : undefined);
  const model = ctx.modelFor(variant);
  const { rows, batch } = parsePredictBody(req.body, model.featureNames.length, ctx.config.MAX_BATCH);
  const answered: Answered = { model, variant, rows, batch, started: performance.now() };
  const threadMin = ctx.config.BATCH_THREAD_MIN_ROWS;
  if (variant === 'v2') {
    const detailed = predictDetailed(model, rows);
    return finish(ctx, req, res, answered, detailed.map((d) => d.prediction), detailed);
  }
  if (!ctx.batchPredictor?.available || threadMin === 0 || rows.length < threadMin) return finish(ctx, req, res, answered, predictLabels(model, rows));
  ctx.batchPredictor.predict(model, rows).then(
    (labels) => finish(ctx, req, res, answered, labels),
    (error: unknown) => {
      // The thread failed: this batch is predicted here, and so are the next ones for a while.
      ctx.logger.warn({ err: error }, 'batch prediction thread failed; predicted on the event loop');
      finish(ctx, req, res, answered, predictLabels(model, rows));
    },
  ).catch((thrown: unknown) => sendError(req, res, thrown, ctx.logger));
}

interface Answered {
  model: ServedModel;
  variant: Variant;
  rows: number[][];
  batch: boolean;
  /** performance.now() when prediction began: the inference time includes a wait for the thread. */
  started: number;
}

/** Records the prediction and writes the answer: labels, or v2's detailed predictions. */
// eslint-disable-next-line max-params -- the request, its response and what was predicted, each once
function finish(ctx: AppContext, req: BodyRequest, res: LocalsResponse, answered: Answered, labels: string[], output: string[] | DetailedPrediction[] = labels): void {
  const { model, variant, rows, batch, started } = answered;
  const seconds = (performance.now() - started) / 1000;
  ctx.record({ model, variant, rows, labels, seconds, requestId: String(res.locals.requestId), output, inputJson: inputJson(req.bodyText, batch) });
  const text = variant === 'v2' || batch ? answerText(model, variant, batch, output) : singleLabelAnswer(model, variant, labels[0]!);
  setModelHeaders(res, model, variant);
  setResponseHeader(res, 'Content-Type', 'application/json; charset=utf-8');
  endWith(res, 200, text);
}
