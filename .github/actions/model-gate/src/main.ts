import * as core from '@actions/core';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
// One implementation of the gate: the same module `npm run gate` uses, bundled into dist/.
import type { GateThresholds } from '../../../../model/src/model-config';
import type { GateResult } from '../../../../model/src/quality-gate';
import { gateCandidates, renderGateMarkdown } from '../../../../model/src/quality-gate';
import type { CommentSection } from './comment';
import { composeComment, octokitCommentClient, pullRequestNumber, upsertComment } from './comment';

/** The action's inputs, parsed and validated once. */
export interface GateInputs {
  modelDir: string;
  models: string[];
  modelsFile: string;
  candidate?: string;
  baseline?: string;
  baselineDir?: string;
  overrides: Partial<GateThresholds>;
  failOnRegression: boolean;
  reportFile?: string;
  prComment: boolean;
  commentSections: string[];
  githubToken: string;
}

function optional(name: string): string | undefined {
  return core.getInput(name) || undefined;
}

function fraction(name: string): number | undefined {
  const raw = optional(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1)
    throw new Error(`input ${name} must be a number from 0 to 1, not "${raw}"`);
  return value;
}

function flag(name: string, fallback: boolean): boolean {
  const raw = (core.getInput(name) || String(fallback)).toLowerCase();
  if (raw !== 'true' && raw !== 'false') throw new Error(`input ${name} must be 'true' or 'false', not "${raw}"`);
  return raw === 'true';
}

/** Reads and validates every input; a bad one is one clear error naming it. */
export function readInputs(): GateInputs {
  const inputs: GateInputs = {
    modelDir: core.getInput('model-dir') || 'model/artifacts',
    models: (core.getInput('models') || '').split(/[\s,]+/).filter(Boolean),
    modelsFile: core.getInput('models-file') || 'model/models.json',
    candidate: optional('candidate'),
    baseline: optional('baseline'),
    baselineDir: optional('baseline-dir'),
    overrides: {},
    failOnRegression: flag('fail-on-regression', true),
    reportFile: optional('report-file'),
    prComment: flag('pr-comment', false),
    commentSections: core.getMultilineInput('comment-sections').filter(Boolean),
    githubToken: core.getInput('github-token'),
  };
  const overrides = {
    minAccuracy: fraction('min-accuracy'),
    minMacroF1: fraction('min-macro-f1'),
    maxRegression: fraction('tolerance'),
  };
  for (const [key, value] of Object.entries(overrides))
    if (value !== undefined) inputs.overrides[key as keyof GateThresholds] = value;
  if (inputs.baseline && inputs.baselineDir) throw new Error('give baseline or baseline-dir, not both');
  if (inputs.candidate && inputs.models.length > 0) throw new Error('give candidate or models, not both');
  if (inputs.prComment && !inputs.githubToken) throw new Error('pr-comment needs github-token');
  return inputs;
}

/** Evaluates every candidate with the one gate `npm run gate` runs. */
export function evaluateCandidates(inputs: GateInputs): GateResult[] {
  return gateCandidates({ ...inputs, optionPrefix: '' });
}

function readSections(paths: readonly string[]): CommentSection[] {
  return paths.map((path) => (existsSync(path) ? { path, content: readFileSync(path, 'utf8') } : { path }));
}

/** Posts or updates the PR comment; a refused write (a fork's read-only token) is a warning. */
async function commentOnPullRequest(inputs: GateInputs, markdown: string): Promise<void> {
  const issueNumber = pullRequestNumber();
  if (issueNumber === undefined) {
    core.info('pr-comment: not a pull_request event, no comment written');
    return;
  }
  const body = composeComment(markdown, readSections(inputs.commentSections));
  try {
    const { url, action } = await upsertComment(octokitCommentClient(inputs.githubToken), issueNumber, body);
    core.info(`pr-comment: ${action} ${url}`);
    core.setOutput('comment-url', url);
  } catch (error) {
    core.warning(`pr-comment: could not write the comment (${message(error)})`);
  }
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Evaluates the candidates; when the models or the baseline are missing (a job that failed before
 * uploading them), the summary and the PR comment say what is missing before the step fails.
 */
async function evaluateOrExplain(inputs: GateInputs): Promise<GateResult[]> {
  try {
    return evaluateCandidates(inputs);
  } catch (error) {
    const markdown =
      `### Model gate: ❌ could not run\n\n${message(error)}.\n\nThe job that trains the models may ` +
      `have failed before uploading them: see its log.\n`;
    await core.summary.addRaw(markdown, true).write();
    if (inputs.prComment) await commentOnPullRequest(inputs, markdown);
    throw new Error(`model gate could not run: ${message(error)}`, { cause: error });
  }
}

/** The action: gate, summary, outputs, optional PR comment, then the verdict. */
export async function run(): Promise<void> {
  try {
    const inputs = readInputs();
    const results = await evaluateOrExplain(inputs);
    const markdown = renderGateMarkdown(results);
    const passed = results.every((r) => r.passed);
    const failed = results.filter((r) => !r.passed).map((r) => r.name);

    if (inputs.reportFile) {
      mkdirSync(dirname(inputs.reportFile), { recursive: true });
      writeFileSync(inputs.reportFile, markdown);
    }
    core.setOutput('passed', String(passed));
    core.setOutput('failed-models', failed.join(','));
    core.setOutput('markdown', markdown);
    core.setOutput('results', JSON.stringify(results));
    await core.summary.addRaw(markdown, true).write();
    if (inputs.prComment) await commentOnPullRequest(inputs, markdown);

    if (!passed && inputs.failOnRegression) throw new Error(`model gate failed for ${failed.join(', ')}`);
    core.info(
      passed ? 'model gate passed' : `model gate failed for ${failed.join(', ')} (fail-on-regression is false)`,
    );
  } catch (error) {
    core.setFailed(message(error));
  }
}
