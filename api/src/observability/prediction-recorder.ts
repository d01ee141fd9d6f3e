import { standardizeValue } from '../../../model/src/preprocess';
import type { Variant } from '../models/variant';
import { isoTime } from './logging';
import type { ApiMetrics } from './metrics';
import type { ServedModel } from '../models/model-store';
import type { PredictionLog } from './prediction-log';

/** Rows of a batch whose inputs feed the drift histogram: enough for a distribution, bounded per request. */
const DRIFT_SAMPLE_ROWS = 64;

/** The metric children one (model version, variant) writes to, looked up once rather than per request. */
interface Handles {
  inference: { observe(value: number): void };
  /** By feature index. */
  features: Array<{ observe(value: number): void }>;
  /** By class name. */
  classes: Map<string, { inc(value?: number): void }>;
}

/** One answered prediction request, as the recorder needs it. */
export interface AnsweredPrediction {
  model: ServedModel;
  variant: Variant;
  rows: number[][];
  labels: string[];
  /** Time spent predicting (not the whole request). */
  seconds: number;
  requestId: string;
  /** What the answer said (labels, or the detailed predictions), for the prediction log. */
  output: unknown;
  /** The rows as JSON text on one line, when the caller has it (the prediction log reuses it). */
  inputJson?: string;
}

export type RecordPrediction = (answered: AnsweredPrediction) => void;

/**
 * Counts, observes and logs one answered prediction request: inference time, predicted classes,
 * standardized input features (for drift) and, when configured, a prediction log line. Handles are
 * kept per served model object, so a reloaded version gets its own and the old ones go with it.
 */
export function predictionRecorder(metrics: ApiMetrics, predictionLog: PredictionLog | undefined): RecordPrediction {
  const handles = new WeakMap<ServedModel, Partial<Record<Variant, Handles>>>();
  const handlesFor = (model: ServedModel, variant: Variant): Handles => {
    let byVariant = handles.get(model);
    if (!byVariant) handles.set(model, (byVariant = {}));
    let found = byVariant[variant];
    if (!found) {
      found = {
        inference: metrics.inferenceDuration.labels({ model: model.name, variant }),
        features: model.featureNames.map((feature) => metrics.featureValue.labels({ model: model.name, feature })),
        classes: new Map(
          model.classNames.map((label) => [
            label,
            metrics.predictions.labels({ model: model.name, version: model.version, variant, class: label }),
          ]),
        ),
      };
      byVariant[variant] = found;
    }
    return found;
  };

  return ({ model, variant, rows, labels, seconds, requestId, output, inputJson }) => {
    const { inference, features, classes } = handlesFor(model, variant);
    inference.observe(seconds);
    if (labels.length === 1) classes.get(labels[0]!)?.inc();
    else {
      const perClass = new Map<string, number>();
      for (const label of labels) perClass.set(label, (perClass.get(label) ?? 0) + 1);
      for (const [label, count] of perClass) classes.get(label)?.inc(count);
    }
    const sample = Math.min(rows.length, DRIFT_SAMPLE_ROWS);
    for (let j = 0; j < features.length; j++) {
      const observer = features[j]!;
      for (let i = 0; i < sample; i++) observer.observe(standardizeValue(model, j, rows[i]![j]!));
    }
    predictionLog?.write(
      { time: isoTime(), requestId, model: model.name, version: model.version, variant, input: rows, output },
      inputJson,
    );
  };
}
