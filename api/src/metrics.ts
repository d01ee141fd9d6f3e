import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric of the contract (names are fixed: dashboards and alerts depend on them). */
export interface ApiMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  inFlight: Gauge;
  predictions: Counter<'model' | 'version' | 'variant' | 'class'>;
  inferenceDuration: Histogram<'model' | 'variant'>;
  featureValue: Histogram<'model' | 'feature'>;
  modelInfo: Gauge<'model' | 'version' | 'variant'>;
  modelReady: Gauge<'model'>;
  trainingClassShare: Gauge<'model' | 'version' | 'class'>;
  authFailures: Counter;
  rateLimited: Counter;
  predictionLogDropped: Counter<'reason'>;
  /** The child of `metric` for `labels`, made once: prom-client re-hashes a label object on every call. */
  child<T extends string, C>(metric: { name?: string; labels(labels: Partial<Record<T, string | number>>): C }, labels: Record<T, string>): C;
}

/**
 * Creates the metrics on `registry` (a fresh one per app, so tests never share state), with
 * prom-client's default process metrics unless `defaults` is false.
 */
export function createMetrics(registry = new Registry(), defaults = true): ApiMetrics {
  if (defaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // Label values here are bounded (route templates, methods Node accepts, statuses, model names,
  // features, classes); metrics that get reset are never cached.
  const children = new Map<string, unknown>();
  const child = <T extends string, C>(metric: { labels(labels: Partial<Record<T, string | number>>): C }, labels: Record<T, string>): C => {
    const key = `${(metric as { name?: string }).name ?? ''}\u0000${Object.values(labels).join('\u0000')}`;
    let found = children.get(key) as C | undefined;
    if (found === undefined) {
      found = metric.labels(labels);
      children.set(key, found);
    }
    return found;
  };
  return {
    child,
    registry,
    httpRequests: new Counter({ name: 'http_requests_total', help: 'HTTP requests by method, route template and status.', labelNames: ['method', 'route', 'status'], registers }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds, from arrival to the end of the response.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    inFlight: new Gauge({ name: 'http_requests_in_flight', help: 'HTTP requests being served now.', registers }),
    predictions: new Counter({ name: 'model_predictions_total', help: 'Predicted rows by model, version, variant and predicted class.', labelNames: ['model', 'version', 'variant', 'class'], registers }),
    inferenceDuration: new Histogram({
      name: 'model_inference_duration_seconds',
      help: 'Time in the model per request (all rows of a batch), in seconds.',
      labelNames: ['model', 'variant'],
      buckets: [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01],
      registers,
    }),
    featureValue: new Histogram({
      name: 'model_input_feature_value',
      help: 'Input feature values standardized with the training mean and std (training data is about N(0,1)): drift shows as a shifted or widened distribution.',
      labelNames: ['model', 'feature'],
      buckets: [-3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3],
      registers,
    }),
    modelInfo: new Gauge({ name: 'model_info', help: 'The model and version each variant serves (always 1).', labelNames: ['model', 'version', 'variant'], registers }),
    modelReady: new Gauge({ name: 'model_ready', help: '1 when the model is loaded, verified and serving, else 0.', labelNames: ['model'], registers }),
    trainingClassShare: new Gauge({ name: 'model_training_class_share', help: 'Share of each class in the training data (the reference for prediction drift).', labelNames: ['model', 'version', 'class'], registers }),
    authFailures: new Counter({ name: 'auth_failures_total', help: 'Requests refused for missing or wrong credentials.', registers }),
    rateLimited: new Counter({ name: 'rate_limited_total', help: 'Requests refused with 429 by the rate limiter or the auth throttle.', registers }),
    predictionLogDropped: new Counter({ name: 'prediction_log_dropped_total', help: 'Prediction log lines dropped (buffer full or write error); predictions are never delayed for the log.', labelNames: ['reason'], registers }),
  };
}
