/**
 * The lineage and drift steps of the image contract (image-contract.ts): the image holds the gated
 * registry's models byte for byte and says so in its label and its API, and a changed row of the
 * data gives a new version that the image built before does not serve.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ModelProvenance } from '../../model/src/provenance';
import { formatProvenance, PROVENANCE_LABEL, registryProvenance } from '../../model/src/provenance';
import { runSteps } from '../image';
import { ROOT } from '../../scripts/support/repo-root';
import { sendRequest } from '../smoke/smoke';
import { run } from './processes';
import type { Served } from './image-contract-run';
import { build, docker, node, record, remove, start, TOKEN } from './image-contract-run';

/** sha256 of every file under `dir`, by relative path. */
function fileDigests(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

/** The registry inside the image, copied out of a container created (not started) from it. */
function checkShippedModels(dir: string, tag: string, registry: string): void {
  const copy = join(dir, 'image-registry');
  const id = docker(['create', tag]);
  try {
    docker(['cp', `${id}:/app/model/artifacts`, copy]);
  } finally {
    docker(['rm', id]);
  }
  const shipped = fileDigests(copy);
  const source = fileDigests(registry);
  const differs = [...shipped]
    .filter(([path, digest]) => !path.endsWith('history') && source.get(path) !== digest)
    .map(([path]) => path);
  record(
    "when the image is built, then its models are the registry's promoted versions byte for byte",
    shipped.size > 0 && differs.length === 0,
    `${shipped.size} files${differs.length ? `; differ: ${differs.join(', ')}` : ', identical'}`,
  );
}

export async function stepLineage(
  dir: string,
  registry: string,
  expected: ModelProvenance[],
  users: { file: string; header: string },
): Promise<string> {
  const tag = `mlship-api:lineage-${Date.now()}`;
  const built = build(tag, registry);
  if (built.status !== 0) throw new Error(`image build failed:\n${built.output.split('\n').slice(-30).join('\n')}`);
  // Every RUN step of the build, whether it ran now or came from the cache: none may train.
  const steps = runSteps(built.output);
  const training = steps.filter((s) => /train(\.js|\b)|--promote/.test(s.line));
  record(
    'when the image is built from a gated registry, then no build step trains',
    steps.length > 0 && training.length === 0,
    `${steps.length} RUN steps (${steps.filter((s) => !s.cached).length} executed): ` +
      `${steps.map((s) => s.line.replace(/^#\d+ /, '').slice(0, 60)).join(' | ')}`,
  );

  checkShippedModels(dir, tag, registry);

  const label = docker(['image', 'inspect', '--format', `{{index .Config.Labels "${PROVENANCE_LABEL}"}}`, tag]);
  record(
    "when the image is inspected, then its label records the registry's provenance",
    label === formatProvenance(expected),
    label,
  );

  // MODEL_NAME another model than the default; MODELS unset, so every model the image holds is served.
  const api = await start(tag, { MODEL_NAME: 'M3', USERS_FILE: '/run/mlship/users.txt', MONITORING_TOKEN: TOKEN }, [
    `${users.file}:/run/mlship/users.txt:ro`,
  ]);
  const status = JSON.parse((await sendRequest(api.url, { path: '/status' })).body) as Served;
  const models = JSON.parse(
    (await sendRequest(api.url, { path: '/models', headers: { authorization: users.header } })).body,
  ) as Served;
  const same = (served: Served): boolean =>
    served.models.length === expected.length &&
    served.models.every((m) =>
      expected.some((e) => e.name === m.name && e.version === m.version && e.sha256 === m.sha256),
    );
  record(
    "when the image runs, then /status and /models report every artifact's version and sha256",
    same(status) && same(models),
    status.models.map((m) => `${m.name}@${m.version} ${m.sha256}`).join(', '),
  );
  const lineage = run('npx', ['tsx', join(ROOT, 'scripts/lineage.ts'), '--url', api.url, '--image', tag], {
    cwd: ROOT,
    okCodes: [0, 1, 2],
  });
  console.log(lineage.stdout.trim());
  record(
    "when the deploys' lineage check runs against it, then it passes",
    /^lineage ok/.test(lineage.stdout),
    (lineage.stdout + lineage.stderr).trim(),
  );
  remove(api.id);
  return tag;
}

export async function stepDrift(
  dir: string,
  tag: string,
  before: ModelProvenance[],
  users: { file: string; header: string },
): Promise<void> {
  const csv = join(dir, 'penguins-changed.csv');
  const config = JSON.parse(readFileSync(join(ROOT, 'model/models.json'), 'utf8')) as {
    models: Record<string, { data: { path?: string; label?: string } }>;
  };
  const lines = readFileSync(join(ROOT, config.models.M3!.data.path as string), 'utf8').split('\n');
  // One row, one value: the first feature of the first data row, nudged by 0.1.
  const feature = lines[0]!.split(',').findIndex((column) => column !== config.models.M3!.data.label);
  const cells = lines[1]!.split(',');
  cells[feature] = (Number(cells[feature]) + 0.1).toFixed(1);
  lines[1] = cells.join(',');
  writeFileSync(csv, lines.join('\n'));
  config.models.M3!.data.path = csv;
  writeFileSync(join(dir, 'models-changed.json'), JSON.stringify(config));
  const changed = join(dir, 'registry-changed');
  node('dist/model/src/train.js', [
    '--models',
    join(dir, 'models-changed.json'),
    '--model',
    'M3',
    '--promote',
    '--model-dir',
    changed,
  ]);
  const after = registryProvenance(changed)[0]!;
  const old = before.find((m) => m.name === 'M3')!;
  record(
    'when one row of the CSV changes, then training gives a new version, sha256 and data sha256',
    after.version !== old.version && after.sha256 !== old.sha256 && after.dataSha256 !== old.dataSha256,
    `M3 ${old.version} -> ${after.version}, data ${old.dataSha256.slice(0, 12)} -> ${after.dataSha256.slice(0, 12)}`,
  );
  const api = await start(tag, { MODELS: 'M3', USERS_FILE: '/run/mlship/users.txt', MONITORING_TOKEN: TOKEN }, [
    `${users.file}:/run/mlship/users.txt:ro`,
  ]);
  const served = (JSON.parse((await sendRequest(api.url, { path: '/status' })).body) as Served).models.find(
    (m) => m.name === 'M3',
  );
  const check = run(
    'npx',
    ['tsx', join(ROOT, 'scripts/lineage.ts'), '--url', api.url, '--expected', formatProvenance([after])],
    { cwd: ROOT, okCodes: [0, 1, 2] },
  );
  record(
    'when the new artifact exists, then the image built from the old one still serves the old version (and lineage ' +
      'against the new one fails)',
    served?.version === old.version && check.stdout === '' && /lineage mismatch: M3: serves version/.test(check.stderr),
    `serves M3@${served?.version}; lineage vs new: ${check.stderr.trim()}`,
  );
  remove(api.id);
}
