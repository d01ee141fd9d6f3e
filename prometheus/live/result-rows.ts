/**
 * The rows of the live monitoring run (monitoring-live.ts): the traffic it sent covered every
 * answer, class and route; through Prometheus, every target is up, every recording rule and
 * dashboard query has a series; and the table they are printed as.
 */
import { dashboardFiles, panelQueries, toPromQL } from '../src/dashboards';
import { recordingRuleNames } from '../src/rules';
import { RATE_INTERVAL, RATE_LIMIT_PER_MINUTE } from './live-settings';
import type { PrometheusApi } from './prometheus-api';
import type { Coverage } from './traffic';

const ROUTES = [
  '/status',
  '/healthz',
  '/readyz',
  '/predict',
  '/models',
  '/models/:name',
  '/M1',
  '/M2',
  '/v2',
  '/v2/health/live',
  '/v2/health/ready',
  '/v2/models/:name',
  '/v2/models/:name/ready',
  '/v2/models/:name/infer',
  '/openapi.json',
  '/docs',
];
const CLASSES = ['setosa', 'versicolor', 'virginica'];

export type Outcome = 'PASS' | 'FAIL' | 'SKIP';
export interface Row {
  outcome: Outcome;
  check: string;
  detail: string;
}

/** Optional parts of the edge: a panel needing one that is not installed is expected to be empty. */
export interface Exporters {
  nginx: boolean;
  node: boolean;
}

/** Prints the result table, failures last so they are what a CI log shows at its end. */
export function printTable(rows: Row[]): void {
  const order: Record<Outcome, number> = { PASS: 0, SKIP: 1, FAIL: 2 };
  const sorted = [...rows].sort((a, b) => order[a.outcome] - order[b.outcome]);
  const width = Math.min(90, Math.max(...sorted.map((r) => r.check.length)));
  // `ok`, `skip`, `FAIL` like the other harnesses: a line opening with PASS reads as go test's.
  const label: Record<Outcome, string> = { PASS: 'ok  ', SKIP: 'skip', FAIL: 'FAIL' };
  for (const row of sorted) console.log(`${label[row.outcome]}  ${row.check.padEnd(width)}  ${row.detail}`);
  const count = (o: Outcome): number => rows.filter((r) => r.outcome === o).length;
  if (count('SKIP') > 0)
    console.log(`\n${count('SKIP')} skipped: panels whose exporter is not installed here are expected to be empty`);
  // The plain closing line CI reads.
  console.log(`\nmonitoring: ${count('PASS')} passed, ${count('FAIL')} failed, ${count('SKIP')} skipped`);
}

export function coverageRows(coverage: Coverage, rateLimited: boolean): Row[] {
  const rows: Row[] = [];
  const row = (ok: boolean, check: string, detail: string): void => {
    rows.push({ outcome: ok ? 'PASS' : 'FAIL', check, detail });
  };
  for (const status of [200, 400, 401, 404, 429])
    row(
      coverage.statuses.has(status),
      `traffic: a ${status} answer`,
      status === 429 ? `rate limit ${RATE_LIMIT_PER_MINUTE}/min` : '',
    );
  row(rateLimited, 'traffic: 429 on every replica', '');
  for (const variant of ['v1', 'v2']) {
    const missing = CLASSES.filter((cls) => !coverage.classesByVariant.has(`${variant}:${cls}`));
    row(
      missing.length === 0,
      `traffic: every class predicted by ${variant}`,
      missing.length ? `missing ${missing.join(', ')}` : CLASSES.join(', '),
    );
  }
  const unreached = ROUTES.filter((route) => !coverage.routes.has(route));
  row(
    unreached.length === 0,
    'traffic: every route answered',
    unreached.length ? `not reached: ${unreached.join(', ')}` : `${ROUTES.length} routes`,
  );
  row(coverage.problems.length === 0, 'traffic: every answer as expected', coverage.problems.slice(0, 5).join('; '));
  return rows;
}

export async function prometheusRows(
  api: PrometheusApi,
  exporters: Exporters,
  expectedTargets: number,
): Promise<Row[]> {
  const rows: Row[] = [];
  const targets = await api.targets();
  rows.push({
    outcome: targets.length === expectedTargets ? 'PASS' : 'FAIL',
    check: 'targets: all discovered',
    detail: `${targets.length} of ${expectedTargets}`,
  });
  for (const target of targets) {
    rows.push({
      outcome: target.health === 'up' ? 'PASS' : 'FAIL',
      check:
        `target ${target.labels.job} ${target.labels.instance}` +
        `${target.labels.variant ? ` (${target.labels.variant})` : ''} up`,
      detail: target.health === 'up' ? '' : `${target.health}: ${target.lastError}`,
    });
  }

  const seriesRow = async (check: string, expr: string, skipReason?: string): Promise<Row> => {
    try {
      const samples = await api.query(expr);
      if (samples.length > 0) return { outcome: 'PASS', check, detail: `${samples.length} series` };
      return skipReason
        ? { outcome: 'SKIP', check, detail: skipReason }
        : { outcome: 'FAIL', check, detail: `no series: ${expr}` };
    } catch (error) {
      return { outcome: 'FAIL', check, detail: error instanceof Error ? error.message : String(error) };
    }
  };

  for (const name of recordingRuleNames()) rows.push(await seriesRow(`rule ${name}`, name));
  for (const file of dashboardFiles()) {
    for (const query of panelQueries(file)) {
      const expr = toPromQL(query.expr, RATE_INTERVAL);
      const skip =
        /\bnginx_/.test(expr) && !exporters.nginx
          ? 'nginx or prometheus-nginx-exporter not installed'
          : /\bnode_/.test(expr) && !exporters.node
            ? 'prometheus-node-exporter not installed'
            : undefined;
      rows.push(
        await seriesRow(
          `panel ${query.dashboard} #${query.panelId ?? '?'} ${query.refId} "${query.panelTitle}"`,
          expr,
          skip,
        ),
      );
    }
  }
  return rows;
}
