import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { parseSummary, timelineFromK6Json, verdict } from './report';
import type { ReportInput } from './report/types';
import { writeResults } from './runner/results';

/**
 * Renders the reports of a k6 run (what the k6-report action does, for a laptop):
 *   npm run loadtest:report -- --summary loadtest/results/k6-load/summary.json [--points points.json.gz] [--out dir]
 *   [--title t]
 * Writes junit.xml, report.html, report.md and timeline.json beside summary.json (or into --out).
 * Exit 0 when every threshold held, 1 when one failed, 2 on bad input.
 */
function main(): number {
  const { values } = parseArgs({
    options: {
      summary: { type: 'string' },
      points: { type: 'string' },
      out: { type: 'string' },
      title: { type: 'string' },
      scenario: { type: 'string', default: 'k6' },
    },
  });
  if (!values.summary) throw new Error('--summary <summary.json> is required');
  const summary = parseSummary(readFileSync(values.summary, 'utf8'));
  let timeline;
  if (values.points) {
    const raw = readFileSync(values.points);
    const text = values.points.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    timeline = timelineFromK6Json(text.split('\n'));
  }
  const input: ReportInput = {
    summary,
    title: values.title ?? `mlship load test: ${values.scenario}`,
    meta: { scenario: values.scenario, runner: 'k6' },
    ...(timeline ? { timeline } : {}),
  };
  const dir = resolve(values.out ?? dirname(values.summary));
  const files = writeResults(dir, input, values.scenario);
  const result = verdict(summary);
  console.log(`${result.passed ? 'passed' : `failed: ${result.failed.join('; ')}`}\nreport: ${files.html}`);
  return result.passed ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (error) {
  console.error(`loadtest:report: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
