import { thresholdRows } from './core';
import type { K6Summary } from './types';

function attr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Options of {@link renderJUnit}. */
export interface JUnitOptions {
  /** Test suite name. Default `k6 thresholds`. */
  name?: string;
  /** `classname` of every test case, e.g. the scenario. Default `loadtest`. */
  classname?: string;
}

/**
 * JUnit XML with one test case per threshold (`<metric> - <threshold>`, as k6-jslib-summary's
 * `jUnit` names them); a failed threshold carries a `<failure>` with the observed value.
 * Readable by dorny/test-reporter (java-junit) and mikepenz/action-junit-report.
 */
export function renderJUnit(summary: K6Summary, options: JUnitOptions = {}): string {
  const name = options.name ?? 'k6 thresholds';
  const classname = options.classname ?? 'loadtest';
  const rows = thresholdRows(summary);
  const failures = rows.filter((r) => !r.ok).length;
  const seconds = (summary.state.testRunDurationMs / 1000).toFixed(3);
  const cases = rows.map((r) => {
    const open = `    <testcase name="${attr(`${r.metric} - ${r.source}`)}" classname="${attr(classname)}">`;
    if (r.ok) return `${open}</testcase>`;
    return (
      `${open}\n      <failure message="` +
      `${attr(`threshold ${r.source} on ${r.metric} failed: observed ${r.observedText}`)}" ` +
      `type="threshold"/>\n    </testcase>`
    );
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(name)}" tests="${rows.length}" failures="${failures}" time="${seconds}">`,
    `  <testsuite name="${attr(name)}" tests="${rows.length}" failures="${failures}" errors="0" skipped="0" time="` +
      `${seconds}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
