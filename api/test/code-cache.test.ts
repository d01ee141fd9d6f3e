import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeCachePath, requireWithCodeCache } from '../src/code-cache';
import { tempDir } from '../../model/test/helpers';

/** A small CommonJS module that requires a neighbour, as the bundle requires node_modules. */
function writeModule(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'helper.js'), 'module.exports = (x) => x * 2;');
  const file = join(dir, 'bundle.js');
  writeFileSync(
    file,
    "const twice = require('./helper');\nexports.answer = () => twice(21);\nexports.where = " +
      '__dirname;\nexports.self = __filename;',
  );
  return file;
}

type Bundle = { answer(): number; where: string; self: string };
const cacheOf = (file: string): string => codeCachePath(file, readFileSync(file, 'utf8'));

describe('code cache', () => {
  test(
    'when a module is loaded twice, then the first start compiles and writes the cache and the second uses it, ' +
      'with the same exports',
    () => {
      const file = writeModule();
      const first = requireWithCodeCache(file);
      expect(first.state()).toBe('compiled');
      expect((first.exports as Bundle).answer()).toBe(42);
      expect(first.save()).toBe('written');
      expect(existsSync(cacheOf(file))).toBe(true);
      const second = requireWithCodeCache(file);
      expect(second.state()).toBe('used');
      expect(second.save()).toBe('used');
      expect(second.exports).toEqual(expect.objectContaining({ where: join(file, '..'), self: file }));
      expect((second.exports as Bundle).answer()).toBe(42);
    },
  );

  test(
    'when the cache file is garbage, then V8 rejects it, the module still loads from source, and save replaces ' +
      'the cache',
    () => {
      const file = writeModule();
      writeFileSync(cacheOf(file), Buffer.from('not a V8 code cache at all'));
      const loaded = requireWithCodeCache(file);
      expect(loaded.state()).toBe('compiled');
      expect((loaded.exports as Bundle).answer()).toBe(42);
      expect(loaded.save()).toBe('written');
      expect(requireWithCodeCache(file).state()).toBe('used');
    },
  );

  test('when the cache cannot be written, then save says so, leaves nothing behind and the module works', () => {
    const file = writeModule();
    // A directory where the cache file would go: neither root nor anyone else can rename onto it.
    mkdirSync(join(cacheOf(file), 'occupied'), { recursive: true });
    const loaded = requireWithCodeCache(file);
    expect(loaded.save()).toBe('unwritable');
    expect((loaded.exports as Bundle).answer()).toBe(42);
    expect(readdirSync(join(file, '..')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test(
    'when the module is rebuilt to the same length, then the old cache is not used (V8 checks only the length) ' +
      'and is removed',
    () => {
      const file = writeModule();
      requireWithCodeCache(file).save();
      const old = cacheOf(file);
      writeFileSync(file, readFileSync(file, 'utf8').replace('twice(21)', 'twice(12)'));
      const rebuilt = requireWithCodeCache(file);
      expect(rebuilt.state()).toBe('compiled');
      expect((rebuilt.exports as Bundle).answer()).toBe(24);
      expect(rebuilt.save()).toBe('written');
      expect(existsSync(old)).toBe(false);
      expect(readdirSync(join(file, '..')).filter((f) => f.endsWith('.v8cache'))).toEqual([
        cacheOf(file).split('/').pop(),
      ]);
    },
  );

  test(
    'when the module ran before save, then the cache holds the functions it compiled since load, which a cache ' +
      'made at load (as module.enableCompileCache makes it) lacks',
    () => {
      // A function V8 compiles lazily, on its first call: sizeable, so its bytecode shows in the cache.
      const body = Array.from({ length: 200 }, (_, i) => `total += (x * ${i}) % ${i + 7};`).join('\n');
      const source = `exports.work = (x) => { let total = 0;\n${body}\nreturn total; };`;
      const sizeOfCache = (run: boolean): number => {
        const file = join(tempDir(), 'bundle.js');
        writeFileSync(file, source);
        const loaded = requireWithCodeCache(file);
        if (run) (loaded.exports as { work(x: number): number }).work(3);
        expect(loaded.save()).toBe('written');
        return statSync(cacheOf(file)).size;
      };
      expect(sizeOfCache(true)).toBeGreaterThan(sizeOfCache(false) + 1000);
    },
  );

  test('when the V8 flags differ, then the cache file differs, because V8 rejects code made under other flags', () => {
    const file = writeModule();
    const before = process.env.NODE_OPTIONS;
    const plain = cacheOf(file);
    try {
      process.env.NODE_OPTIONS = '--max-old-space-size=192';
      expect(cacheOf(file)).not.toBe(plain);
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = before;
    }
  });
});
