/**
 * The command line of `npm run loadtest:local`: its usage text, its flags as parseArgs reads them, and
 * the checked settings of one run. Anything wrong is a {@link UsageError}: one line, exit 2.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../../../scripts/support/repo-root';
import { loadScenario } from '../scenario/load';
import type { Scenario } from '../scenario/types';

export const USAGE =
  `usage: npm run loadtest:local -- --scenario <${'smoke|load|stress|spike|soak'}> [options]

  --scenario <name>       scenario file in loadtest/scenarios (default smoke)
  --url <url>             target (default http://127.0.0.1:8000); loopback only unless --allow-host
  --allow-host <host>     also allow this non-loopback host (private ranges are refused regardless)
  --start-server          train into a temp dir, start the real API (npm run build first), stop it after
  --serve <v1[,v2]>       with --start-server: train only these models of model/models.json and serve the
                          first as v1, the second (default: the first) as v2 (default: train all, serve M1, M2)
  --server-port <port>    port for --start-server (default 0: any free port)
  --model <name>          the model the Open Inference Protocol requests name (default: the one /predict answers)
  --compare-bare          afterwards, measure the API's and a bare node:http server's ceiling side by side
  --bare-port <port>      port for the bare server (default 0)
  --ceiling-seconds <s>   length of each ceiling measurement (default 5)
  --time-scale <f>        multiply the profile's durations (default: the scenario's local.timeScale)
  --max-seconds <s>       stop after this long (default: local.maxSeconds)
  --max-requests <n>      stop after this many requests (default: local.maxRequests)
  --out <dir>             results root (default loadtest/results); a <timestamp> folder is made in it
  --seed <n>              seed of the request mix (default 1)
  --json                  print one JSON line with the verdict and the result paths
  --list                  list the scenarios and exit
credentials: API_USER / API_PASSWORD (default alice / wonderland, the documented dev user)
the traffic names no model, feature or class: before the first step the runner asks the target
(GET /models, then /predict) which models answer, and takes real rows of each class from the debug
variant's neighbours
exit: 0 when every threshold holds, 1 when one fails or the target is not ready or does not say what it serves, ` +
  '2 on bad input';

/** A usage problem: one line, exit 2. */
export class UsageError extends Error {}

function number(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return value;
}

/** The command line as parseArgs reads it. */
export type Args = ReturnType<typeof parseFlags>;

export function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        scenario: { type: 'string', default: 'smoke' },
        url: { type: 'string' },
        'allow-host': { type: 'string' },
        'start-server': { type: 'boolean', default: false },
        serve: { type: 'string' },
        'server-port': { type: 'string', default: '0' },
        'compare-bare': { type: 'boolean', default: false },
        'bare-port': { type: 'string', default: '0' },
        'ceiling-seconds': { type: 'string', default: '5' },
        'time-scale': { type: 'string' },
        'max-seconds': { type: 'string' },
        'max-requests': { type: 'string' },
        out: { type: 'string', default: resolve(ROOT, 'loadtest/results') },
        seed: { type: 'string', default: '1' },
        model: { type: 'string' },
        json: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
}

/** The settings of one run, parsed and checked once. */
export interface RunSettings {
  scenario: Scenario;
  timeScale: number;
  maxSeconds: number;
  maxRequests: number;
  serverPort: number;
  barePort: number;
  ceilingSeconds: number;
  seed: number;
  /** --serve: the models --start-server trains and serves (v1, then v2); empty for all and the defaults. */
  serve: string[];
  authorization: string;
  log: (line: string) => void;
}

/** Phase 1: the scenario and every numeric flag, checked; the credentials as a header. */
export function settingsFrom(args: Args): RunSettings {
  let scenario;
  try {
    scenario = loadScenario(args.scenario);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const timeScale = number('time-scale', args['time-scale'], 0.0001, 1) ?? scenario.local.timeScale;
  const maxSeconds = number('max-seconds', args['max-seconds'], 1, 24 * 3600) ?? scenario.local.maxSeconds;
  const maxRequests = number('max-requests', args['max-requests'], 1, 10_000_000) ?? scenario.local.maxRequests;
  const serverPort = number('server-port', args['server-port'], 0, 65535)!;
  const barePort = number('bare-port', args['bare-port'], 0, 65535)!;
  const ceilingSeconds = number('ceiling-seconds', args['ceiling-seconds'], 1, 60)!;
  const seed = number('seed', args.seed, 0, 2 ** 32 - 1)!;
  if (args['start-server'] && args.url) throw new UsageError('give either --url or --start-server, not both');
  if (args.serve !== undefined && !args['start-server']) throw new UsageError('--serve goes with --start-server');
  const serve = args.serve?.split(',').map((name) => name.trim()) ?? [];
  if (serve.length > 2 || serve.some((name) => !/^[A-Za-z][A-Za-z0-9_-]{0,62}$/.test(name)))
    throw new UsageError(`--serve takes one or two model names, v1 first: "${args.serve}"`);
  const user = process.env.API_USER || 'alice';
  const password = process.env.API_PASSWORD || 'wonderland';
  return {
    scenario,
    timeScale,
    maxSeconds,
    maxRequests,
    serverPort,
    barePort,
    ceilingSeconds,
    seed,
    serve,
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    log: args.json ? () => undefined : (line: string) => console.error(line),
  };
}
