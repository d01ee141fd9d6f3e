/**
 * What a `uses:` step does here. Each action ci.yml pins has a local equivalent where one exists
 * (checkout = this clone, setup-node = this Node, the artifact actions = a folder per artifact,
 * build-push-action = a BuildKit build with the same inputs, hadolint-action = hadolint with the
 * same config, the repository's own JavaScript actions = node on their bundle), and otherwise a
 * verdict with the reason: "needs GitHub" for GitHub's own services, "skipped" for what this
 * machine does not run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { downloadArtifact, inputLines, uploadArtifact } from './artifacts';
import type { StepProcess } from './shell-step';
import { runShellStep } from './shell-step';

/** A `uses:` step, its inputs evaluated. */
export interface ActionCall {
  action: string;
  inputs: Record<string, string>;
  workspace: string;
  artifacts: string;
  process: StepProcess;
}

/** What the step did. */
export interface ActionOutcome {
  verdict: 'passed' | 'failed' | 'skipped' | 'github';
  note: string;
  outputs?: Record<string, string>;
  env?: Record<string, string>;
}

type Handler = (call: ActionCall) => ActionOutcome;

const run = (call: ActionCall, argv: string[], note: string, env = call.process.env): ActionOutcome => {
  const result = spawnSync(argv[0]!, argv.slice(1), {
    cwd: call.workspace,
    env,
    stdio: 'inherit',
    timeout: call.process.timeoutMs,
  });
  return {
    verdict: result.status === 0 ? 'passed' : 'failed',
    note: `${note}${result.status === 0 ? '' : `: exit code ${result.status ?? result.signal}`}`,
  };
};

/** The worktrees this run's checkouts made: the run removes them when it ends. */
export const worktrees: string[] = [];

const github =
  (why: string): Handler =>
  () => ({ verdict: 'github', note: `needs GitHub: ${why}` });

/** actions/checkout: the workspace is the clone; a `path:` checkout of another ref is a git worktree. */
const checkout: Handler = (call) => {
  const path = call.inputs.path;
  if (!path) return { verdict: 'passed', note: 'here: this clone' };
  const ref = call.inputs.ref || 'HEAD';
  const target = join(call.workspace, path);
  if (existsSync(target)) {
    spawnSync('git', ['worktree', 'remove', '--force', target], { cwd: call.workspace });
    rmSync(target, { recursive: true, force: true });
  }
  worktrees.push(target);
  return run(
    call,
    ['git', 'worktree', 'add', '--detach', target, ref],
    `here: git worktree of ${ref.slice(0, 12)} in ${path}/`,
  );
};

/**
 * The build command: `docker buildx build --load` where the client has buildx (what
 * build-push-action runs), else the client's own BuildKit build (DOCKER names the client: a client
 * from docker 23 on builds with BuildKit only through buildx).
 */
function buildCommand(env: Record<string, string>): string[] {
  const docker = env.DOCKER || 'docker';
  return spawnSync(docker, ['buildx', 'version'], { env, stdio: 'ignore' }).status === 0
    ? [docker, 'buildx', 'build', '--load']
    : [docker, 'build'];
}

/** docker/build-push-action: the same file, context, tags and build args, BuildKit on this engine. */
const buildPush: Handler = (call) => {
  if (call.inputs.push === 'true') return { verdict: 'github', note: 'needs GitHub: pushes to a registry' };
  const argv = [...buildCommand(call.process.env), '--network', 'host', '-f', call.inputs.file || 'Dockerfile'];
  const command = argv.slice(1, argv.indexOf('--network')).join(' ');
  for (const tag of inputLines(call.inputs.tags)) argv.push('-t', tag);
  for (const arg of inputLines(call.inputs['build-args'])) argv.push('--build-arg', arg);
  // Where the public bases cannot be pulled: the offline bases `npm run base-image` builds.
  const bases = ['NODE_IMAGE', 'RUNTIME_IMAGE']
    .filter((name) => call.process.env[name])
    .map((name) => `${name}=${call.process.env[name]}`);
  for (const base of bases) argv.push('--build-arg', base);
  if (call.process.env.NODE_EXTRA_CA_CERTS)
    argv.push('--secret', `id=npm_ca,src=${call.process.env.NODE_EXTRA_CA_CERTS}`);
  argv.push(call.inputs.context || '.');
  const note =
    `here: docker ${command} (BuildKit)${bases.length ? ` with ${bases.join(', ')}` : ''}; ` +
    `cache-from/cache-to gha are GitHub's`;
  return run(call, argv, note, { ...call.process.env, DOCKER_BUILDKIT: '1' });
};

/** hadolint/hadolint-action: the hadolint of the tools venv with the same Dockerfile and config. */
const hadolint: Handler = (call) => {
  const binary = join(call.workspace, '.venv-tools', 'bin', 'hadolint');
  if (!existsSync(binary)) return { verdict: 'failed', note: 'no .venv-tools/bin/hadolint: run npm run tools:install' };
  const argv = [
    binary,
    ...(call.inputs.config ? ['--config', call.inputs.config] : []),
    call.inputs.dockerfile || 'Dockerfile',
  ];
  return run(call, argv, 'here: hadolint from the tools venv');
};

/**
 * helm/kind-action: the cluster is the one `npm run cluster:up` started on this machine (the steps
 * after it reach it through KUBECONFIG, as they reach kind's): it must answer before they run.
 */
const kindCluster: Handler = (call) => {
  const kubeconfig = call.process.env.KUBECONFIG;
  if (!kubeconfig)
    return {
      verdict: 'failed',
      note: 'no KUBECONFIG: start a cluster with npm run cluster:up and export the KUBECONFIG it prints',
    };
  const ready = spawnSync('kubectl', ['get', '--raw', '/readyz'], {
    env: call.process.env,
    encoding: 'utf8',
    timeout: 20_000,
  });
  return ready.status === 0
    ? { verdict: 'passed', note: `here: the cluster of npm run cluster:up (KUBECONFIG=${kubeconfig}) in place of kind` }
    : {
        verdict: 'failed',
        note:
          `the cluster at KUBECONFIG=${kubeconfig} does not answer: ` +
          `${(ready.stderr || ready.error?.message || '').trim().split('\n')[0]}`,
      };
};

/** The repository's own JavaScript actions: node on their bundle, inputs as INPUT_* variables. */
const localJavaScriptAction: Handler = (call) => {
  const dir = join(call.workspace, call.action);
  const metadata = parse(readFileSync(join(dir, 'action.yml'), 'utf8')) as {
    runs: { using: string; main: string };
    inputs?: Record<string, { default?: string }>;
  };
  if (!/^node\d+$/.test(metadata.runs.using))
    return { verdict: 'failed', note: `${metadata.runs.using} actions are not supported by the pipeline twin` };
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(metadata.inputs ?? {}))
    inputs[inputName(name)] = call.inputs[name] ?? spec.default ?? '';
  for (const [name, value] of Object.entries(call.inputs)) inputs[inputName(name)] = value;
  const effects = runShellStep(`exec node ${JSON.stringify(join(dir, metadata.runs.main))}`, 'bash', {
    ...call.process,
    cwd: call.workspace,
    env: { ...call.process.env, ...inputs },
  });
  return {
    verdict: effects.code === 0 ? 'passed' : 'failed',
    note: `here: node ${call.action}/${metadata.runs.main}${effects.code === 0 ? '' : `: exit code ${effects.code}`}`,
    outputs: effects.outputs,
    env: effects.env,
  };
};

function inputName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** The actions with a local equivalent or a reason, by repository (without the pinned SHA). */
export const ACTIONS: Record<string, Handler> = {
  'actions/checkout': checkout,
  'actions/setup-node': () => ({ verdict: 'passed', note: `here: this Node, ${process.version}` }),
  'actions/upload-artifact': (call) => artifactVerdict(uploadArtifact(call.inputs, call.workspace, call.artifacts)),
  'actions/download-artifact': (call) => artifactVerdict(downloadArtifact(call.inputs, call.workspace, call.artifacts)),
  'docker/setup-buildx-action': () => ({ verdict: 'passed', note: "here: this engine's BuildKit (DOCKER_BUILDKIT=1)" }),
  'docker/build-push-action': buildPush,
  'hadolint/hadolint-action': hadolint,
  'grafana/setup-k6-action': () => ({
    verdict: 'skipped',
    note: 'k6 is not installed here: the k6 steps run the local load runner',
  }),
  'dorny/test-reporter': github(
    "the action's code is GitHub's to fetch (it writes reports/junit.xml into the job summary; the file is in the " +
      'test-reports artifact)',
  ),
  'docker/login-action': github('logs in to a registry'),
  'helm/kind-action': kindCluster,
  'azure/login': github('OIDC login to Azure'),
  'actions/attest-build-provenance': github("Sigstore and GitHub's attestation store"),
};

/** Local actions that cannot run here, and why. */
const LOCAL_EXCEPTIONS: Array<{
  action: string;
  when: (inputs: Record<string, string>) => boolean;
  outcome: ActionOutcome;
}> = [
  {
    action: './.github/actions/model-gate',
    when: (inputs) => inputs['pr-comment'] === 'true',
    outcome: { verdict: 'github', note: "needs GitHub: writes the pull request's comment through GitHub's API" },
  },
  {
    action: './.github/actions/k6-report',
    when: () => true,
    outcome: {
      verdict: 'skipped',
      note: "renders k6's handleSummary JSON; the local load runner printed and wrote its own report",
    },
  },
];

function artifactVerdict(outcome: { ok: boolean; note: string }): ActionOutcome {
  return { verdict: outcome.ok ? 'passed' : 'failed', note: `here: ${outcome.note}` };
}

/** Runs (or judges) one `uses:` step. */
export function runAction(call: ActionCall): ActionOutcome {
  const exception = LOCAL_EXCEPTIONS.find((e) => e.action === call.action && e.when(call.inputs));
  if (exception) return exception.outcome;
  if (call.action.startsWith('./')) return localJavaScriptAction(call);
  const handler = ACTIONS[call.action];
  return handler ? handler(call) : { verdict: 'skipped', note: `no local equivalent of ${call.action}` };
}
