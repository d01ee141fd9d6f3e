import { algorithms } from '../../../model/src/algorithms';
/** What the document says about the served models, once they are loaded. */
export interface ServedShape {
  /** Feature counts of the models behind /predict (v1 and v2). */
  features: number[];
  /** Feature counts of every served model (OIP infer takes any of them). */
  inferFeatures: number[];
  /** Names the model routes serve, given as examples of the `name` path parameter. */
  models: string[];
}

const ERROR = { $ref: '#/components/responses/Error' };
// Every basic-auth route also answers 429: the per-user rate limit, or an address throttled after failed logins.
const THROTTLED = {
  description: 'Rate limited or throttled',
  headers: { 'Retry-After': { schema: { type: 'string' }, description: 'Seconds to wait.' } },
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};
const BASIC = [{ basicAuth: [] }];
const MODEL_HEADERS = {
  'X-Model-Name': { schema: { type: 'string' }, description: 'The model that answered.' },
  'X-Model-Version': { schema: { type: 'string' }, description: 'Its version (content digest prefix).' },
  'X-Variant': {
    schema: { type: 'string', enum: ['v1', 'v2'] },
    description: 'The arm that answered: v2 = the experiment (on /predict, with detailed answers).',
  },
};
const FEATURE_VALUE = { type: 'number', minimum: -1e150, maximum: 1e150 };

const ok = (description: string, schema: Record<string, unknown> = { type: 'object' }) => ({
  description,
  content: { 'application/json': { schema } },
});
const oipError = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/OipError' } } },
});

/** A POST taking a JSON body of `schema` (a components/schemas name), behind basic auth. */
function jsonPost(
  summary: string,
  schema: string,
  parameters: unknown[],
  responses: Record<number, unknown>,
): Record<string, unknown> {
  return {
    post: {
      summary,
      security: BASIC,
      parameters,
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
      },
      responses,
    },
  };
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

/** What POST /predict takes and gives, and the contract's error. */
function predictSchemas(maxBatch: number, widths: number[]): Record<string, unknown> {
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
    Error: {
      type: 'object',
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
        },
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

/** The served models and the service status. */
function modelSchemas(): Record<string, unknown> {
  return {
    ModelRef: {
      type: 'object',
      required: ['name', 'version', 'sha256'],
      properties: {
        name: { type: 'string' },
        version: { type: 'string', pattern: '^[0-9a-f]{12}$', description: 'Content digest prefix of the model.' },
        sha256: {
          type: 'string',
          pattern: '^[0-9a-f]{64}$',
          description:
            'The sha256 its model.json records (verified at load): compare with the image label io.mlship.models.',
        },
      },
    },
    CredentialWarning: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { enum: ['dev_users_file', 'published_users', 'metrics_open', 'users_file_mode'] },
        message: { type: 'string' },
      },
    },
    Status: {
      type: 'object',
      required: [
        'status',
        'service',
        'variant',
        'ready',
        'models',
        'servesAllPromoted',
        'uptimeSeconds',
        'devCredentials',
        'warnings',
      ],
      properties: {
        status: { const: 'ok' },
        service: { const: 'mlship-api' },
        variant: { type: 'string', enum: ['v1', 'v2'] },
        ready: { type: 'boolean' },
        models: { type: 'array', items: { $ref: '#/components/schemas/ModelRef' } },
        servesAllPromoted: {
          type: 'boolean',
          description:
            "True when MODELS is unset: every model promoted in MODEL_DIR is served (a deploy's lineage check then " +
            'expects every model its image records).',
        },
        uptimeSeconds: { type: 'integer', minimum: 0 },
        devCredentials: {
          type: 'boolean',
          description: 'True when a published development password logs in here or /metrics needs no token.',
        },
        warnings: {
          type: 'array',
          items: { $ref: '#/components/schemas/CredentialWarning' },
          description: 'What an operator should fix; also logged once at start.',
        },
      },
    },
    ModelSummary: {
      allOf: [{ $ref: '#/components/schemas/ModelRef' }],
      type: 'object',
      required: ['algorithm', 'features', 'classes', 'accuracy', 'macroF1', 'scores'],
      description:
        "Beside these, the algorithm's own hyperparameters as its artifact records them (see docs/model.md).",
      properties: {
        algorithm: {
          type: 'string',
          description: 'The algorithm the model was trained with (models.json `algorithm`).',
        },
        features: { type: 'array', items: { type: 'string' } },
        classes: { type: 'array', items: { type: 'string' } },
        accuracy: { type: 'number' },
        macroF1: { type: 'number' },
        scores: { type: 'object', description: 'The held-out test scores metrics.json records.' },
      },
    },
    ModelList: {
      type: 'object',
      required: ['models'],
      properties: { models: { type: 'array', items: { $ref: '#/components/schemas/ModelSummary' } } },
    },
    ModelDetail: {
      allOf: [{ $ref: '#/components/schemas/ModelSummary' }],
      type: 'object',
      required: ['card'],
      properties: { card: { type: 'string', description: 'The model card (Markdown).' } },
    },
  };
}

/** The Open Inference Protocol's request, parameters and error. */
function oipSchemas(maxBatch: number, widths: number[]): Record<string, unknown> {
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
        inputs: {
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
        },
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

function paths(): Record<string, unknown> {
  return {
    '/status': {
      get: {
        summary: 'Service status: the served models (name, version, sha256), uptime and credential warnings',
        responses: { 200: ok('Status', { $ref: '#/components/schemas/Status' }) },
      },
    },
    '/healthz': { get: { summary: 'Liveness', responses: { 200: ok('Alive') } } },
    '/readyz': {
      get: { summary: 'Readiness: 503 while loading or draining', responses: { 200: ok('Ready'), 503: ERROR } },
    },
    '/predict': jsonPost(
      'Predict one row or a batch',
      'PredictRequest',
      [{ $ref: '#/components/parameters/ExperimentGroup' }],
      {
        200: { ...ok('Prediction', { $ref: '#/components/schemas/PredictResponse' }), headers: MODEL_HEADERS },
        400: ERROR,
        401: ERROR,
        413: ERROR,
        415: ERROR,
        429: THROTTLED,
        503: ERROR,
      },
    ),
    '/models': {
      get: {
        summary: 'Every served model with its scores',
        security: BASIC,
        responses: { 200: ok('Models', { $ref: '#/components/schemas/ModelList' }), 401: ERROR, 429: THROTTLED },
      },
    },
    '/models/{name}': {
      get: {
        summary: "One model's scores and model card",
        security: BASIC,
        parameters: [{ $ref: '#/components/parameters/ModelName' }],
        responses: {
          200: ok('Model', { $ref: '#/components/schemas/ModelDetail' }),
          401: ERROR,
          429: THROTTLED,
          404: ERROR,
        },
      },
    },
    '/{name}': {
      get: {
        summary:
          "The score (test accuracy) of a served model, as the original API's /M1 and /M2 gave it (a path no route " +
          'above takes)',
        security: BASIC,
        parameters: [{ $ref: '#/components/parameters/ModelName' }],
        responses: { 200: ok('Score'), 401: ERROR, 429: THROTTLED, 404: ERROR },
      },
    },
    '/v2': { get: { summary: 'Open Inference Protocol: server metadata', responses: { 200: ok('Server metadata') } } },
    '/v2/health/live': { get: { summary: 'OIP: server live', responses: { 200: ok('Live') } } },
    '/v2/health/ready': {
      get: { summary: 'OIP: server ready', responses: { 200: ok('Ready'), 503: ok('Not ready') } },
    },
    '/v2/models/{name}': {
      get: {
        summary: 'OIP: model metadata',
        parameters: [{ $ref: '#/components/parameters/ModelName' }],
        responses: { 200: ok('Model metadata'), 404: oipError('Unknown model or version') },
      },
    },
    '/v2/models/{name}/ready': {
      get: {
        summary: 'OIP: model ready',
        parameters: [{ $ref: '#/components/parameters/ModelName' }],
        responses: { 200: ok('Ready'), 404: oipError('Unknown model or version') },
      },
    },
    '/v2/models/{name}/infer': jsonPost(
      'OIP: inference on an FP32/FP64 tensor of shape [n, features]',
      'InferenceRequest',
      [{ $ref: '#/components/parameters/ModelName' }, { $ref: '#/components/parameters/ExperimentGroup' }],
      {
        200: {
          ...ok('Inference response: label (BYTES [n]) and probabilities (FP64 [n, classes])'),
          headers: MODEL_HEADERS,
        },
        400: oipError('Invalid tensor'),
        401: oipError('No or wrong credentials'),
        404: oipError('Unknown model or version'),
        413: oipError('Body larger than BODY_LIMIT'),
        415: oipError('Not JSON (or not octet-stream with the binary extension)'),
        429: { ...THROTTLED, content: oipError('').content },
      },
    ),
    '/metrics': {
      get: {
        summary: 'Prometheus exposition',
        security: [{ bearerAuth: [] }],
        responses: { 200: { description: 'text/plain exposition' }, 401: ERROR },
      },
    },
    '/openapi.json': { get: { summary: 'This document', responses: { 200: ok('OpenAPI 3.1') } } },
    '/docs': { get: { summary: 'Swagger UI', responses: { 200: { description: 'HTML' } } } },
  };
}
