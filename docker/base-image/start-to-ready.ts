/**
 * Where a replica's start goes, phase by phase (a benchmark: figures, not pass/fail). For each run
 * it starts the image with `docker run -d` (host networking, read-only root, the development users
 * allowed), polls GET /readyz every 5 ms and prints, in ms after `docker run` was called:
 *   returned  `docker run -d` returned          started  the container's State.StartedAt
 *   process   node's start (ready time minus the process's own uptime)
 *   firstLog  the first log line (with the development users: the warning written once the
 *             configuration is read, i.e. after the bundle has loaded)
 *   ready     the "ready" log line              first200 the first 200 from /readyz
 * and cpu: the CPU time (user + system, from /proc) node had used when /readyz first answered 200.
 * `--floor` runs the same image with a trivial `node -e` HTTP server instead of the API: the engine's
 * and Node's own share, which no change to the API or the image's files can cut.
 *
 * Usage: tsx docker/base-image/start-to-ready.ts --image REF [--runs 5] [--port 18731] [--floor]
 * Env: DOCKER (/usr/bin/docker)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

const DOCKER = process.env.DOCKER || '/usr/bin/docker';
const FLOOR_SERVER =
  "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), process.env.HOST, () " +
  '=> console.log(JSON.stringify({ time: new Date().toISOString(), startToReadyMs: ' +
  "Math.round(process.uptime() * 1000), msg: 'ready' })))";

interface Phases {
  returned: number;
  started: number;
  process: number;
  firstLog: number;
  ready: number;
  first200: number;
  cpu: number;
}
const PHASES = ['returned', 'started', 'process', 'firstLog', 'ready', 'first200', 'cpu'] as const;

/** CPU time (ms) a host PID has used: utime + stime from /proc, in clock ticks of 10 ms. */
function cpuMs(pid: string): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at > 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

function docker(args: string[]): string {
  const result = spawnSync(DOCKER, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`docker ${args[0]} exited ${result.status}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

function readyz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function firstOk(port: number, deadline: number): Promise<number> {
  while (Date.now() < deadline) {
    if ((await readyz(port)) === 200) return Date.now();
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no 200 from /readyz on ${port}`);
}

async function once(image: string, port: number, floor: boolean): Promise<Phases> {
  const args = [
    'run',
    '-d',
    '--network',
    'host',
    '--read-only',
    '--tmpfs',
    '/tmp',
    '-e',
    `PORT=${port}`,
    '-e',
    'HOST=127.0.0.1',
    '-e',
    'ALLOW_DEV_CREDENTIALS=true',
    image,
  ];
  if (floor) args.push('node', '-e', FLOOR_SERVER);
  const t0 = Date.now();
  const id = docker(args);
  const returned = Date.now();
  try {
    const pid = docker(['inspect', '--format', '{{.State.Pid}}', id]);
    const first200 = await firstOk(port, t0 + 20_000);
    const cpu = cpuMs(pid);
    const started = Date.parse(
      docker(['inspect', '--format', '{{.State.StartedAt}}', id]).replace(/(\.\d{3})\d*/, '$1'),
    );
    const lines = docker(['logs', id]).split('\n');
    const line = lines.find((l) => l.includes('"msg":"ready"'));
    const firstLog = Date.parse((JSON.parse(lines[0]!) as { time: string }).time);
    const ready = line ? (JSON.parse(line) as { time: string; startToReadyMs: number }) : undefined;
    const readyAt = ready ? Date.parse(ready.time) : NaN;
    return {
      returned: returned - t0,
      started: started - t0,
      process: readyAt - (ready?.startToReadyMs ?? NaN) - t0,
      firstLog: firstLog - t0,
      ready: readyAt - t0,
      first200: first200 - t0,
      cpu,
    };
  } finally {
    docker(['rm', '-f', id]);
  }
}

async function main(): Promise<void> {
  const image = option('--image', '');
  if (!image) throw new Error('--image REF is required');
  const runs = Number(option('--runs', '5'));
  const port = Number(option('--port', '18731'));
  const floor = process.argv.includes('--floor');
  const all: Phases[] = [];
  for (let i = 0; i < runs; i++) {
    const phases = await once(image, port, floor);
    all.push(phases);
    console.log(PHASES.map((k) => `${k} ${Math.round(phases[k])}`).join('  '));
  }
  const median = (key: keyof Phases): number =>
    all.map((p) => p[key]).sort((a, b) => a - b)[Math.floor(all.length / 2)]!;
  console.log(
    `median (ms after docker run, ${floor ? 'floor: node -e server' : image}): ` +
      `${PHASES.map((k) => `${k} ${Math.round(median(k))}`).join('  ')}`,
  );
}

main().catch((err: unknown) => {
  console.error(`start-to-ready: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
