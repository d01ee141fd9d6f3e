import { overview } from '../report/core';
import type { ExtraTable } from '../report/types';
import type { TrafficModels } from '../scenario/discovery';
import { measureCeiling } from './ceiling';
import type { Ceiling } from './ceiling';
import type { RunSettings } from './cli-options';
import type { Step } from './plan';
import { startBare } from './processes';
import type { Started } from './processes';
import type { RunResult } from './run';

/** A ceiling's row of the table: requests/s, p50, p99, requests, and errors with non-2xx answers together. */
function ceilingRow(load: string, ceiling: Ceiling): Array<string | number> {
  return [
    load,
    Math.round(ceiling.requestsPerSecond),
    ceiling.p50Ms,
    ceiling.p99Ms,
    ceiling.requests,
    ceiling.errors + ceiling.non2xx,
  ];
}

/** Phase 4 (--compare-bare): the API's and a bare node:http server's ceiling, as a report table. */
export async function compareWithBare(
  base: string,
  settings: RunSettings,
  load: { steps: Step[]; result: RunResult; models: TrafficModels },
  started: Started[],
): Promise<ExtraTable> {
  const { authorization, ceilingSeconds, scenario } = settings;
  const connections = Math.max(8, ...load.steps.map((s) => s.connections));
  settings.log(`measuring the ceilings: ${ceilingSeconds}s each with ${connections} connections…`);
  const bare = await startBare(settings.barePort);
  started.push(bare);
  const apiCeiling = await measureCeiling(base, authorization, load.models, ceilingSeconds, connections);
  const bareCeiling = await measureCeiling(
    `http://127.0.0.1:${bare.port}`,
    authorization,
    load.models,
    ceilingSeconds,
    connections,
  );
  const head = overview(load.result.summary);
  const ratio = bareCeiling.requestsPerSecond > 0 ? apiCeiling.requestsPerSecond / bareCeiling.requestsPerSecond : 0;
  return {
    title: 'API versus the bare Node ceiling',
    columns: ['load', 'requests/s', 'p50 ms', 'p99 ms', 'requests', 'errors + non-2xx'],
    rows: [
      [
        `${scenario.name} scenario (mix, paced)`,
        Math.round(head.requestsPerSecond),
        '',
        '',
        head.requests,
        head.failedRequests,
      ],
      ceilingRow('API ceiling: POST /predict, closed loop', apiCeiling),
      ceilingRow('bare node:http ceiling, closed loop', bareCeiling),
    ],
    note:
      `API/bare throughput ratio ${ratio.toFixed(3)}; ${connections} connections, ${ceilingSeconds}s each, same ` +
      `machine, same run. The API runs with auth, validation, metrics and request logs on.`,
  };
}
