import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT, runCli, tempDir } from './helpers';

const TRAIN = join(ROOT, 'dist/model/src/train.js');
const RANDOM_KILLS = 20;
const WRITE_PHASE_KILLS = 6;

/** Every entry below `dir`, directories and hidden staging entries included, files with the sha256 of their bytes. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        out.push(`${relative(dir, path)}/`);
        walk(path);
      } else {
        out.push(
          `${relative(dir, path)} ${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16)}`,
        );
      }
    }
  };
  walk(dir);
  return out.sort();
}

/** Three well-separated classes: a dataset whose models differ from Iris's and pass the gate. */
function syntheticCsv(): string {
  const lines = ['a,b,c,d,kind'];
  for (let i = 0; i < 50; i++) {
    const jitter = (i % 7) / 10;
    lines.push(
      `${1 + jitter},${1 + (i % 5) / 10},${1 + jitter},1,low`,
      `${5 + jitter},${5 + (i % 5) / 10},${5 + jitter},5,mid`,
      `${9 + jitter},${9 + (i % 5) / 10},${9 + jitter},9,high`,
    );
  }
  const file = join(tempDir('mlship-interrupt-csv-'), 'data.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * Runs `train --promote` on a copy of `base` and kills it with SIGKILL: after `delayMs`, or (when
 * `delayMs` is 'first-write') as soon as the registry directory sees its first change, the worst
 * moment. Returns the registry afterwards and whether the kill landed before the process exited.
 */
async function killedRun(
  base: string,
  args: string[],
  delayMs: number | 'first-write',
): Promise<{ dir: string; after: string[]; killed: boolean }> {
  const dir = tempDir('mlship-interrupt-');
  cpSync(base, dir, { recursive: true });
  const child = spawn(process.execPath, [TRAIN, ...args, '--model-dir', dir], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  let watcher: ReturnType<typeof watch> | undefined;
  if (delayMs === 'first-write') {
    watcher = watch(dir, { recursive: true }, kill);
  } else {
    setTimeout(kill, delayMs);
  }
  const signal = await exited;
  watcher?.close();
  return { dir, after: snapshot(dir), killed: signal === 'SIGKILL' };
}

const isStaging = (line: string): boolean => /(^|\/)\.[^/]*\.tmp(\/| |$)/.test(line);
const pointerLines = (snap: string[], model: string): string[] =>
  snap.filter((l) => /^(M\d)\/(current|history|latest) /.test(l) && l.startsWith(`${model}/`));

/**
 * What "the registry as it was" can mean for a run killed at any instant (one rename is atomic; a
 * training run writes several files): every pointer file (current, history, latest) is exactly as
 * before or exactly as a finished run leaves it, never torn, so what is served is one complete,
 * verified version or the other; every visible version directory is complete (identical to one that
 * existed before or that a finished run writes); hidden staging entries may remain, are never
 * read, and the next run removes them and ends exactly where an uninterrupted run ends.
 */
function expectConsistent(before: string[], complete: string[], after: string[], label: string): void {
  const visible = after.filter((l) => !isStaging(l));
  for (const model of ['M1', 'M2']) {
    for (const line of pointerLines(visible, model)) {
      const ok = before.includes(line) || complete.includes(line);
      expect({ label, line, ok }).toEqual({ label, line, ok: true });
    }
    // No pointer disappears either.
    expect({ label, model, count: pointerLines(visible, model).length }).toEqual({
      label,
      model,
      count: pointerLines(complete, model).length,
    });
  }
  const versionEntries = visible.filter((l) => /^M\d\/[0-9a-f]{12}\//.test(l));
  const unknown = versionEntries.filter((l) => !before.includes(l) && !complete.includes(l));
  expect({ label, unknown }).toEqual({ label, unknown: [] });
  // A version directory is there whole or not at all.
  for (const dir of new Set(versionEntries.map((l) => l.split('/').slice(0, 2).join('/')))) {
    const files = versionEntries.filter((l) => l.startsWith(`${dir}/`) && !l.endsWith('/'));
    expect({ label, dir, files: files.length }).toEqual({ label, dir, files: 3 });
  }
}

describe('an interrupted training run (kill -9 at random moments)', () => {
  const base = tempDir('mlship-interrupt-base-');
  const csv = syntheticCsv();
  // The KNN models, which fit whatever data they are given; an ONNX model brings its own classes and refuses this CSV.
  const args = ['--data', csv, '--label', 'kind', '--model', 'M1', '--model', 'M2', '--model', 'M3', '--promote'];
  let before: string[];
  let complete: string[];
  let runMs = 0;

  beforeAll(() => {
    expect(runCli('model/src/train.js', ['--promote', '--model-dir', base]).code).toBe(0);
    before = snapshot(base);
    // A run to the end, for the state a finished run leaves and how long one takes here.
    const done = tempDir('mlship-interrupt-done-');
    cpSync(base, done, { recursive: true });
    const started = Date.now();
    const result = runCli('model/src/train.js', [...args, '--model-dir', done]);
    runMs = Date.now() - started;
    expect([result.code, result.stderr]).toEqual([0, '']);
    complete = snapshot(done);
    expect(complete).not.toEqual(before);
  });

  /** The next run after a kill tidies up and ends exactly where an uninterrupted run ends. */
  function expectRecovers(dir: string, label: string): void {
    const rerun = runCli('model/src/train.js', [...args, '--model-dir', dir]);
    expect({ label, code: rerun.code }).toEqual({ label, code: 0 });
    expect({ label, after: snapshot(dir) }).toEqual({ label, after: complete });
  }

  test(
    `when ${RANDOM_KILLS} runs are killed at delays spread over a run, then every model is as before or as ` +
      `finished, and the next run recovers exactly`,
    async () => {
      const outcomes: string[] = [];
      for (let i = 0; i < RANDOM_KILLS; i++) {
        // Spread over the whole run, denser towards its end where the writes are.
        const delay = Math.round(runMs * Math.sqrt((i + 0.5) / RANDOM_KILLS));
        const { dir, after, killed } = await killedRun(base, args, delay);
        const outcome =
          JSON.stringify(after) === JSON.stringify(before)
            ? 'untouched'
            : JSON.stringify(after) === JSON.stringify(complete)
              ? 'finished'
              : 'partial';
        outcomes.push(`${delay}ms:${killed ? 'killed' : 'exited'}:${outcome}`);
        expectConsistent(before, complete, after, `kill at ${delay} ms`);
        expectRecovers(dir, `kill at ${delay} ms`);
      }
      process.stdout.write(`${JSON.stringify({ interruptedTraining: { runMs, outcomes } })}\n`);
    },
    240_000,
  );

  test(
    `when ${WRITE_PHASE_KILLS} runs are killed at their first write, then every model is as before or as ` +
      `finished, and the next run recovers exactly`,
    async () => {
      for (let i = 0; i < WRITE_PHASE_KILLS; i++) {
        const { dir, after, killed } = await killedRun(base, args, 'first-write');
        process.stdout.write(
          `${JSON.stringify({ firstWriteKill: { killed, added: after.filter((l) => !before.includes(l)) } })}\n`,
        );
        expectConsistent(before, complete, after, `first-write kill ${i}`);
        expectRecovers(dir, `first-write kill ${i}`);
      }
    },
    120_000,
  );
});
