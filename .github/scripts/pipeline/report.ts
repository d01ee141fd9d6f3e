/** The twin's report: a markdown table of every step, and one closing line of counts. */
import type { StepResult, Verdict } from './job-runner';

const ICON: Record<Verdict, string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  skipped: '⏭️ skipped',
  github: '☁️ needs GitHub',
};

/** The results as a markdown table, then the totals. */
export function renderTable(results: readonly StepResult[]): string {
  const lines = ['| job | step | result | time | note |', '|---|---|---|---|---|'];
  for (const r of results) {
    const time = r.verdict === 'passed' || r.verdict === 'failed' ? `${r.seconds.toFixed(1)} s` : '–';
    lines.push(
      `| ${r.job} | ${r.step.replace(/\|/g, '\\|')} | ${ICON[r.verdict]} | ${time} | ` +
        `${(r.note ?? '').replace(/\|/g, '\\|')} |`,
    );
  }
  return `${lines.join('\n')}\n\n${closingLine(results)}\n`;
}

/**
 * `pipeline: N passed, N failed, N skipped`. Steps that need GitHub count as skipped, and so does a
 * failure `continue-on-error` let through: it failed nothing (the table still shows it).
 */
export function closingLine(results: readonly StepResult[]): string {
  const failed = results.filter((r) => r.verdict === 'failed' && !r.soft).length;
  const passed = results.filter((r) => r.verdict === 'passed').length;
  return `pipeline: ${passed} passed, ${failed} failed, ${results.length - passed - failed} skipped`;
}
