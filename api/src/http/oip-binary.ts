import type { IncomingMessage } from 'node:http';
import typeis from 'type-is';
import { ApiError } from './errors';
import { MAX_FEATURE_MAGNITUDE } from './validation';

/**
 * The Open Inference Protocol's binary tensor data extension, as Triton and tritonclient speak it:
 * the body is a JSON inference header followed by raw little-endian tensor bytes, and the
 * `Inference-Header-Content-Length` header says where the JSON ends. An input carries
 * `parameters.binary_data_size` instead of `data`; an output is sent the same way when the request
 * asks for it (`parameters.binary_data_output` on the request or `binary_data` on the output).
 */
export const BINARY_EXTENSION = 'binary_tensor_data';
export const HEADER_LENGTH = 'inference-header-content-length';

type Next = (error?: unknown) => void;
export interface InferBody {
  header: unknown;
  /** The bytes after the JSON header; empty without the extension. */
  binary: Buffer;
}

/**
 * Reads an inference request body within `limitBytes`: JSON alone (application/json, or no
 * Content-Type, as tritonclient sends it), or JSON plus tensor bytes when the header-length header
 * is present. Sets `req.body` to an {@link InferBody}; any other media type is a 415.
 */
export function inferBody(
  limitBytes: number,
): (req: IncomingMessage & { body?: unknown }, res: unknown, next: Next) => void {
  return (req, _res, next) => {
    const lengthHeader = req.headers[HEADER_LENGTH];
    const contentType = req.headers['content-type'];
    const accepted =
      lengthHeader !== undefined ? ['application/json', 'application/octet-stream'] : ['application/json'];
    if (contentType !== undefined && !typeis(req, accepted)) {
      next(
        new ApiError(
          'unsupported_media_type',
          `send the inference request as ${accepted.join(' or ')} (got ${contentType})`,
        ),
      );
      return;
    }
    if (Number(req.headers['content-length']) > limitBytes) {
      req.resume();
      next(new ApiError('payload_too_large', `the request body is larger than BODY_LIMIT (${limitBytes} bytes)`));
      return;
    }
    readWithin(req, limitBytes, (error, body) => {
      if (error) return next(error);
      try {
        req.body = splitBody(body!, lengthHeader);
      } catch (caught) {
        return next(caught);
      }
      next();
    });
  };
}

function readWithin(
  req: IncomingMessage,
  limitBytes: number,
  done: (error: ApiError | undefined, body?: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (error: ApiError | undefined, body?: Buffer): void => {
    if (finished) return;
    finished = true;
    if (error) {
      req.removeAllListeners('data');
      req.resume();
    }
    done(error, body);
  };
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limitBytes)
      finish(new ApiError('payload_too_large', `the request body is larger than BODY_LIMIT (${limitBytes} bytes)`));
    else chunks.push(chunk);
  });
  req.once('error', () => finish(new ApiError('invalid_input', 'the request body could not be read')));
  req.once('aborted', () => finish(new ApiError('invalid_input', 'the client aborted the request')));
  req.once('end', () => finish(undefined, Buffer.concat(chunks)));
}

function splitBody(body: Buffer, lengthHeader: string | string[] | undefined): InferBody {
  let jsonLength = body.length;
  if (lengthHeader !== undefined) {
    const declared = Array.isArray(lengthHeader) ? NaN : Number(lengthHeader);
    if (!Number.isInteger(declared) || declared < 0 || declared > body.length) {
      throw new ApiError(
        'invalid_input',
        `Inference-Header-Content-Length must be an integer from 0 to the body's ${body.length} bytes, got ` +
          `${String(lengthHeader).slice(0, 40)}`,
      );
    }
    jsonLength = declared;
  }
  const text = body.subarray(0, jsonLength).toString('utf8');
  if (text.trim() === '') throw new ApiError('malformed_json', 'the inference header is empty; send a JSON object');
  try {
    return { header: JSON.parse(text) as unknown, binary: body.subarray(jsonLength) };
  } catch (error) {
    throw new ApiError(
      'malformed_json',
      `the inference header is not valid JSON: ${(error as Error).message.slice(0, 120)}`,
    );
  }
}

const WIDTH = { FP32: 4, FP64: 8 } as const;

/**
 * Decodes `count` little-endian FP32/FP64 values from the extension's bytes, refusing a size mismatch or a non-finite
 * value.
 */
export function decodeTensor(bytes: Buffer, datatype: keyof typeof WIDTH, count: number): number[] {
  const width = WIDTH[datatype];
  if (bytes.length !== count * width)
    throw new ApiError(
      'invalid_input',
      `binary_data_size is ${bytes.length} bytes; ${count} ${datatype} values need ${count * width}`,
    );
  const values = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const value = datatype === 'FP32' ? bytes.readFloatLE(i * width) : bytes.readDoubleLE(i * width);
    if (!Number.isFinite(value))
      throw new ApiError('invalid_input', `tensor data must hold finite numbers, found ${value} at index ${i}`);
    if (Math.abs(value) > MAX_FEATURE_MAGNITUDE)
      throw new ApiError('invalid_input', `tensor values must be within ±1e150, found ${value} at index ${i}`);
    values[i] = value;
  }
  return values;
}

/** Encodes an output tensor's data as the extension does: FP64 little-endian, BYTES as a 4-byte length then UTF-8. */
export function encodeTensor(datatype: 'FP64' | 'BYTES', data: ReadonlyArray<number | string>): Buffer {
  if (datatype === 'FP64') {
    const out = Buffer.alloc(data.length * 8);
    data.forEach((value, i) => out.writeDoubleLE(Number(value), i * 8));
    return out;
  }
  return Buffer.concat(
    data.map((value) => {
      const text = Buffer.from(String(value), 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32LE(text.length, 0);
      return Buffer.concat([length, text]);
    }),
  );
}
