/**
 * Requests sent to the API while a deploy runs, at a steady modest rate until stopped (or a hard
 * bound): every answer but 200 and every network error or timeout counts as failed, as the compose
 * rolling restart counts. POST /predict with a real row and the deploy's own credentials, each on
 * a connection of its own, as many independent clients would send them: kube-proxy picks a ready
 * pod for every one. (A client that keeps one connection alive is tied to one pod; when that pod
 * shuts down it can lose a request sent as the pod closes the connection: see docs/kubernetes.md.)
 */
import { request } from 'node:http';

export interface TrafficResult {
  sent: number;
  failed: number;
  seconds: number;
  /** The first few failures, with when they happened. */
  failures: string[];
}

export function startTraffic(
  url: string,
  authorization: string,
  row: number[],
  ratePerSecond = 20,
  maxSeconds = 600,
): { stop(): Promise<TrafficResult> } {
  const started = Date.now();
  const result: TrafficResult = { sent: 0, failed: 0, seconds: 0, failures: [] };
  const inFlight = new Set<Promise<void>>();
  const fail = (what: string): void => {
    result.failed++;
    if (result.failures.length < 5) result.failures.push(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
  };
  const once = async (): Promise<void> => {
    result.sent++;
    try {
      const status = await post(`${url}/predict`, authorization, JSON.stringify({ X: row }));
      if (status !== 200) fail(`status ${status}`);
    } catch (error) {
      fail((error as Error & { code?: string }).code ?? (error as Error).message);
    }
  };
  const timer = setInterval(() => {
    if (Date.now() - started > maxSeconds * 1000) return;
    const request = once().finally(() => inFlight.delete(request));
    inFlight.add(request);
  }, 1000 / ratePerSecond);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      result.seconds = (Date.now() - started) / 1000;
      return result;
    },
  };
}

/** One POST on a connection of its own (no agent: nothing kept alive); resolves with the status. */
function post(url: string, authorization: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        timeout: 10_000,
        headers: {
          authorization,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          connection: 'close',
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout after 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}
