import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAll } from '../report';
import type { ReportInput } from '../report/types';

/** A results directory name for now: `2025-01-31T12-34-56Z` (sortable, no colons). */
export function timestampDir(now = new Date()): string {
  return now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

/** The files a run leaves behind. */
export interface WrittenResults {
  dir: string;
  summary: string;
  timeline: string;
  junit: string;
  html: string;
  markdown: string;
}

/**
 * Writes `summary.json` (k6's handleSummary shape), `timeline.json`, `junit.xml`, `report.html`
 * and `report.md` into `dir`, rendered by the same module the k6-report action bundles.
 */
export function writeResults(dir: string, input: ReportInput, classname: string): WrittenResults {
  mkdirSync(dir, { recursive: true });
  const rendered = renderAll(input, { classname });
  const files: WrittenResults = {
    dir,
    summary: join(dir, 'summary.json'),
    timeline: join(dir, 'timeline.json'),
    junit: join(dir, 'junit.xml'),
    html: join(dir, 'report.html'),
    markdown: join(dir, 'report.md'),
  };
  writeFileSync(files.summary, `${JSON.stringify(input.summary, null, 2)}\n`);
  writeFileSync(files.timeline, `${JSON.stringify(input.timeline ?? [], null, 1)}\n`);
  writeFileSync(files.junit, rendered.junit);
  writeFileSync(files.html, rendered.html);
  writeFileSync(files.markdown, rendered.markdown);
  return files;
}
