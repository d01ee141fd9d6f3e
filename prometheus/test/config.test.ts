import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { MONITORING_PATHS, PROMETHEUS_DIR } from '../src/paths';

interface ScrapeConfig {
  job_name: string;
  honor_labels?: boolean;
  authorization?: { type?: string; credentials_file?: string };
  file_sd_configs?: Array<{ files: string[] }>;
  static_configs?: unknown[];
}
interface TargetGroup {
  targets: string[];
  labels?: Record<string, string>;
}

const config = parse(readFileSync(MONITORING_PATHS.config, 'utf8')) as {
  scrape_configs: ScrapeConfig[];
  rule_files: string[];
};
const job = (name: string): ScrapeConfig | undefined => config.scrape_configs.find((c) => c.job_name === name);
const targetFile = (name: string): TargetGroup[] =>
  parse(readFileSync(join(PROMETHEUS_DIR, 'targets', name), 'utf8')) as TargetGroup[];

describe('prometheus.yml', () => {
  test('when it is read, then it scrapes the API, nginx and node exporters only through file discovery', () => {
    expect(config.scrape_configs.map((c) => c.job_name).sort()).toEqual(['mlship-api', 'nginx', 'node']);
    for (const scrape of config.scrape_configs) {
      expect(scrape.static_configs).toBeUndefined();
      expect(scrape.file_sd_configs?.[0]?.files[0]).toMatch(/^targets\//);
    }
    expect(config.rule_files).toEqual(['rules/*.yml']);
  });

  test('when the API is scraped, then the bearer token comes from a file, never inline', () => {
    const api = job('mlship-api');
    expect(api?.authorization).toEqual({ type: 'Bearer', credentials_file: 'secrets/monitoring-token' });
    expect(readFileSync(join(PROMETHEUS_DIR, 'secrets', 'monitoring-token'), 'utf8').trim()).not.toBe('');
    expect(api?.honor_labels).toBe(true);
  });

  test('when the API target files are read, then v1 is on 8001-8003 and v2 on 8004, labelled by variant', () => {
    expect(targetFile('api-v1.yml')).toEqual([
      { targets: ['127.0.0.1:8001', '127.0.0.1:8002', '127.0.0.1:8003'], labels: { variant: 'v1' } },
    ]);
    expect(targetFile('api-v2.yml')).toEqual([{ targets: ['127.0.0.1:8004'], labels: { variant: 'v2' } }]);
  });
});
