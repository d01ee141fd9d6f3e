import type { IncomingMessage, ServerResponse } from 'node:http';
import { endWith, setResponseHeader } from './response-headers';
import { ApiError, errorBody } from './errors';
import type { Logger } from '../observability/logging';

/**
 * Maps anything thrown to a contract error. Our own code throws ApiError (the JSON body reader
 * included); what else reaches here comes from Express: a URIError for a path with broken
 * %-encoding, or an http-errors error (e.g. from express.static) whose status it exposes.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof URIError) return new ApiError('invalid_input', 'the path is not valid percent-encoding');
  const { status, expose } = error as { status?: number; expose?: boolean };
  if (status && status >= 400 && status < 500 && expose) return new ApiError('invalid_input', (error as Error).message);
  return new ApiError('internal', 'internal error');
}

/**
 * Writes an error as the contract's JSON (`{"error":{"code","message"}}`), or as the Open
 * Inference Protocol's (`{"error":"…"}`, with the code beside it) under /v2.
 */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse & { locals: Record<string, unknown> },
  error: unknown,
  logger: Logger,
): void {
  const api = toApiError(error);
  if (api.status >= 500 && api.code !== 'not_ready')
    logger.error({ err: error, reqId: res.locals.requestId as string }, 'request failed');
  const body = (req.url ?? '').startsWith('/v2') ? { error: api.message, code: api.code } : errorBody(api);
  const text = JSON.stringify(body);
  for (const [name, value] of Object.entries(api.headers)) setResponseHeader(res, name, value);
  setResponseHeader(res, 'Content-Type', 'application/json; charset=utf-8');
  endWith(res, api.status, text);
}
