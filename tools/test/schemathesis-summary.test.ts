import { closingLine, plainLine, testCaseCounts } from '../schemathesis-summary';

// The end of a real Schemathesis 4.32 run against this API.
const PASSED = `Test cases:
  991 generated, 991 passed, 14 skipped

Seed: 44153709414780679077891430780499324098

========================== No issues found in 14.98s ===========================
`;

describe('schemathesis summary', () => {
  test('when the run ends with its pytest-like banner, then the banner becomes a plain sentence', () => {
    expect(plainLine('========================== No issues found in 14.98s ===========================')).toBe(
      'schemathesis: no issues found in 14.98s',
    );
    expect(plainLine('=================================== SUMMARY ====================================')).toBe(
      '=================================== SUMMARY ====================================',
    );
    expect(plainLine('     ✅ 16 passed')).toBe('     ✅ 16 passed');
  });

  test('when the summary counts cases, then the closing line gives them in the plain form', () => {
    expect(testCaseCounts(PASSED)).toEqual({ passed: 991, failed: 0, skipped: 14 });
    expect(closingLine(PASSED, 0)).toBe('schemathesis: 991 passed, 0 failed, 14 skipped');
    expect(closingLine(PASSED, 0)).toMatch(/^\w+: \d+ passed, \d+ failed, \d+ skipped$/);
  });

  test('when cases fail or error, then they count as failed', () => {
    const failed = '  500 generated, 480 passed, 15 failed, 5 errored, 3 skipped\n';
    expect(closingLine(failed, 1)).toBe('schemathesis: 480 passed, 20 failed, 3 skipped');
  });

  test('when the output has no summary, then the closing line says so with the exit status', () => {
    expect(closingLine('error: connection refused\n', 1)).toBe(
      'schemathesis: no test-case summary in its output; exit status 1',
    );
  });
});
