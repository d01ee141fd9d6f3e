import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { BoundCounter, BoundHistogram } from './bound-metrics';
import type { CounterChild, HistogramChild } from './bound-metrics';
import type { ModelStore } from '../models/model-store';

/** Every metric of the contract (names are fixed: dashboards and alerts depend on them). */
export interface ApiMetrics {
  registry: Registry;
  httpRequests: BoundCounter<'method' | 'route' | 'status'>;
  httpDuration: BoundHistogram<'method' | 'route' | 'status'>;
  inFlight: Gauge;
  predictions: BoundCounter<'model' | 'version' | 'variant' | 'class'>;
  inferenceDuration: BoundHistogram<'model' | 'variant'>;
  featureValue: BoundHistogram<'model' | 'feature'>;
  modelInfo: Gauge<'model' | 'version' | 'variant' | 'sha256'>;
  modelReady: Gauge<'model'>;
  trainingClassShare: Gauge<'model' | 'version' | 'class'>;
  authFailures: Counter;
  rateLimited: Counter;
  predictionLogDropped: Counter<'reason'>;
  /** The request counter and duration children for one method, route template and status. */
  requestHandles(method: string, route: string, status: number): RequestHandles;
}

export interface RequestHandles {
  requests: CounterChild<'method' | 'route' | 'status'>;
  duration: HistogramChild<'method' | 'route' | 'status'>;
}

/**
 * Creates the metrics on `registry` (a fresh one per app, so tests never share state), with
 * prom-client's default process metrics unless `defaults` is false. The ones updated on every
 * request are bound-metrics (see there); label values are bounded (route templates, methods Node
 * accepts, statuses, model names and versions, features, classes).
 */
export function createMetrics(registry = new Registry(), defaults = true): ApiMetrics {
  if (defaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const http = httpMetrics(registers);
  return {
    requestHandles: requestHandleCache(http),
    registry,
    ...http,
    ...modelMetrics(registers),
    ...refusedAndDroppedMetrics(registers),
  };
}

type HttpMetrics = Pick<ApiMetrics, 'httpRequests' | 'httpDuration' | 'inFlight'>;

/** Requests by method, route template and status, their duration, and those in flight. */
function httpMetrics(registers: Registry[]): HttpMetrics {
  const httpRequests = new BoundCounter(
    'http_requests_total',
    'HTTP requests by method, route template and status.',
    ['method', 'route', 'status'],
    registers,
  );
  const httpDuration = new BoundHistogram(
    'http_request_duration_seconds',
    'HTTP request duration in seconds, from arrival to the end of the response.',
    ['method', 'route', 'status'],
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  );
  return {
    httpRequests,
    httpDuration,
    inFlight: new Gauge({
      name: 'http_requests_in_flight',
      help: 'HTTP requests being served now, /metrics scrapes excluded (a scraper would count itself).',
      registers,
    }),
  };
}

/** The request counter and duration children of one method, route template and status, made once each. */
function requestHandleCache({ httpRequests, httpDuration }: HttpMetrics): ApiMetrics['requestHandles'] {
  // Keyed by one short string rather than by three label lookups: this runs once per request.
  const handles = new Map<string, RequestHandles>();
  return (method: string, route: string, status: number): RequestHandles => {
    const key = `${status} ${method} ${route}`;
    let found = handles.get(key);
    if (!found) {
      const labels = { method, route, status: String(status) };
      found = { requests: httpRequests.labels(labels), duration: httpDuration.labels(labels) };
      handles.set(key, found);
    }
    return found;
  };
}

/** Predictions, inference time, input drift and what each served model is. */
function modelMetrics(
  registers: Registry[],
): Pick<
  ApiMetrics,
  'predictions' | 'inferenceDuration' | 'featureValue' | 'modelInfo' | 'modelReady' | 'trainingClassShare'
> {
  return {
    predictions: new BoundCounter(
      'model_predictions_total',
      'Predicted rows by model, version, variant and predicted class.',
      ['model', 'version', 'variant', 'class'],
      registers,
    ),
    inferenceDuration: new BoundHistogram(
      'model_inference_duration_seconds',
      'Time in the model per request (all rows of a batch), in seconds.',
      ['model', 'variant'],
      [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01],
      registers,
    ),
    featureValue: new BoundHistogram(
      'model_input_feature_value',
      'Input feature values standardized with the training mean and std (training data is about N(0,1)): drift ' +
        'shows as a shifted or widened distribution.',
      ['model', 'feature'],
      [-3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3],
      registers,
    ),
    modelInfo: new Gauge({
      name: 'model_info',
      help:
        'Each served model: its version, sha256 (the digest its model.json records, verified at load) and the ' +
        'variant it answers in (v2: the A/B experiment model; always 1).',
      labelNames: ['model', 'version', 'variant', 'sha256'],
      registers,
    }),
    modelReady: new Gauge({
      name: 'model_ready',
      help: '1 when the model is loaded, verified and serving, else 0.',
      labelNames: ['model'],
      registers,
    }),
    trainingClassShare: new Gauge({
      name: 'model_training_class_share',
      help: 'Share of each class in the training data (the reference for prediction drift).',
      labelNames: ['model', 'version', 'class'],
      registers,
    }),
  };
}

/** Requests refused for credentials or rate, and prediction log lines dropped. */
function refusedAndDroppedMetrics(
  registers: Registry[],
): Pick<ApiMetrics, 'authFailures' | 'rateLimited' | 'predictionLogDropped'> {
  return {
    authFailures: new Counter({
      name: 'auth_failures_total',
      help: 'Requests refused for missing or wrong credentials.',
      registers,
    }),
    rateLimited: new Counter({
      name: 'rate_limited_total',
      help: 'Requests refused with 429 by the rate limiter or the auth throttle.',
      registers,
    }),
    predictionLogDropped: new Counter({
      name: 'prediction_log_dropped_total',
      help: 'Prediction log lines dropped (buffer full or write error); predictions are never delayed for the log.',
      labelNames: ['reason'],
      registers,
    }),
  };
}

/**
 * Sets model_info (with each model's sha256, for lineage checks), model_ready and the training
 * class shares for the models loaded now; series of models no longer served disappear.
 */
export function publishModelMetrics(metrics: ApiMetrics, store: Pick<ModelStore, 'all' | 'variantOf'>): void {
  metrics.modelInfo.reset();
  metrics.trainingClassShare.reset();
  for (const model of store.all()) {
    metrics.modelInfo.set(
      { model: model.name, version: model.version, variant: store.variantOf(model.name), sha256: model.sha256 },
      1,
    );
    metrics.modelReady.set({ model: model.name }, 1);
    for (const [cls, share] of Object.entries(model.trainingClassShares))
      metrics.trainingClassShare.set({ model: model.name, version: model.version, class: cls }, share);
  }
}
