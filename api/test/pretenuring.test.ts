import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { ALICE, trainedModelDir } from './helpers';
import { pool } from './hostile-client';
import { startServer } from './server-process';

/**
 * launch.ts turns V8's allocation-site pretenuring off (why: its comment, and docs/performance.md).
 * `--trace-pretenuring-statistics` prints a `pretenuring:` line for each allocation site V8 weighs
 * for tenuring; with pretenuring off there are none.
 */
const TRACE = '--trace-pretenuring-statistics';
// Array literals (allocation sites) kept across scavenges: V8 weighs tenuring them.
const SURVIVORS =
  'const keep = []; for (let i = 0; i < 2000000; i++) keep.push({ a: i, b: [i] }); console.log(keep.length);';
const traced = (output: string): string[] => output.split('\n').filter((line) => line.includes('pretenuring:'));

function post(port: number, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/predict',
        agent,
        headers: { authorization: ALICE, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end('{"X":[5.9,3.0,4.2,1.5]}');
  });
}

describe('allocation-site pretenuring', () => {
  test(
    'when objects from one allocation site survive scavenges, then the trace reports V8 weighing them (the check ' +
      'below can fail)',
    () => {
      const run = spawnSync(process.execPath, [TRACE, '-e', SURVIVORS], { encoding: 'utf8' });
      expect(traced(run.stdout).length).toBeGreaterThan(0);
    },
  );

  test('when the flag is turned off at run time as launch.ts does, then this Node weighs none', () => {
    const run = spawnSync(
      process.execPath,
      [TRACE, '-e', `require('node:v8').setFlagsFromString('--no-allocation-site-pretenuring'); ${SURVIVORS}`],
      { encoding: 'utf8' },
    );
    expect(run.stdout).toContain('2000000');
    expect(traced(run.stdout)).toEqual([]);
  });

  test(
    'when the built server answers 2,000 predictions on 16 connections, then V8 weighs no allocation site (with ' +
      'pretenuring on, it tenured dozens)',
    async () => {
      const server = await startServer({ MODEL_DIR: trainedModelDir(), RATE_LIMIT_PER_MINUTE: '1000000' }, [TRACE]);
      const agent = new Agent({ keepAlive: true, maxSockets: 16 });
      try {
        const statuses = await pool(Array.from({ length: 2000 }), 16, () => post(server.port, agent));
        expect(statuses.every((s) => s === 200)).toBe(true);
        expect(traced(server.output())).toEqual([]);
      } finally {
        agent.destroy();
        server.child.kill('SIGTERM');
        await server.exited;
      }
    },
  );
});
