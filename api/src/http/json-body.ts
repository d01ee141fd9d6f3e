import type { IncomingMessage } from 'node:http';
import typeis from 'type-is';
import { ApiError } from './errors';

type Next = (error?: unknown) => void;
type JsonRequest = IncomingMessage & { body?: unknown; bodyText?: string };

/**
 * JSON request bodies for every route: 415 unless the body is application/json in UTF-8 (RFC 8259),
 * 413 past `limitBytes` (checked against Content-Length before reading, and while reading), 400 for
 * malformed JSON. Sets `req.body` (and `req.bodyText`, the text it was parsed from). Small and direct: it runs on the
 * /predict hot path, where body-parser's charset decoding and async-hooks bookkeeping cost more than the prediction.
 */
export function jsonBody(limitBytes: number): (req: JsonRequest, res: unknown, next: Next) => void {
  return (req, _res, next) => {
    const refusal = mediaTypeRefusal(req);
    if (refusal) {
      next(refusal);
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (declared > limitBytes) {
      req.resume();
      next(tooLarge(limitBytes));
      return;
    }
    readJson(req, limitBytes, next);
  };
}

/** The 415 for a body that is not JSON in UTF-8; undefined when it is. */
function mediaTypeRefusal(req: IncomingMessage): ApiError | undefined {
  // The exact common value skips type-is's parse of the header (a measurable share of /predict).
  const exact = req.headers['content-type'] === 'application/json';
  const json = exact ? typeis.hasBody(req) : Boolean(typeis(req, ['application/json']));
  if (!json) {
    return new ApiError(
      'unsupported_media_type',
      `send the body as application/json (got ${req.headers['content-type'] ?? 'no Content-Type'})`,
    );
  }
  // The exact common value has no parameters: no charset to look for.
  const charset = exact
    ? undefined
    : /;\s*charset=("?)([^";\s]+)\1/i.exec(req.headers['content-type'] ?? '')?.[2]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    return new ApiError('unsupported_media_type', `JSON must be UTF-8, got charset ${charset}`);
  }
  return undefined;
}

function tooLarge(limitBytes: number): ApiError {
  return new ApiError('payload_too_large', `the request body is larger than BODY_LIMIT (${limitBytes} bytes)`);
}

/** Reads the body up to `limitBytes` and parses it; `next` gets the first problem, or nothing once req.body is set. */
function readJson(req: JsonRequest, limitBytes: number, next: Next): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let failed = false;
  const fail = (error: ApiError): void => {
    if (failed) return;
    failed = true;
    req.removeListener('data', onData);
    req.resume();
    next(error);
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > limitBytes) fail(tooLarge(limitBytes));
    else chunks.push(chunk);
  };
  req.on('data', onData);
  req.once('error', () => fail(new ApiError('invalid_input', 'the request body could not be read')));
  req.once('aborted', () => fail(new ApiError('invalid_input', 'the client aborted the request')));
  req.once('end', () => {
    if (failed) return;
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    const problem = parseInto(req, text);
    if (problem) fail(problem);
    else next();
  });
}

/** Sets `req.body` from `text`; the 400 when `text` is empty or not JSON. */
function parseInto(req: JsonRequest, text: string): ApiError | undefined {
  if (text.trim() === '') return new ApiError('malformed_json', 'the body is empty; send a JSON object');
  try {
    req.body = JSON.parse(text);
    // Kept for /predict, whose prediction log reuses the rows' text (see predict-fast-path.ts).
    req.bodyText = text;
    return undefined;
  } catch (error) {
    return new ApiError('malformed_json', `the body is not valid JSON: ${(error as Error).message.slice(0, 120)}`);
  }
}
