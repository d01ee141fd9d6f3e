import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runInThisContext } from 'node:vm';
import { buildSync } from 'esbuild';
import { loadScenario } from '../src/scenario/load';
import { fakeApi, PENGUINS } from './fake-model-api';
import { ROOT } from '../../scripts/support/repo-root';

const K6_DIR = join(ROOT, 'loadtest', 'k6');
const SCRIPT = join(K6_DIR, 'mlship.ts');
const bin = (name: string): string => join(ROOT, 'node_modules', '.bin', name);

describe('the k6 scripts, checked without k6', () => {
  test('when type-checked against @types/k6 with their own tsconfig, then tsc reports nothing', () => {
    const result = spawnSync(bin('tsc'), ['-p', join(K6_DIR, 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  test('when linted with the repository ESLint config, then there is no problem', () => {
    const result = spawnSync(bin('eslint'), ['--max-warnings', '0', 'loadtest/k6'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  }, 60000);

  test(
    'when k6 resolves the imports file by file, then every one is a k6 module or an existing local .ts file that ' +
      'imports only types',
    () => {
      const seen = new Set<string>();
      const visit = (file: string, entry: boolean): void => {
        if (seen.has(file)) return;
        seen.add(file);
        const source = readFileSync(file, 'utf8');
        expect(source).not.toMatch(/from\s+['"]https?:/);
        for (const line of source.match(/^(?:import|export)\s[^'"]*?from\s+['"][^'"]+['"]/gm) ?? []) {
          // Type-only imports vanish when k6 strips the types; everything else k6 must load itself.
          if (/^(import|export) type /.test(line)) continue;
          const specifier = /['"]([^'"]+)['"]$/.exec(line)![1]!;
          if (specifier === 'k6' || specifier.startsWith('k6/')) {
            expect(entry).toBe(true);
            continue;
          }
          // k6 has no Node-style resolution: a local import names the file exactly. And only the
          // entry may have value imports: between shared files they would need '.ts' paths that
          // Node's CommonJS side cannot take.
          expect([file, specifier]).toEqual([file, expect.stringMatching(/^\.\.?\/.*\.ts$/)]);
          expect(entry).toBe(true);
          const target = resolve(dirname(file), specifier);
          expect(existsSync(target)).toBe(true);
          visit(target, false);
        }
      };
      for (const file of readdirSync(K6_DIR).filter((f) => f.endsWith('.ts'))) visit(join(K6_DIR, file), true);
      expect(seen.size).toBeGreaterThanOrEqual(3);
    },
  );
});

interface K6Stubs {
  calls: Array<{
    method: string;
    url: string;
    body: string;
    params: { headers: Record<string, string>; tags: Record<string, string>; responseCallback: unknown };
  }>;
  checks: Array<Record<string, () => boolean>>;
  counted: Array<[number, Record<string, string>]>;
  rated: Array<[boolean, Record<string, string>]>;
  readyStatus: number;
}

/**
 * k6's modules (k6, k6/encoding, k6/metrics, k6/http) as stubs that record into `stubs`; http answers as the API would,
 * serving `api`.
 */
function k6ModuleStubs(stubs: K6Stubs, api: ReturnType<typeof fakeApi>): Record<string, object> {
  const expected = (status: unknown) => ({ expected: status });
  return {
    k6: {
      check: (_value: unknown, sets: Record<string, () => boolean>) => stubs.checks.push(sets),
      fail: (message: string) => {
        throw new Error(message);
      },
      sleep: () => undefined,
    },
    'k6/encoding': { default: { b64encode: (text: string) => Buffer.from(text).toString('base64') } },
    'k6/metrics': {
      Counter: class {
        add(value: number, tags: Record<string, string>) {
          stubs.counted.push([value, tags]);
        }
      },
      Rate: class {
        add(value: boolean, tags: Record<string, string>) {
          stubs.rated.push([value, tags]);
        }
      },
    },
    'k6/http': {
      default: {
        expectedStatuses: expected,
        get: () => ({ status: stubs.readyStatus, error: '', json: () => ({ status: 'ready' }) }),
        request: (method: string, url: string, body: string | null, params: K6Stubs['calls'][number]['params']) => {
          stubs.calls.push({ method, url, body: body ?? '', params });
          // Answers as the API would, with Go's canonical header names as k6 gives them.
          return api({ method, path: new URL(url).pathname, headers: params.headers, body });
        },
      },
    },
  };
}

/** Bundles the k6 script as k6 would run it, with k6's modules replaced by recording stubs. */
function loadScript(
  env: Record<string, string>,
  api = fakeApi(PENGUINS, PENGUINS, `${env.API_USER ?? 'alice'}:${env.API_PASSWORD ?? 'wonderland'}`),
): { module: Record<string, unknown>; stubs: K6Stubs } {
  const stubs: K6Stubs = { calls: [], checks: [], counted: [], rated: [], readyStatus: 200 };
  const result = buildSync({
    entryPoints: [SCRIPT],
    bundle: true,
    platform: 'neutral',
    format: 'cjs',
    write: false,
    logLevel: 'silent',
    define: { 'import.meta.resolve': '__resolve' },
    external: ['k6', 'k6/*'],
  });
  const scriptUrl = pathToFileURL(SCRIPT);
  // k6's globals, handed to the script as parameters of its wrapper.
  const k6Globals = {
    __ENV: env,
    __resolve: (specifier: string) => new URL(specifier, scriptUrl).href,
    open: (url: string) => readFileSync(fileURLToPath(url), 'utf8'),
  };
  const k6Modules = k6ModuleStubs(stubs, api);
  const k6Require = (name: string): object => {
    const stub = k6Modules[name];
    if (!stub) throw new Error(`the script requires ${name}, which the stubs do not provide`);
    return { __esModule: true, ...stub };
  };
  const module = { exports: {} as Record<string, unknown> };
  // Evaluated as k6 would: one script, its k6 imports answered by the stubs.
  const wrapper = runInThisContext(
    `(function (module, exports, require, __ENV, __resolve, open) {${result.outputFiles[0]!.text}\n})`,
  ) as (...args: unknown[]) => void;
  wrapper(module, module.exports, k6Require, k6Globals.__ENV, k6Globals.__resolve, k6Globals.open);
  return { module: module.exports, stubs };
}

describe('the k6 script, run under stubs of k6', () => {
  test('when SCENARIO=load, then options carry the scenario file verbatim with p(99) in the summary', () => {
    const { module } = loadScript({ SCENARIO: 'load' });
    const scenario = loadScenario('load');
    expect(module.options).toEqual({
      scenarios: { load: { ...scenario.profile, exec: 'default' } },
      thresholds: scenario.thresholds,
      summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
      setupTimeout: '30s',
    });
  });

  test('when SCENARIO names no scenario, then the init context throws', () => {
    expect(() => loadScript({ SCENARIO: 'nope' })).toThrow(/SCENARIO must be one of smoke, load, stress, spike, soak/);
  });

  test('when /readyz is not 200, then setup fails the run before any load', () => {
    const { module, stubs } = loadScript({});
    stubs.readyStatus = 503;
    expect(() => (module.setup as () => unknown)()).toThrow(/readyz answered 503: the target is not ready/);
  });

  test('when the API does not take the credentials, then setup fails at model discovery before any load', () => {
    const { module } = loadScript({ API_PASSWORD: 'nope' }, fakeApi(PENGUINS));
    expect(() => (module.setup as () => unknown)()).toThrow(
      /^GET \/models answered 401 during model discovery: .*: not starting the smoke test$/,
    );
  });

  test(
    'when iterations run against an API that answers right, then every check passes and predictions are counted ' +
      'by class and variant',
    () => {
      const { module, stubs } = loadScript({
        BASE_URL: 'http://127.0.0.1:18799/',
        API_USER: 'bob',
        API_PASSWORD: 'builder',
      });
      const data = (module.setup as () => unknown)();
      // setup() asked the API what it serves, in requests of their own kind.
      const discovery = stubs.calls.splice(0);
      expect(discovery[0]!.url).toBe('http://127.0.0.1:18799/models');
      expect(discovery.every((c) => c.params.tags.kind === 'discovery')).toBe(true);
      for (let i = 0; i < 300; i++) (module.default as (d: unknown) => void)(data);
      expect(stubs.calls).toHaveLength(300);
      expect(new Set(stubs.calls.map((c) => c.params.tags.kind))).toEqual(
        new Set([
          'predict_single',
          'predict_batch',
          'predict_v2',
          'infer',
          'invalid_row',
          'malformed_json',
          'wrong_content_type',
        ]),
      );
      expect(
        stubs.calls.every((c) => c.url.startsWith('http://127.0.0.1:18799/') && !c.url.includes('//predict')),
      ).toBe(true);
      expect(stubs.calls[0]!.params.headers.Authorization).toBe(
        `Basic ${Buffer.from('bob:builder').toString('base64')}`,
      );
      // 4xx kinds are expected responses, not http_req_failed.
      const invalid = stubs.calls.find((c) => c.params.tags.kind === 'invalid_row')!;
      expect(invalid.params.responseCallback).toEqual({ expected: 400 });
      const results = stubs.checks.flatMap((sets) => Object.entries(sets).map(([name, fn]) => [name, fn()] as const));
      expect(results.filter(([, ok]) => !ok)).toEqual([]);
      const variants = new Set(stubs.counted.map(([, tags]) => tags.variant));
      expect(variants).toEqual(new Set(['v1', 'v2']));
      // The served model's classes, all of them, and every batch named each one.
      expect(new Set(stubs.counted.map(([, tags]) => tags.class))).toEqual(new Set(PENGUINS.classes));
      expect(stubs.rated.length).toBe(stubs.calls.filter((c) => c.params.tags.kind === 'predict_batch').length);
      expect(stubs.rated.every(([ok, tags]) => ok && tags.kind === 'predict_batch')).toBe(true);
    },
  );

  test('when the run ends, then handleSummary writes summary.json and prints the text summary', () => {
    const { module } = loadScript({ SCENARIO: 'smoke', SUMMARY_DIR: 'out/k6' });
    const data = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'k6-http-summary.json'), 'utf8')) as unknown;
    const written = (module.handleSummary as (d: unknown) => Record<string, string>)(data);
    expect(Object.keys(written).sort()).toEqual(['out/k6/summary.json', 'stdout']);
    expect(JSON.parse(written['out/k6/summary.json']!)).toEqual(data);
    expect(written.stdout).toContain(
      'mlship load test: smoke against http://127.0.0.1:8000: PASSED (4/4 thresholds hold)',
    );
  });
});
