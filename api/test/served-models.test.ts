import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { selectModels } from '../src/models/served-models';

/** A registry whose named models each have a `current` pointer, beside one trained but never promoted. */
function registry(...names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlship-served-'));
  for (const name of names) {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'current'), 'v1\n');
  }
  mkdirSync(join(dir, 'A0-trained-not-promoted'));
  return dir;
}

/** What the server selects for this environment (parsed as the server parses it). */
const select = (env: Record<string, string>) => selectModels(loadConfig(env), env);

describe('the models a process serves', () => {
  const dirs: string[] = [];
  const at = (...names: string[]): string => {
    const dir = registry(...names);
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test(
    'when MODELS is unset, then every promoted model is served, M1 and M2 are the A/B pair, and later promotions ' +
      'join',
    () => {
      expect(select({ MODEL_DIR: at('M1', 'M2', 'M3') })).toEqual({
        names: ['M1', 'M2', 'M3'],
        discover: true,
        pair: { v1: 'M1', v2: 'M2', required: false },
        chosen: [],
      });
    },
  );

  test(
    'when a fork promotes only its own models, ' + 'then /predict answers from the first by name, in both variants',
    () => {
      expect(select({ MODEL_DIR: at('W1') })).toEqual({
        names: ['W1'],
        discover: true,
        pair: { v1: 'W1', v2: 'W1', required: false },
        chosen: ['MODEL_NAME', 'AB_MODEL_NAME'],
      });
      expect(select({ MODEL_DIR: at('P2', 'P1') })).toMatchObject({
        names: ['P1', 'P2'],
        pair: { v1: 'P1', v2: 'P1' },
      });
    },
  );

  test('when M1 is promoted but M2 is not, then M1 is the experiment too', () => {
    expect(select({ MODEL_DIR: at('M1', 'M3') })).toEqual({
      names: ['M1', 'M3'],
      discover: true,
      pair: { v1: 'M1', v2: 'M1', required: false },
      chosen: ['AB_MODEL_NAME'],
    });
  });

  test(
    'when the names are set, then they are served even where nothing promotes them (the start then fails, naming ' +
      'it), and a set partner is required to match',
    () => {
      const dir = at('M3');
      expect(select({ MODEL_DIR: dir, MODEL_NAME: 'M1', AB_MODEL_NAME: 'M2' })).toMatchObject({
        names: ['M1', 'M2', 'M3'],
        pair: { v1: 'M1', v2: 'M2', required: true },
        chosen: [],
      });
      expect(select({ MODEL_DIR: dir, MODEL_NAME: 'M3' })).toMatchObject({
        names: ['M3'],
        pair: { v1: 'M3', v2: 'M3', required: false },
        chosen: ['AB_MODEL_NAME'],
      });
    },
  );

  test(
    'when the registry has M1 but cannot serve it, then M1 stays, so the start fails naming it instead of ' +
      'serving another model',
    () => {
      const dir = at('M3');
      mkdirSync(join(dir, 'M1'));
      mkdirSync(join(dir, 'M2'));
      expect(select({ MODEL_DIR: dir })).toMatchObject({
        names: ['M1', 'M2', 'M3'],
        pair: { v1: 'M1', v2: 'M2' },
        chosen: [],
      });
    },
  );

  test('when the registry is empty or missing, then the defaults stay (and the start says what to train)', () => {
    expect(select({ MODEL_DIR: at() })).toMatchObject({ names: ['M1'], pair: { v1: 'M1', v2: 'M1' } });
    expect(select({ MODEL_DIR: join(tmpdir(), 'mlship-no-such-registry') })).toMatchObject({ names: ['M1'] });
  });

  test(
    'when MODELS lists promoted models, then exactly those are served, nothing joins later, and unset names come ' +
      'from the list',
    () => {
      const dir = at('M1', 'M2', 'M3');
      expect(select({ MODEL_DIR: dir, MODELS: 'M3, M1' })).toEqual({
        names: ['M1', 'M3'],
        discover: false,
        pair: { v1: 'M1', v2: 'M1', required: false },
        chosen: ['AB_MODEL_NAME'],
      });
      expect(select({ MODEL_DIR: dir, MODELS: 'M3' })).toMatchObject({
        names: ['M3'],
        pair: { v1: 'M3', v2: 'M3' },
        chosen: ['MODEL_NAME', 'AB_MODEL_NAME'],
      });
      expect(select({ MODEL_DIR: dir, MODELS: 'M2,M1' })).toMatchObject({
        names: ['M1', 'M2'],
        pair: { v1: 'M1', v2: 'M2' },
        chosen: [],
      });
    },
  );

  test(
    'when MODELS names a model that is not promoted, then the start is refused with one line naming it and what ' +
      'is promoted',
    () => {
      const dir = at('M1', 'M2');
      expect(() => select({ MODEL_DIR: dir, MODELS: 'M1,W9' })).toThrow(ConfigError);
      expect(() => select({ MODEL_DIR: dir, MODELS: 'M1,W9' })).toThrow(
        `MODELS names W9, which is not promoted in ${dir} (no <name>/current); promoted there: M1, M2`,
      );
      expect(() => select({ MODEL_DIR: dir, MODELS: 'A0-trained-not-promoted,W9' })).toThrow(
        /^MODELS names A0-trained-not-promoted, W9, which are not promoted/,
      );
    },
  );

  test('when MODEL_NAME or AB_MODEL_NAME is set outside MODELS, then the start is refused naming both settings', () => {
    const dir = at('M1', 'M2', 'M3');
    expect(() => select({ MODEL_DIR: dir, MODELS: 'M1,M3', MODEL_NAME: 'M2' })).toThrow(
      'MODEL_NAME=M2 is not in MODELS=M1,M3: add it to MODELS, or set MODEL_NAME to one of them',
    );
    expect(() => select({ MODEL_DIR: dir, MODELS: 'M1,M3', AB_MODEL_NAME: 'M2' })).toThrow(
      /^AB_MODEL_NAME=M2 is not in MODELS=M1,M3/,
    );
  });

  test(
    'when MODELS is not a list of names, ' + 'then the configuration is refused with the setting and what is wrong',
    () => {
      expect(() => loadConfig({ MODELS: 'M1,,M3' })).toThrow(
        'invalid MODELS="M1,,M3": "" is not a model name (letters, digits, - and _; comma-separated)',
      );
      expect(() => loadConfig({ MODELS: 'M1,M1' })).toThrow('invalid MODELS="M1,M1": M1 is listed twice');
      expect(() => loadConfig({ MODELS: '../M1' })).toThrow(/invalid MODELS="..\/M1": "..\/M1" is not a model name/);
    },
  );
});
