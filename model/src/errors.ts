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
