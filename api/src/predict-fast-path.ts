import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from './context';
import { sendError } from './error-response';
import { predictDetailed, predictLabels } from './model-store';
import { observeRequest } from './observe';
import { parsePredictBody } from './validation';

type LocalsResponse = ServerResponse & { locals: Record<string, unknown> };
/** Connect-style middleware: what our security headers, auth, rate limit and JSON body reader are. */
export type Middleware = (req: IncomingMessage, res: LocalsResponse, next: (error?: unknown) => void) => unknown;

/** Runs middleware in order on plain node:http objects; the first error (or throw) goes to `done`. */
function runChain(chain: readonly Middleware[], req: IncomingMessage, res: LocalsResponse, done: (error?: unknown) => void): void {
  let index = 0;
  const next = (error?: unknown): void => {
    if (error !== undefined && error !== null) return done(error);
    const handler = chain[index++];
    if (!handler) return done();
    try {
      const result = handler(req, res, next);
      if (result instanceof Promise) result.catch(done);
    } catch (thrown) {
      done(thrown);
    }
  };
  next();
}

/**
 * POST /predict on plain node:http, outside Express's router and request/response prototypes,
 * which cost more per request here than everything /predict does. It runs the same middleware
 * (security headers, basic auth, rate limit, JSON body) and the same validation, model and
 * metrics code as every other route, and answers errors with the same contract JSON.
 */
export function predictHandler(ctx: AppContext, chain: readonly Middleware[]): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, raw) => {
    const res = raw as LocalsResponse;
    res.locals = {};
    observeRequest(req, res, ctx.metrics, ctx.accessLog, () => '/predict');
    runChain(chain, req, res, (error) => {
      // Checked as the answer goes out: a request in flight when the drain starts closes its connection.
      if (ctx.draining()) res.setHeader('Connection', 'close');
      if (error !== undefined) return sendError(req, res, error, ctx.logger);
      try {
        const header = req.headers['x-experiment-group'];
        const variant = ctx.variantOf(typeof header === 'string' ? header : undefined);
        const model = ctx.modelFor(variant);
        const { rows, batch } = parsePredictBody((req as IncomingMessage & { body?: unknown }).body, model.featureNames.length, ctx.config.MAX_BATCH);
        const started = performance.now();
        const detailed = variant === 'v2' ? predictDetailed(model, rows) : undefined;
        const labels = detailed ? detailed.map((d) => d.prediction) : predictLabels(model, rows);
        const seconds = (performance.now() - started) / 1000;
        const answers = detailed ?? labels;
        const body = batch
          ? { model: model.name, version: model.version, variant, predictions: answers }
          : { model: model.name, version: model.version, variant, ...(detailed ? detailed[0] : { prediction: labels[0] }) };
        ctx.record(model, variant, rows, labels, seconds, String(res.locals.requestId), answers);
        const text = JSON.stringify(body);
        res.setHeader('X-Model-Name', model.name);
        res.setHeader('X-Model-Version', model.version);
        res.setHeader('X-Variant', variant);
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.setHeader('Content-Length', Buffer.byteLength(text));
        res.end(text);
      } catch (thrown) {
        sendError(req, res, thrown, ctx.logger);
      }
    });
  };
}
