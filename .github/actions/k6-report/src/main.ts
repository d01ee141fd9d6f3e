import * as core from '@actions/core';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
// The same renderer as the local runner (`npm run loadtest:local`), bundled into dist/.
import type { ExtraTable, K6Summary, ReportInput } from '../../../../loadtest/src/report';
import { overview, parseSummary, renderAll, timelineFromK6Json, verdict } from '../../../../loadtest/src/report';

/** The action's inputs, parsed and validated once. */
export interface ReportInputs {
  summary: string;
  title: string;
  meta: Record<string, string>;
  timeline?: string;
  csvTables: Array<{ title: string; file: string }>;
  junit: string;
  html: string;
  markdown?: string;
  failOnThreshold: boolean;
}

/** Reads and validates every input; a bad one is one clear error naming it. */
export function readInputs(): ReportInputs {
  const summary = core.getInput('summary', { required: true });
  const failRaw = (core.getInput('fail-on-threshold') || 'true').toLowerCase();
  if (failRaw !== 'true' && failRaw !== 'false')
    throw new Error(`input fail-on-threshold must be 'true' or 'false', not "${failRaw}"`);
  const csvTables = core.getMultilineInput('csv-tables').map((line) => {
    const bar = line.lastIndexOf('|');
    const title = line.slice(0, bar).trim();
    const file = line.slice(bar + 1).trim();
    if (bar < 0 || !title || !file) throw new Error(`input csv-tables: "${line}" is not "Title | file.csv"`);
    return { title, file };
  });
  const meta: Record<string, string> = {};
  const scenario = core.getInput('scenario');
  const target = core.getInput('target');
  if (scenario) meta.scenario = scenario;
  if (target) meta.target = target;
  return {
    summary,
    title: core.getInput('title') || 'k6 load test',
    meta,
    timeline: core.getInput('timeline') || undefined,
    csvTables,
    junit: core.getInput('junit') || join(dirname(summary), 'junit.xml'),
    html: core.getInput('html') || join(dirname(summary), 'report.html'),
    markdown: core.getInput('markdown') || undefined,
    failOnThreshold: failRaw === 'true',
  };
}

function readText(file: string, what: string): string {
  if (!existsSync(file)) throw new Error(`${what} ${file} not found`);
  return readFileSync(file, 'utf8');
}

/** A CSV file (first row: column names; no quoted commas) as a report table. */
export function csvTable(title: string, text: string): ExtraTable {
  const [header, ...rows] = text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(',').map((cell) => cell.trim()));
  if (!header) throw new Error(`table "${title}": the CSV file is empty`);
  return {
    title,
    columns: header,
    rows: rows.map((r) => r.map((cell) => (cell !== '' && Number.isFinite(Number(cell)) ? Number(cell) : cell))),
  };
}

/** Everything the renderer gets: the summary plus the optional timeline and tables. */
export function reportInput(inputs: ReportInputs): ReportInput {
  const input: ReportInput = {
    summary: parseSummary(readText(inputs.summary, 'summary')),
    title: inputs.title,
    meta: inputs.meta,
  };
  if (inputs.timeline) {
    if (!existsSync(inputs.timeline)) throw new Error(`timeline ${inputs.timeline} not found`);
    const raw = readFileSync(inputs.timeline);
    const text = (inputs.timeline.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    input.timeline = timelineFromK6Json(text.split('\n'));
  }
  if (inputs.csvTables.length > 0)
    input.tables = inputs.csvTables.map(({ title, file }) => csvTable(title, readText(file, `table "${title}":`)));
  return input;
}

function write(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

function trendValue(summary: K6Summary, stat: string): string {
  const metric = summary.metrics.http_req_duration;
  const value = metric?.type === 'trend' ? metric.values[stat] : undefined;
  return value === undefined ? '' : String(value);
}

/** The action: render, write the files and the job summary, set outputs, then the verdict. */
export async function run(): Promise<void> {
  try {
    const inputs = readInputs();
    const input = reportInput(inputs);
    const { html, markdown, junit } = renderAll(input);
    write(inputs.junit, junit);
    write(inputs.html, html);
    if (inputs.markdown) write(inputs.markdown, markdown);

    const head = overview(input.summary);
    const { passed, failed } = verdict(input.summary);
    core.setOutput('passed', String(passed));
    core.setOutput('failed-thresholds', failed.join('\n'));
    core.setOutput('requests', String(head.requests));
    core.setOutput('rate', String(head.requestsPerSecond));
    core.setOutput('p50', trendValue(input.summary, 'med'));
    core.setOutput('p95', trendValue(input.summary, 'p(95)'));
    core.setOutput('p99', trendValue(input.summary, 'p(99)'));
    core.setOutput('error-rate', String(head.failedRate));
    core.setOutput('junit', inputs.junit);
    core.setOutput('html', inputs.html);
    await core.summary.addRaw(markdown, true).write();

    if (!passed && inputs.failOnThreshold) throw new Error(`k6 thresholds failed: ${failed.join('; ')}`);
    core.info(
      passed
        ? `k6: all ${head.thresholds} thresholds held`
        : `k6 thresholds failed (fail-on-threshold is false): ${failed.join('; ')}`,
    );
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}
