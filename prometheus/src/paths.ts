import { join, resolve } from 'node:path';

/** The prometheus/ directory (this file lives in prometheus/src). */
export const PROMETHEUS_DIR = resolve(__dirname, '..');

/** Files and directories of the monitoring setup, all under prometheus/. */
export const MONITORING_PATHS = {
  config: join(PROMETHEUS_DIR, 'prometheus.yml'),
  alertmanagerConfig: join(PROMETHEUS_DIR, 'alertmanager.yml'),
  rulesDir: join(PROMETHEUS_DIR, 'rules'),
  ruleTestsDir: join(PROMETHEUS_DIR, 'rules', 'tests'),
  runbook: join(PROMETHEUS_DIR, 'runbook.md'),
  dashboardsDir: join(PROMETHEUS_DIR, 'grafana', 'dashboards'),
  datasourceProvisioning: join(PROMETHEUS_DIR, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'),
  dashboardProvisioning: join(PROMETHEUS_DIR, 'grafana', 'provisioning', 'dashboards', 'mlship.yml'),
} as const;
