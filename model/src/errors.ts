import type { z } from 'zod';

/**
 * Errors a user can fix. CLIs print `message` as one line and exit with `exitCode`; nothing else is
 * written, so a failed run never leaves a partial model behind.
 */
export class InputError extends Error {
  readonly exitCode = 2;
  override name = 'InputError';
}

/** An artifact on disk that is missing, unreadable, truncated, edited or of the wrong format. */
export class ArtifactError extends Error {
  override name = 'ArtifactError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** `path: message` of zod's first issue, the path under `prefix` (the root when both are empty). */
export function issueText(error: z.ZodError, prefix: readonly PropertyKey[]): string {
  const issue = error.issues[0];
  return `${[...prefix, ...(issue?.path ?? [])].map(String).join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
}
