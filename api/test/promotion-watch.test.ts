import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createMetrics, publishModelMetrics } from '../src/observability/metrics';
import { ModelStore } from '../src/models/model-store';
import type { StoreOptions } from '../src/models/model-store';
import { PromotionWatch } from '../src/models/promotion-watch';
import { promote } from '../../model/src/registry';
import { promoteCorruptCopy, promoteFrom, servedOnDisk, trainAnotherVersion } from './promotion';
import { copyRegistry } from './server-process';

/** A store on a private registry (or `dir`) and a watch whose reload is the store's own, as in server.ts. */
function watched(
  options: StoreOptions = {},
  dir = copyRegistry(),
  names = ['M1', 'M2'],
): { dir: string; store: ModelStore; watch: PromotionWatch; refusals: string[] } {
  const store = new ModelStore(dir, names, options);
  store.load();
  const refusals: string[] = [];
  const reload = (): string | undefined => {
    try {
      store.reload();
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
  return { dir, store, watch: new PromotionWatch(dir, store, reload, (problem) => refusals.push(problem)), refusals };
}

describe('promotion watch', () => {
  const retrained = trainAnotherVersion('M1');
  const retrainedM3 = trainAnotherVersion('M3');

  test('when no pointer changed, then a poll does nothing', () => {
    const { watch, refusals } = watched();
    expect([watch.check(), watch.check()]).toEqual(['unchanged', 'unchanged']);
    expect(refusals).toEqual([]);
  });

  test('when a new version of M1 is promoted, then the next poll swaps it in and M2 stays', () => {
    const { dir, store, watch } = watched();
    const m2 = store.get('M2')!.version;
    expect(retrained.version).not.toBe(store.get('M1')!.version);
    promoteFrom(retrained.registry, dir, 'M1', retrained.version);
    expect(watch.check()).toBe('reloaded');
    expect(store.get('M1')).toMatchObject({ version: retrained.version, sha256: retrained.sha256 });
    expect(store.get('M2')!.version).toBe(m2);
    expect(watch.check()).toBe('unchanged');
  });

  test(
    'when a corrupt version is promoted, then it is refused once, the old one keeps serving, and the next ' +
      'promotion is taken',
    () => {
      const { dir, store, watch, refusals } = watched();
      const good = servedOnDisk(dir, 'M1');
      promoteCorruptCopy(dir, 'M1', good.version, 'bad000000001');
      expect([watch.check(), watch.check(), watch.check()]).toEqual(['refused', 'already-refused', 'already-refused']);
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toContain(join(dir, 'M1', 'bad000000001', 'model.json'));
      expect(refusals[0]).toMatch(/sha256 mismatch/);
      expect(store.get('M1')!.version).toBe(good.version);
      promoteFrom(retrained.registry, dir, 'M1', retrained.version);
      expect(watch.check()).toBe('reloaded');
      expect(store.get('M1')!.version).toBe(retrained.version);
      expect(refusals).toHaveLength(1);
    },
  );

  test.each([
    [
      'a pointer to a missing version',
      (dir: string) => writeFileSync(join(dir, 'M1', 'current'), '0123456789ab\n'),
      /file not found$/,
    ],
    ['a deleted pointer', (dir: string) => rmSync(join(dir, 'M1', 'current')), /no promoted version/],
    [
      'a pointer that is no version id',
      (dir: string) => writeFileSync(join(dir, 'M1', 'current'), 'garbage\n'),
      /not a version id$/,
    ],
  ])('when M1 gets %s, then it is refused once and the old version keeps serving', (_what, breakIt, reason) => {
    const { dir, store, watch, refusals } = watched();
    const good = store.get('M1')!.version;
    breakIt(dir);
    expect([watch.check(), watch.check()]).toEqual(['refused', 'already-refused']);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatch(reason);
    expect(store.get('M1')!.version).toBe(good);
  });

  test(
    'when a new version of M3, a model outside the A/B pair, is promoted, then the poll of a store serving every ' +
      'model swaps it in',
    () => {
      const { dir, store, watch } = watched({ discover: true, pair: { v1: 'M1', v2: 'M2', required: false } });
      expect(store.names).toEqual(['M1', 'M2', 'M3', 'M4']);
      const m3 = retrainedM3;
      expect(m3.version).not.toBe(store.get('M3')!.version);
      promoteFrom(m3.registry, dir, 'M3', m3.version);
      expect(watch.check()).toBe('reloaded');
      expect(store.get('M3')).toMatchObject({
        version: m3.version,
        sha256: m3.sha256,
        featureNames: ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'],
      });
      expect(store.pair).toEqual({ v1: 'M1', v2: 'M2' });
    },
  );

  test(
    'when a model is promoted for the first time, then a store serving every model adds it at the next poll, and ' +
      'one given a list does not',
    () => {
      const dir = copyRegistry();
      rmSync(join(dir, 'M3'), { recursive: true });
      const all = watched({ discover: true }, dir);
      const listed = watched({}, dir);
      expect(all.store.names).toEqual(['M1', 'M2', 'M4']);
      const m3 = retrainedM3;
      promoteFrom(m3.registry, dir, 'M3', m3.version);
      expect([all.watch.check(), listed.watch.check()]).toEqual(['reloaded', 'unchanged']);
      expect(all.store.names).toEqual(['M1', 'M2', 'M3', 'M4']);
      expect(all.store.get('M3')?.version).toBe(m3.version);
      expect(listed.store.get('M3')).toBeUndefined();
    },
  );

  test('when a promotion would give the A/B pair other features, then it is refused and the pair keeps serving', () => {
    // M3 trained on Iris can be M1's partner; the penguin version promoted after it cannot.
    const dir = copyRegistry();
    const penguins = servedOnDisk(dir, 'M3').version;
    const onIris = trainAnotherVersion('M3', 0, 'iris');
    promoteFrom(onIris.registry, dir, 'M3', onIris.version);
    const { store, watch, refusals } = watched({ pair: { v1: 'M1', v2: 'M3', required: true } }, dir, ['M1', 'M3']);
    expect(store.pair).toEqual({ v1: 'M1', v2: 'M3' });
    promote(dir, 'M3', penguins);
    expect(watch.check()).toBe('refused');
    expect(refusals[0]).toMatch(
      /^AB_MODEL_NAME=M3 takes 4 features \(bill_length_mm, .*an A\/B pair must take the same features/,
    );
    expect(store.get('M3')!.version).toBe(onIris.version);
  });

  test('when the poll swaps a version in, then model_info carries the new version and sha256 only', async () => {
    const { dir, store, watch } = watched();
    const metrics = createMetrics(new Registry(), false);
    publishModelMetrics(metrics, store);
    promoteFrom(retrained.registry, dir, 'M1', retrained.version);
    watch.check();
    publishModelMetrics(metrics, store);
    const m1 = (await metrics.modelInfo.get()).values.filter((v) => v.labels.model === 'M1');
    expect(m1).toEqual([
      { labels: { model: 'M1', version: retrained.version, variant: 'v1', sha256: retrained.sha256 }, value: 1 },
    ]);
  });

  test('when started with 0, then no timer runs; when started, the timer does not keep the process alive', () => {
    const { watch } = watched();
    watch.start(0);
    expect((watch as unknown as { timer?: NodeJS.Timeout }).timer).toBeUndefined();
    watch.start(1000);
    const timer = (watch as unknown as { timer?: NodeJS.Timeout }).timer!;
    expect(timer.hasRef()).toBe(false);
    watch.stop();
    expect((watch as unknown as { timer?: NodeJS.Timeout }).timer).toBeUndefined();
  });
});
