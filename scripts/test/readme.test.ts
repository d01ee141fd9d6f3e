/**
 * The documentation stays in step with the code: the route table with the OpenAPI document, the
 * configuration table with CONFIG_KEYS, the README's map of the stages with package.json's
 * scripts, every `npm run X` with package.json, and every relative link with the files. A table is
 * found by its header row in README.md or a page under docs/, wherever its section lives.
 */
import { existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import request from 'supertest';
import { CONFIG_KEYS } from '../../api/src/config';
import { openApiDocument } from '../../api/src/http/openapi/document';
import { makeApp } from '../../api/test/helpers';
import { ROOT } from '../support/repo-root';
import { DOC_PAGES, headingAnchors, readDocPage } from './doc-pages';

/**
 * The body rows, as trimmed cells, of the one table whose header row starts with `header`; a
 * header found in no page or in two (a stale copy left behind by a move) is an error.
 */
function tableRows(header: string): string[][] {
  const found = DOC_PAGES.flatMap((page) => {
    const lines = readDocPage(page).split('\n');
    const start = lines.findIndex((line) => line.startsWith(header));
    return start < 0 ? [] : [{ page, lines, start }];
  });
  if (found.length !== 1)
    throw new Error(
      `expected one table with the header "${header}" in ${DOC_PAGES.join(', ')}; found ${found.length} (` +
        `${found.map((f) => f.page).join(', ')})`,
    );
  const { lines, start } = found[0]!;
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The backticked names in a table cell. */
const backticked = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map(([, name]) => name!);

/** `GET /a`, `/b` in one cell: each backticked route, the method carried over from the one before. */
function routesOf(cell: string): string[] {
  let method = '';
  return backticked(cell).map((route) => {
    const match = /^(?:([A-Z]+) )?(\/\S*)$/.exec(route);
    if (!match) throw new Error(`the route table lists "${route}", which is not "METHOD /path"`);
    method = match[1] ?? method;
    return `${method} ${match[2]!.replace(/:(\w+)/g, '{$1}')}`;
  });
}

const sorted = (names: Iterable<string>): string[] => [...new Set(names)].sort();
const scripts = (JSON.parse(readDocPage('package.json')) as { scripts: Record<string, string> }).scripts;

describe('route table', () => {
  const paths = openApiDocument(1000).paths as Record<string, Record<string, unknown>>;
  const documented = Object.entries(paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
  );

  test('when compared with the OpenAPI document, then it lists exactly its operations', () => {
    const listed = tableRows('| route |').flatMap(([cell]) => routesOf(cell!));
    expect([...listed].sort()).toEqual([...documented].sort());
  });

  test('when each documented operation is called on the app, then a route answers it (no 404 or 405)', async () => {
    const { app } = makeApp();
    const unanswered: string[] = [];
    for (const operation of documented) {
      const [method, path] = operation.split(' ') as [string, string];
      const res = await request(app)[method.toLowerCase() as 'get' | 'post'](path.replace('{name}', 'M1'));
      if (res.status === 404 || res.status === 405) unanswered.push(`${operation}: ${res.status}`);
    }
    expect(unanswered).toEqual([]);
  });
});

describe('configuration table', () => {
  test('when compared with CONFIG_KEYS, then it lists exactly the settings the API reads', () => {
    const listed = tableRows('| variable |').flatMap(([cell]) =>
      [...cell!.matchAll(/`([A-Z0-9_]+)`/g)].map(([, key]) => key!),
    );
    expect([...listed].sort()).toEqual([...CONFIG_KEYS].sort());
  });
});

describe('map of the stages', () => {
  test('when compared with package.json, then its npm scripts column names exactly the scripts there are', () => {
    const rows = tableRows('| stage | folder | npm scripts |');
    expect(sorted(rows.flatMap((cells) => backticked(cells[2]!)))).toEqual(sorted(Object.keys(scripts)));
  });
});

describe('npm scripts in the docs', () => {
  test.each(DOC_PAGES)('when %s names `npm run X`, then package.json has the script X', (page) => {
    const named = [...readDocPage(page).matchAll(/npm run (?:-s )?([\w:.-]+)/g)].map(([, name]) => name!);
    expect(named.filter((name) => !(name in scripts))).toEqual([]);
  });
});

/** Every problem with the relative links of one page: a target file or heading anchor that is not there. */
function brokenLinks(page: string): string[] {
  // Code is not a link: fenced blocks and inline code spans hold `](` in JSON and shell.
  const prose = readDocPage(page)
    .replace(/^```[\s\S]*?^```/gm, '')
    .replace(/`[^`\n]*`/g, '');
  const broken: string[] = [];
  for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z][\w+.-]*:/i.test(target!)) continue; // https:, mailto:: not a file of the repository
    const [path, anchor] = target!.split('#') as [string, string | undefined];
    const file = path === '' ? page : normalize(join(dirname(page), path));
    if (!existsSync(join(ROOT, file))) broken.push(`${target}: no file ${file}`);
    else if (anchor !== undefined && file.endsWith('.md') && !headingAnchors(readDocPage(file)).has(anchor))
      broken.push(`${target}: no heading #${anchor} in ${file}`);
  }
  return broken;
}

describe('links in the docs', () => {
  test.each(DOC_PAGES)(
    'when %s links to a file of the repository, then the file (and its heading) is there',
    (page) => {
      expect(brokenLinks(page)).toEqual([]);
    },
  );
});
