import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { ArtifactError, InputError } from './errors';

/**
 * Runs a CLI's main function. A problem the user can fix prints one line and exits 2; a failed
 * check exits with the code main returns; anything unexpected prints its stack and exits 1.
 */
export function runCli(main: () => number | Promise<number>): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        if (error instanceof InputError || error instanceof ArtifactError) {
          console.error(`error: ${error.message}`);
          process.exitCode = 2;
        } else {
          console.error(error);
          process.exitCode = 1;
        }
      },
    );
}

/** node:util parseArgs, with its errors turned into one-line usage errors. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  options: T,
  usage: string,
  args = process.argv.slice(2),
): ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; args: string[] }>> {
  try {
    return parseArgs({ options, allowPositionals: true, args, strict: true });
  } catch (error) {
    throw new InputError(`${(error as Error).message.split('\n')[0]}; usage: ${usage}`);
  }
}

/** Parses a number flag in [min, max], or throws a usage error naming the flag. */
export function numberFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new InputError(`--${name} must be a number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}
