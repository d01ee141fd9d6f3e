import type { Agent } from 'node:http';
import { request } from 'node:http';
import type { TrafficModels } from '../scenario/discovery';

/** One kind of request in the soak mix and the status it must get. */
export interface SoakRequest {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  expect: number;
}

export const credentials = (): string => {
  const userPassword = `${process.env.API_USER ?? 'alice'}:${process.env.API_PASSWORD ?? 'wonderland'}`;
  return `Basic ${Buffer.from(userPassword).toString('base64')}`;
};

/**
 * The mix, weighted by repetition: mostly predictions of every kind, some errors, probes and scrapes.
 * Rows, widths and model names come from the API under test (runner/discover.ts), never from Iris.
 */
export function soakMix(models: TrafficModels): SoakRequest[] {
  const { v1, v2, infer } = models;
  const auth = { authorization: credentials(), 'content-type': 'application/json' };
  const predict = (name: string, body: unknown, extra: Record<string, string> = {}, expect = 200): SoakRequest => ({
    name,
    method: 'POST',
    path: '/predict',
    headers: { ...auth, ...extra },
    body: JSON.stringify(body),
    expect,
  });
  const single = predict('predict_single', { X: v1.rows[0] });
  const inferRows = [infer.rows[0]!, infer.rows[infer.rows.length - 1]!];
  return [
    single,
    single,
    single,
    single,
    predict('predict_batch', { X: Array.from({ length: 20 }, (_, i) => v1.rows[i % v1.rows.length]) }),
    predict('predict_v2', { X: v2.rows[v2.rows.length - 1] }, { 'x-experiment-group': 'debug' }),
    {
      name: 'infer',
      method: 'POST',
      path: `/v2/models/${infer.name}/infer`,
      headers: auth,
      body: JSON.stringify({
        inputs: [{ name: 'input', shape: [2, infer.features.length], datatype: 'FP32', data: inferRows.flat() }],
      }),
      expect: 200,
    },
    predict('invalid_row', { X: [1, 2, 'three'] }, {}, 400),
    { name: 'models', method: 'GET', path: `/models/${v1.name}`, headers: auth, expect: 200 },
    { name: 'readyz', method: 'GET', path: '/readyz', headers: {}, expect: 200 },
    { name: 'metrics', method: 'GET', path: '/metrics', headers: {}, expect: 200 },
  ];
}

/** Sends one request on a keep-alive agent; resolves with the status (never rejects: -1 with the reason on errors). */
export function send(agent: Agent, port: number, req: SoakRequest): Promise<{ status: number; error?: string }> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    const outgoing = request(
      { host: '127.0.0.1', port, method: req.method, path: req.path, headers, agent, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', (e) => resolve({ status: -1, error: e.message }));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timed out after 10 s')));
    outgoing.on('error', (e) => resolve({ status: -1, error: e.message }));
    outgoing.end(req.body);
  });
}
