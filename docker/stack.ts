/**
 * One command each to build the image and to bring the compose stack up or down
 * (`npm run image:build`, `npm run stack:up`, `npm run stack:down`).
 *
 *   build  [--model-dir DIR] the image from the gated registry (trains the default one first when
 *          it is empty) -> mlship-api:local, labelled with the registry's provenance (NODE_IMAGE
 *          picks the build stages' base, RUNTIME_IMAGE the runtime's; the CA bundle in NODE_EXTRA_CA_CERTS goes in as a
 *          BuildKit secret)
 *   up     certificate + rendered nginx config in docker/.stack, the image if missing, then
 *          `up -d` (Compose v2 waits for every healthcheck; docker-compose 1.29 waits for the ones
 *          depends_on names)
 *   down   stops and removes the stack's containers (add --volumes to drop Prometheus/Grafana data)
 *
 * Env: MLSHIP_IMAGE (mlship-api:local), NODE_IMAGE, RUNTIME_IMAGE, MLSHIP_CANARY_PERCENT (0),
 * MLSHIP_EDGE_HTPASSWD (an htpasswd file: turns on basic auth at the edge), DOCKER (/usr/bin/docker).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROVENANCE_LABEL } from '../model/src/provenance';
import { buildImage } from './image';
import { DEFAULT_NGINX_OPTIONS, renderNginxConfig } from './nginx/render';
import { ROOT } from '../scripts/support/repo-root';

const STACK_DIR = join(__dirname, '.stack');
const DOCKER = process.env.DOCKER || '/usr/bin/docker';
const IMAGE = process.env.MLSHIP_IMAGE || 'mlship-api:local';
const PROJECT = 'mlship';

function sh(command: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

function must(command: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const status = sh(command, args, env);
  if (status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${status}`);
}

/** Compose v2 (`docker compose`) when the client has it, else docker-compose 1.29. */
function composeCommand(): { command: string; args: string[]; v2: boolean } {
  const v2 = spawnSync(DOCKER, ['compose', 'version'], { stdio: 'ignore' }).status === 0;
  const file = ['-f', join(__dirname, 'compose.yaml'), '-p', PROJECT];
  return v2 ? { command: DOCKER, args: ['compose', ...file], v2 } : { command: 'docker-compose', args: file, v2 };
}

/**
 * Builds the image from the gated registry (`--model-dir DIR`, default model/artifacts). An empty
 * default registry is trained and gated first, so a fresh clone still builds in one command; a
 * registry named with --model-dir is shipped as it is.
 */
function build(): void {
  const flag = process.argv.indexOf('--model-dir');
  const modelDir = flag > 0 ? process.argv[flag + 1] : undefined;
  if (flag > 0 && !modelDir) throw new Error('--model-dir needs a directory');
  if (!modelDir) must('node', ['dist/model/src/train.js', '--if-missing', '--promote']);
  const bases = {
    ...(process.env.NODE_IMAGE ? { baseImage: process.env.NODE_IMAGE } : {}),
    ...(process.env.RUNTIME_IMAGE ? { runtimeImage: process.env.RUNTIME_IMAGE } : {}),
  };
  const result = buildImage({
    tag: IMAGE,
    ...(modelDir ? { modelDir } : {}),
    ...bases,
    extraArgs: ['--progress=plain'],
  });
  process.stderr.write(result.output);
  if (result.status !== 0) throw new Error(`docker build exited ${result.status}`);
  console.log(`${IMAGE} built in ${result.seconds.toFixed(1)} s; ${PROVENANCE_LABEL}=${result.provenance}`);
}

function prepareEdge(): void {
  const nginxDir = join(STACK_DIR, 'nginx');
  mkdirSync(join(STACK_DIR, 'results'), { recursive: true });
  must('bash', [join(__dirname, 'nginx/make-cert.sh'), join(nginxDir, 'certs')]);
  // A throwaway localhost key, read by the nginx container's own user (101), not by this one.
  chmodSync(join(nginxDir, 'certs/tls.key'), 0o644);
  const htpasswd = process.env.MLSHIP_EDGE_HTPASSWD;
  if (htpasswd) copyFileSync(htpasswd, join(nginxDir, 'htpasswd'));
  const canary = Number(process.env.MLSHIP_CANARY_PERCENT || 0);
  writeFileSync(
    join(nginxDir, 'nginx.conf'),
    renderNginxConfig({
      ...DEFAULT_NGINX_OPTIONS,
      canaryPercent: canary,
      ...(htpasswd ? { edgeAuthFile: '/etc/mlship-nginx/htpasswd' } : {}),
    }),
  );
}

function up(): void {
  if (spawnSync(DOCKER, ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status !== 0) build();
  prepareEdge();
  const compose = composeCommand();
  must(compose.command, [...compose.args, 'up', '-d', '--no-build', ...(compose.v2 ? ['--wait'] : [])], {
    MLSHIP_IMAGE: IMAGE,
  });
  console.log(
    'mlship stack is up: https://127.0.0.1:8443 (self-signed), Prometheus http://127.0.0.1:9090, Grafana ' +
      'http://127.0.0.1:3000',
  );
}

function down(): void {
  const compose = composeCommand();
  const volumes = process.argv.includes('--volumes') ? ['--volumes'] : [];
  must(compose.command, [...compose.args, 'down', '--remove-orphans', ...volumes], { MLSHIP_IMAGE: IMAGE });
}

const commands: Record<string, () => void> = { build, up, down };
const name = process.argv[2] ?? '';
const command = commands[name];
if (!command) {
  console.error(`usage: tsx docker/stack.ts build|up|down [--volumes]`);
  process.exit(2);
}
try {
  command();
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}
