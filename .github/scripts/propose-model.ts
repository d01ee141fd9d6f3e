/**
 * Edits model/models.json for train.yml's pull request: points one model at its data (a CSV in
 * the repository with its label column, or the built-in Iris), creating the model from the first
 * entry's settings when the name is new. Prints `changed` or `unchanged` and, on GitHub, writes
 * the step output `changed=true|false`.
 *
 *   tsx .github/scripts/propose-model.ts --model M3 --data model/data/penguins.csv --label species
 *   tsx .github/scripts/propose-model.ts --model M4          (a new model on Iris)
 *
 * Exit: 0 on success, 2 with one line saying what to fix on bad input.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, normalize } from 'node:path';
import { parseArgs } from 'node:util';

/** Where a model's training data comes from, as model/models.json records it. */
export type DataSource = { source: 'iris' } | { source: 'csv'; path: string; label: string };

interface ModelsFile {
  models: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

const MODEL_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
const LINE_WIDTH = 100;

/** The data source the inputs name; throws with one line when they do not fit together. */
export function dataSourceOf(
  data: string,
  label: string,
  exists: (path: string) => boolean = existsSync,
): DataSource | undefined {
  if (!data) {
    if (label) throw new Error('--label needs --data (the CSV whose column it names)');
    return undefined;
  }
  const path = normalize(data).replace(/\\/g, '/');
  if (isAbsolute(path) || path.startsWith('..'))
    throw new Error(`--data ${data}: give a path inside the repository, e.g. model/data/penguins.csv`);
  if (!path.endsWith('.csv')) throw new Error(`--data ${data}: expected a .csv file`);
  if (!exists(path))
    throw new Error(`--data ${data}: no such file in this checkout (commit it on the branch you run the workflow on)`);
  if (!label) throw new Error(`--data ${data} needs --label (its label column)`);
  return { source: 'csv', path, label };
}

/** The configuration with `name` pointed at `data`; a new name copies the first model's settings. */
export function proposeModel(config: ModelsFile, name: string, data: DataSource | undefined): ModelsFile {
  if (!MODEL_NAME.test(name))
    throw new Error(`--model ${JSON.stringify(name)}: use a letter, then letters, digits, _ or - (up to 63)`);
  const existing = config.models[name];
  const template = Object.values(config.models)[0];
  if (!existing && !template) throw new Error('model/models.json has no model to copy settings from');
  const base = existing ?? {
    ...template,
    description: `${name}: KNN with ${Object.keys(config.models)[0]}'s settings, proposed by train.yml`,
  };
  const next = { ...base, data: data ?? base.data ?? { source: 'iris' } };
  return { ...config, models: { ...config.models, [name]: next } };
}

/** JSON in the file's own style: short arrays and objects on one line, the rest indented. */
export function formatJson(value: unknown, indent = ''): string {
  const inline = JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ').replace(/\[ /g, '[').replace(/ \]/g, ']');
  if (
    value === null ||
    typeof value !== 'object' ||
    (indent.length + inline.length <= LINE_WIDTH && indent.length >= 4)
  )
    return inline;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`,
  );
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: '' },
      data: { type: 'string', default: '' },
      label: { type: 'string', default: '' },
      models: { type: 'string', default: 'model/models.json' },
    },
  });
  if (!values.model) throw new Error('--model is required (an existing or a new model name)');
  const text = readFileSync(values.models, 'utf8');
  const config = JSON.parse(text) as ModelsFile;
  const next = formatJson(proposeModel(config, values.model, dataSourceOf(values.data, values.label))) + '\n';
  const changed = next !== text;
  if (changed) writeFileSync(values.models, next);
  console.log(changed ? 'changed' : 'unchanged');
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `changed=${changed}\n`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`propose-model: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  }
}
