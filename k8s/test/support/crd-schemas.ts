/**
 * Strict JSON Schemas for the custom resources mlship renders (prometheus-operator and KEDA).
 *
 * kubernetes-models ships only the built-in kinds, so these cover the fields mlship uses, with
 * the names and types of the upstream CRDs (monitoring.coreos.com/v1, keda.sh/v1alpha1), and
 * `additionalProperties: false` everywhere so a misspelt field fails like it would in a
 * cluster with server-side field validation.
 */
import type { JSONSchemaType } from 'ajv';

type Schema = JSONSchemaType<unknown> | Record<string, unknown>;

/** An object with these properties and no others; `required` lists the ones it must have. */
function strictObject(properties: Record<string, unknown>, required?: string[]): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, ...(required ? { required } : {}), properties };
}

const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const duration = {
  type: 'string',
  pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$',
};
const strings = { type: 'array', items: { type: 'string' } };

const metadata = strictObject(
  {
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 253 },
    namespace: { type: 'string' },
    labels: stringMap,
    annotations: stringMap,
  },
  ['name'],
);

/** A whole custom resource: `apiVersion` and `kind` fixed, the shared metadata, and its spec. */
function customResource(apiVersion: string, kind: string, spec: Record<string, unknown>): Record<string, unknown> {
  return strictObject({ apiVersion: { const: apiVersion }, kind: { const: kind }, metadata, spec }, [
    'apiVersion',
    'kind',
    'metadata',
    'spec',
  ]);
}

const labelSelector = strictObject({
  matchLabels: stringMap,
  matchExpressions: {
    type: 'array',
    items: strictObject(
      { key: { type: 'string' }, operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }, values: strings },
      ['key', 'operator'],
    ),
  },
});

const secretKeySelector = strictObject(
  { name: { type: 'string' }, key: { type: 'string' }, optional: { type: 'boolean' } },
  ['key'],
);

const relabelConfig = strictObject({
  action: {
    enum: [
      'replace',
      'keep',
      'drop',
      'hashmod',
      'labelmap',
      'labeldrop',
      'labelkeep',
      'lowercase',
      'uppercase',
      'keepequal',
      'dropequal',
    ],
  },
  sourceLabels: { type: 'array', items: { type: 'string', pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' } },
  separator: { type: 'string' },
  targetLabel: { type: 'string' },
  regex: { type: 'string' },
  modulus: { type: 'integer' },
  replacement: { type: 'string' },
});

const endpoint = strictObject({
  port: { type: 'string' },
  targetPort: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
  path: { type: 'string', pattern: '^/' },
  scheme: { enum: ['http', 'https'] },
  interval: duration,
  scrapeTimeout: duration,
  honorLabels: { type: 'boolean' },
  honorTimestamps: { type: 'boolean' },
  authorization: strictObject({ type: { type: 'string' }, credentials: secretKeySelector }),
  relabelings: { type: 'array', items: relabelConfig },
  metricRelabelings: { type: 'array', items: relabelConfig },
});

const serviceMonitor = customResource(
  'monitoring.coreos.com/v1',
  'ServiceMonitor',
  strictObject(
    {
      jobLabel: { type: 'string' },
      targetLabels: strings,
      podTargetLabels: strings,
      selector: labelSelector,
      namespaceSelector: strictObject({ any: { type: 'boolean' }, matchNames: strings }),
      endpoints: { type: 'array', minItems: 1, items: endpoint },
    },
    ['selector'],
  ),
);

const rule = {
  ...strictObject(
    {
      alert: { type: 'string' },
      record: { type: 'string' },
      expr: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
      for: duration,
      keep_firing_for: duration,
      labels: stringMap,
      annotations: stringMap,
    },
    ['expr'],
  ),
  oneOf: [{ required: ['alert'] }, { required: ['record'] }],
};

const ruleGroup = strictObject(
  {
    name: { type: 'string', minLength: 1 },
    interval: duration,
    query_offset: duration,
    limit: { type: 'integer' },
    labels: stringMap,
    partial_response_strategy: { type: 'string' },
    rules: { type: 'array', items: rule },
  },
  ['name', 'rules'],
);

const prometheusRule = customResource(
  'monitoring.coreos.com/v1',
  'PrometheusRule',
  strictObject({ groups: { type: 'array', items: ruleGroup } }),
);

const scaledObjectSpec = strictObject(
  {
    scaleTargetRef: strictObject(
      {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        name: { type: 'string' },
        envSourceContainerName: { type: 'string' },
      },
      ['name'],
    ),
    pollingInterval: { type: 'integer', minimum: 1 },
    cooldownPeriod: { type: 'integer', minimum: 0 },
    initialCooldownPeriod: { type: 'integer', minimum: 0 },
    idleReplicaCount: { type: 'integer', minimum: 0 },
    minReplicaCount: { type: 'integer', minimum: 0 },
    maxReplicaCount: { type: 'integer', minimum: 1 },
    fallback: strictObject(
      {
        failureThreshold: { type: 'integer', minimum: 1 },
        replicas: { type: 'integer', minimum: 0 },
        behavior: { enum: ['static', 'currentReplicas', 'currentReplicasIfHigher', 'currentReplicasIfLower'] },
      },
      ['failureThreshold', 'replicas'],
    ),
    advanced: strictObject({
      restoreToOriginalReplicaCount: { type: 'boolean' },
      horizontalPodAutoscalerConfig: strictObject({
        name: { type: 'string' },
        // Validated as autoscaling/v2 HorizontalPodAutoscalerBehavior by the caller.
        behavior: { type: 'object' },
      }),
    }),
    triggers: {
      type: 'array',
      minItems: 1,
      items: strictObject(
        {
          type: { type: 'string' },
          name: { type: 'string' },
          useCachedMetrics: { type: 'boolean' },
          metricType: { enum: ['AverageValue', 'Value', 'Utilization'] },
          metadata: stringMap,
          authenticationRef: strictObject(
            { name: { type: 'string' }, kind: { enum: ['TriggerAuthentication', 'ClusterTriggerAuthentication'] } },
            ['name'],
          ),
        },
        ['type', 'metadata'],
      ),
    },
  },
  ['scaleTargetRef', 'triggers'],
);

const scaledObject = customResource('keda.sh/v1alpha1', 'ScaledObject', scaledObjectSpec);

/** Schemas keyed by `apiVersion/kind`. */
export const crdSchemas: Readonly<Record<string, Schema>> = {
  'monitoring.coreos.com/v1/ServiceMonitor': serviceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': prometheusRule,
  'keda.sh/v1alpha1/ScaledObject': scaledObject,
};
