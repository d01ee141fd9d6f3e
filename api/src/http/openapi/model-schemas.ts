/** The served models and the service status. */
export function modelSchemas(): Record<string, unknown> {
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
    Status: statusSchema(),
    ModelSummary: modelSummarySchema(),
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

/** GET /status: the served models, readiness, uptime and the credential warnings in force. */
function statusSchema(): Record<string, unknown> {
  return {
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
  };
}

/** A served model in GET /models: its reference, algorithm, features, classes and scores. */
function modelSummarySchema(): Record<string, unknown> {
  return {
    allOf: [{ $ref: '#/components/schemas/ModelRef' }],
    type: 'object',
    required: ['algorithm', 'features', 'classes', 'accuracy', 'macroF1', 'scores'],
    description: "Beside these, the algorithm's own hyperparameters as its artifact records them (see docs/model.md).",
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
  };
}
