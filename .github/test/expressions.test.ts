import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../scripts/support/repo-root';

/**
 * The status functions of the pipeline twin's expressions, as GitHub defines them: a cancelled run
 * is neither a success nor a failure, and only `always()` and `cancelled()` steps run after it.
 * @actions/expressions is ECMAScript-only, which Jest's CommonJS cannot import(): the evaluator
 * runs under tsx, as the twin runs it.
 */
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CONDITIONS = [
  'success()',
  'failure()',
  'cancelled()',
  'always()',
  "(failure() || cancelled()) && steps.deploy.outputs.previous != ''",
  "steps.deploy.outputs.previous != ''",
  null,
];

/** Each condition of CONDITIONS (null: a step without `if:`) read for a job in `status`. */
function answers(status: { failed: boolean; cancelled?: boolean }): boolean[] {
  const script = `
    const { ExpressionEvaluator } = require(${JSON.stringify(join(ROOT, '.github/scripts/pipeline/expressions'))});
    ExpressionEvaluator.create().then((evaluator) => {
      const context = { steps: { deploy: { outputs: { previous: 'api=abc123' } } } };
      const conditions = ${JSON.stringify(CONDITIONS)};
      const status = ${JSON.stringify(status)};
      console.log(JSON.stringify(conditions.map((c) => evaluator.condition(c ?? undefined, context, status))));
    });`;
  const run = spawnSync(TSX, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as boolean[];
}

describe('the status functions of an if: condition', () => {
  test.each([
    ['a run going well', { failed: false }, [true, false, false, true, false, true, true]],
    ['a failed run', { failed: true }, [false, true, false, true, true, false, false]],
    ['a cancelled run', { failed: false, cancelled: true }, [false, false, true, true, true, false, false]],
  ])('when conditions are read in %s, then each answers as on GitHub', (_what, status, expected) => {
    expect(answers(status)).toEqual(expected);
  });
});
