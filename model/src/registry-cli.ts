import { join } from 'node:path';
import { parseFlags, runCli } from './cli';
import { InputError } from './errors';
import { currentVersion, DEFAULT_MODEL_DIR, latestVersion, listModelNames, listVersions, promote, readVersionMetrics, rollback, sweepStaging } from './registry';

const USAGE = 'npm run registry -- list | promote <name> <version> | rollback <name>   [--model-dir DIR]';

function main(): number {
  const { values, positionals } = parseFlags({ 'model-dir': { type: 'string', default: process.env.MODEL_DIR || DEFAULT_MODEL_DIR } }, USAGE);
  const modelDir = values['model-dir'];
  const [command, name, version, ...extra] = positionals;
  if (extra.length > 0) throw new InputError(`unexpected argument "${extra[0]}"; usage: ${USAGE}`);
  switch (command) {
    case 'list': {
      const names = listModelNames(modelDir);
      if (names.length === 0) console.log(`no models in ${modelDir}`);
      for (const model of names) {
        const current = currentVersion(modelDir, model);
        const latest = latestVersion(modelDir, model);
        console.log(`${model}  (${join(modelDir, model)})`);
        for (const v of listVersions(modelDir, model)) {
          const m = readVersionMetrics(modelDir, model, v);
          const tags = [v === current ? 'current' : '', v === latest ? 'latest' : ''].filter(Boolean).join(', ');
          console.log(`  ${v}  k=${m.hyperparameters.k} ${m.hyperparameters.distance}  accuracy ${m.scores.accuracy.toFixed(3)}  macro-F1 ${m.scores.macroF1.toFixed(3)}${tags ? `  [${tags}]` : ''}`);
        }
      }
      return 0;
    }
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
    default:
      throw new InputError(`${command ? `unknown command "${command}"` : 'no command'}; usage: ${USAGE}`);
  }
}

runCli(main);
