import { modelSchemas } from './model-schemas';
import { oipSchemas } from './oip-schemas';
import { paths } from './paths';
import { predictSchemas } from './predict-schemas';

/** What the document says about the served models, once they are loaded. */
export interface ServedShape {
  /** Feature counts of the models behind /predict (v1 and v2). */
  features: number[];
  /** Feature counts of every served model (OIP infer takes any of them). */
  inferFeatures: number[];
  /** Names the model routes serve, given as examples of the `name` path parameter. */
  models: string[];
}

/**
 * The OpenAPI 3.1 description of the API, served at /openapi.json and rendered at /docs. With
 * `served`, a row's length is the models' feature count (a row of another length is a 400).
 */
export function openApiDocument(maxBatch: number, served?: ServedShape): Record<string, unknown> {
  const widths = [...new Set(served?.features ?? [])];
  const inferWidths = [...new Set(served?.inferFeatures ?? [])];
  const modelName = {
    name: 'name',
    in: 'path',
    required: true,
    schema: { type: 'string' },
    ...(served?.models.length ? { examples: Object.fromEntries(served.models.map((m) => [m, { value: m }])) } : {}),
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'mlship API',
      version: '1.0.0',
      description:
        'Predictions from the models mlship trained and gated, with A/B routing by header and the Open Inference ' +
        'Protocol (v2).',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        basicAuth: { type: 'http', scheme: 'basic' },
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'MONITORING_TOKEN, when set' },
      },
      parameters: {
        ExperimentGroup: {
          name: 'X-Experiment-Group',
          in: 'header',
          required: false,
          schema: { type: 'string' },
          examples: { debug: { value: 'debug' } },
          description:
            '`debug` asks for variant v2, any other group for the default variant. OIP `infer` answers as the arm ' +
            'its model serves in (the asked-for one when the model serves in both).',
        },
        ModelName: modelName,
      },
      schemas: { ...predictSchemas(maxBatch, widths), ...modelSchemas(), ...oipSchemas(maxBatch, inferWidths) },
      responses: {
        Error: {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
    paths: paths(),
  };
}
