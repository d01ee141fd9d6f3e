/**
 * Every `az` command line k8s/azure/deploy.sh builds, on every path its --dry-run takes, parsed
 * by the real Azure CLI (azure-cli in .venv-tools, from requirements-tools.txt): an unknown
 * command, an unrecognized or missing required argument, or a bad value for a choice fails here,
 * not in a production deploy. tools/python/az_parse_check.py parses without running: no Azure
 * account, no network (it refuses every connection and reports any that az tried).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describeWithTools } from './venv';
import { SCRIPT } from '../../k8s/test/support/azure-sandbox';
import { K8S_DIR, ROOT } from '../../k8s/test/support/render';

// az loads its command table once per check (5-10 s); a busy 2-core machine needs more.
jest.setTimeout(180_000);

const CHECKER = join(ROOT, 'tools', 'python', 'az_parse_check.py');
const DIGEST = 'cd'.repeat(32);
const GHCR = `ghcr.io/acme/mlship@sha256:${DIGEST}`;
const MODELS = JSON.stringify([{ name: 'M1', version: 'a1b2c3d4e5f6', sha256: 'e'.repeat(64) }]);
const workflow = parse(readFileSync(join(ROOT, '.github/workflows/deploy.yml'), 'utf8')) as {
  jobs: { aca: { env: Record<string, string> } };
};
// What the aca job sets, for run 19876543210, attempt 1.
const ATTEMPT = workflow.jobs.aca.env
  .DEPLOY_ATTEMPT!.replace(/\$\{\{\s*github\.run_id\s*\}\}/, '19876543210')
  .replace(/\$\{\{\s*github\.run_attempt\s*\}\}/, '1');

/** Every path of deploy.sh --dry-run: [what, arguments, environment, expected exit status]. */
const PATHS: Array<[string, string[], Record<string, string>, number]> = [
  ['update, v1, GHCR image by digest, lineage', ['--image', GHCR, '--expect-models', MODELS], {}, 0],
  ['create', ['--image', 'ghcr.io/acme/mlship:1.0.0'], { DRY_RUN_APP_EXISTS: 'no' }, 0],
  ['v2 with a weight', ['--image', GHCR, '--variant', 'v2', '--weight', '10'], {}, 0],
  ['ACR image', ['--image', `acme.azurecr.io/mlship@sha256:${DIGEST}`], {}, 0],
  ['public image', ['--image', GHCR, '--registry', 'public'], {}, 0],
  ['public image by AZURE_REGISTRY_AUTH', ['--image', GHCR], { AZURE_REGISTRY_AUTH: 'public' }, 0],
  ['unhealthy revision: rollback before any traffic moved', ['--image', GHCR], { DRY_RUN_HEALTH: 'Unhealthy' }, 1],
  [
    'app smoke fails: rollback of traffic and labels',
    ['--image', GHCR, '--variant', 'v2', '--weight', '10'],
    { DRY_RUN_APP_SMOKE: 'fail' },
    1,
  ],
  ['--rollback', ['--rollback', 'mlship--v1-older'], {}, 0],
];

/** The `+ az ...` lines (shell-quoted, as deploy.sh prints them) of one dry run. */
function azLines(args: string[], env: Record<string, string>, status: number): string[] {
  const result = spawnSync('bash', [SCRIPT, ...args, '--dry-run'], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AZURE_RESOURCE_GROUP: 'rg-mlship',
      AZURE_CONTAINERAPP_ENV: 'mlship-env',
      DEPLOY_ATTEMPT: ATTEMPT,
      GHCR_USERNAME: 'acme',
      ...env,
    },
  });
  expect(`${result.status}\n${result.stderr}`).toMatch(new RegExp(`^${status}\n`));
  return result.stderr.split('\n').filter((l) => l.startsWith('+ az '));
}

/** The subcommands deploy.sh's sources build (`containerapp ... -` in an az_run or az_query line). */
function subcommandsInSources(): string[] {
  const sources = ['deploy.sh', 'lib.sh', 'render.sh']
    .map((f) => readFileSync(join(K8S_DIR, 'azure', f), 'utf8'))
    .join('\n');
  const lines = sources
    .split('\n')
    .filter((l) => /\baz_(run|query)\b/.test(l) && !/^\s*(#|az_(run|query)\(\))/.test(l));
  return [
    ...new Set(
      lines.flatMap((l) => [...l.matchAll(/\bcontainerapp((?: [a-z]+)+) -/g)].map((m) => `containerapp${m[1]}`)),
    ),
  ].sort();
}

describeWithTools('deploy.sh against the real az parser', ['python', 'az'], ({ python }) => {
  const check = (lines: string[]): { status: number | null; out: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'mlship-az-'));
    try {
      writeFileSync(join(dir, 'commands.txt'), `${lines.join('\n')}\n`);
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        AZURE_CONFIG_DIR: join(dir, 'azure'),
        AZURE_CORE_COLLECT_TELEMETRY: 'no',
      };
      const result = spawnSync(python!, [CHECKER, join(dir, 'commands.txt')], {
        encoding: 'utf8',
        env,
        timeout: 170_000,
      });
      return { status: result.status, out: `${result.stdout}${result.stderr}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test("when every dry-run path's az commands are parsed by az, then az accepts each one", () => {
    const lines = [...new Set(PATHS.flatMap(([, args, env, status]) => azLines(args, env, status)))];
    const { status, out } = check(lines);
    expect(out.split('\n').filter((l) => !l.startsWith('ok   ') && l !== '')).toEqual([]);
    expect(status).toBe(0);
    expect(out.split('\n').filter((l) => l.startsWith('ok   '))).toHaveLength(lines.length);
    // Every subcommand the script can build was among them.
    const covered = new Set(lines.map((l) => /^\+ az ((?:[a-z]+ ?)+) -/.exec(l)![1]!.trim()));
    const built = subcommandsInSources();
    expect(built.length).toBeGreaterThan(8);
    expect([...covered].sort()).toEqual(built);
  });

  test('when a command line is wrong, then the check names what az rejects', () => {
    const { status, out } = check([
      '+ az containerapp revision show -n mlship -g rg --revision mlship--v1-a --traffic-weight 10',
      '+ az containerapp revision show -n mlship -g rg',
      '+ az containerapp update -g rg --yaml app.yaml',
      '+ az containerapp revison list -n mlship -g rg',
      '+ az containerapp list -g rg -o tsvv',
      '+ az containerapp list -g rg',
    ]);
    expect(status).toBe(1);
    const lines = out.split('\n').filter(Boolean);
    expect(lines).toEqual([
      expect.stringMatching(/^FAIL .*: unrecognized arguments: --traffic-weight 10$/),
      expect.stringMatching(/^FAIL .*: the following arguments are required: --revision$/),
      expect.stringMatching(/^FAIL .*: \(--name \| --ids\) are required$/),
      expect.stringMatching(/^FAIL az containerapp revison list .*: 'revison' is misspelled or not recognized/),
      expect.stringMatching(/^FAIL .*: .*'tsvv' is not a valid value for '--output'/),
      'ok   az containerapp list -g rg',
    ]);
  });
});
