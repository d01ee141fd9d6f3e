import { ModelDiscovery } from '../scenario/discovery';
import type { TrafficModels } from '../scenario/discovery';

/**
 * Runs the model discovery (scenario/discovery.ts) against `base` with fetch, as the k6 script's
 * setup() does with k6's http: what the API serves, which model answers each route, and real rows
 * of each class. Throws one line when the API cannot be load-tested (no models, refused credentials).
 */
export async function discoverModels(base: string, authorization: string, inferModel?: string): Promise<TrafficModels> {
  const discovery = new ModelDiscovery(authorization, inferModel);
  for (let call = discovery.next(); call; call = discovery.next()) {
    const res = await fetch(`${base}${call.path}`, {
      method: call.method,
      headers: call.headers,
      ...(call.body === undefined ? {} : { body: call.body }),
      signal: AbortSignal.timeout(10000),
    });
    discovery.answer({ status: res.status, body: await res.text(), headers: {} });
  }
  return discovery.result();
}

/** One line on what the traffic sends, for the runner's log. */
export function describeModels(models: TrafficModels): string {
  const { v1, v2, infer, coverage } = models;
  const routes =
    v1.name === v2.name && v1.name === infer.name
      ? `${v1.name} on every route`
      : `${v1.name} (v1), ${v2.name} (v2), ${infer.name} (OIP)`;
  return (
    `model discovery: ${routes}; ${v1.features.length} features; ${v1.rows.length} rows covering ` +
    `${coverage.length} of ${v1.classes.length} classes (${v1.classes.join(', ')})`
  );
}
