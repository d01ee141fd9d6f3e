/**
 * Requests sent to the API while a deploy runs, at a steady modest rate until stopped (or a hard
 * bound): every answer but 200 and every network error or timeout counts as failed, as the compose
 * rolling restart counts. POST /predict with a real row and the deploy's own credentials.
 */
export interface TrafficResult {
  sent: number;
  failed: number;
  seconds: number;
  /** The first few failures, with when they happened. */
  failures: string[];
}

export function startTraffic(url: string, authorization: string, row: number[], ratePerSecond = 20, maxSeconds = 600): { stop(): Promise<TrafficResult> } {
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
      const response = await fetch(`${url}/predict`, {
        method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ X: row }), signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      if (response.status !== 200) fail(`status ${response.status}`);
    } catch (error) {
      fail((error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
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
