import { FEATURE_VALUE } from './predict-schemas';

/** The Open Inference Protocol's request, parameters and error. */
export function oipSchemas(maxBatch: number, widths: number[]): Record<string, unknown> {
  return {
    OipParameters: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
    OipError: {
      type: 'object',
      required: ['error'],
      properties: { error: { type: 'string' }, code: { type: 'string' } },
      description: 'The Open Inference Protocol error shape, with the contract code beside it.',
    },
    InferenceRequest: {
      type: 'object',
      required: ['inputs'],
      properties: {
        id: { type: 'string' },
        parameters: { $ref: '#/components/schemas/OipParameters' },
        inputs: inputTensorsSchema(maxBatch, widths),
        outputs: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name'],
            properties: {
              name: { enum: ['label', 'probabilities'] },
              parameters: { $ref: '#/components/schemas/OipParameters' },
            },
          },
        },
      },
      examples: [
        { id: '42', inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [[5.1, 3.5, 1.4, 0.2]] }] },
      ],
    },
  };
}

/** `inputs`: one tensor of at most `maxBatch` rows, each as wide as a served model takes (`widths`). */
function inputTensorsSchema(maxBatch: number, widths: number[]): Record<string, unknown> {
  return {
    type: 'array',
    minItems: 1,
    maxItems: 1,
    description:
      'Exactly one tensor. Its data holds shape[0] x shape[1] numbers (flat or as rows), or comes as binary ' +
      'data (parameters.binary_data_size).',
    items: {
      type: 'object',
      required: ['name', 'shape', 'datatype'],
      properties: {
        name: { type: 'string', description: 'Any name: the models take one input tensor.' },
        shape: {
          type: 'array',
          prefixItems: [
            { type: 'integer', minimum: 1, maximum: maxBatch },
            {
              type: 'integer',
              ...(widths.length ? { minimum: Math.min(...widths), maximum: Math.max(...widths) } : {}),
            },
          ],
          minItems: 2,
          maxItems: 2,
        },
        datatype: { enum: ['FP32', 'FP64'] },
        parameters: { $ref: '#/components/schemas/OipParameters' },
        data: {
          type: 'array',
          minItems: 1,
          items: { oneOf: [FEATURE_VALUE, { $ref: '#/components/schemas/Row' }] },
        },
      },
    },
  };
}
