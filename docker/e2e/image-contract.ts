/**
 * The image's contract with the pipeline, proven with the real Docker engine (`npm run test:image`):
 *   lineage   train every configured model (Iris and the penguins CSV) into a fresh registry, gate
 *             it, build the image from it: the build runs no training step, the image holds the
 *             registry's files byte for byte, its `io.mlship.models` label is the registry's
 *             provenance, and the running API reports the same versions and sha256 in /status and
 *             /models (checked by `npm run lineage`, the deploys' own check);
 *   drift     one row of the CSV changed gives a new version and sha256, and the image built from
 *             the old registry still serves the old one (the lineage check says so);
 *   tamper    one byte of a model.json changed (a KNN's mean; the ONNX model's embedded file) fails
 *             the build with a line naming the file;
 *   secrets   the image with no settings refuses to start (exit 2, one line); with a real users file
 *             and token it serves; with ALLOW_DEV_CREDENTIALS=true it serves and warns;
 *   onnx      the image serves the ONNX example (M4) with its onnxruntime-node.
 * Containers use host networking on a free loopback port. Closes with "image: N passed, N failed".
 *
 * Env: NODE_IMAGE (build stages' base; default mlship-base:bookworm-node24-<recipe>), RUNTIME_IMAGE
 * (runtime stage's base; default mlship-runtime:bookworm-node24-<recipe>; both from
 * docker/base-image/build.sh), DOCKER (/usr/bin/docker).
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { ModelProvenance } from '../../model/src/provenance';
import { formatProvenance, parseProvenance, PROVENANCE_LABEL, registryProvenance } from '../../model/src/provenance';
import { offlineBaseImage } from '../base-image/names';
import { buildImage, runSteps } from '../image';
import { ROOT } from '../../scripts/support/repo-root';
import type { CheckResult } from '../smoke/smoke';
import { basicAuth, sendRequest } from '../smoke/smoke';
import { run } from './processes';
import { waitFor } from '../../scripts/support/poll-until';

const DOCKER = process.env.DOCKER || '/usr/bin/docker';
const BASE_IMAGE = process.env.NODE_IMAGE || offlineBaseImage('base');
const RUNTIME_IMAGE = process.env.RUNTIME_IMAGE || offlineBaseImage('runtime');
const TOKEN = 'image-contract-monitoring-token-0123456789';
const results: CheckResult[] = [];
const owned = { containers: new Set<string>(), images: new Set<string>() };

function record(name: string, passed: boolean, detail: string): void {
  results.push({ name, passed, detail });
  console.log(`${passed ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
}

function docker(args: string[], timeoutMs = 120_000): string {
  return run(DOCKER, args, { timeoutMs }).stdout.trim();
}

function node(script: string, args: string[], okCodes = [0]): { stdout: string; stderr: string } {
  return run('node', [join(ROOT, script), ...args], { cwd: ROOT, timeoutMs: 300_000, okCodes });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

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

function build(tag: string, modelDir: string, provenance?: string): ReturnType<typeof buildImage> {
  owned.images.add(tag);
  return buildImage(
    {
      tag,
      modelDir,
      baseImage: BASE_IMAGE,
      runtimeImage: RUNTIME_IMAGE,
      extraArgs: ['--progress=plain'],
      docker: DOCKER,
    },
    provenance,
  );
}

interface Running {
  id: string;
  url: string;
}

/** Starts `image` on a free loopback port with `env`; resolves once /readyz answers 200. */
async function start(image: string, env: Record<string, string>, mounts: string[] = []): Promise<Running> {
  const port = await freePort();
  const args = ['run', '-d', '--network', 'host', '--read-only', ...mounts.flatMap((m) => ['-v', m])];
  for (const [key, value] of Object.entries({ HOST: '127.0.0.1', PORT: String(port), ...env }))
    args.push('-e', `${key}=${value}`);
  const id = docker([...args, image]);
  owned.containers.add(id);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `${image} ready on ${port}`,
    async () => (await sendRequest(url, { path: '/readyz', timeoutMs: 1000 })).status === 200,
    { timeoutMs: 60_000, intervalMs: 100 },
  );
  return { id, url };
}

function remove(id: string): void {
  docker(['rm', '-f', id]);
  owned.containers.delete(id);
}

/** A users file with one user that is not a development user, and its password. */
function realUsersFile(dir: string): { file: string; header: string } {
  const file = join(dir, 'users.txt');
  const password = 'image-contract-password';
  run('node', [join(ROOT, 'dist/api/src/security/users-cli.js'), 'add', 'ops', '--file', file], {
    input: `${password}\n`,
  });
  // What a secret volume gives the pod: owned by root, readable by the app's group (10001) only.
  chownSync(file, 0, 10001);
  chmodSync(file, 0o640);
  return { file, header: basicAuth('ops', password) };
}

interface Served {
  models: Array<{ name: string; version: string; sha256?: string }>;
}

async function stepLineage(
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

async function stepDrift(
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

/** One byte of a model's model.json changed: where, and what it becomes. */
interface Tamper {
  model: string;
  what: string;
  change: (text: string) => string;
}

const TAMPERS: Tamper[] = [
  {
    model: 'M1',
    what: 'a feature mean',
    // The first digit of the first feature mean becomes another digit.
    change: (text) => {
      const at = text.indexOf('"mean": [') + 9 + text.slice(text.indexOf('"mean": [') + 9).search(/\d/);
      return text.slice(0, at) + String((Number(text[at]) + 1) % 10) + text.slice(at + 1);
    },
  },
  {
    model: 'M4',
    what: 'the embedded ONNX file',
    // A character of the base64 of the .onnx bytes becomes another one.
    change: (text) => {
      const at = text.indexOf('"bytes": "') + 30;
      return text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    },
  },
];

function stepTamper(dir: string, registry: string, provenance: string): void {
  for (const { model, what, change } of TAMPERS) {
    const tampered = join(dir, `registry-tampered-${model}`);
    run('cp', ['-a', registry, tampered]);
    const { version } = parseProvenance(provenance, 'provenance').find((m) => m.name === model)!;
    const file = join(tampered, model, version, 'model.json');
    writeFileSync(file, change(readFileSync(file, 'utf8')));
    const built = build(`mlship-api:tampered-${Date.now()}`, tampered, provenance);
    const line = built.output
      .split('\n')
      .find((l) => l.includes(`${model}/${version}/model.json`) && l.includes('sha256 mismatch'));
    record(
      `when one byte of ${model}'s model.json (${what}) is changed, then the image build fails naming the file`,
      built.status !== 0 && Boolean(line),
      line?.replace(/^#\d+ [\d.]+ /, '') ?? `exit ${built.status}, no line naming the file`,
    );
  }
}

/** The ONNX example, served by the image's onnxruntime-node (its native library needs the runtime base's glibc). */
async function stepOnnx(tag: string): Promise<void> {
  const api = await start(tag, { MODEL_NAME: 'M4', AB_MODEL_NAME: 'M4', ALLOW_DEV_CREDENTIALS: 'true' });
  const auth = { authorization: basicAuth('alice', 'wonderland') };
  const single = await sendRequest(api.url, { path: '/predict', json: { X: [39.1, 18.7, 181, 3750] }, headers: auth });
  const infer = await sendRequest(api.url, {
    path: '/v2/models/M4/infer',
    json: { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [50, 15, 220, 5000] }] },
    headers: auth,
  });
  const prediction = (JSON.parse(single.body) as { prediction?: string }).prediction;
  const label = (JSON.parse(infer.body) as { outputs?: { data: unknown[] }[] }).outputs?.[0]?.data[0];
  record(
    'when the image serves the ONNX model M4, then /predict and OIP infer answer with onnxruntime',
    prediction === 'Adelie' && label === 'Gentoo',
    `/predict ${single.status} ${prediction}; infer ${infer.status} ${String(label)}`,
  );
  remove(api.id);
}

async function stepSecrets(tag: string, users: { file: string; header: string }): Promise<void> {
  const refused = spawnSync(
    DOCKER,
    ['run', '--rm', '--network', 'host', '-e', `PORT=${await freePort()}`, '-e', 'HOST=127.0.0.1', tag],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const lines = `${refused.stdout ?? ''}${refused.stderr ?? ''}`.trim().split('\n').filter(Boolean);
  record(
    'when the image runs with no settings, then it exits 2 with one line naming what to set',
    refused.status === 2 && lines.length === 1 && /USERS_FILE|MONITORING_TOKEN/.test(lines[0] ?? ''),
    `exit ${refused.status}: ${lines.join(' | ')}`,
  );
  const real = await start(tag, { USERS_FILE: '/run/mlship/users.txt', MONITORING_TOKEN: TOKEN }, [
    `${users.file}:/run/mlship/users.txt:ro`,
  ]);
  const ok = await sendRequest(real.url, {
    path: '/predict',
    json: { X: [5.1, 3.5, 1.4, 0.2] },
    headers: { authorization: users.header },
  });
  const alice = await sendRequest(real.url, {
    path: '/predict',
    json: { X: [5.1, 3.5, 1.4, 0.2] },
    headers: { authorization: basicAuth('alice', 'wonderland') },
  });
  record(
    'when the image runs with a real users file and token, then it serves them and not the development users',
    ok.status === 200 && alice.status === 401,
    `ops ${ok.status}, alice ${alice.status}`,
  );
  remove(real.id);
  const demo = await start(tag, { ALLOW_DEV_CREDENTIALS: 'true' });
  const demoStatus = JSON.parse((await sendRequest(demo.url, { path: '/status' })).body) as Record<string, unknown>;
  const alicePredicts = await sendRequest(demo.url, {
    path: '/predict',
    json: { X: [5.1, 3.5, 1.4, 0.2] },
    headers: { authorization: basicAuth('alice', 'wonderland') },
  });
  const logs = run(DOCKER, ['logs', demo.id]);
  const warned = `${logs.stdout}${logs.stderr}`
    .split('\n')
    .filter((l) => /"level":40/.test(l) && l.includes('insecure credentials: '));
  record(
    'when the image runs with ALLOW_DEV_CREDENTIALS=true, then it serves the development users, warns once and says ' +
      'so in /status',
    alicePredicts.status === 200 && warned.length === 1 && demoStatus.devCredentials === true,
    `alice ${alicePredicts.status}; ${warned.length} warning line(s); /status devCredentials ` +
      `${String(demoStatus.devCredentials)}, warnings ${JSON.stringify(demoStatus.warnings)}`,
  );
  remove(demo.id);
}

async function main(): Promise<number> {
  for (const image of [BASE_IMAGE, RUNTIME_IMAGE]) docker(['image', 'inspect', image]);
  const dir = mkdtempSync(join(tmpdir(), 'mlship-image-'));
  try {
    const registry = join(dir, 'registry');
    node('dist/model/src/train.js', ['--promote', '--model-dir', registry]);
    node('dist/model/src/gate.js', ['--model-dir', registry]);
    const expected = registryProvenance(registry);
    const users = realUsersFile(dir);
    const tag = await stepLineage(dir, registry, expected, users);
    await stepDrift(dir, tag, expected, users);
    stepTamper(dir, registry, formatProvenance(expected));
    await stepSecrets(tag, users);
    await stepOnnx(tag);
  } finally {
    for (const id of owned.containers) run(DOCKER, ['rm', '-f', id], { okCodes: [0, 1] });
    for (const image of owned.images) run(DOCKER, ['image', 'rm', '-f', image], { okCodes: [0, 1] });
    rmSync(dir, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.passed).length;
  console.log(`image: ${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
