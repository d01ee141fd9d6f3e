import { algorithms } from '../../../../model/src/algorithms';

// Within ±1e150, so no finite feature can overflow a v2 answer's distances to null.
export const FEATURE_VALUE = { type: 'number', minimum: -1e150, maximum: 1e150 };

/** What POST /predict takes and gives, and the contract's error. */
export function predictSchemas(maxBatch: number, widths: number[]): Record<string, unknown> {
  const rowLength = widths.length > 0 ? { minItems: Math.min(...widths), maxItems: Math.max(...widths) } : {};
  return {
    Row: {
      type: 'array',
      items: FEATURE_VALUE,
      ...rowLength,
      description: 'One value per feature, in training order.',
      examples: [[5.1, 3.5, 1.4, 0.2]],
    },
    PredictRequest: {
      type: 'object',
      required: ['X'],
      additionalProperties: false,
      properties: {
        X: {
          oneOf: [
            { $ref: '#/components/schemas/Row' },
            { type: 'array', items: { $ref: '#/components/schemas/Row' }, minItems: 1, maxItems: maxBatch },
          ],
        },
      },
    },
    Detailed: {
      type: 'object',
      properties: {
        prediction: { type: 'string' },
        probabilities: { type: 'object', additionalProperties: { type: 'number' } },
        // Each algorithm's evidence for its answer, as its port declares it.
        ...evidenceSchemas(),
      },
    },
    PredictResponse: {
      type: 'object',
      required: ['model', 'version', 'variant'],
      properties: {
        model: { type: 'string' },
        version: { type: 'string' },
        variant: { type: 'string', enum: ['v1', 'v2'] },
        prediction: {
          type: 'string',
          description: "Single row (v1); v2 adds probabilities and the algorithm's evidence.",
        },
        predictions: {
          type: 'array',
          items: { oneOf: [{ type: 'string' }, { $ref: '#/components/schemas/Detailed' }] },
        },
      },
    },
    Error: errorSchema(),
  };
}

/** The contract's error answer: `{ error: { code, message, details? } }`. */
function errorSchema(): Record<string, unknown> {
  return {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
      },
    },
  };
}

/** Every algorithm's evidence fields (`Explanation.evidence`), merged: a v2 answer carries its model's. */
function evidenceSchemas(): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const algorithm of algorithms()) Object.assign(merged, algorithm.evidence);
  return merged;
}
