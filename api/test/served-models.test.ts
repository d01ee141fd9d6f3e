import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servedModels } from '../src/served-models';

/** A registry whose named models each have a `current` pointer. */
function registry(...names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlship-served-'));
  for (const name of names) {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'current'), 'v1\n');
  }
  mkdirSync(join(dir, 'A0-trained-not-promoted'));
  return dir;
}

const defaults = { MODEL_NAME: 'M1', AB_MODEL_NAME: 'M2' };

describe('the models a process serves', () => {
  const dirs: string[] = [];
  const at = (...names: string[]): string => {
    const dir = registry(...names);
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test('when the registry promotes M1 and M2, then the documented defaults are served', () => {
    expect(servedModels({ ...defaults, MODEL_DIR: at('M1', 'M2', 'M3') }, {})).toEqual({ MODEL_NAME: 'M1', AB_MODEL_NAME: 'M2', chosen: [] });
  });

  test('when a fork promotes only its own model, then that model serves both variants', () => {
    expect(servedModels({ ...defaults, MODEL_DIR: at('W1') }, {})).toEqual({ MODEL_NAME: 'W1', AB_MODEL_NAME: 'W1', chosen: ['MODEL_NAME', 'AB_MODEL_NAME'] });
    expect(servedModels({ ...defaults, MODEL_DIR: at('P2', 'P1') }, {})).toMatchObject({ MODEL_NAME: 'P1', AB_MODEL_NAME: 'P1' });
  });

  test('when M1 is promoted but M2 is not, then M1 is the experiment too', () => {
    expect(servedModels({ ...defaults, MODEL_DIR: at('M1', 'M3') }, {})).toEqual({ MODEL_NAME: 'M1', AB_MODEL_NAME: 'M1', chosen: ['AB_MODEL_NAME'] });
  });

  test('when the names are set, then they are kept even where nothing promotes them (the start then fails, naming it)', () => {
    const dir = at('M3');
    expect(servedModels({ MODEL_DIR: dir, MODEL_NAME: 'M1', AB_MODEL_NAME: 'M2' }, { MODEL_NAME: 'M1', AB_MODEL_NAME: 'M2' })).toEqual({ MODEL_NAME: 'M1', AB_MODEL_NAME: 'M2', chosen: [] });
    expect(servedModels({ MODEL_DIR: dir, MODEL_NAME: 'M3', AB_MODEL_NAME: 'M2' }, { MODEL_NAME: 'M3' })).toEqual({ MODEL_NAME: 'M3', AB_MODEL_NAME: 'M3', chosen: ['AB_MODEL_NAME'] });
  });

  test('when the registry has M1 but cannot serve it, then M1 stays, so the start fails naming it instead of serving another model', () => {
    const dir = at('M3');
    mkdirSync(join(dir, 'M1'));
    mkdirSync(join(dir, 'M2'));
    expect(servedModels({ ...defaults, MODEL_DIR: dir }, {})).toEqual({ MODEL_NAME: 'M1', AB_MODEL_NAME: 'M2', chosen: [] });
  });

  test('when the registry is empty or missing, then the defaults stay (and the start says what to train)', () => {
    expect(servedModels({ ...defaults, MODEL_DIR: at() }, {})).toMatchObject({ MODEL_NAME: 'M1', AB_MODEL_NAME: 'M1' });
    expect(servedModels({ ...defaults, MODEL_DIR: join(tmpdir(), 'mlship-no-such-registry') }, {})).toMatchObject({ MODEL_NAME: 'M1' });
  });
});
