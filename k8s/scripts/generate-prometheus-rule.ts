/**
 * Writes k8s/components/monitoring/prometheusrule.yaml from prometheus/rules/*.yml.
 * `--check` writes nothing and exits 1 when the committed file is out of date.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderPrometheusRule } from './prometheus-rule';
import { ROOT } from '../../scripts/support/repo-root';

const RULES_DIR = join(ROOT, 'prometheus', 'rules');
const TARGET = join(ROOT, 'k8s', 'components', 'monitoring', 'prometheusrule.yaml');

function main(argv: readonly string[]): number {
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown[0]}; usage: generate-prometheus-rule [--check]`);
    return 2;
  }
  const wanted = renderPrometheusRule(RULES_DIR, ROOT);
  const current = existsSync(TARGET) ? readFileSync(TARGET, 'utf8') : '';
  if (argv.includes('--check')) {
    if (current === wanted) return 0;
    console.error(`${TARGET} is out of date with prometheus/rules: run npm run k8s:generate`);
    return 1;
  }
  if (current !== wanted) writeFileSync(TARGET, wanted);
  console.log(current === wanted ? `${TARGET} is up to date` : `wrote ${TARGET}`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
}
