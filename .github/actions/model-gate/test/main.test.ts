import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreFixture, GithubFixture } from '../../../test/support/actions-core';
import { writeModelsFile, writeRegistry } from '../../../test/support/registry-fixture';
import { COMMENT_MARKER } from '../src/comment';
import { run } from '../src/main';

// Both packages are ESM-only: ts-jest's CommonJS cannot load them, so they are replaced whole.
jest.mock(
  '@actions/core',
  () =>
    jest.requireActual<{ createCoreFixture(): CoreFixture }>('../../../test/support/actions-core').createCoreFixture(),
  {
    virtual: true,
  },
);
jest.mock(
  '@actions/github',
  () =>
    jest
      .requireActual<{ createGithubFixture(): GithubFixture }>('../../../test/support/actions-core')
      .createGithubFixture(),
  {
    virtual: true,
  },
);

const core = jest.requireMock<CoreFixture>('@actions/core');
const github = jest.requireMock<GithubFixture>('@actions/github');

let dir: string;
let modelsFile: string;
let candidates: string;
let baselines: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'model-gate-'));
  modelsFile = writeModelsFile(join(dir, 'models.json'));
  candidates = writeRegistry(join(dir, 'candidates'), [
    { name: 'M1', version: 'aaaaaaaaaaa1', accuracy: 0.95, macroF1: 0.95, pointer: 'latest' },
    { name: 'M2', version: 'aaaaaaaaaaa2', accuracy: 0.92, macroF1: 0.91, pointer: 'latest' },
  ]);
  baselines = writeRegistry(join(dir, 'main'), [
    { name: 'M1', version: 'bbbbbbbbbbb1', accuracy: 0.94, macroF1: 0.94, pointer: 'current' },
    { name: 'M2', version: 'bbbbbbbbbbb2', accuracy: 0.97, macroF1: 0.97, pointer: 'current' },
  ]);
  core.reset({
    'model-dir': candidates,
    'models-file': modelsFile,
    'fail-on-regression': 'true',
    'pr-comment': 'false',
    'github-token': 'token',
  });
  github.reset();
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('model-gate action', () => {
  test(
    'when every model meets its thresholds and there is no baseline, ' + 'then it passes and writes the table',
    async () => {
      await run();
      expect(core.failures).toEqual([]);
      expect(core.outputs.passed).toBe('true');
      expect(core.outputs['failed-models']).toBe('');
      expect(core.summaryWritten).toContain('### Model gate: ✅ passed');
      expect(core.summaryWritten).toContain('| M1 | aaaaaaaaaaa1 | accuracy | 0.9500 |');
      expect(JSON.parse(core.outputs.results ?? '[]')).toHaveLength(2);
    },
  );

  test('when a model falls more than the tolerance below main, then the step fails naming it', async () => {
    core.inputs['baseline-dir'] = baselines;
    await run();
    expect(core.outputs.passed).toBe('false');
    expect(core.outputs['failed-models']).toBe('M2');
    expect(core.failures).toEqual(['model gate failed for M2']);
    expect(core.summaryWritten).toContain('fell 0.0500 below the baseline (tolerance 0.02)');
  });

  test('when fail-on-regression is false, then a failed gate is reported but the step passes', async () => {
    Object.assign(core.inputs, { 'baseline-dir': baselines, 'fail-on-regression': 'false' });
    await run();
    expect(core.outputs.passed).toBe('false');
    expect(core.failures).toEqual([]);
  });

  test('when a threshold input overrides the models file, then it applies to every model', async () => {
    Object.assign(core.inputs, { 'min-accuracy': '0.93', models: 'M2' });
    await run();
    expect(core.failures).toEqual(['model gate failed for M2']);
    expect(core.summaryWritten).toContain('accuracy 0.9200 is below the threshold 0.93');
  });

  test('when one candidate file and one baseline file are given, then they are compared directly', async () => {
    Object.assign(core.inputs, {
      'model-dir': '',
      candidate: join(candidates, 'M1', 'aaaaaaaaaaa1', 'metrics.json'),
      baseline: join(baselines, 'M1', 'bbbbbbbbbbb1', 'metrics.json'),
      'report-file': join(dir, 'gate.md'),
    });
    await run();
    expect(core.failures).toEqual([]);
    expect(readFileSync(join(dir, 'gate.md'), 'utf8')).toContain(
      '| M1 | aaaaaaaaaaa1 | accuracy | 0.9500 | 0.9400 | +0.0100 |',
    );
  });

  test.each([
    [{ 'min-accuracy': 'high' }, 'input min-accuracy must be a number from 0 to 1, not "high"'],
    [{ tolerance: '2' }, 'input tolerance must be a number from 0 to 1, not "2"'],
    [{ 'fail-on-regression': 'yes' }, "input fail-on-regression must be 'true' or 'false', not \"yes\""],
    [{ baseline: 'a.json', 'baseline-dir': 'b' }, 'give baseline or baseline-dir, not both'],
    [{ 'baseline-dir': '/nonexistent/main' }, 'baseline-dir /nonexistent/main does not exist'],
    [{ candidate: '/nonexistent/metrics.json', 'model-dir': '' }, '/nonexistent/metrics.json: file not found'],
    [{ models: 'M3' }, 'no trained version of M3'],
  ])('when the inputs are %p, then the step fails with one clear line', async (inputs, message) => {
    Object.assign(core.inputs, inputs);
    await run();
    expect(core.failures).toHaveLength(1);
    expect(core.failures[0]).toContain(message);
    expect(core.failures[0]).not.toContain('\n');
  });

  test('when a metrics file is not an mlship metrics file, then the step fails saying so', async () => {
    writeFileSync(join(candidates, 'M1', 'aaaaaaaaaaa1', 'metrics.json'), '{"format":"other"}');
    await run();
    expect(core.failures[0]).toMatch(/metrics\.json: not an mlship metrics file/);
  });

  describe('PR comment', () => {
    const sections = (): string => [join(dir, 'k6.md'), join(dir, 'missing.md')].join('\n');

    test(
      'when run on a pull request without a comment, ' + 'then it creates one with the marker and the sections',
      async () => {
        github.reset(7);
        writeFileSync(join(dir, 'k6.md'), '### k6 smoke: ✅ passed\n');
        Object.assign(core.inputs, { 'pr-comment': 'true', 'comment-sections': sections() });
        await run();
        expect(github.comments).toHaveLength(1);
        const body = github.comments[0]?.body ?? '';
        expect(body.startsWith(COMMENT_MARKER)).toBe(true);
        expect(body).toContain('### Model gate: ✅ passed');
        expect(body).toContain('### k6 smoke: ✅ passed');
        expect(body).toContain(`_${join(dir, 'missing.md')} was not produced`);
        expect(core.outputs['comment-url']).toMatch(/#issuecomment-100$/);
      },
    );

    test('when a marked comment exists, then it is updated in place, not duplicated', async () => {
      github.reset(7);
      github.comments.push(
        { id: 5, body: 'someone else', html_url: 'u5' },
        { id: 6, body: `${COMMENT_MARKER}\nold`, html_url: 'u6' },
      );
      Object.assign(core.inputs, { 'pr-comment': 'true', 'baseline-dir': baselines, 'fail-on-regression': 'false' });
      await run();
      expect(github.comments).toHaveLength(2);
      expect(github.comments[1]?.body).toContain('### Model gate: ❌ failed');
      expect(github.comments[0]?.body).toBe('someone else');
      expect(core.outputs['comment-url']).toBe('u6');
    });

    test.each([
      [{ 'model-dir': '/nonexistent/artifacts' }, 'no trained version of M1 in /nonexistent/artifacts'],
      [{ 'baseline-dir': '/nonexistent/main' }, 'baseline-dir /nonexistent/main does not exist'],
    ])(
      'when %p is missing, then the comment says what is missing and the step still fails',
      async (inputs, missing) => {
        github.reset(7);
        Object.assign(core.inputs, { 'pr-comment': 'true', 'comment-sections': sections() }, inputs);
        await run();
        expect(github.comments).toHaveLength(1);
        const body = github.comments[0]?.body ?? '';
        expect(body).toContain('### Model gate: ❌ could not run');
        expect(body).toContain(missing);
        expect(body).toContain(`_${join(dir, 'missing.md')} was not produced`);
        expect(core.summaryWritten).toContain(missing);
        expect(core.failures).toHaveLength(1);
        expect(core.failures[0]).toMatch(new RegExp(`^model gate could not run: ${missing}`));
      },
    );

    test('when the event is not a pull request, then no comment is written', async () => {
      core.inputs['pr-comment'] = 'true';
      await run();
      expect(github.comments).toEqual([]);
      expect(core.infos).toContain('pr-comment: not a pull_request event, no comment written');
    });

    test('when the token may not comment (a fork), then it warns and the gate verdict stands', async () => {
      github.reset(7);
      github.refuse = 'Resource not accessible by integration';
      core.inputs['pr-comment'] = 'true';
      await run();
      expect(core.failures).toEqual([]);
      expect(core.warnings).toEqual([
        'pr-comment: could not write the comment (Resource not accessible by integration)',
      ]);
    });
  });
});
