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

/** Every route, in the order Swagger UI and the document list them. */
export function paths(): Record<string, unknown> {
  return { ...healthPaths(), ...predictAndModelPaths(), ...oipPaths(), ...opsPaths() };
}

/** Service status, liveness and readiness: open to anyone, so probes need no credentials. */
function healthPaths(): Record<string, unknown> {
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
  };
}

/** The contract's own routes behind basic auth: predictions, the models and their scores. */
function predictAndModelPaths(): Record<string, unknown> {
  return {
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
  };
}

/** The Open Inference Protocol (v2) routes. */
function oipPaths(): Record<string, unknown> {
  return {
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
  };
}

/** What operators and readers of the API use: metrics, this document and its rendering. */
function opsPaths(): Record<string, unknown> {
  return {
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
