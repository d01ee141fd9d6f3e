import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { MONITORING_PATHS, PROMETHEUS_DIR } from '../src/paths';
import { allRules, recordingRuleNames, ruleFiles } from '../src/rules';
import { findExecutable, INSTALL_HINT, runTool } from '../src/tools';
import { headingAnchors } from '../../scripts/test/doc-pages';

interface AlertRuleTest {
  alertname: string;
  exp_alerts?: unknown[];
}
interface RuleTestFile {
  tests: Array<{ name: string; alert_rule_test?: AlertRuleTest[]; promql_expr_test?: Array<{ expr: string }> }>;
}

const ruleTestFiles = ['alerts.test.yml', 'recording.test.yml'].map((name) =>
  join(MONITORING_PATHS.ruleTestsDir, name),
);
const ruleTests = ruleTestFiles.flatMap((file) => (parse(readFileSync(file, 'utf8')) as RuleTestFile).tests);
const alerts = allRules().filter((rule) => rule.alert);

describe('rule files', () => {
  test('when the rule files are read, then there are alerts and recording rules in standard groups: format', () => {
    expect(ruleFiles().map((file) => file.slice(PROMETHEUS_DIR.length + 1))).toEqual([
      'rules/alerts.yml',
      'rules/recording.yml',
    ]);
    expect(alerts.length).toBeGreaterThanOrEqual(7);
    expect(recordingRuleNames().length).toBeGreaterThanOrEqual(10);
  });

  test.each(alerts.map((rule) => [rule.alert!, rule] as const))(
    'when alert %s is read, then it has for, severity, summary, description and a runbook_url into runbook.md',
    (_name, rule) => {
      expect(rule.for).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
      const url = rule.annotations?.runbook_url ?? '';
      expect(url).toMatch(/\/prometheus\/runbook\.md#[a-z0-9-]+$/);
      expect(headingAnchors(readFileSync(MONITORING_PATHS.runbook, 'utf8'))).toContain(url.split('#')[1]);
    },
  );

  test.each(alerts.map((rule) => [rule.alert!] as const))(
    'when alert %s is unit-tested, then one case makes it fire and another keeps it quiet',
    (name) => {
      const cases = ruleTests.flatMap((t) => t.alert_rule_test ?? []).filter((t) => t.alertname === name);
      expect(cases.some((c) => (c.exp_alerts ?? []).length > 0)).toBe(true);
      expect(cases.some((c) => (c.exp_alerts ?? []).length === 0)).toBe(true);
    },
  );

  test('when the recording rules are unit-tested, then every recording rule has a value test', () => {
    const tested = ruleTests.flatMap((t) => t.promql_expr_test ?? []).map((t) => t.expr);
    const untested = recordingRuleNames().filter((name) => !tested.some((expr) => expr.startsWith(name)));
    expect(untested).toEqual([]);
  });
});

// promtool/amtool come from Debian's prometheus packages. Locally a missing tool skips these
// checks with a message; in CI (CI=true) a missing tool is a failure, never a silent skip.
const promtool = findExecutable('promtool');
const amtool = findExecutable('amtool');
const inCi = process.env.CI === 'true';

describe('promtool and amtool', () => {
  if ((!promtool || !amtool) && !inCi) {
    // Only on a developer machine without Prometheus's tools: .ci/run installs them, and under CI a
    // missing tool fails below instead of skipping.
    test.skip(`promtool/amtool not installed, skipping (${INSTALL_HINT})`, () => undefined);
    return;
  }

  function run(tool: string | undefined, name: string, args: string[]): void {
    if (!tool) throw new Error(`${name} not found on PATH in CI; ${INSTALL_HINT}`);
    const result = runTool(tool, args, PROMETHEUS_DIR);
    if (result.status !== 0) throw new Error(`${name} ${args.join(' ')} failed:\n${result.output}`);
  }

  test('when promtool checks prometheus.yml, then the config, its rule files and token file are valid', () => {
    run(promtool, 'promtool', ['check', 'config', 'prometheus.yml']);
  });

  test('when promtool checks the rule files, then they are valid', () => {
    run(promtool, 'promtool', ['check', 'rules', ...ruleFiles()]);
  });

  test('when promtool runs the rule unit tests, then every case passes', () => {
    run(promtool, 'promtool', ['test', 'rules', ...ruleTestFiles]);
  });

  test('when amtool checks alertmanager.yml, then it is valid', () => {
    run(amtool, 'amtool', ['check-config', 'alertmanager.yml']);
  });
});
