/**
 * How a server pod starts, is probed and stops: startup, liveness and readiness probes on the
 * API's unauthenticated routes and port, and a shutdown that drains before the grace period ends.
 */
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import { API_PORT, LIVENESS_PATH, READINESS_PATH, UNAUTHENTICATED_GET_ROUTES } from './contract';
import type { Check } from './objects';
import { configValue, envValue, id, resolvePort, workloads } from './objects';

function probeProblem(
  container: IContainer,
  probe: IProbe | undefined,
  kind: string,
  expectedPath: string | undefined,
): string | undefined {
  if (!probe) return `no ${kind} probe`;
  const get = probe.httpGet;
  if (!get) return `${kind} probe is not an HTTP GET`;
  if (!UNAUTHENTICATED_GET_ROUTES.has(get.path ?? ''))
    return `${kind} probe path ${get.path ?? '(none)'} is not an unauthenticated route of the API`;
  if (expectedPath && get.path !== expectedPath) return `${kind} probe path ${get.path} should be ${expectedPath}`;
  const port = resolvePort(container, get.port);
  if (port !== API_PORT) return `${kind} probe port ${String(get.port)} resolves to ${String(port)}, not ${API_PORT}`;
  return undefined;
}

/** Startup, liveness and readiness probes on the contract's paths and port for every server. */
export const probesPolicy: Check = (docs) => {
  const problems: string[] = [];
  for (const { doc, template, longRunning } of workloads(docs)) {
    if (!longRunning) continue;
    for (const c of template.spec?.containers ?? []) {
      const checks: Array<[IProbe | undefined, string, string | undefined]> = [
        [c.startupProbe, 'startup', undefined],
        [c.livenessProbe, 'liveness', LIVENESS_PATH],
        [c.readinessProbe, 'readiness', READINESS_PATH],
      ];
      for (const [probe, kind, path] of checks) {
        const problem = probeProblem(c, probe, kind, path);
        if (problem) problems.push(`${id(doc)} container ${c.name}: ${problem}`);
      }
    }
  }
  return problems;
};

/** Graceful shutdown: a preStop pause, and a grace period longer than pause + SHUTDOWN_TIMEOUT_MS. */
export const shutdownPolicy: Check = (docs) => {
  const problems: string[] = [];
  for (const { doc, template, longRunning } of workloads(docs)) {
    if (!longRunning) continue;
    const grace = template.spec?.terminationGracePeriodSeconds ?? 30;
    for (const c of template.spec?.containers ?? []) {
      const pause = c.lifecycle?.preStop?.sleep?.seconds;
      if (pause === undefined || pause < 1) {
        problems.push(`${id(doc)} container ${c.name}: no preStop sleep to let endpoints update before draining`);
        continue;
      }
      const shutdownMs = Number(
        envValue(c, 'SHUTDOWN_TIMEOUT_MS') ?? configValue(docs, c, 'SHUTDOWN_TIMEOUT_MS') ?? Number.NaN,
      );
      if (!Number.isFinite(shutdownMs)) problems.push(`${id(doc)} container ${c.name}: SHUTDOWN_TIMEOUT_MS is not set`);
      else if (grace * 1000 <= pause * 1000 + shutdownMs) {
        problems.push(
          `${id(doc)}: terminationGracePeriodSeconds ${grace} s is not above preStop ${pause} s + ` +
            `SHUTDOWN_TIMEOUT_MS ${shutdownMs} ms`,
        );
      }
    }
  }
  return problems;
};
