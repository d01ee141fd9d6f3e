import { createServer, request, Agent } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

/** One request exactly as a hostile client may send it: any method, headers and raw body bytes. */
export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  /** Send without Content-Length (chunked), as streaming clients do. */
  chunked?: boolean;
}

/** What came back: the status, the headers and the body text. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A real listening server on 127.0.0.1 and an ephemeral port, with a keep-alive client for it. */
export interface LiveServer {
  server: Server;
  port: number;
  send: (req: RawRequest) => Promise<RawResponse>;
  close: () => Promise<void>;
}

/**
 * Listens with `app` on port 0: a real socket is both faster than supertest for thousands of
 * requests and closer to production (keep-alive, chunked bodies, HEAD).
 */
export async function listen(app: RequestListener): Promise<LiveServer> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const send = (req: RawRequest): Promise<RawResponse> =>
    new Promise((resolve, reject) => {
      const body =
        req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
      const headers: Record<string, string | number> = { ...req.headers };
      // Explicit for chunked: node sends a body without framing for GET-like methods (DELETE, OPTIONS, TRACE)
      // otherwise.
      if (body) headers[req.chunked ? 'transfer-encoding' : 'content-length'] = req.chunked ? 'chunked' : body.length;
      const outgoing = request(
        { host: '127.0.0.1', port, method: req.method, path: req.path, headers, agent, timeout: 20_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`timeout: ${req.method} ${req.path}`)));
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  const close = async (): Promise<void> => {
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { server, port, send, close };
}

/** Runs `work` over `items` with at most `concurrency` in flight; results keep the input order. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/**
 * heapUsed after a full collection. The flag is set at run time because jest's workers are not
 * started with --expose-gc; the function comes from a fresh context that sees it.
 */
export function settledHeap(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Why a response breaks the contract, or undefined when it keeps it: never a 5xx for what a
 * client sent, and every error is the contract's JSON (`{"error":"…","code"}` under /v2).
 */
export function contractViolation(req: RawRequest, res: RawResponse): string | undefined {
  if (res.status >= 500) return `status ${res.status}`;
  if (res.status < 400 || req.method === 'HEAD') return undefined;
  if (!String(res.headers['content-type'] ?? '').startsWith('application/json'))
    return `error without JSON (${String(res.headers['content-type'])})`;
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return `error body is not JSON: ${res.body.slice(0, 80)}`;
  }
  const error = (body as { error?: unknown; code?: unknown }).error;
  if (req.path.startsWith('/v2')) {
    if (typeof error !== 'string' || typeof (body as { code?: unknown }).code !== 'string')
      return `not the OIP error shape: ${res.body.slice(0, 120)}`;
    return undefined;
  }
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string')
    return `not the contract error shape: ${res.body.slice(0, 120)}`;
  return undefined;
}
