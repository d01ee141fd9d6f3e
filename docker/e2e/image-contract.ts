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
 *   onnx      the image serves the ONNX example (M4) with its onnxruntime-node, and looks up no host
 *             name meanwhile (a name server on 127.0.0.1:53 is its resolv.conf: dns-watch.ts).
 * Containers use host networking on a free loopback port. Closes with "image: N passed, N failed".
 *
 * Env: NODE_IMAGE (build stages' base; default mlship-base:bookworm-node24-<recipe>), RUNTIME_IMAGE
 * (runtime stage's base; default mlship-runtime:bookworm-node24-<recipe>; both from
 * docker/base-image/build.sh), DOCKER (/usr/bin/docker).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProvenance, parseProvenance, registryProvenance } from '../../model/src/provenance';
import { ROOT } from '../../scripts/support/repo-root';
import { basicAuth, sendRequest } from '../smoke/smoke';
import { run } from './processes';
import { startDnsWatch } from './dns-watch';
import { stepDrift, stepLineage } from './image-contract-lineage';
import {
  BASE_IMAGE,
  build,
  DOCKER,
  docker,
  freePort,
  node,
  owned,
  record,
  remove,
  results,
  RUNTIME_IMAGE,
  start,
  TOKEN,
} from './image-contract-run';

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

/**
 * How long the container runs on after its requests, its lookups watched. With its telemetry on,
 * onnxruntime in this image first looked a name up 9.3 s after the container started, and again
 * 6.5 s later (with ORT_DISABLE_TELEMETRY=0, once, to see this check fail).
 */
const QUIET_WATCH_MS = 15_000;

/**
 * The ONNX example, served by the image's onnxruntime-node (its native library needs the runtime
 * base's glibc), with every name lookup of the container watched: the API calls nothing outside,
 * and onnxruntime's telemetry (which resolves mobile.events.data.microsoft.com when it is on) is off.
 */
async function stepOnnx(tag: string): Promise<void> {
  const dns = await startDnsWatch();
  try {
    const id = await serveOnnx(tag, dns.resolvConf);
    await new Promise((resolve) => setTimeout(resolve, QUIET_WATCH_MS));
    remove(id);
    record(
      'when the image loads and serves the ONNX model, then it looks up no host name (no telemetry, no call out)',
      dns.questions.length === 0,
      dns.questions.length ? `asked for ${[...new Set(dns.questions)].join(', ')}` : 'no lookup from start to end',
    );
  } finally {
    await dns.stop();
  }
}

/** Starts the image serving M4 with `resolvConf`, checks its answers, and leaves it running (its id). */
async function serveOnnx(tag: string, resolvConf: string): Promise<string> {
  const api = await start(tag, { MODEL_NAME: 'M4', AB_MODEL_NAME: 'M4', ALLOW_DEV_CREDENTIALS: 'true' }, [
    `${resolvConf}:/etc/resolv.conf:ro`,
  ]);
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
  return api.id;
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
