/**
 * Offline schema validation of rendered objects: kubernetes-models for built-in kinds (plus a
 * check for fields the schema does not know), strict JSON Schemas for the custom resources.
 */
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { HorizontalPodAutoscalerBehavior } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerBehavior';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { crdSchemas } from './crd-schemas';
import type { K8sObject } from './render';
import { findUnknownFields } from './unknown-fields';

interface ValidatableModel {
  validate(): void;
}
type ModelClass = new (data: never) => ValidatableModel;

/** The built-in kinds mlship renders, keyed by `apiVersion/kind`; anything else is rejected. */
const MODELS: Readonly<Record<string, ModelClass>> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

const ajv = new Ajv({ allErrors: true, strict: false });
const crdValidators = new Map<string, ValidateFunction>(
  Object.entries(crdSchemas).map(([key, schema]) => [key, ajv.compile(schema)]),
);

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Validates one model instance, schema errors and unknown fields alike. */
function validateModel(model: ValidatableModel, where: string): string[] {
  const problems: string[] = [];
  try {
    model.validate();
  } catch (e) {
    problems.push(`${where}: ${errorMessage(e)}`);
  }
  // Model#validate validates `this`; calling it on a recording proxy shows which fields it read.
  const unknown = findUnknownFields(model, (proxied) => {
    try {
      model.validate.call(proxied);
    } catch {
      // Schema errors are reported above; only the reads matter here.
    }
  });
  for (const pointer of unknown) problems.push(`${where}: unknown field ${pointer}`);
  return problems;
}

/**
 * kustomize wraps long base64 Secret data over several lines; the API server's decoder skips
 * those newlines, kubernetes-models' "byte" format does not. Join them before validating.
 */
function asServerReads(doc: K8sObject): K8sObject {
  if (doc.kind !== 'Secret' || typeof doc.data !== 'object' || doc.data === null) return doc;
  const data = Object.fromEntries(
    Object.entries(doc.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\n/g, '')]),
  );
  return { ...doc, data };
}

/** Validates one rendered object; returns one line per problem (empty when valid). */
export function validateObject(doc: K8sObject): string[] {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const where = `${doc.kind}/${doc.metadata?.name ?? '?'}`;
  const Model = MODELS[key];
  if (Model) return validateModel(new Model(asServerReads(doc) as never), where);

  const validator = crdValidators.get(key);
  if (!validator) return [`${where}: no schema for ${key}; add it to k8s/test/support/validate.ts`];
  const problems = validator(doc)
    ? []
    : (validator.errors ?? []).map(
        (e) =>
          `${where}: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}` +
          `${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
      );
  // KEDA passes this block to the HPA it creates: hold it to the autoscaling/v2 schema.
  const behavior = (doc as { spec?: { advanced?: { horizontalPodAutoscalerConfig?: { behavior?: object } } } }).spec
    ?.advanced?.horizontalPodAutoscalerConfig?.behavior;
  if (behavior) problems.push(...validateModel(new HorizontalPodAutoscalerBehavior(behavior), `${where} behavior`));
  return problems;
}
