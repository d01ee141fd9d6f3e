import { join } from 'node:path';
import { algorithmOf } from './artifact';
import { parseFlags, runCli } from './cli';
import { InputError } from './errors';
import { exportVerified, formatProvenance, parseProvenance, registryProvenance } from './provenance';
import {
  currentVersion,
  DEFAULT_MODEL_DIR,
  latestVersion,
  listModelNames,
  listVersions,
  promote,
  readVersionMetrics,
  rollback,
  sweepStaging,
} from './registry';

const USAGE =
  'npm run registry -- list | promote <name> <version> | rollback <name> | provenance | verify | export <dir> ' +
  '--expect <provenance JSON>   [--model-dir DIR]';

function list(modelDir: string): void {
  const names = listModelNames(modelDir);
  if (names.length === 0) console.log(`no models in ${modelDir}`);
  for (const model of names) {
    const current = currentVersion(modelDir, model);
    const latest = latestVersion(modelDir, model);
    console.log(`${model}  (${join(modelDir, model)})`);
    for (const v of listVersions(modelDir, model)) {
      const m = readVersionMetrics(modelDir, model, v);
      const tags = [v === current ? 'current' : '', v === latest ? 'latest' : ''].filter(Boolean).join(', ');
      console.log(
        `  ${v}  ${algorithmOf(m).describe(m.hyperparameters, m.scores, {}).brief}  accuracy ` +
          `${m.scores.accuracy.toFixed(3)}  macro-F1 ${m.scores.macroF1.toFixed(3)}` +
          `${tags ? `  [${tags}]` : ''}`,
      );
    }
  }
}

function main(): number {
  const { values, positionals } = parseFlags(
    {
      'model-dir': { type: 'string', default: process.env.MODEL_DIR || DEFAULT_MODEL_DIR },
      expect: { type: 'string' },
    },
    USAGE,
  );
  const modelDir = values['model-dir'];
  const [command, name, version, ...extra] = positionals;
  if (extra.length > 0) throw new InputError(`unexpected argument "${extra[0]}"; usage: ${USAGE}`);
  if (values.expect !== undefined && command !== 'export')
    throw new InputError(`--expect goes with export; usage: ${USAGE}`);
  switch (command) {
    case 'list':
      list(modelDir);
      return 0;
    case 'promote': {
      if (!name || !version) throw new InputError(`promote needs a name and a version; usage: ${USAGE}`);
      sweepStaging(modelDir);
      promote(modelDir, name, version);
      console.log(`${name}: current is now ${version}`);
      return 0;
    }
    case 'rollback': {
      if (!name || version) throw new InputError(`rollback takes one model name; usage: ${USAGE}`);
      sweepStaging(modelDir);
      console.log(`${name}: rolled back, current is now ${rollback(modelDir, name)}`);
      return 0;
    }
    case 'provenance':
    case 'verify': {
      if (name) throw new InputError(`${command} takes no argument; usage: ${USAGE}`);
      const models = registryProvenance(modelDir);
      if (command === 'provenance') console.log(formatProvenance(models));
      else console.log(`verified ${models.map((m) => `${m.name}@${m.version}`).join(', ')} in ${modelDir}`);
      return 0;
    }
    case 'export': {
      if (!name || version) throw new InputError(`export takes one output directory; usage: ${USAGE}`);
      if (!values.expect?.trim()) {
        throw new InputError(
          'export needs --expect: the provenance the registry must match (MODEL_PROVENANCE="$(npm run -s registry ' +
            '-- provenance)")',
        );
      }
      const models = exportVerified(modelDir, name, parseProvenance(values.expect, 'MODEL_PROVENANCE'));
      console.log(
        `verified and copied ` +
          `${models.map((m) => `${m.name}@${m.version} (sha256 ${m.sha256.slice(0, 12)}…)`).join(', ')} to ` +
          `${name}`,
      );
      return 0;
    }
    default:
      throw new InputError(`${command ? `unknown command "${command}"` : 'no command'}; usage: ${USAGE}`);
  }
}

runCli(main);
