import { z } from 'zod';
import type { TrustedProxies } from './security/client-address';
import { DEFAULT_TRUSTED_PROXIES, trustedProxyProblem } from './security/client-address';

/** A configuration problem: start-up stops with this one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().min(1);
const flag = z.enum(['true', 'false'], 'true or false').transform((value) => value === 'true');
const TRUST_PROXY_FORMS = 'comma-separated addresses, CIDRs, loopback, linklocal or uniquelocal; or a hop count';
/** TRUST_PROXY: a hop count alone (0 trusts no one), or a list of trusted ranges. */
const trustedProxies = z.string().transform((value, ctx): TrustedProxies => {
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    if (Number(text) <= 16) return Number(text);
    ctx.addIssue({ code: 'custom', message: 'a hop count is at most 16' });
    return z.NEVER;
  }
  const entries = text.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const problem = entry === '' ? 'an empty entry' : trustedProxyProblem(entry);
    if (!problem) continue;
    ctx.addIssue({ code: 'custom', message: `${problem} (${TRUST_PROXY_FORMS})` });
    return z.NEVER;
  }
  return entries;
});
const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, 'a model name (letters, digits, - and _)');
/** MODELS: comma-separated model names, each once. */
const names = z.string().transform((value, ctx): string[] => {
  const list = value.split(',').map((entry) => entry.trim());
  for (const [index, entry] of list.entries()) {
    const problem = !name.safeParse(entry).success
      ? `"${entry}" is not a model name (letters, digits, - and _; comma-separated)`
      : list.indexOf(entry) !== index
        ? `${entry} is listed twice`
        : undefined;
    if (!problem) continue;
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return list;
});

/**
 * Every setting: its environment variable, its default, and what it is for. Parsed once at start;
 * the keys here are the only ones Kubernetes ConfigMaps may set.
 */
const settings = {
  /** TCP port to listen on. */
  PORT: port.default(8000),
  /** Address to bind; 0.0.0.0 in containers, 127.0.0.1 in tests. */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Model registry directory (`<dir>/<name>/current` names the served version). */
  MODEL_DIR: z.string().min(1).default('model/artifacts'),
  /** The models served (`/models`, OIP); unset serves every model promoted in MODEL_DIR, and those promoted later. */
  MODELS: names.optional(),
  /** Model POST /predict answers from in variant v1. */
  MODEL_NAME: name.default('M1'),
  /** Model of variant v2, the A/B experiment (`X-Experiment-Group: debug`); it must take MODEL_NAME's features. */
  AB_MODEL_NAME: name.default('M2'),
  /** Default variant of this process: v2 makes a dedicated experiment deployment. */
  API_VARIANT: z.enum(['v1', 'v2']).default('v1'),
  /** How often each served model's `current` pointer is checked for a new promotion; 0 turns it off. */
  MODEL_POLL_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3_600_000)
    .refine((ms) => ms === 0 || ms >= 100, '0 (off) or at least 100')
    .default(2000),
  /** `user:scrypt-hash` lines; the committed dev file holds alice, bob and clementine. */
  USERS_FILE: z.string().min(1).default('api/users.dev.txt'),
  /** Bearer token `/metrics` demands; unset leaves `/metrics` open (e.g. to a local Prometheus). */
  MONITORING_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  /** `production` refuses to start with the development users file or without MONITORING_TOKEN. */
  NODE_ENV: z.enum(['production', 'development', 'test']).default('development'),
  /** Lets production mode start with development credentials (demos, local stacks): one warning, shown in /status. */
  ALLOW_DEV_CREDENTIALS: flag.default(false),
  /**
   * Proxies whose X-Forwarded-For names the client (failed logins are throttled per client): the
   * addresses or ranges in front of the API, or how many proxy hops there are, whatever their address.
   */
  TRUST_PROXY: trustedProxies.default(DEFAULT_TRUSTED_PROXIES),
  /** Requests per minute per verified user. */
  RATE_LIMIT_PER_MINUTE: positiveInt.default(6000),
  /** Largest request body accepted, in bytes or with a unit (100kb, 1mb). */
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)?$/i, 'bytes, or a number with b, kb or mb (e.g. 100kb)')
    .default('1mb'),
  /** Most rows in one batch prediction. */
  MAX_BATCH: positiveInt.max(100000).default(1000),
  /** Batches of at least this many rows are predicted on the batch thread; 0 keeps every batch on the event loop. */
  BATCH_THREAD_MIN_ROWS: z.coerce.number().int().min(0).max(100000).default(64),
  /** pino log level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Directory for JSON lines of each prediction (for drift analysis); unset turns it off. */
  PREDICTION_LOG_DIR: z.string().min(1).optional(),
  /** How long in-flight requests may take to finish after SIGTERM before the process exits. */
  SHUTDOWN_TIMEOUT_MS: positiveInt.max(600000).default(10000),
};

const ConfigSchema = z.object(settings);
export type Config = z.infer<typeof ConfigSchema>;

/** The environment variables the API reads (for manifests and their tests). */
export const CONFIG_KEYS = Object.keys(settings) as Array<keyof Config>;

/** Parses the environment; throws {@link ConfigError} naming the first bad variable and the form it needs. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means unset, as shells and compose files often leave them.
  const present = Object.fromEntries(CONFIG_KEYS.map((key) => [key, env[key] === '' ? undefined : env[key]]));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0]);
    throw new ConfigError(`invalid ${key}=${JSON.stringify(env[key])}: ${issue.message}`);
  }
  return parsed.data;
}

/** BODY_LIMIT in bytes. */
export function bodyLimitBytes(limit: string): number {
  const match = /^(\d+)(b|kb|mb)?$/i.exec(limit)!;
  const unit = (match[2] ?? 'b').toLowerCase();
  return Number(match[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}
