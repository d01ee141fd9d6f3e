/** One series of an instant query result. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One scrape target as /api/v1/targets lists it. */
export interface Target {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

interface ApiResponse<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
}

/** A small client for the Prometheus HTTP API (only what the live test asserts with). */
export class PrometheusApi {
  constructor(private readonly baseUrl: string) {}

  private async get<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const url = `${this.baseUrl}${path}?${new URLSearchParams(params).toString()}`;
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as ApiResponse<T>;
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? response.statusText}`);
    return body.data;
  }

  /** Evaluates `expr` now; a query Prometheus rejects throws with its error message. */
  async query(expr: string): Promise<Sample[]> {
    const data = await this.get<{ resultType: string; result: Sample[] | [number, string] }>('/api/v1/query', {
      query: expr,
    });
    // A scalar result is one value, not a list of series; count it as one series.
    if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }];
    return data.result as Sample[];
  }

  /** The active scrape targets. */
  async targets(): Promise<Target[]> {
    return (await this.get<{ activeTargets: Target[] }>('/api/v1/targets', { state: 'active' })).activeTargets;
  }
}
