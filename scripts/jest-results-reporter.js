// Jest reporter: writes reports/test-results-<timestamp>.json (the run's summary and every test's
// status) beside jest-junit's reports/junit.xml, and prints the plain closing line CI reads.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

class ResultsReporter {
  onRunComplete(_contexts, results) {
    const stamp = new Date(results.startTime).toISOString().replace(/[:.]/g, '-');
    const dir = join(process.cwd(), 'reports');
    mkdirSync(dir, { recursive: true });
    const tests = results.testResults.flatMap((file) =>
      file.testResults.map((t) => ({
        file: file.testFilePath.replace(process.cwd() + '/', ''),
        name: t.fullName,
        status: t.status,
        ms: t.duration,
      })),
    );
    const summary = {
      startedAt: new Date(results.startTime).toISOString(),
      passed: results.numPassedTests,
      failed: results.numFailedTests,
      skipped: results.numPendingTests,
      suites: results.numTotalTestSuites,
      success: results.success,
      tests,
    };
    writeFileSync(join(dir, `test-results-${stamp}.json`), JSON.stringify(summary, null, 2) + '\n');
    process.stdout.write(
      `\njest: ${results.numPassedTests} passed, ` +
        `${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`,
    );
  }
}

module.exports = ResultsReporter;
