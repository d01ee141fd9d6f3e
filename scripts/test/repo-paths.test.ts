/**
 * Every file of the repository names only files the repository holds: a path from the root
 * (`tools/test/azure-cli.test.ts`, `docs/model.md`) in a markdown or text file, or in a comment
 * of a script, config or source file, exists, or is one of the outputs .gitignore lists. Code is
 * not checked: its string literals name files the tests create and fixtures missing on purpose.
 * The links of README.md and docs/ are checked, with their anchors, by readme.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/repo-root';

const git = (args: string[], input?: string): string =>
  execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', input });

const tracked = git(['ls-files', '-z']).split('\0').filter(Boolean);
/** Committed bundles, the lockfile and binary or tabular data: nothing anyone writes prose in. */
const SKIPPED = /(^|\/)dist\/|package-lock\.json$|\.(png|onnx|csv)$/;
/** The folders at the root that hold committed files, the first step of a path worth checking. */
const TOP_FOLDERS = [...new Set(tracked.filter((file) => file.includes('/')).map((file) => file.split('/')[0]!))];
const EXTENSIONS = 'ts|js|mjs|cjs|md|sh|ya?ml|py|json|toml|txt|env|conf|template';
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `folder/…/name.ext`, not inside a longer path or URL, not followed by more of a name. */
const PATH = new RegExp(
  `(?<![\\w./-])(?:\\./)?((?:${TOP_FOLDERS.map(escape).join('|')})/[\\w./-]*\\.(?:${EXTENSIONS}))(?![\\w/*-]|\\.\\w)`,
  'g',
);
/** A line that is a comment in TypeScript, JavaScript, shell, YAML, Python or a Dockerfile. */
const COMMENT = /^\s*(\/\/|\/\*|\*|#)/;

/** The root-relative paths one file names in its prose, each with its line number. */
function namedPaths(file: string): { line: number; path: string }[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  if (text.includes('\0')) return [];
  const prose = /\.(md|txt)$/.test(file);
  return text
    .split('\n')
    .flatMap((line, index) =>
      prose || COMMENT.test(line)
        ? [...line.matchAll(PATH)].map(([, path]) => ({ line: index + 1, path: path!.replace(/\.$/, '') }))
        : [],
    );
}

/** Which of `paths` .gitignore lists (outputs a run writes, such as reports/ or dist/). */
function ignored(paths: string[]): Set<string> {
  if (paths.length === 0) return new Set();
  try {
    return new Set(git(['check-ignore', '--no-index', '--stdin'], paths.join('\n')).split('\n'));
  } catch (error) {
    // Exit status 1: none of them is ignored.
    return new Set(((error as { stdout?: string }).stdout ?? '').split('\n'));
  }
}

describe('paths named in the repository', () => {
  test(
    'when a file names a path from the repository root, ' + 'then the repository holds it or ignores it as an output',
    () => {
      const named = tracked
        .filter((file) => !SKIPPED.test(file))
        .flatMap((file) => namedPaths(file).map((found) => ({ file, ...found })));
      const missing = named.filter(({ path }) => !existsSync(join(ROOT, path)));
      const outputs = ignored([...new Set(missing.map(({ path }) => path))]);
      expect(
        missing.filter(({ path }) => !outputs.has(path)).map(({ file, line, path }) => `${file}:${line}: ${path}`),
      ).toEqual([]);
    },
  );

  test('when a comment names a file that is not there, then the check reports it', () => {
    expect('// see docs/nowhere.md and k8s/test/x.test.ts'.match(PATH)).toEqual([
      'docs/nowhere.md',
      'k8s/test/x.test.ts',
    ]);
    expect('# https://example.com/docs/a.md, docker/nginx/nginx.conf.template'.match(PATH)).toEqual([
      'docker/nginx/nginx.conf.template',
    ]);
  });
});
