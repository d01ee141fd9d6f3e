import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errorBody } from './errors';
import type { Logger } from './logging';

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

/** Maps anything thrown to a contract error; body-parser's errors get their proper codes. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const parser = error as BodyParserError;
  switch (parser.type) {
    case 'entity.too.large':
      return new ApiError('payload_too_large', 'the request body is larger than BODY_LIMIT');
    case 'entity.parse.failed':
      return new ApiError('malformed_json', `the body is not valid JSON: ${(error as Error).message.slice(0, 120)}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError('unsupported_media_type', (error as Error).message);
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ApiError('invalid_input', (error as Error).message);
  }
  // Express's router throws a URIError (status 400, not exposed) for a path with broken %-encoding.
  if (error instanceof URIError) return new ApiError('invalid_input', 'the path is not valid percent-encoding');
  if (parser.status && parser.status >= 400 && parser.status < 500 && parser.expose) return new ApiError('invalid_input', (error as Error).message);
  return new ApiError('internal', 'internal error');
}

/**
 * Writes an error as the contract's JSON (`{"error":{"code","message"}}`), or as the Open
 * Inference Protocol's (`{"error":"…"}`, with the code beside it) under /v2.
 */
export function sendError(req: IncomingMessage, res: ServerResponse & { locals: Record<string, unknown> }, error: unknown, logger: Logger): void {
  const api = toApiError(error);
  if (api.status >= 500 && api.code !== 'not_ready') logger.error({ err: error, reqId: res.locals.requestId as string }, 'request failed');
  const body = (req.url ?? '').startsWith('/v2') ? { error: api.message, code: api.code } : errorBody(api);
  const text = JSON.stringify(body);
  res.statusCode = api.status;
  for (const [name, value] of Object.entries(api.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
