/**
 * The revision deploy.sh creates is named <app>--<variant>-<digest>-<attempt>, the attempt being
 * DEPLOY_ATTEMPT: what the aca job of deploy.yml really sets, it must pass, and the name must keep
 * Azure's rules for a revision name (the service's ContainerAppInvalidRevisionName: lower-case
 * letters, digits and '-', starting with a letter, ending with a letter or digit, at most 54
 * characters with the app name; az: no '--' in the suffix). --rollback accepts the same names.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SCRIPT } from './support/azure-sandbox';
import { ROOT } from './support/render';

jest.setTimeout(60_000);

const DIGEST_IMAGE = `ghcr.io/acme/mlship@sha256:${'cd'.repeat(32)}`;
const workflow = parse(readFileSync(join(ROOT, '.github/workflows/deploy.yml'), 'utf8')) as {
  jobs: { aca: { env: Record<string, string> } };
};

/** DEPLOY_ATTEMPT as the aca job builds it for a run id and attempt number. */
function workflowAttempt(runId: string, runAttempt: string): string {
  const value = workflow.jobs.aca.env
    .DEPLOY_ATTEMPT!.replace(/\$\{\{\s*github\.run_id\s*\}\}/g, runId)
    .replace(/\$\{\{\s*github\.run_attempt\s*\}\}/g, runAttempt);
  expect(value).not.toContain('${{');
  return value;
}

/** Azure's rules for a revision name <app>--<suffix>, written out from its error message. */
function azureAccepts(name: string): boolean {
  const [app, ...rest] = name.split('--');
  const suffix = rest.join('--');
  return (
    /^[a-z][a-z0-9-]*[a-z0-9]$/.test(name) &&
    name.length <= 54 &&
    rest.length === 1 &&
    /^[a-z][a-z0-9-]*$/.test(app!) &&
    /^[a-z0-9-]+$/.test(suffix)
  );
}

function dryRun(args: string[], env: Record<string, string>): { status: number | null; out: string; lines: string[] } {
  const result = spawnSync('bash', [SCRIPT, ...args, '--dry-run'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', AZURE_RESOURCE_GROUP: 'rg', ...env },
  });
  const out = `${result.stdout}${result.stderr}`;
  return { status: result.status, out, lines: out.split('\n').filter(Boolean) };
}
const suffixOf = (out: string): string | undefined =>
  (
    parse(
      out
        .split('\n')
        .filter((l) => l.startsWith('| '))
        .map((l) => l.slice(2))
        .join('\n'),
    ) as { properties?: { template?: { revisionSuffix?: string } } } | null
  )?.properties?.template?.revisionSuffix;

describe('deploy.sh revision suffix from the workflow', () => {
  test.each([
    ['19876543210', '1', 'v1'],
    ['12345678901', '12', 'v1'],
    ['99999999999', '99', 'v2'],
  ])(
    'when the aca job deploys in run %s attempt %s (%s), then the attempt is accepted and the revision name keeps ' +
      "Azure's rules",
    (runId, runAttempt, variant) => {
      const attempt = workflowAttempt(runId, runAttempt);
      const run = dryRun(['--image', DIGEST_IMAGE, '--variant', variant], { DEPLOY_ATTEMPT: attempt });
      expect(run.out).not.toMatch(/DEPLOY_ATTEMPT must/);
      expect(run.status).toBe(0);
      const suffix = `${variant}-cdcdcdcd-${runId}-${runAttempt}`;
      expect(suffixOf(run.out)).toBe(suffix);
      const revision = `mlship--${suffix}`;
      expect(run.out).toContain(`--revision ${revision} `);
      expect(azureAccepts(revision)).toBe(true);
      // What a deploy names, --rollback takes back (the aca job rolls back to its output "previous").
      const rollback = dryRun(['--rollback', revision, ...(variant === 'v2' ? ['--variant', 'v2'] : [])], {});
      expect(rollback.out).not.toMatch(/--rollback needs a revision name/);
    },
  );

  test("when a re-run of the same run deploys, then its revision differs from the first attempt's", () => {
    const first = suffixOf(
      dryRun(['--image', DIGEST_IMAGE], { DEPLOY_ATTEMPT: workflowAttempt('19876543210', '1') }).out,
    );
    const second = suffixOf(
      dryRun(['--image', DIGEST_IMAGE], { DEPLOY_ATTEMPT: workflowAttempt('19876543210', '2') }).out,
    );
    expect(first).toBeDefined();
    expect(second).not.toBe(first);
  });

  test('when the revision name is exactly 54 characters, then it is accepted', () => {
    const attempt = `a${'1'.repeat(33)}`; // mlship-- (8) + v1-cdcdcdcd- (12) + 34
    const run = dryRun(['--image', DIGEST_IMAGE], { DEPLOY_ATTEMPT: attempt });
    expect(run.status).toBe(0);
    expect(`mlship--${suffixOf(run.out)}`).toHaveLength(54);
  });
});

describe('deploy.sh refuses names Azure would refuse, in one line before any az call', () => {
  const refused = (args: string[], env: Record<string, string>, message: RegExp): void => {
    const run = dryRun(args, env);
    expect(run.status).not.toBe(0);
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]).toMatch(message);
  };

  test.each([['A1'], ['1_2'], ['-1'], ['1-'], ['1--2'], ['1 2'], ['run.1']])(
    'when DEPLOY_ATTEMPT is %j, then it is refused',
    (attempt) => {
      refused(
        ['--image', DIGEST_IMAGE],
        { DEPLOY_ATTEMPT: attempt },
        /^deploy: DEPLOY_ATTEMPT must be lower-case letters and digits/,
      );
    },
  );

  test.each([
    ['a'.repeat(32), '19876543210-1', 59],
    ['mlship', `a${'1'.repeat(34)}`, 55],
  ])(
    'when the app is %s and DEPLOY_ATTEMPT %s, then the %i-character revision name is refused',
    (app, attempt, length) => {
      refused(
        ['--image', DIGEST_IMAGE],
        { AZURE_CONTAINERAPP: app, DEPLOY_ATTEMPT: attempt },
        new RegExp(`is ${length} characters, Azure allows 54: shorten AZURE_CONTAINERAPP or DEPLOY_ATTEMPT$`),
      );
    },
  );

  test.each([['MLship'], ['1mlship'], ['ml--ship'], ['mlship-'], ['a'.repeat(33)]])(
    'when AZURE_CONTAINERAPP is %s, then it is refused',
    (app) => {
      refused(
        ['--image', DIGEST_IMAGE],
        { AZURE_CONTAINERAPP: app, DEPLOY_ATTEMPT: 'a1' },
        /^deploy: AZURE_CONTAINERAPP must be 1 to 32 lower-case letters/,
      );
    },
  );

  test.each([
    ['mlship--v1--x'],
    ['mlship--V1-x'],
    ['mlship--v1-x-'],
    ['mlship--'],
    [`mlship--a${'1'.repeat(46)}`],
    ['mlship-v1'],
  ])('when --rollback names %s, then it is refused', (name) => {
    refused(['--rollback', name], {}, /^deploy: --rollback needs a revision name/);
  });

  test('when --rollback names a revision of another app, then it is refused', () => {
    refused(['--rollback', 'other--v1-abc'], {}, /^deploy: --rollback other--v1-abc is not a revision of mlship/);
  });

  test.each([['mlship--6a9svx2'], ['mlship--v1-cdcdcdcdcdcd'], [`mlship--a${'1'.repeat(45)}`]])(
    'when --rollback names %s (a generated, an older or a 54-character name), then it is accepted',
    (name) => {
      const run = dryRun(['--rollback', name], {});
      expect(run.status).toBe(0);
      expect(run.out).toContain(`revision activate -n mlship -g rg --revision ${name}`);
    },
  );
});
