import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { algorithmNames } from '../../model/src/algorithms';
import { ROOT } from '../support/repo-root';

/**
 * The command lines the image runs are single-file bundles (`npm run build` writes dist/bundle/):
 * copied with the model configuration, package.json and the packages scripts/runtime-modules.sh
 * picks (as the image has them) and nothing else into a directory with no node_modules above it,
 * each must still do its job.
 */
const BUNDLES = ['train.js', 'registry-cli.js', 'users-cli.js'];

let app: string;

beforeAll(() => {
  for (const bundle of BUNDLES) {
    if (!existsSync(join(ROOT, 'dist/bundle', bundle)))
      throw new Error('the bundles are not built: run `npm run build` first');
  }
  app = mkdtempSync(join(tmpdir(), 'mlship-bundles-'));
  // package.json marks the root that model/models.json's data paths start from, as in the image.
  for (const file of [...BUNDLES.map((b) => `dist/bundle/${b}`), 'model/models.json', 'package.json']) {
    mkdirSync(dirname(join(app, file)), { recursive: true });
    cpSync(join(ROOT, file), join(app, file));
  }
  for (const dir of ['model/data', 'model/examples'])
    if (existsSync(join(ROOT, dir))) cpSync(join(ROOT, dir), join(app, dir), { recursive: true });
  // The packages the image ships beside the bundles (onnxruntime-node's native addon cannot be bundled).
  expect(spawnSync('sh', [join(ROOT, 'scripts/runtime-modules.sh'), app]).status).toBe(0);
});

afterAll(() => rmSync(app, { recursive: true, force: true }));

function run(bundle: string, args: string[], input?: string): { status: number | null; out: string } {
  const result = spawnSync(process.execPath, [join('dist/bundle', bundle), ...args], {
    cwd: app,
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

describe('CLI bundles without node_modules', () => {
  test(
    'when the directory holds only the runtime packages, ' + 'then nothing resolves another package from this checkout',
    () => {
      expect(spawnSync(process.execPath, ['-e', "require.resolve('zod')"], { cwd: app }).status).not.toBe(0);
    },
  );

  test('when train.js trains and promotes, then registry-cli.js verifies it and reports its provenance', () => {
    const trained = run('train.js', ['--promote', '--model-dir', 'registry']);
    expect(trained).toMatchObject({ status: 0 });
    expect(run('registry-cli.js', ['verify', '--model-dir', 'registry'])).toMatchObject({
      status: 0,
      out: expect.stringContaining('verified M1@'),
    });
    const provenance = run('registry-cli.js', ['provenance', '--model-dir', 'registry']);
    expect(provenance.status).toBe(0);
    expect(JSON.parse(provenance.out)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'M1', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
      ]),
    );
  });

  test('when users-cli.js adds a user, then the file holds an scrypt hash for them', () => {
    expect(run('users-cli.js', ['add', 'carol', '--file', 'users.txt'], 'a-long-password\n')).toMatchObject({
      status: 0,
    });
    expect(readFileSync(join(app, 'users.txt'), 'utf8')).toMatch(/^carol:scrypt\$/m);
  });
});

describe("the batch thread's bundle", () => {
  // Each batch thread compiles its bundle into an isolate of its own: at 475 KB (every algorithm's
  // training code, zod and ml-knn, reached through algorithms/index.ts) the thread took ~9 MB more
  // RSS than at 11 KB. It finds each algorithm's load.ts at run time instead (algorithms/loaders.ts),
  // bundled beside it as dist/bundle/<algorithm>/load.js.
  test('when built, then it holds no algorithm: under 16 KB and no zod', () => {
    const bundle = join(ROOT, 'dist/bundle/predict-worker.js');
    expect(statSync(bundle).size).toBeLessThan(16 * 1024);
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/ZodError|\$ZodType/);
  });

  test("when built, then every algorithm's loader is bundled beside it: under 64 KB each and no zod", () => {
    for (const name of algorithmNames()) {
      const bundle = join(ROOT, 'dist/bundle', name, 'load.js');
      expect(statSync(bundle).size).toBeLessThan(64 * 1024);
      expect(readFileSync(bundle, 'utf8')).not.toMatch(/ZodError|\$ZodType/);
    }
  });
});
