import { parseArgs } from 'node:util';

/** How a soak run is shaped; every field has a command-line flag. */
export interface SoakOptions {
  /** Length of the measured run, after the warm-up. */
  seconds: number;
  /** Steady request rate (requests per second, open loop: the schedule does not wait for answers). */
  rate: number;
  /** Warm-up before the starting RSS is taken: JIT, caches and buffers settle first. */
  warmupSeconds: number;
  /** Largest allowed RSS growth from the end of the warm-up to the end, as a fraction (0.10 = 10%). */
  maxGrowth: number;
  /** Port for the API it starts (0: any free port). */
  port: number;
  /** The models the API it starts trains and serves, v1 then v2 (empty: all of them, serving M1 and M2). */
  serve: string[];
  json: boolean;
}

export const SOAK_USAGE =
  'usage: npm run soak -- [--seconds 300] [--rate 50] [--warmup-seconds 30] [--max-growth 0.10] ' +
  `[--port 0] [--serve v1[,v2]] [--json]

Starts the real API (npm run build first) on 127.0.0.1, training the models of model/models.json
(--serve: only these, the first served as v1 and the second, or the first, as v2), asks it what it
serves, sends a steady mix of valid and invalid requests built from that at --rate per second for
--seconds after a warm-up, and samples the server's RSS.
exit: 0 when no request failed and RSS grew at most --max-growth after warm-up; 1 otherwise; 2 on bad input`;

/** A usage problem: one line, exit 2. */
export class SoakUsageError extends Error {}

function bounded(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max)
    throw new SoakUsageError(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return value;
}

/** --serve's one or two model names (v1 first); none when not given. */
function servedModels(raw: string | undefined): string[] {
  const names = raw?.split(',').map((name) => name.trim()) ?? [];
  if (names.length > 2 || names.some((name) => !/^[A-Za-z][A-Za-z0-9_-]{0,62}$/.test(name)))
    throw new SoakUsageError(`--serve takes one or two model names, v1 first, got "${raw}"`);
  return names;
}

/** Parses the flags; the default is the documented 5-minute run, `--seconds 60` the CI one. */
export function parseSoakOptions(argv: string[]): SoakOptions | 'help' {
  let values;
  try {
    values = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        seconds: { type: 'string' },
        rate: { type: 'string' },
        'warmup-seconds': { type: 'string' },
        'max-growth': { type: 'string' },
        port: { type: 'string' },
        serve: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    throw new SoakUsageError(`${(error as Error).message.split('\n')[0]}; see --help`);
  }
  if (values.help) return 'help';
  const seconds = bounded('seconds', values.seconds, 300, 5, 86_400);
  return {
    seconds,
    rate: bounded('rate', values.rate, 50, 1, 2000),
    // 30 s unless given: under a steady load the heap keeps growing to its working size for about
    // that long here, and RSS measured earlier mistakes that for a leak.
    warmupSeconds: bounded('warmup-seconds', values['warmup-seconds'], 30, 1, 600),
    maxGrowth: bounded('max-growth', values['max-growth'], 0.1, 0, 10),
    port: bounded('port', values.port, 0, 0, 65535),
    serve: servedModels(values.serve),
    json: values.json ?? false,
  };
}
