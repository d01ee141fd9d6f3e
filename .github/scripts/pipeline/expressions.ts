/**
 * GitHub Actions expressions (`${{ … }}` and `if:`) evaluated with @actions/expressions, GitHub's
 * own parser and evaluator, so the twin decides conditions and fills in values as the runner does.
 * The package is ECMAScript-only: it is loaded once with import(), which CommonJS may call.
 */
import type * as Expressions from '@actions/expressions';

/** The contexts an expression reads (github, env, steps, needs, runner, …), as plain JSON. */
export type ExpressionContext = Record<string, unknown>;

/** The job's state the status functions read. */
export interface JobStatus {
  failed: boolean;
  /** The run was cancelled (the twin's own runs never are; a cancellation check sets it). */
  cancelled?: boolean;
}

type Library = typeof Expressions;

let library: Promise<Library> | undefined;

/** The library, imported on first use. */
export function loadExpressions(): Promise<Library> {
  // A variable specifier keeps TypeScript from turning this import() into a require().
  const specifier = '@actions/expressions';
  library ??= import(specifier) as Promise<Library>;
  return library;
}

/** The functions the library leaves to the runner: the job status checks and hashFiles. */
const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'] as const;

/** Evaluates expressions against contexts; one instance per loaded library. */
export class ExpressionEvaluator {
  private constructor(private readonly lib: Library) {}

  static async create(): Promise<ExpressionEvaluator> {
    return new ExpressionEvaluator(await loadExpressions());
  }

  /** The value of one expression (without `${{ }}`), as JSON-like data. */
  evaluate(expression: string, context: ExpressionContext, status: JobStatus = { failed: false }): unknown {
    const { Evaluator, Lexer, Parser, data } = this.lib;
    const lexed = new Lexer(expression).lex();
    const infos = STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 }));
    const parsed = new Parser(lexed.tokens, Object.keys(context), infos).parse();
    const cancelled = status.cancelled ?? false;
    const verdicts: Record<(typeof STATUS_FUNCTIONS)[number], boolean> = {
      success: !status.failed && !cancelled,
      failure: status.failed,
      always: true,
      cancelled,
    };
    const functions = new Map(
      STATUS_FUNCTIONS.map((name) => [
        name,
        { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(verdicts[name]) },
      ]),
    );
    const contextData = JSON.parse(JSON.stringify(context), data.reviver) as Expressions.data.Dictionary;
    const result = new Evaluator(parsed, contextData, functions).evaluate();
    return JSON.parse(JSON.stringify(result, data.replacer)) as unknown;
  }

  /**
   * A string with every `${{ … }}` replaced by its value as the runner writes it (objects as JSON,
   * null as empty). A string with no expression is returned as it is.
   */
  interpolate(text: string, context: ExpressionContext, status?: JobStatus): string {
    return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expression: string) =>
      asText(this.evaluate(expression.trim(), context, status)),
    );
  }

  /**
   * An `if:` condition as the runner reads it: with no status function in it, `success() && (…)`
   * is meant; the text may itself be wrapped in `${{ }}`.
   */
  condition(text: string | boolean | undefined, context: ExpressionContext, status: JobStatus): boolean {
    const succeeding = !status.failed && !(status.cancelled ?? false);
    if (text === undefined) return succeeding;
    if (typeof text === 'boolean') return text && succeeding;
    const bare = text
      .trim()
      .replace(/^\$\{\{([\s\S]*)\}\}$/, '$1')
      .trim();
    const checked = /\b(success|failure|always|cancelled)\s*\(/.test(bare) ? bare : `success() && (${bare})`;
    return truthy(this.evaluate(checked, context, status));
  }
}

/** How the runner turns a value into text: strings as they are, null as '', the rest as JSON. */
export function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value, null, 2);
}

/** Truthiness of an expression's value, as GitHub defines it. */
export function truthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string') return value.length > 0;
  return true;
}
