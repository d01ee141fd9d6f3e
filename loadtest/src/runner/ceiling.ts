import autocannon from 'autocannon';
import { seededRandom } from '../../../model/src/random';
import type { TrafficModels } from '../scenario/discovery';
import { buildRequest } from '../scenario/requests';

/** Closed-loop throughput of one target: as many single predictions as it answers. */
export interface Ceiling {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
}

/**
 * Loads `base` + `/predict` with single-row predictions (a row of `models.v1`) from `connections` connections for
 * `seconds`, no rate limit: the most it answers. Used side by side on the API and on a bare
 * node:http server in the same run, so the ratio says what the API's layers cost.
 */
export async function measureCeiling(
  base: string,
  authorization: string,
  models: TrafficModels,
  seconds: number,
  connections: number,
): Promise<Ceiling> {
  const spec = buildRequest('predict_single', authorization, seededRandom(7), models);
  const result = await autocannon({
    url: `${base}${spec.path}`,
    method: spec.method,
    headers: spec.headers,
    body: spec.body,
    connections,
    duration: seconds,
    timeout: 10,
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}
