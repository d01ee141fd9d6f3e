/**
 * Reading rendered objects: the lookups every policy check shares.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { K8sObject } from './render';

/** A policy check: every violation in one render, one line each. */
export type Check = (docs: readonly K8sObject[]) => string[];

export const NAME = 'app.kubernetes.io/name';
export const INSTANCE = 'app.kubernetes.io/instance';
export const SELECTOR_KEYS = [NAME, INSTANCE].sort().join(',');

export type Labels = Record<string, string> | undefined;

export function ofKind<T>(docs: readonly K8sObject[], kind: string): Array<T & K8sObject> {
  return docs.filter((d) => d.kind === kind) as Array<T & K8sObject>;
}

export function id(doc: K8sObject): string {
  return `${doc.kind}/${doc.metadata.name}`;
}

/** True when every selector label is on the object. */
export function matches(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

export interface Workload {
  doc: K8sObject;
  template: IPodTemplateSpec;
  longRunning: boolean;
}

export function workloads(docs: readonly K8sObject[]): Workload[] {
  return [
    ...ofKind<IDeployment>(docs, 'Deployment').map((d) => ({ doc: d, template: d.spec!.template, longRunning: true })),
    ...ofKind<IJob>(docs, 'Job').map((j) => ({ doc: j, template: j.spec!.template, longRunning: false })),
  ];
}

export function allContainers(template: IPodTemplateSpec): IContainer[] {
  return [...(template.spec?.initContainers ?? []), ...(template.spec?.containers ?? [])];
}

export function envValue(container: IContainer, name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value;
}

/** The value a ConfigMap (found through envFrom) gives a variable, if any. */
export function configValue(docs: readonly K8sObject[], container: IContainer, key: string): string | undefined {
  for (const source of container.envFrom ?? []) {
    const cm = ofKind<IConfigMap>(docs, 'ConfigMap').find((c) => c.metadata.name === source.configMapRef?.name);
    const value = cm?.data?.[key];
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Resolves a probe's or Service's port (a name or a number) to a container port number. */
export function resolvePort(container: IContainer, port: string | number | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}
