import { statSync } from 'node:fs';
import type { Config } from '../config';
import type { UserTable } from './users-file';

/**
 * sha256 (hex) of each entry (`name:scrypt$…` line) of the committed development users file,
 * api/users.dev.txt, whose passwords the README publishes. Detection goes by these entries, never by
 * path or whole-file bytes, so a renamed copy with other comments is still caught. A test keeps
 * this list equal to the committed file.
 */
export const PUBLISHED_USER_ENTRIES: ReadonlyMap<string, string> = new Map([
  ['402180f909603dfaa7928385e8a4505c619dd1f34064c6de3154f01c14d8381f', 'alice'],
  ['1aa87a0db9f9d8fcd68c70e06d212c36949bc96695a242801fcd436e7563f352', 'bob'],
  ['e49e0b764efa37fbaa24bc20209421f0d0321769f471513474cdf2ba0b8311fb', 'clementine'],
]);

/** The widest mode a users file should have: owner read/write, group read. */
const WIDEST_USERS_FILE_MODE = 0o640;

export type CredentialWarningCode = 'dev_users_file' | 'published_users' | 'metrics_open' | 'users_file_mode';

/** One thing about this process's credentials an operator should fix (shown in /status, so no paths). */
export interface CredentialWarning {
  code: CredentialWarningCode;
  message: string;
}

/** What the credentials of this process are worth, and whether production mode may start with them. */
export interface CredentialPosture {
  /** True when a published password logs in here or /metrics needs no token. */
  devCredentials: boolean;
  warnings: CredentialWarning[];
  /** Set when production mode must not run with these credentials: the one line to print. */
  refusal?: string;
}

/** Users whose entry is one of the committed development file's (their passwords are public). */
export function publishedUsers(table: UserTable): string[] {
  return [...table.entryDigests].filter(([, digest]) => PUBLISHED_USER_ENTRIES.has(digest)).map(([name]) => name);
}

/**
 * The rule: a users file IS the development file when it has at least one user and every user's
 * entry is a committed development entry (a renamed or re-commented copy, or a subset of it). A
 * file with any other user is not: it still gets a warning naming the published users it keeps.
 */
export function isDevelopmentUsersFile(table: UserTable): boolean {
  return table.size > 0 && publishedUsers(table).length === table.size;
}

/** The file's permission bits when they go beyond 0640; undefined when not, or where the platform has no modes. */
export function modeWiderThanAllowed(file: string): number | undefined {
  if (process.platform === 'win32') return undefined;
  try {
    const mode = statSync(file).mode & 0o777;
    return (mode & ~WIDEST_USERS_FILE_MODE) !== 0 ? mode : undefined;
  } catch {
    return undefined;
  }
}

const HOW_TO_FIX = [
  'make real users with `npm run users -- add NAME --file users.txt` and set USERS_FILE to that file (Kubernetes: ' +
    'users.txt in the mlship-secrets secret; Container Apps: the Key Vault secret mlship-users)',
  'set MONITORING_TOKEN to 16+ random characters (Kubernetes: MONITORING_TOKEN in the mlship-secrets secret; ' +
    'Container Apps: the Key Vault secret mlship-monitoring-token)',
];

/**
 * Reviews the users file and token against `config` (NODE_ENV, ALLOW_DEV_CREDENTIALS, MONITORING_TOKEN, USERS_FILE).
 */
export function assessCredentials(config: Config, table: UserTable): CredentialPosture {
  const warnings: CredentialWarning[] = [];
  const published = publishedUsers(table);
  const developmentFile = isDevelopmentUsersFile(table);
  if (developmentFile) {
    warnings.push({
      code: 'dev_users_file',
      message:
        `the users file is the development one: ${published.join(', ')} log in with the passwords the README ` +
        `publishes`,
    });
  } else if (published.length > 0) {
    warnings.push({
      code: 'published_users',
      message: `the users file still holds development users whose passwords are published: ${published.join(', ')}`,
    });
  }
  if (!config.MONITORING_TOKEN)
    warnings.push({ code: 'metrics_open', message: 'MONITORING_TOKEN is unset: /metrics answers anyone' });
  const mode = developmentFile ? undefined : modeWiderThanAllowed(config.USERS_FILE);
  if (mode !== undefined) {
    warnings.push({
      code: 'users_file_mode',
      message:
        `the users file is readable or writable beyond its owner and group (mode 0${mode.toString(8)}): ` +
        `chmod 640 it (on Kubernetes, defaultMode: 0440 on the secret volume)`,
    });
  }
  const devCredentials = published.length > 0 || !config.MONITORING_TOKEN;
  const posture: CredentialPosture = { devCredentials, warnings };
  if (
    config.NODE_ENV === 'production' &&
    !config.ALLOW_DEV_CREDENTIALS &&
    (developmentFile || !config.MONITORING_TOKEN)
  ) {
    const problems = [
      developmentFile && `USERS_FILE=${config.USERS_FILE} is the development users file`,
      !config.MONITORING_TOKEN && 'MONITORING_TOKEN is unset',
    ].filter(Boolean);
    const fixes = [developmentFile && HOW_TO_FIX[0], !config.MONITORING_TOKEN && HOW_TO_FIX[1]].filter(Boolean);
    posture.refusal =
      `NODE_ENV=production will not serve development credentials: ${problems.join(' and ')}; ` +
      `${fixes.join('; ')}; or, for a demo or a local stack only, set ALLOW_DEV_CREDENTIALS=true`;
  }
  return posture;
}

/** The credential posture of a running process, kept current as its users file changes. */
export class CredentialReview {
  private posture: CredentialPosture;

  constructor(
    private readonly config: Config,
    table: UserTable,
  ) {
    this.posture = assessCredentials(config, table);
  }

  get current(): CredentialPosture {
    return this.posture;
  }

  /** For the users file watch: a file production mode must refuse keeps the previous users. */
  readonly vet = (table: UserTable): string | undefined => assessCredentials(this.config, table).refusal;

  /** Takes in a reloaded users file; returns true when the warnings changed (worth one log line). */
  update(table: UserTable): boolean {
    const before = this.posture.warnings.map((w) => w.message).join('\n');
    this.posture = assessCredentials(this.config, table);
    return this.posture.warnings.map((w) => w.message).join('\n') !== before;
  }
}
