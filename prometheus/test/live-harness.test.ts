import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { useTempDir } from '../../model/test/helpers';
import { writeLiveConfig } from '../live/live-config';
import { predictedLabels } from '../live/traffic';
import { MONITORING_PATHS, PROMETHEUS_DIR } from '../src/paths';

type Config = Record<string, unknown> & {
  global: Record<string, unknown>;
  rule_files: string[];
  scrape_configs: Array<
    Record<string, unknown> & {
      job_name: string;
      file_sd_configs: Array<{ files: string[] }>;
      authorization?: { credentials_file: string };
    }
  >;
};

describe('live test Prometheus config', () => {
  const dir = useTempDir('mlship-live-config-');

  test(
    'when the live copy is written, then only intervals, target files, token path and rule paths differ from ' +
      'prometheus.yml',
    () => {
      const file = writeLiveConfig({
        dir: dir(),
        interval: '2s',
        token: 'a'.repeat(32),
        targets: { 'mlship-api': [{ targets: ['127.0.0.1:18001'], labels: { variant: 'v1' } }] },
      });
      const live = parse(readFileSync(file, 'utf8')) as Config;
      const repo = parse(readFileSync(MONITORING_PATHS.config, 'utf8')) as Config;

      expect(live.global).toEqual({
        ...repo.global,
        scrape_interval: '2s',
        scrape_timeout: '2s',
        evaluation_interval: '2s',
      });
      expect(live.rule_files).toEqual([join(PROMETHEUS_DIR, 'rules/*.yml')]);
      const strip = (c: Config['scrape_configs'][number]): Record<string, unknown> => {
        const { file_sd_configs: _sd, authorization: _auth, ...rest } = c;
        return rest;
      };
      expect(live.scrape_configs.map(strip)).toEqual(repo.scrape_configs.map(strip));

      const api = live.scrape_configs.find((c) => c.job_name === 'mlship-api')!;
      expect(readFileSync(api.authorization!.credentials_file, 'utf8').trim()).toBe('a'.repeat(32));
      expect(parse(readFileSync(api.file_sd_configs[0]!.files[0]!, 'utf8'))).toEqual([
        { targets: ['127.0.0.1:18001'], labels: { variant: 'v1' } },
      ]);
      const node = live.scrape_configs.find((c) => c.job_name === 'node')!;
      expect(parse(readFileSync(node.file_sd_configs[0]!.files[0]!, 'utf8'))).toEqual([]);
    },
  );
});

describe('predicted labels of API answers', () => {
  test(
    'when answers are single, batch, detailed or Open ' + 'Inference Protocol, then the labels are read from each',
    () => {
      expect(predictedLabels({ prediction: 'setosa' })).toEqual(['setosa']);
      expect(predictedLabels({ predictions: ['setosa', 'virginica'] })).toEqual(['setosa', 'virginica']);
      expect(predictedLabels({ predictions: [{ prediction: 'versicolor', probabilities: { setosa: 0 } }] })).toEqual([
        'versicolor',
      ]);
      expect(
        predictedLabels({
          outputs: [
            { name: 'probabilities', data: [1] },
            { name: 'label', data: ['virginica'] },
          ],
        }),
      ).toEqual(['virginica']);
      expect(predictedLabels({ error: { code: 'x' } })).toEqual([]);
    },
  );
});
