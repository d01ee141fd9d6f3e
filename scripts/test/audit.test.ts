import { findingsOf, judge } from '../audit';

const report = {
  vulnerabilities: {
    'path-to-regexp': {
      name: 'path-to-regexp',
      severity: 'high',
      via: [{ url: 'https://github.com/advisories/GHSA-9wv6-86v2-598j', title: 'ReDoS', severity: 'high' }],
    },
    express: { name: 'express', severity: 'high', via: ['path-to-regexp'] },
  },
};

describe('npm audit with explained exceptions', () => {
  test('when an advisory comes through another package, then it is reported once, for the package that has it', () => {
    expect(findingsOf(report)).toEqual([
      { id: 'GHSA-9wv6-86v2-598j', package: 'path-to-regexp', severity: 'high', title: 'ReDoS' },
    ]);
  });

  test(
    'when an exception with a reason covers a finding, then it is explained; once its review date passes, it is ' +
      'a finding again',
    () => {
      const exceptions = [
        {
          id: 'GHSA-9wv6-86v2-598j',
          package: 'path-to-regexp',
          reason: 'routes are fixed strings',
          reviewBy: '2026-06-30',
        },
      ];
      expect(judge(findingsOf(report), exceptions, '2026-01-01')).toMatchObject({
        explained: [{ reason: 'routes are fixed strings' }],
        unexplained: [],
      });
      expect(judge(findingsOf(report), exceptions, '2026-07-01').unexplained).toHaveLength(1);
    },
  );

  test('when the tree is clean, then there is nothing to explain', () => {
    expect(judge(findingsOf({ vulnerabilities: {} }), [], '2026-01-01')).toEqual({ explained: [], unexplained: [] });
  });
});
