import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { GraceEnd } from './http/close-after-grace';
import { closeAfterGrace, idleCloseGraceMs } from './http/close-after-grace';
import { ArtifactError } from '../../model/src/errors';
import { createApp } from './app';
import { answerClientError } from './http/client-error';
import { BatchPredictor, predictWorkerFile } from './prediction/batch-predictor';
import { BasicAuth } from './security/auth';
import type { Config } from './config';
import { ConfigError, loadConfig } from './config';
import { CredentialReview } from './security/credential-posture';
import type { Logger } from './observability/logging';
import { createLogger, stdoutDestination } from './observability/logging';
import type { ApiMetrics } from './observability/metrics';
import { createMetrics, publishModelMetrics } from './observability/metrics';
import { ModelStore } from './models/model-store';
import { PredictionLog } from './observability/prediction-log';
import { PromotionWatch } from './models/promotion-watch';
import type { ModelSelection } from './models/served-models';
import { selectModels } from './models/served-models';

/**
 * Reloads the promoted models (all or nothing, see ModelStore.reload) and republishes the model
 * metrics; logs the swap. Returns the problem when a new version did not verify: the previous
 * models keep serving, and the caller decides how to report it. SIGHUP and the promotion watch
 * both come through here.
 */
function reloadModels(
  store: ModelStore,
  metrics: ApiMetrics,
  logger: Logger,
  trigger: 'SIGHUP' | 'poll',
): string | undefined {
  try {
    const pairBefore = store.pair;
    const changed = store.reload();
    publishModelMetrics(metrics, store);
    logger.info(
      { trigger, changed, models: store.all().map((m) => `${m.name}@${m.version}`) },
      'reloaded promoted models',
    );
    const pair = store.pair;
    if (pair?.dropped && pairBefore?.v2 !== pair.v2) logger.warn({ trigger, v1: pair.v1, v2: pair.v2 }, pair.dropped);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const RELOAD_FAILED = 'reload failed: still serving the previous models';

/** Prints one line and exits: start-up problems are the operator's to fix, not a stack trace. */
function fatal(message: string, code: number): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

/** A started server and what it runs with: what listening and the signal handlers act on. */
interface Running {
  server: Server;
  lifecycle: { draining: boolean };
  config: Config;
  logger: Logger;
  /** Writes the buffered log lines out. */
  flush: () => void;
  store: ModelStore;
  metrics: ApiMetrics;
  watch: PromotionWatch;
  predictionLog: PredictionLog | undefined;
  batchPredictor: BatchPredictor | undefined;
}

/**
 * Drains on SIGTERM/SIGINT: readiness turns 503 and every answer says `Connection: close`; after a
 * grace the listener and the idle connections close, in-flight requests finish (within
 * SHUTDOWN_TIMEOUT_MS), the prediction log is flushed, exit 0. A second signal exits at once.
 */
function handleSignals({
  server,
  lifecycle,
  config,
  logger,
  flush,
  store,
  metrics,
  watch,
  predictionLog,
  batchPredictor,
}: Running): void {
  const drain = (signal: string): void => {
    if (lifecycle.draining) {
      logger.warn({ signal }, 'second signal: exiting now');
      flush();
      process.exit(1);
    }
    lifecycle.draining = true;
    watch.stop();
    logger.info({ signal, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'draining');
    flush();
    const deadline = setTimeout(() => {
      logger.error('in-flight requests did not finish in time; closing their connections');
      server.closeAllConnections();
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    // server.close() stops accepting connections and closes the idle keep-alive ones at once, and
    // closing one as its client sends the next request on it resets that request (a POST is not
    // retried). So it waits a grace first: meanwhile readiness reads 503 and every answer carries
    // `Connection: close` (http/pipeline.ts), so a client that sends closes its connection itself;
    // what is still idle when the grace ends has sent nothing for that long. With no connection left
    // there is nothing to wait for.
    const closeWhenDrained = (why: GraceEnd): void => {
      logger.info({ why }, 'listener closing');
      server.close(() => {
        void Promise.all([predictionLog?.close(), batchPredictor?.close()]).then(() => {
          logger.info('drained; bye');
          process.exit(0);
        });
      });
    };
    closeAfterGrace(server, idleCloseGraceMs(config.SHUTDOWN_TIMEOUT_MS), closeWhenDrained);
  };
  process.on('SIGTERM', () => drain('SIGTERM'));
  process.on('SIGINT', () => drain('SIGINT'));
  process.on('SIGHUP', () => {
    const problem = reloadModels(store, metrics, logger, 'SIGHUP');
    if (problem) logger.error({ trigger: 'SIGHUP', problem }, RELOAD_FAILED);
    flush();
  });
}

/** Logs the credential warnings in force as one line (none: nothing). */
function logCredentialWarnings(logger: Logger, credentials: CredentialReview, config: Config): void {
  const { warnings } = credentials.current;
  if (warnings.length === 0) return;
  const context = {
    warnings: warnings.map((w) => w.code),
    usersFile: config.USERS_FILE,
    nodeEnv: config.NODE_ENV,
    allowDevCredentials: config.ALLOW_DEV_CREDENTIALS,
  };
  logger.warn(context, `insecure credentials: ${warnings.map((w) => w.message).join('; ')}`);
}

/**
 * Reads the users file and reviews the credentials: production mode without the opt-in stops
 * here (exit 2 and one line saying what to set); warnings are logged as one line. The file is
 * read again when it changes; a change that production mode must refuse keeps the previous users.
 */
function startAuth(
  config: Config,
  metrics: ApiMetrics,
  logger: Logger,
): { auth: BasicAuth; credentials: CredentialReview } {
  let auth: BasicAuth;
  try {
    auth = new BasicAuth(config.USERS_FILE, metrics, { trustProxy: config.TRUST_PROXY });
  } catch (error) {
    fatal(`USERS_FILE: ${(error as Error).message}`, 2);
  }
  const credentials = new CredentialReview(config, auth.table);
  if (credentials.current.refusal) fatal(credentials.current.refusal, 2);
  logCredentialWarnings(logger, credentials, config);
  auth.watch(2000, {
    vet: credentials.vet,
    reloaded: (outcome) => {
      if (outcome.problem !== undefined) {
        logger.error(
          { usersFile: config.USERS_FILE, problem: outcome.problem },
          'users file change refused: still using the previous users',
        );
        return;
      }
      logger.info({ usersFile: config.USERS_FILE, users: outcome.table.size }, 'users file reloaded');
      if (!credentials.update(outcome.table)) return;
      if (credentials.current.warnings.length === 0) logger.info('credential warnings resolved');
      else logCredentialWarnings(logger, credentials, config);
    },
  });
  return { auth, credentials };
}

/** What the launcher (launch.ts) adds to a start: fields for the ready line, and a call once ready. */
export interface StartHooks {
  readyFields?: Record<string, string>;
  onReady?: () => void;
}

/** The logger on stdout, flushed every second and at exit; `flush` writes the buffered lines now. */
function startLogs(config: Config): { logger: Logger; flush: () => void } {
  const logs = stdoutDestination();
  const logger = createLogger(config.LOG_LEVEL, logs);
  // Buffered log lines must reach stdout whatever way the process ends.
  process.on('exit', () => {
    try {
      logs.flushSync();
    } catch {
      // A write still in progress at exit: sonic-boom refuses a sync flush; nothing else to do.
    }
  });
  // Lifecycle events are written at once; request lines within a second even on a quiet server.
  const flush = (): void => logs.flush();
  setInterval(flush, 1000).unref();
  return { logger, flush };
}

/**
 * The store of the models the configuration selects (served-models.ts), not loaded yet; a MODELS
 * that cannot be served stops the start here (exit 2, one line). Names chosen because MODEL_NAME
 * or AB_MODEL_NAME was unset and its default is not in the registry are logged.
 */
function modelStore(config: Config, logger: Logger): ModelStore {
  let selection: ModelSelection;
  try {
    selection = selectModels(config);
  } catch (error) {
    if (error instanceof ConfigError) fatal(error.message, 2);
    throw error;
  }
  const { pair, chosen } = selection;
  if (chosen.length > 0) {
    logger.info(
      { MODEL_NAME: pair.v1, AB_MODEL_NAME: pair.v2, chosen },
      `/predict answers from ${pair.v1} (v1) and ${pair.v2} (v2): ${chosen.join(' and ')} unset and the default ` +
        `model not served from ${config.MODEL_DIR}`,
    );
  }
  return new ModelStore(config.MODEL_DIR, selection.names, selection);
}

/** The settings from the environment; a bad one stops the start here (exit 2, one line). */
function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fatal(error.message, 2);
    throw error;
  }
}

/** Watches MODEL_DIR for promotions (started once the models are loaded); a failed reload is logged at once. */
function promotionWatch({
  config,
  store,
  metrics,
  logger,
  flush,
}: Pick<Running, 'config' | 'store' | 'metrics' | 'logger' | 'flush'>): PromotionWatch {
  return new PromotionWatch(
    config.MODEL_DIR,
    store,
    () => reloadModels(store, metrics, logger, 'poll'),
    (problem, pointers) => {
      logger.error({ trigger: 'poll', problem, pointers }, RELOAD_FAILED);
      flush();
    },
  );
}

/** The HTTP server around `app`, not listening yet. */
function httpServer(app: RequestListener): Server {
  const server = createServer(app);
  // Longer than nginx's upstream keepalive_timeout, so the proxy closes idle connections first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Bytes that are not HTTP never reach Express: answer them in the contract's JSON too.
  server.on('clientError', answerClientError);
  return server;
}

/**
 * Loads the selected models: one that does not verify stops the start (exit 1), as does an A/B pair whose
 * models take different features (exit 2).
 */
function loadModels(store: ModelStore, logger: Logger): void {
  try {
    store.load();
  } catch (error) {
    if (error instanceof ArtifactError) fatal(error.message, 1);
    if (error instanceof ConfigError) fatal(error.message, 2);
    throw error;
  }
  if (store.pair?.dropped) logger.warn({ v1: store.pair.v1, v2: store.pair.v2 }, store.pair.dropped);
}

/** Listens on HOST:PORT, then loads the models, starts the promotion watch and logs "ready". */
function listen({ server, config, logger, flush, store, metrics, watch }: Running, hooks: StartHooks): void {
  server.on('error', (error: NodeJS.ErrnoException) =>
    fatal(`cannot listen on ${config.HOST}:${config.PORT}: ${error.code ?? error.message}`, 1),
  );
  server.listen(config.PORT, config.HOST, () => {
    // Listening first lets probes see "not ready" while the models load.
    loadModels(store, logger);
    publishModelMetrics(metrics, store);
    watch.start(config.MODEL_POLL_INTERVAL_MS);
    const address = server.address();
    logger.info(
      {
        port: typeof address === 'object' && address ? address.port : config.PORT,
        variant: config.API_VARIANT,
        models: store.all().map((m) => `${m.name}@${m.version}`),
        predict: store.pair,
        startToReadyMs: Math.round(process.uptime() * 1000),
        ...hooks.readyFields,
      },
      'ready',
    );
    flush();
    hooks.onReady?.();
  });
}

/** Starts the server: config, logs, metrics, auth, models, listener and signal handling. */
export function main(hooks: StartHooks = {}): void {
  const config = readConfig();
  const { logger, flush } = startLogs(config);
  const store = modelStore(config, logger);
  const metrics = createMetrics();
  const { auth, credentials } = startAuth(config, metrics, logger);
  const watch = promotionWatch({ config, store, metrics, logger, flush });
  const predictionLog = config.PREDICTION_LOG_DIR ? new PredictionLog(config.PREDICTION_LOG_DIR, metrics) : undefined;
  const lifecycle = { draining: false };
  // The batch thread runs the bundle beside this one; it starts with the first large batch (the
  // handler decides which batches go to it, BATCH_THREAD_MIN_ROWS=0 none).
  const workerFile = predictWorkerFile(__dirname);
  const batchPredictor = workerFile ? new BatchPredictor(workerFile) : undefined;
  const app = createApp({
    config,
    models: store,
    metrics,
    logger,
    auth,
    credentials,
    lifecycle,
    ...(predictionLog ? { predictionLog } : {}),
    ...(batchPredictor ? { batchPredictor } : {}),
  });
  const server = httpServer(app);
  const running = { server, lifecycle, config, logger, flush, store, metrics, watch, predictionLog, batchPredictor };
  listen(running, hooks);
  handleSignals(running);
}
