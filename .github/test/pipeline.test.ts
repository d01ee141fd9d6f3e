import { commandOf, renderTable, runSteps, STEPS } from '../scripts/pipeline';
import type { PipelineStep } from '../scripts/pipeline';

const steps: PipelineStep[] = [
  { id: 'train', title: 'train', script: 'train' },
  { id: 'gate', title: 'gate', script: 'gate', needs: ['train'] },
  { id: 'lint', title: 'lint', script: 'lint' },
];

/** A clock that advances one second per call, so timings are exact. */
function clock(): () => number {
  let t = 0;
  return () => (t += 1000);
}

describe('pipeline', () => {
  test('when every step passes, then each is timed and the table says so', () => {
    const results = runSteps(steps, new Set(['train', 'gate', 'lint']), () => 0, { now: clock() });
    expect(results.map((r) => [r.id, r.status, r.seconds])).toEqual([['train', 'passed', 1], ['gate', 'passed', 1], ['lint', 'passed', 1]]);
    expect(renderTable(results)).toContain('✅ 3 of 3 steps passed, 0 skipped, 3.0 s in all');
  });

  test('when a step fails, then the steps that need it are skipped and the others still run', () => {
    const ran: string[] = [];
    const results = runSteps(steps, new Set(['train', 'gate', 'lint']), (s) => (ran.push(s.id), s.id === 'train' ? 2 : 0), { now: clock() });
    expect(ran).toEqual(['train', 'lint']);
    expect(results.find((r) => r.id === 'gate')).toMatchObject({ status: 'skipped', note: 'needs train' });
    expect(results.find((r) => r.id === 'train')).toMatchObject({ status: 'failed', note: 'exit code 2' });
    expect(renderTable(results)).toContain('❌ 1 of 2 steps passed, 1 skipped');
  });

  test('when --fail-fast is set, then nothing runs after the first failure', () => {
    const results = runSteps(steps, new Set(['train', 'gate', 'lint']), () => 1, { failFast: true, now: clock() });
    expect(results.map((r) => r.status)).toEqual(['failed', 'skipped', 'skipped']);
  });

  test('when a step is not selected, then it is skipped and its dependants too', () => {
    const results = runSteps(steps, new Set(['gate', 'lint']), () => 0, { now: clock() });
    expect(results.map((r) => r.note ?? r.status)).toEqual(['not selected', 'needs train', 'passed']);
  });

  test('when listed, then the steps mirror ci.yml and run only npm scripts', () => {
    expect(STEPS.map((s) => s.id)).toEqual(['train', 'gate', 'lint', 'typecheck', 'test', 'dist', 'image', 'e2e', 'loadtest']);
    expect(commandOf(STEPS.at(-1)!)).toBe('npm run loadtest:local -- --scenario smoke --start-server');
  });
});
