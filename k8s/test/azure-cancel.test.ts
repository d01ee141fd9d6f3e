/**
 * A cancelled Azure Container Apps deploy rolls back. GitHub's runner cancels a step by signalling
 * the step's shell process only: SIGINT, SIGTERM 7.5 s later, then SIGKILL 2.5 s after that. These
 * tests do the same to the aca job's "Deploy the revision" step, run as the runner runs it (its
 * `run:` text, read from deploy.yml, in a file started by the step's shell), with the recording
 * stand-in for az, curl and npm (support/azure-sandbox.ts) holding the deploy half-way.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Rule, Run, TrafficEntry } from './support/azure-sandbox';
import {
  IMAGE,
  NEW_V1,
  OLD_V1,
  OLD_V2,
  STABLE_ONLY,
  WITH_V2,
  changes,
  liveApp,
  sandbox,
} from './support/azure-sandbox';
import { ROOT } from './support/render';

jest.setTimeout(60_000);

interface Step {
  id?: string;
  name?: string;
  if?: string;
  shell?: string;
  run?: string;
}
interface Workflow {
  defaults?: { run?: { shell?: string } };
  jobs: { aca: { defaults?: { run?: { shell?: string } }; steps: Step[] } };
}
const workflow = parse(readFileSync(join(ROOT, '.github/workflows/deploy.yml'), 'utf8')) as Workflow;
const steps = workflow.jobs.aca.steps;
const deployStep = steps.find((s) => s.id === 'deploy')!;

/** The runner's command line for a `run:` step (GitHub's documented templates for bash). */
function runnerShell(step: Step, file: string): string[] {
  const shell = step.shell ?? workflow.jobs.aca.defaults?.run?.shell ?? workflow.defaults?.run?.shell;
  if (shell === 'bash') return ['--noprofile', '--norc', '-eo', 'pipefail', file];
  if (shell === undefined) return ['-e', file];
  throw new Error(`the deploy step's shell is ${shell}: teach this test how the runner starts it`);
}

const MODELS = JSON.stringify([{ name: 'M1', version: 'a1b2c3d4e5f6', sha256: 'e'.repeat(64) }]);
// Unref'd: the runner's next signal is not sent once the step has ended, and Jest need not wait for it.
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

interface Cancelled extends Run {
  /** The signals it took, in order: the runner sends the next only when the step is still running. */
  signals: string[];
}

interface Scenario {
  /** The live app's traffic (default: one revision, stable, 100 %). */
  live?: TrafficEntry[];
  /** Resolves when the runner's SIGTERM is due (by default 7.5 s after SIGINT, as on GitHub). */
  sigterm?: (calls: () => string[]) => Promise<void>;
}

/**
 * Runs the deploy step until the stand-in has recorded a call that `busy` matches, then cancels it as the runner does.
 */
async function cancelDeploy(
  rules: Rule[],
  busy: (call: string) => boolean,
  { live = STABLE_ONLY, sigterm = () => sleep(7_500) }: Scenario = {},
): Promise<Cancelled> {
  const box = sandbox(rules, liveApp(live), {});
  const file = join(box.dir, 'step.sh');
  writeFileSync(file, `${deployStep.run!}\n`);
  const child = spawn('bash', runnerShell(deployStep, file), {
    cwd: ROOT,
    env: { ...box.env, IMAGE, EXPECTED_MODELS: MODELS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  let status: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.on('exit', (code) => ((status = code), resolve())));
  while (!box.calls().some(busy)) {
    if (status !== undefined) throw new Error(`the step ended before it was cancelled:\n${out}`);
    await sleep(50);
  }
  const signals: string[] = [];
  const signal = (name: NodeJS.Signals): void => void (status === undefined && child.kill(name) && signals.push(name));
  signal('SIGINT');
  const escalate = (async () => {
    await Promise.race([exited, sigterm(box.calls)]);
    signal('SIGTERM');
    await Promise.race([exited, sleep(2_500)]);
    signal('SIGKILL');
  })();
  await exited;
  await escalate;
  // A stand-in the rollback stopped leaves its `sleep` behind, holding these pipes open.
  child.stdout.destroy();
  child.stderr.destroy();
  return { ...box.collect(status ?? null, out), signals };
}

const appSmoke = (c: string): boolean => c.startsWith('curl') && c.includes('app.example.net');

describe('a cancelled Azure Container Apps deploy', () => {
  test(
    'when the deploy step is cancelled during the health wait, then the new revision is deactivated at the first ' +
      'signal and the step fails',
    async () => {
      const run = await cancelDeploy([{ match: ['revision show', 'healthState'], pause: 15, stdout: 'Healthy' }], (c) =>
        c.includes('healthState'),
      );
      expect(run.signals).toEqual(['SIGINT']);
      expect(run.status).toBe(1);
      expect(run.out).toMatch(/deploy: interrupted/);
      expect(run.out).toMatch(/rolling back/);
      expect(changes(run)).toEqual([
        expect.stringMatching(/^az containerapp update /),
        `az containerapp revision deactivate --revision ${NEW_V1}`,
      ]);
      // Written before anything changed, for the rollback step should the runner kill this undo.
      expect(run.outputs).toBe(`previous=${OLD_V1}\n`);
    },
  );

  test(
    'when the deploy step is cancelled after traffic moved, then traffic, labels and the new revision are put ' +
      'back at the first signal',
    async () => {
      const run = await cancelDeploy([{ match: ['curl', 'app.example.net'], pause: 15 }], appSmoke, { live: WITH_V2 });
      expect(run.signals).toEqual(['SIGINT']);
      expect(run.status).toBe(1);
      const all = changes(run);
      expect(all).toContain(
        `az containerapp ingress traffic set --revision-weight ${NEW_V1}=90 ${OLD_V1}=0 ${OLD_V2}=10`,
      );
      expect(
        all.slice(all.indexOf(`az containerapp revision label add --label v2 --revision ${OLD_V2} --yes`) + 1),
      ).toEqual([
        `az containerapp ingress traffic set --revision-weight ${OLD_V1}=90 ${OLD_V2}=10 ${NEW_V1}=0`,
        `az containerapp revision label add --label stable --revision ${OLD_V1} --yes`,
        `az containerapp revision label add --label v2 --revision ${OLD_V2} --yes`,
        `az containerapp revision deactivate --revision ${NEW_V1}`,
      ]);
      expect(run.out).toMatch(/traffic and labels are back as they were/);
    },
  );

  test("when the runner's SIGTERM arrives during the rollback, then the rollback still finishes", async () => {
    const restore = `${OLD_V1}=100 ${NEW_V1}=0`;
    const run = await cancelDeploy(
      [
        { match: ['curl', 'app.example.net'], pause: 15 },
        { match: ['ingress traffic set', restore], pause: 1 },
      ],
      appSmoke,
      {
        // The held call only has to span the SIGTERM: the runner's SIGKILL follows 2.5 s later, and
        // the rest of the rollback (two more stand-in calls) must fit in what the pause leaves.
        // While the stand-in holds the first rollback call (7.5 s after SIGINT at the latest).
        sigterm: async (calls) => {
          for (let waited = 0; waited < 7_500 && !calls().some((c) => c.includes(restore)); waited += 20)
            await sleep(20);
        },
      },
    );
    expect(run.signals).toEqual(['SIGINT', 'SIGTERM']);
    expect(run.status).toBe(1);
    expect(changes(run).slice(-3)).toEqual([
      `az containerapp ingress traffic set --revision-weight ${restore}`,
      `az containerapp revision label add --label stable --revision ${OLD_V1} --yes`,
      `az containerapp revision deactivate --revision ${NEW_V1}`,
    ]);
  });

  test('when the deploy step rolled itself back, then the rollback step that follows changes nothing', () => {
    const rollback = steps.find((s) => s.run?.includes('deploy.sh --rollback'))!;
    const box = sandbox([], liveApp(STABLE_ONLY), {});
    const file = join(box.dir, 'rollback.sh');
    writeFileSync(file, `${rollback.run!}\n`);
    const result = spawnSync('bash', runnerShell(rollback, file), {
      cwd: ROOT,
      env: { ...box.env, PREVIOUS: OLD_V1 },
      encoding: 'utf8',
    });
    const run = box.collect(result.status, result.stderr);
    expect(run.status).toBe(0);
    expect(run.out).toMatch(/already carries the label stable/);
    expect(changes(run)).toEqual([]);
  });

  test(
    'when the run is cancelled after the deploy step, during the later smoke, lineage or k6 steps, then the ' +
      'rollback step runs',
    () => {
      const rollback = steps.find((s) => s.run?.includes('deploy.sh --rollback'))!;
      expect(rollback.if).toMatch(/\bcancelled\(\)/);
      expect(rollback.if).toMatch(/\bfailure\(\)/);
      expect(rollback.if).toMatch(/steps\.deploy\.outputs\.previous != ''/);
    },
  );
});
