/**
 * Schemathesis closes its run with a banner shaped like pytest's closing line
 * (`==== No issues found in 14.98s ====`) that carries no counts, so a CI reading closing lines
 * takes the run for one that executed no test. This turns that banner into a plain sentence and
 * gives the counts of the `Test cases:` summary as the plain closing line
 * `schemathesis: N passed, N failed, N skipped`.
 */

/** The banner Schemathesis ends with: `=== <verdict> in <seconds>s ===`. */
const CLOSING_BANNER = /^=+ (.+ in [\d.]+s) =+$/;

/** Rewrites one line of Schemathesis's output so nothing in it reads as another runner's closing line. */
export function plainLine(line: string): string {
  const verdict = CLOSING_BANNER.exec(line.trim())?.[1];
  return verdict ? `schemathesis: ${verdict.charAt(0).toLowerCase()}${verdict.slice(1)}` : line;
}

/** Counts from the `N generated, N passed, N failed, N skipped` line of the summary; null when absent. */
export function testCaseCounts(output: string): { passed: number; failed: number; skipped: number } | null {
  const line = output.split('\n').find((l) => /^\s*\d+ generated\b/.test(l));
  if (!line) return null;
  const count = (word: string): number => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
  return { passed: count('passed'), failed: count('failed') + count('errored'), skipped: count('skipped') };
}

/** The closing line: the case counts, or the exit status alone when the summary is missing. */
export function closingLine(output: string, status: number | null): string {
  const counts = testCaseCounts(output);
  if (counts) return `schemathesis: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
  return `schemathesis: no test-case summary in its output; exit status ${String(status)}`;
}
