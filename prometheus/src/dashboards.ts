import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { MONITORING_PATHS } from './paths';

/** The parts of a Grafana panel this project reads (the JSON schema checks the rest). */
export interface PanelJson {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string } | null;
  targets?: Array<Record<string, unknown>>;
  /** Panels inside a (collapsed) row. */
  panels?: PanelJson[];
}

/** The parts of a Grafana dashboard this project reads. */
export interface DashboardJson {
  uid?: string;
  title?: string;
  panels?: PanelJson[];
}

/** One PromQL query of one dashboard panel. */
export interface PanelQuery {
  dashboard: string;
  panelId: number | undefined;
  panelTitle: string;
  refId: string;
  expr: string;
}

/** Every dashboard JSON file (absolute paths, sorted). */
export function dashboardFiles(dir: string = MONITORING_PATHS.dashboardsDir): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(dir, name));
}

/** Reads a dashboard file; a file that is not JSON throws with the file name in the message. */
export function readDashboard(file: string): DashboardJson {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DashboardJson;
  } catch (error) {
    throw new Error(`${basename(file)}: not valid JSON (${error instanceof Error ? error.message : String(error)})`, {
      cause: error,
    });
  }
}

/** All panels with queries: rows are flattened into their children and dropped themselves. */
export function leafPanels(dashboard: DashboardJson): PanelJson[] {
  const walk = (panels: PanelJson[] = []): PanelJson[] =>
    panels.flatMap((panel) => (panel.type === 'row' ? walk(panel.panels) : [panel]));
  return walk(dashboard.panels);
}

/**
 * What is missing from the panels of a dashboard: each panel needs a title, a datasource with a
 * uid, and at least one target with a non-empty `expr`. Returns one line per problem.
 */
export function panelProblems(dashboard: DashboardJson, datasourceUid: string): string[] {
  return leafPanels(dashboard).flatMap((panel) => {
    const name = `panel ${panel.id ?? '?'} "${panel.title ?? ''}"`;
    const problems: string[] = [];
    if (!panel.title?.trim()) problems.push(`${name}: no title`);
    if (panel.datasource?.uid !== datasourceUid) {
      problems.push(`${name}: datasource uid is ${JSON.stringify(panel.datasource?.uid)}, want "${datasourceUid}"`);
    }
    const exprs = (panel.targets ?? []).filter((t) => typeof t.expr === 'string' && t.expr.trim() !== '');
    if (exprs.length === 0) problems.push(`${name}: no query (a target with an expr)`);
    return problems;
  });
}

/** Every PromQL expression of every panel of the dashboard in `file`. */
export function panelQueries(file: string, dashboard: DashboardJson = readDashboard(file)): PanelQuery[] {
  return leafPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? [])
      .filter((target): target is Record<string, unknown> & { expr: string } => typeof target.expr === 'string')
      .map((target) => ({
        dashboard: basename(file, '.json'),
        panelId: panel.id,
        panelTitle: panel.title ?? '',
        refId: typeof target.refId === 'string' ? target.refId : '?',
        expr: target.expr,
      })),
  );
}

/**
 * Makes a panel expression runnable against the Prometheus HTTP API by replacing the Grafana
 * macros Grafana itself would substitute ($__rate_interval, $__interval, $__range).
 */
export function toPromQL(expr: string, rateInterval = '1m'): string {
  return expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('${__rate_interval}', rateInterval)
    .replaceAll('$__interval', rateInterval)
    .replaceAll('$__range', '1h');
}
