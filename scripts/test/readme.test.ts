/**
 * The README's reference tables stay in step with the code: its route table with the OpenAPI
 * document, its configuration table with CONFIG_KEYS, and every `npm run X` it names with
 * package.json. A table is found by its header row, in README.md or a page under docs/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { CONFIG_KEYS } from '../../api/src/config';
import { openApiDocument } from '../../api/src/openapi';
import { makeApp } from '../../api/test/helpers';

const ROOT = join(__dirname, '..', '..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
const text = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** The first cell of each body row of the table whose header row starts with `header`. */
function firstCells(header: string): string[] {
  for (const file of DOCS) {
    const lines = text(file).split('\n');
    const start = lines.findIndex((line) => line.startsWith(header));
    if (start < 0) continue;
    const rows: string[] = [];
    for (const line of lines.slice(start + 2)) {
      if (!line.startsWith('|')) break;
      rows.push(line.split('|')[1]!.trim());
    }
    return rows;
  }
  throw new Error(`no table with the header "${header}" in ${DOCS.join(', ')}`);
}

/** `GET /a`, `/b` in one cell: each backticked route, the method carried over from the one before. */
function routesOf(cell: string): string[] {
  let method = '';
  return [...cell.matchAll(/`([^`]+)`/g)].map(([, route]) => {
    const match = /^(?:([A-Z]+) )?(\/\S*)$/.exec(route!);
    if (!match) throw new Error(`the route table lists "${route}", which is not "METHOD /path"`);
    method = match[1] ?? method;
    return `${method} ${match[2]!.replace(/:(\w+)/g, '{$1}')}`;
  });
}

describe('README route table', () => {
  const paths = openApiDocument(1000).paths as Record<string, Record<string, unknown>>;
  const documented = Object.entries(paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));

  test('when compared with the OpenAPI document, then it lists exactly its operations', () => {
    const listed = firstCells('| route |').flatMap(routesOf);
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

describe('README configuration table', () => {
  test('when compared with CONFIG_KEYS, then it lists exactly the settings the API reads', () => {
    const listed = firstCells('| variable |').flatMap((cell) => [...cell.matchAll(/`([A-Z0-9_]+)`/g)].map(([, key]) => key!));
    expect([...listed].sort()).toEqual([...CONFIG_KEYS].sort());
  });
});

describe('npm scripts in the docs', () => {
  const scripts = (JSON.parse(text('package.json')) as { scripts: Record<string, string> }).scripts;

  test.each(DOCS)('when %s names `npm run X`, then package.json has the script X', (file) => {
    const named = [...text(file).matchAll(/npm run (?:-s )?([\w:.-]+)/g)].map(([, name]) => name!);
    expect(named.filter((name) => !(name in scripts))).toEqual([]);
  });
});
