import { parseArgs } from 'node:util';
import { positiveInt } from './requests';

export const AB_USAGE =
  'usage: npm run bench:ab -- --against <git-ref> [--rounds 3] [--seconds 10] [--model M1] [--tolerance 5] [--json]';

/** What one A/B run compares, and how long each measurement takes. */
export interface AbOptions {
  /** The git ref built as the baseline ("old"); this checkout is "new". */
  against: string;
  /** Rounds of old then new, each round running bench:api and bench:model once per build. */
  rounds: number;
  /** bench:api's measured window per server, in seconds. */
  seconds: number;
  /** The model bench:model trains and times. */
  model: string;
  /** A figure more than this many percent worse than the baseline is flagged. */
  tolerancePercent: number;
  json: boolean;
}

/** Parses bench:ab's arguments, or throws one line that says what to fix. */
export function parseAbOptions(args: readonly string[]): AbOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        against: { type: 'string' },
        rounds: { type: 'string', default: '3' },
        seconds: { type: 'string', default: '10' },
        model: { type: 'string', default: 'M1' },
        tolerance: { type: 'string', default: '5' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    // node:util's messages run to several lines; the first says what is wrong.
    throw new Error(`${(error as Error).message.split('\n')[0]} (${AB_USAGE})`, { cause: error });
  }
  const against = values.against?.trim();
  if (!against)
    throw new Error(`--against <git-ref> is required: the build to compare this checkout with (${AB_USAGE})`);
  if (against.startsWith('-')) throw new Error(`--against takes a git ref, got "${against}" (${AB_USAGE})`);
  const tolerancePercent = Number(values.tolerance);
  if (!Number.isFinite(tolerancePercent) || tolerancePercent < 0)
    throw new Error(`--tolerance must be a percentage of 0 or more, got "${values.tolerance}" (${AB_USAGE})`);
  if (!/^[\w.-]+$/.test(values.model))
    throw new Error(`--model must name a model of model/models.json, got "${values.model}" (${AB_USAGE})`);
  return {
    against,
    rounds: positiveInt('rounds', values.rounds, AB_USAGE),
    seconds: positiveInt('seconds', values.seconds, AB_USAGE),
    model: values.model,
    tolerancePercent,
    json: values.json,
  };
}
