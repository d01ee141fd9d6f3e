import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { MONITORING_PATHS, PROMETHEUS_DIR } from '../src/paths';

/** A file_sd target group, as in prometheus/targets/*.yml. */
export interface TargetGroup {
  targets: string[];
  labels?: Record<string, string>;
}

interface FileSd {
  files: string[];
  refresh_interval?: string;
}
interface ScrapeConfig {
  job_name: string;
  file_sd_configs?: FileSd[];
  authorization?: { credentials_file?: string };
  scrape_interval?: string;
}
interface PrometheusConfig {
  global?: Record<string, unknown>;
  rule_files?: string[];
  alerting?: { alertmanagers?: Array<{ file_sd_configs?: FileSd[] }> };
  scrape_configs: ScrapeConfig[];
}

/** What the live test changes in the repository's prometheus.yml; everything else stays as it is. */
export interface LiveConfigOptions {
  /** Directory for the copied config, its target files and the token file. */
  dir: string;
  /** Scrape and rule evaluation interval (short, so the test needs seconds, not minutes). */
  interval: string;
  /** Bearer token for the API's /metrics. */
  token: string;
  /** file_sd target groups per job name (a job without an entry gets no targets). */
  targets: Record<string, TargetGroup[]>;
}

/**
 * Writes a copy of prometheus/prometheus.yml into `dir` that differs only in what a test must
 * own: the intervals, the file_sd target files and the token file (rule files are referenced in
 * place, so the rules under test are the repository's). Returns the path of the copy.
 */
export function writeLiveConfig(options: LiveConfigOptions): string {
  const config = parse(readFileSync(MONITORING_PATHS.config, 'utf8')) as PrometheusConfig;
  const targetsDir = join(options.dir, 'targets');
  mkdirSync(targetsDir, { recursive: true });

  config.global = {
    ...config.global,
    scrape_interval: options.interval,
    scrape_timeout: options.interval,
    evaluation_interval: options.interval,
  };
  config.rule_files = (config.rule_files ?? []).map((pattern) =>
    isAbsolute(pattern) ? pattern : resolve(PROMETHEUS_DIR, pattern),
  );

  const tokenFile = join(options.dir, 'monitoring-token');
  writeFileSync(tokenFile, `${options.token}\n`, { mode: 0o600 });

  for (const scrape of config.scrape_configs) {
    const file = join(targetsDir, `${scrape.job_name}.yml`);
    writeFileSync(file, stringify(options.targets[scrape.job_name] ?? []));
    scrape.file_sd_configs = [{ files: [file], refresh_interval: options.interval }];
    if (scrape.authorization?.credentials_file) scrape.authorization.credentials_file = tokenFile;
  }
  const alertmanagers = join(targetsDir, 'alertmanager.yml');
  writeFileSync(alertmanagers, stringify([]));
  for (const manager of config.alerting?.alertmanagers ?? []) manager.file_sd_configs = [{ files: [alertmanagers] }];

  const configFile = join(options.dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));
  return configFile;
}
