import { writeFileSync } from 'node:fs';
import { numberFlag, parseFlags, runCli } from './cli';
import { InputError } from './errors';
import { DEFAULT_MODELS_FILE } from './model-config';
import { gateCandidates, renderGateMarkdown } from './quality-gate';
import { DEFAULT_MODEL_DIR } from './registry';

const USAGE =
  'npm run gate -- [--model NAME ...] [--candidate metrics.json] [--baseline metrics.json | --baseline-dir DIR] ' +
  '[--min-accuracy X] [--min-macro-f1 X] [--tolerance X] [--model-dir DIR] [--out gate.md] [--json]';

function main(): number {
  const { values, positionals } = parseFlags(
    {
      model: { type: 'string', multiple: true },
      models: { type: 'string', default: DEFAULT_MODELS_FILE },
      'model-dir': { type: 'string', default: process.env.MODEL_DIR || DEFAULT_MODEL_DIR },
      candidate: { type: 'string' },
      baseline: { type: 'string' },
      'baseline-dir': { type: 'string' },
      'min-accuracy': { type: 'string' },
      'min-macro-f1': { type: 'string' },
      tolerance: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new InputError(`unexpected argument "${positionals[0]}"; usage: ${USAGE}`);
  if (values.baseline && values['baseline-dir']) throw new InputError('give --baseline or --baseline-dir, not both');
  const overrides = {
    minAccuracy: numberFlag('min-accuracy', values['min-accuracy'], 0, 1),
    minMacroF1: numberFlag('min-macro-f1', values['min-macro-f1'], 0, 1),
    maxRegression: numberFlag('tolerance', values.tolerance, 0, 1),
  };
  const results = gateCandidates({
    modelsFile: values.models,
    modelDir: values['model-dir'],
    models: values.model ?? [],
    candidate: values.candidate,
    baseline: values.baseline,
    baselineDir: values['baseline-dir'],
    overrides,
    optionPrefix: '--',
  });

  const markdown = renderGateMarkdown(results);
  if (values.out) writeFileSync(values.out, markdown);
  console.log(values.json ? JSON.stringify({ passed: results.every((r) => r.passed), results }) : markdown);
  return results.every((r) => r.passed) ? 0 : 1;
}

runCli(main);
