/**
 * Typed stand-ins for `@actions/core` and `@actions/github`, which are ESM-only and so cannot be
 * required by ts-jest's CommonJS. Tests install them with
 * `jest.mock('@actions/core', () => jest.requireActual<CoreModule>(...).createCoreFixture(), { virtual: true })`
 * and read what the action did from the fixture.
 */
import type * as Core from '@actions/core';

/** The part of `core.summary` the actions use; `write()` records the text instead of a file. */
export interface SummaryFake {
  addRaw(text: string, addEOL?: boolean): SummaryFake;
  addEOL(): SummaryFake;
  write(): Promise<SummaryFake>;
  stringify(): string;
}

/** The functions of `@actions/core` the actions call, with their real signatures. */
export type CoreApi = Pick<
  typeof Core,
  | 'getInput'
  | 'getMultilineInput'
  | 'getBooleanInput'
  | 'setOutput'
  | 'setFailed'
  | 'info'
  | 'warning'
  | 'debug'
  | 'notice'
>;

/** The fake `@actions/core` and everything it recorded. */
export interface CoreFixture extends CoreApi {
  summary: SummaryFake;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  failures: string[];
  warnings: string[];
  infos: string[];
  /** Everything `summary.write()` wrote, in order. */
  summaryWritten: string;
  /** Clears the records and sets the inputs for the next test (names as in action.yml). */
  reset(inputs?: Record<string, string>): void;
}

/** A summary that buffers text; `write()` hands the buffer to `written` and empties it. */
function createSummaryFake(written: (text: string) => void): { summary: SummaryFake; clear: () => void } {
  let buffer = '';
  const summary: SummaryFake = {
    addRaw(text, addEOL = false) {
      buffer += text + (addEOL ? '\n' : '');
      return summary;
    },
    addEOL() {
      buffer += '\n';
      return summary;
    },
    write() {
      written(buffer);
      buffer = '';
      return Promise.resolve(summary);
    },
    stringify: () => buffer,
  };
  return {
    summary,
    clear: () => {
      buffer = '';
    },
  };
}

/** A fresh `@actions/core` fixture. `getInput` follows core: trims, and enforces `required`. */
export function createCoreFixture(): CoreFixture {
  const { summary, clear } = createSummaryFake((text) => {
    fixture.summaryWritten += text;
  });
  const getInput: typeof Core.getInput = (name, options) => {
    const value = (fixture.inputs[name] ?? '').trim();
    if (options?.required && !value) throw new Error(`Input required and not supplied: ${name}`);
    return value;
  };
  const fixture: CoreFixture = {
    inputs: {},
    outputs: {},
    failures: [],
    warnings: [],
    infos: [],
    summaryWritten: '',
    summary,
    getInput,
    getMultilineInput: (name, options) =>
      getInput(name, options)
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== ''),
    getBooleanInput: (name, options) => getInput(name, options) === 'true',
    setOutput: (name, value) => {
      fixture.outputs[name] = typeof value === 'string' ? value : JSON.stringify(value);
    },
    setFailed: (message) => {
      fixture.failures.push(message instanceof Error ? message.message : message);
    },
    info: (message) => {
      fixture.infos.push(message);
    },
    warning: (message) => {
      fixture.warnings.push(message instanceof Error ? message.message : message);
    },
    debug: () => undefined,
    notice: () => undefined,
    reset(inputs = {}) {
      fixture.inputs = { ...inputs };
      fixture.outputs = {};
      fixture.failures = [];
      fixture.warnings = [];
      fixture.infos = [];
      fixture.summaryWritten = '';
      clear();
    },
  };
  return fixture;
}

/** One stored issue comment in the GitHub fake. */
export interface FakeComment {
  id: number;
  body: string;
  html_url: string;
}

/** The fake `@actions/github`: a context and an Octokit whose issue comments live in memory. */
export interface GithubFixture {
  context: { repo: { owner: string; repo: string }; payload: { pull_request?: { number: number } } };
  comments: FakeComment[];
  /** Set to make every comment call fail, like a fork's read-only token. */
  refuse?: string;
  getOctokit(token: string): FakeOctokit;
  reset(pullRequest?: number): void;
}

interface IssueParams {
  owner: string;
  repo: string;
  issue_number?: number;
  comment_id?: number;
  body?: string;
}
type Data = { data: FakeComment };

/** The slice of Octokit that the PR comment uses. */
export interface FakeOctokit {
  paginate(method: unknown, params: IssueParams): Promise<FakeComment[]>;
  rest: {
    issues: {
      listComments(p: IssueParams): Promise<{ data: FakeComment[] }>;
      createComment(p: IssueParams): Promise<Data>;
      updateComment(p: IssueParams): Promise<Data>;
    };
  };
}

/** A fresh `@actions/github` fixture (owner "octo", repo "mlship"). */
export function createGithubFixture(): GithubFixture {
  const guard = (): void => {
    if (fixture.refuse) throw new Error(fixture.refuse);
  };
  const octokit: FakeOctokit = {
    paginate: (_method, _params) => {
      guard();
      return Promise.resolve([...fixture.comments]);
    },
    rest: {
      issues: {
        listComments: () => Promise.resolve({ data: [...fixture.comments] }),
        createComment: ({ body = '' }) => {
          guard();
          const id = fixture.comments.length + 100;
          const comment = { id, body, html_url: `https://github.com/octo/mlship/pull/1#issuecomment-${id}` };
          fixture.comments.push(comment);
          return Promise.resolve({ data: comment });
        },
        updateComment: ({ comment_id, body = '' }) => {
          guard();
          const comment = fixture.comments.find((c) => c.id === comment_id);
          if (!comment) throw new Error(`no comment ${String(comment_id)}`);
          comment.body = body;
          return Promise.resolve({ data: comment });
        },
      },
    },
  };
  const fixture: GithubFixture = {
    context: { repo: { owner: 'octo', repo: 'mlship' }, payload: {} },
    comments: [],
    getOctokit: () => octokit,
    reset(pullRequest) {
      fixture.comments = [];
      delete fixture.refuse;
      fixture.context.payload = pullRequest === undefined ? {} : { pull_request: { number: pullRequest } };
    },
  };
  return fixture;
}
