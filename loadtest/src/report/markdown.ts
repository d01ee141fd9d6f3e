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
import type { Overview } from './core';
import type { ExtraTable, K6Summary, ReportInput } from './types';

/** Escapes the characters that break a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(columns: string[], rows: string[][]): string {
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** The verdict heading, the run's metadata line and the headline numbers. */
function headlineSection(input: ReportInput, head: Overview): string[] {
  const out: string[] = [];
  out.push(`## ${head.passed ? '✅' : '❌'} ${input.title ?? 'k6 load test'}: ${head.passed ? 'passed' : 'failed'}`);
  out.push('');
  const meta = Object.entries(input.meta ?? {}).map(([k, v]) => `**${k}:** ${v}`);
  if (meta.length) out.push(meta.join(' · '), '');
  out.push(
    table(
      ['requests', 'throughput', 'failed', 'checks', 'duration'],
      [
        [
          formatCount(head.requests),
          `${formatCount(Math.round(head.requestsPerSecond * 10) / 10)}/s`,
          formatPercent(head.failedRate),
          head.checksRate === undefined ? 'n/a' : formatPercent(head.checksRate),
          formatMs(input.summary.state.testRunDurationMs),
        ],
      ],
    ),
    '',
  );
  return out;
}

function thresholdSection(summary: K6Summary, head: Overview): string[] {
  const rows = thresholdRows(summary);
  return [
    `### Thresholds (${head.thresholds - head.thresholdsFailed} of ${head.thresholds} hold)`,
    '',
    rows.length
      ? table(
          ['', 'metric', 'threshold', 'observed'],
          rows.map((r) => [r.ok ? '✅' : '❌', `\`${r.metric}\``, `\`${r.source}\``, r.observedText]),
        )
      : '_No thresholds._',
    '',
  ];
}

/** The overall latency percentiles, then the percentiles of each request kind. */
function latencySection(summary: K6Summary): string[] {
  const out: string[] = [];
  const overall = summary.metrics.http_req_duration;
  if (overall?.type === 'trend') {
    const stats = trendStats(overall.values);
    out.push(
      '### Latency (http_req_duration)',
      '',
      table(
        stats.map(([s]) => s),
        [stats.map(([, v]) => formatMs(v))],
      ),
      '',
    );
  }
  const byKind = trendsByTag(summary, 'http_req_duration', 'kind');
  if (byKind.length) {
    out.push(
      '### Latency per request kind',
      '',
      table(
        ['kind', 'count', 'med', 'p(95)', 'p(99)'],
        byKind.map(([k, v]) => [
          `\`${k}\``,
          v.count === undefined ? '' : formatCount(v.count),
          ...['med', 'p(95)', 'p(99)'].map((s) => (v[s] === undefined ? '' : formatMs(v[s]))),
        ]),
      ),
      '',
    );
  }
  return out;
}

/** The failed checks, or every check when none failed. */
function checkSection(summary: K6Summary): string[] {
  const all = allChecks(summary);
  if (!all.length) return [];
  const failing = all.filter((c) => c.fails > 0);
  return [
    failing.length ? `### Checks (${failing.length} failing)` : '### Checks (all pass)',
    '',
    table(
      ['', 'check', 'passed', 'failed'],
      (failing.length ? failing : all).map((c) => [
        c.fails ? '❌' : '✅',
        c.name,
        formatCount(c.passes),
        formatCount(c.fails),
      ]),
    ),
    '',
  ];
}

function predictionSection(summary: K6Summary): string[] {
  const byClass = countsByTag(summary, 'predictions', 'class');
  const byVariant = countsByTag(summary, 'predictions', 'variant');
  if (!byClass.length && !byVariant.length) return [];
  return [
    '### Predictions',
    '',
    table(
      ['by', 'value', 'count'],
      [
        ...byClass.map(([v, n]) => ['class', v, formatCount(n)]),
        ...byVariant.map(([v, n]) => ['variant', v, formatCount(n)]),
      ],
    ),
    '',
  ];
}

function extraTableSection(extra: ExtraTable): string[] {
  return [
    `### ${extra.title}`,
    '',
    table(
      extra.columns,
      extra.rows.map((r) => r.map((c) => (typeof c === 'number' ? formatCount(c) : c))),
    ),
    '',
    ...(extra.note ? [`_${extra.note}_`, ''] : []),
  ];
}

/**
 * GitHub job-summary markdown: verdict, headline numbers, thresholds with observed values,
 * latency percentiles, per-kind latency, failed checks (all checks when none failed) and
 * predictions. Plain GitHub-flavoured markdown, no HTML.
 */
export function renderMarkdown(input: ReportInput): string {
  const { summary } = input;
  const head = overview(summary);
  return [
    ...headlineSection(input, head),
    ...thresholdSection(summary, head),
    ...latencySection(summary),
    ...checkSection(summary),
    ...predictionSection(summary),
    ...(input.tables ?? []).flatMap(extraTableSection),
  ].join('\n');
}
