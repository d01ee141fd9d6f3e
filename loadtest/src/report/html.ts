import {
  allChecks,
  countsByTag,
  formatCount,
  formatMs,
  formatPercent,
  overview,
  thresholdRows,
  trendStats,
  trendsByTag,
} from './core';
import { barChart, escapeXml, lineChart } from './svg';
import type { Bar } from './svg';
import type { ExtraTable, K6Summary, ReportInput, TimelinePoint } from './types';

/** At most this many points per line: longer runs are merged into wider slices. */
const MAX_POINTS = 300;

/** Merges neighbouring slices so a soak of hours still draws as a few hundred points. */
export function resampleTimeline(points: TimelinePoint[], maxPoints = MAX_POINTS): TimelinePoint[] {
  if (points.length <= maxPoints) return points;
  const per = Math.ceil(points.length / maxPoints);
  const out: TimelinePoint[] = [];
  for (let i = 0; i < points.length; i += per) {
    const slice = points.slice(i, i + per);
    const worst = (key: 'p50' | 'p95' | 'p99'): number | undefined => {
      const values = slice.map((p) => p[key]).filter((v): v is number => v !== undefined);
      return values.length ? Math.max(...values) : undefined;
    };
    const merged: TimelinePoint = {
      t: slice[0]!.t,
      seconds: slice.reduce((s, p) => s + p.seconds, 0),
      requests: slice.reduce((s, p) => s + p.requests, 0),
      failed: slice.reduce((s, p) => s + p.failed, 0),
    };
    for (const key of ['p50', 'p95', 'p99'] as const) {
      const value = worst(key);
      if (value !== undefined) merged[key] = value;
    }
    const vus = slice.map((p) => p.vus).filter((v): v is number => v !== undefined);
    if (vus.length) merged.vus = Math.max(...vus);
    out.push(merged);
  }
  return out;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f6f7f9}
main{max-width:1080px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.verdict{display:inline-block;padding:3px 12px;border-radius:999px;
font-weight:700;color:#fff;margin-left:8px;font-size:14px;vertical-align:middle}
.pass{background:#1a7f37}.fail{background:#cf222e}.meta{color:#57606a;margin:6px 0 0}.meta span{margin-right:18px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin-top:18px}
.tile{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:10px 12px}
.tile b{display:block;font-size:20px}.tile small{color:#57606a}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:14px 16px;margin-top:16px}
section h2{margin-top:0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
th{font-weight:600;color:#57606a;font-size:13px}
td.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:13px}
.ok{color:#1a7f37;font-weight:700}.bad{color:#cf222e;font-weight:700}.note{color:#57606a;font-size:13px}
.charts{display:grid;grid-template-columns:1fr;gap:8px}footer{color:#57606a;font-size:12px;margin:24px 0}
`;

function table(columns: string[], rows: string[][], numeric: boolean[] = []): string {
  const head = columns.map((c) => `<th>${escapeXml(c)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((cell, i) => `<td${numeric[i] ? ' class="num"' : ''}>${cell}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function extraTable(extra: ExtraTable): string {
  const rows = extra.rows.map((r) => r.map((c) => escapeXml(typeof c === 'number' ? formatCount(c) : c)));
  return `<section data-section="extra"><h2>${escapeXml(extra.title)}</h2>${table(
    extra.columns,
    rows,
    extra.rows[0]?.map((c) => typeof c === 'number'),
  )}${extra.note ? `<p class="note">${escapeXml(extra.note)}</p>` : ''}</section>`;
}

function timelineCharts(timeline: TimelinePoint[] | undefined): string {
  if (!timeline || timeline.length === 0) {
    return (
      `<section data-section="timeline"><h2>Throughput over time</h2><p class="note">No time series in this ` +
      `run. For a k6 run, pass the file of <code>k6 run --out json=points.json</code> to the ` +
      `report.</p></section>`
    );
  }
  const points = resampleTimeline(timeline);
  const perSecond = (p: TimelinePoint, n: number): number => (p.seconds > 0 ? n / p.seconds : n);
  const mid = (p: TimelinePoint): number => p.t + p.seconds / 2;
  const throughput = lineChart(
    'throughput',
    'Requests per second over time',
    [
      {
        name: 'requests/s',
        color: '#4c78a8',
        area: true,
        points: points.map((p) => [mid(p), perSecond(p, p.requests)]),
      },
      { name: 'failed/s', color: '#e45756', points: points.map((p) => [mid(p), perSecond(p, p.failed)]) },
    ],
    (v) => formatCount(Math.round(v * 10) / 10),
  );
  const latencySeries = (key: 'p50' | 'p95' | 'p99', name: string, color: string) => ({
    name,
    color,
    points: points.filter((p) => p[key] !== undefined).map((p) => [mid(p), p[key]!] as [number, number]),
  });
  const latency = lineChart(
    'latency-over-time',
    'Latency percentiles over time',
    [
      latencySeries('p50', 'p50', '#54a24b'),
      latencySeries('p95', 'p95', '#f58518'),
      latencySeries('p99', 'p99', '#b279a2'),
    ],
    formatMs,
  );
  return (
    `<section data-section="timeline"><h2>Throughput over time</h2><div class="charts">${throughput}${latency}` +
    `</div></section>`
  );
}

/** The headline tiles: requests, throughput, failures, p95, checks, duration and max VUs. */
function tiles(summary: K6Summary, head: ReturnType<typeof overview>): string {
  const list: Array<[string, string]> = [
    ['requests', formatCount(head.requests)],
    ['throughput', `${formatCount(Math.round(head.requestsPerSecond * 10) / 10)}/s`],
    ['failed requests', formatPercent(head.failedRate)],
    ['checks passed', head.checksRate === undefined ? 'n/a' : formatPercent(head.checksRate)],
    ['duration', formatMs(summary.state.testRunDurationMs)],
  ];
  const latencyValues: Record<string, number> | undefined = summary.metrics.http_req_duration?.values;
  if (latencyValues?.['p(95)'] !== undefined) list.splice(3, 0, ['p95 latency', formatMs(latencyValues['p(95)'])]);
  if (head.maxVus !== undefined) list.push(['max VUs', formatCount(head.maxVus)]);
  return list.map(([k, v]) => `<div class="tile"><small>${escapeXml(k)}</small><b>${escapeXml(v)}</b></div>`).join('');
}

/** Every threshold with its verdict and observed value. */
function thresholdTable(summary: K6Summary): string {
  const thresholds = thresholdRows(summary);
  return thresholds.length
    ? table(
        ['', 'metric', 'threshold', 'observed'],
        thresholds.map((t) => [
          t.ok ? '<span class="ok">✓ pass</span>' : '<span class="bad">✗ FAIL</span>',
          `<code>${escapeXml(t.metric)}</code>`,
          `<code>${escapeXml(t.source)}</code>`,
          escapeXml(t.observedText),
        ]),
        [false, false, false, true],
      )
    : '<p class="note">This run has no thresholds.</p>';
}

/** The http_req_duration percentiles as bars. */
function latencyChart(summary: K6Summary): string {
  const latencyValues: Record<string, number> | undefined = summary.metrics.http_req_duration?.values;
  const stats = latencyValues ? trendStats(latencyValues) : [];
  return stats.length
    ? barChart(
        'latency',
        'HTTP request duration percentiles',
        stats.map(([stat, value]): Bar => ({
          label: stat,
          value,
          text: formatMs(value),
          color: stat === 'max' ? '#9ca3af' : stat.startsWith('p(') ? '#f58518' : '#4c78a8',
        })),
      )
    : '<p class="note">No http_req_duration in this summary.</p>';
}

/** Latency per request kind, when the summary has the per-kind sub-metrics. */
function kindSection(summary: K6Summary): string {
  const byKind = trendsByTag(summary, 'http_req_duration', 'kind');
  return byKind.length
    ? `<section data-section="kinds"><h2>Latency per request kind</h2>${table(
        ['kind', 'count', 'med', 'p(95)', 'p(99)', 'max'],
        byKind.map(([kind, v]) => [
          `<code>${escapeXml(kind)}</code>`,
          v.count === undefined ? '' : formatCount(v.count),
          ...['med', 'p(95)', 'p(99)', 'max'].map((s) => (v[s] === undefined ? '' : formatMs(v[s]))),
        ]),
        [false, true, true, true, true, true],
      )}</section>`
    : '';
}

/** Every check with its passes and fails. */
function checkTable(summary: K6Summary): string {
  const checks = allChecks(summary);
  return checks.length
    ? table(
        ['', 'check', 'passed', 'failed'],
        checks.map((c) => [
          c.fails === 0 ? '<span class="ok">✓</span>' : '<span class="bad">✗</span>',
          escapeXml(c.name),
          formatCount(c.passes),
          formatCount(c.fails),
        ]),
        [false, false, true, true],
      )
    : '<p class="note">No checks.</p>';
}

/** Predictions per class and per variant, when the run counted any. */
function predictionSection(summary: K6Summary): string {
  const byClass = countsByTag(summary, 'predictions', 'class');
  const byVariant = countsByTag(summary, 'predictions', 'variant');
  const palette = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2'];
  return byClass.length || byVariant.length
    ? `<section data-section="predictions"><h2>Predictions</h2>${
        byClass.length
          ? barChart(
              'predictions-class',
              'Predictions per class',
              byClass.map(([label, value], i) => ({
                label,
                value,
                text: formatCount(value),
                color: palette[i % palette.length]!,
              })),
            )
          : ''
      }${
        byVariant.length
          ? barChart(
              'predictions-variant',
              'Predictions per variant',
              byVariant.map(([label, value], i) => ({
                label,
                value,
                text: formatCount(value),
                color: palette[(i + 3) % palette.length]!,
              })),
            )
          : ''
      }</section>`
    : '';
}

/** One row per metric: name, type and every value (times formatted). */
function metricTable(summary: K6Summary): string {
  const rows = Object.keys(summary.metrics)
    .sort()
    .map((name) => {
      const metric = summary.metrics[name]!;
      const inMs = (k: string) => metric.contains === 'time' && metric.type === 'trend' && k !== 'count';
      const values = Object.entries(metric.values as Record<string, number>)
        .map(([k, v]) => `${escapeXml(k)}=${escapeXml(inMs(k) ? formatMs(v) : formatCount(v))}`)
        .join(' ');
      return [`<code>${escapeXml(name)}</code>`, metric.type, values];
    });
  return table(['metric', 'type', 'values'], rows);
}

/**
 * The self-contained HTML report: verdict, headline numbers, every threshold with its observed
 * value, latency percentiles, throughput and latency over time, per-request-kind latency, checks,
 * predictions per class and variant, extra tables, and every metric. Inline CSS and SVG only.
 */
export function renderHtml(input: ReportInput): string {
  const { summary } = input;
  const head = overview(summary);
  const title = input.title ?? 'k6 load test report';
  const meta = Object.entries(input.meta ?? {})
    .map(([k, v]) => `<span><b>${escapeXml(k)}:</b> ${escapeXml(v)}</span>`)
    .join('');
  const verdict = head.passed
    ? '<span data-verdict="passed" class="verdict pass">PASSED</span>'
    : '<span data-verdict="failed" class="verdict fail">FAILED</span>';
  const held = head.thresholds - head.thresholdsFailed;
  const sources = input.timeline ? ' and the run’s time series' : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(title)}</title><style>${STYLE}</style></head>
<body><main>
<header><h1>${escapeXml(title)}${verdict}</h1>
<p class="meta">${meta}<span><b>thresholds:</b> ${held} of ${head.thresholds} hold</span></p></header>
<div class="tiles">${tiles(summary, head)}</div>
<section data-section="thresholds"><h2>Thresholds</h2>${thresholdTable(summary)}</section>
<section data-section="latency"><h2>Latency percentiles</h2>${latencyChart(summary)}</section>
${timelineCharts(input.timeline)}
${kindSection(summary)}
<section data-section="checks"><h2>Checks</h2>${checkTable(summary)}</section>
${predictionSection(summary)}
${(input.tables ?? []).map(extraTable).join('\n')}
<section data-section="metrics"><h2>All metrics</h2>${metricTable(summary)}</section>
<footer>Rendered from the k6 end-of-test summary${sources}. Self-contained: no scripts, no external assets.</footer>
</main></body></html>
`;
}
