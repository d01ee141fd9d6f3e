/**
 * Policy checks over a rendered mlship deployment. Each check takes every object of one render
 * and returns one line per violation, so a test can assert `[]` and a mutation test can assert
 * that breaking a rule is caught by the check that owns it.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { API_ENV_KEYS, IMAGE_PATTERN, IMAGE_UID } from './contract';
import type { Check, Labels } from './objects';
import { allContainers, envValue, id, INSTANCE, matches, NAME, ofKind, SELECTOR_KEYS, workloads } from './objects';
import { availabilityPolicy } from './policy-availability';
import { secretVolumePolicy } from './policy-credentials';
import { probesPolicy, shutdownPolicy } from './policy-lifecycle';
import { modelRegistryPolicy } from './policy-registry';
import { ingressPolicy, networkPolicy, servicePortsPolicy } from './policy-traffic';
import type { K8sObject } from './render';

export type { Check } from './objects';

/** Every namespaced object lives in the mlship namespace, the Namespace itself is restricted. */
export const namespacePolicy: Check = (docs) => {
  const problems: string[] = [];
  for (const doc of docs) {
    if (doc.kind === 'Namespace') {
      if (doc.metadata.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted')
        problems.push(`${id(doc)}: must enforce the restricted Pod Security Standard`);
    } else if (doc.metadata.namespace !== 'mlship') {
      problems.push(`${id(doc)}: namespace is ${doc.metadata.namespace ?? 'unset'}, expected mlship`);
    }
  }
  if (!docs.some((d) => d.kind === 'Namespace' && d.metadata.name === 'mlship')) problems.push('no Namespace mlship');
  return problems;
};

/** Restricted Pod Security Standard on every pod and container (init containers included). */
export const podSecurityPolicy: Check = (docs) => {
  const problems: string[] = [];
  for (const { doc, template } of workloads(docs)) {
    const pod = template.spec;
    const where = id(doc);
    if (!pod) {
      problems.push(`${where}: no pod spec`);
      continue;
    }
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push(`${where}: uses a host namespace`);
    if (pod.automountServiceAccountToken !== false)
      problems.push(`${where}: automountServiceAccountToken must be false`);
    if (pod.securityContext?.runAsNonRoot !== true)
      problems.push(`${where}: pod securityContext.runAsNonRoot must be true`);
    if (pod.securityContext?.runAsUser !== IMAGE_UID)
      problems.push(`${where}: pod securityContext.runAsUser must be ${IMAGE_UID}`);
    if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault')
      problems.push(`${where}: pod seccompProfile must be RuntimeDefault`);
    for (const volume of pod.volumes ?? []) {
      if (volume.hostPath) problems.push(`${where}: hostPath volume ${volume.name}`);
    }
    for (const c of allContainers(template)) {
      const sc = c.securityContext;
      const at = `${where} container ${c.name}`;
      if (sc?.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation must be false`);
      if (sc?.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem must be true`);
      if (sc?.privileged) problems.push(`${at}: privileged`);
      if (!sc?.capabilities?.drop?.includes('ALL')) problems.push(`${at}: capabilities must drop ALL`);
      if ((sc?.capabilities?.add ?? []).length > 0) problems.push(`${at}: adds capabilities`);
      if (sc?.runAsUser === 0 || sc?.runAsNonRoot === false) problems.push(`${at}: runs as root`);
      if (c.ports?.some((p) => p.hostPort !== undefined)) problems.push(`${at}: uses a hostPort`);
    }
  }
  return problems;
};

/** Requests and limits for CPU and memory on every container. */
export const resourcesPolicy: Check = (docs) => {
  const problems: string[] = [];
  for (const { doc, template } of workloads(docs)) {
    for (const c of allContainers(template)) {
      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) {
          if (c.resources?.[kind]?.[resource] === undefined)
            problems.push(`${id(doc)} container ${c.name}: no ${resource} ${kind.slice(0, -1)}`);
        }
      }
    }
  }
  return problems;
};

/** app.kubernetes.io labels everywhere; selectors on name and instance only, and they select something. */
export const labelsAndSelectorsPolicy: Check = (docs) => {
  const problems: string[] = [];
  for (const doc of docs) {
    if (!doc.metadata.labels?.[NAME]) problems.push(`${id(doc)}: no ${NAME} label`);
  }
  const podLabels = workloads(docs).map((w) => ({ doc: w.doc, labels: w.template.metadata?.labels }));
  for (const { doc, template } of workloads(docs)) {
    const labels = template.metadata?.labels;
    if (!labels?.[NAME] || !labels[INSTANCE]) problems.push(`${id(doc)}: pod template lacks ${NAME}/${INSTANCE}`);
    for (const spread of template.spec?.topologySpreadConstraints ?? []) {
      if (!matches(spread.labelSelector?.matchLabels, labels))
        problems.push(`${id(doc)}: a topology spread selector does not match its own pods`);
    }
  }
  for (const d of ofKind<IDeployment>(docs, 'Deployment')) {
    const selector = d.spec?.selector.matchLabels;
    if (
      Object.keys(selector ?? {})
        .sort()
        .join(',') !== SELECTOR_KEYS
    )
      problems.push(`${id(d)}: selector must use exactly ${NAME} and ${INSTANCE}`);
    if (!matches(selector, d.spec?.template.metadata?.labels))
      problems.push(`${id(d)}: selector does not match its pod template labels`);
    if (d.spec?.selector.matchExpressions?.length) problems.push(`${id(d)}: selector must not use matchExpressions`);
    if (!d.spec?.template.spec?.topologySpreadConstraints?.length)
      problems.push(`${id(d)}: no topology spread constraints`);
  }
  const selectsPods = (doc: K8sObject, selector: Labels, what: string): void => {
    if (
      Object.keys(selector ?? {})
        .sort()
        .join(',') !== SELECTOR_KEYS
    )
      problems.push(`${id(doc)}: ${what} must use exactly ${NAME} and ${INSTANCE}`);
    if (!podLabels.some((p) => matches(selector, p.labels))) problems.push(`${id(doc)}: ${what} matches no pod`);
  };
  for (const s of ofKind<IService>(docs, 'Service')) selectsPods(s, s.spec?.selector, 'selector');
  for (const p of ofKind<IPodDisruptionBudget>(docs, 'PodDisruptionBudget'))
    selectsPods(p, p.spec?.selector?.matchLabels, 'selector');
  for (const d of ofKind<IDeployment>(docs, 'Deployment')) {
    const covered = ofKind<IPodDisruptionBudget>(docs, 'PodDisruptionBudget').some((p) =>
      matches(p.spec?.selector?.matchLabels, d.spec?.template.metadata?.labels),
    );
    if (!covered) problems.push(`${id(d)}: no PodDisruptionBudget`);
  }
  return problems;
};

/** ConfigMaps and container env only hold variables the API's config knows. */
export const configKeysPolicy: Check = (docs) => {
  const problems: string[] = [];
  // Only ConfigMaps that become variables; others (a mounted script) hold files.
  const asEnv = new Set(
    workloads(docs).flatMap((w) =>
      allContainers(w.template).flatMap((c) => (c.envFrom ?? []).map((s) => s.configMapRef?.name)),
    ),
  );
  for (const cm of ofKind<IConfigMap>(docs, 'ConfigMap').filter((c) => asEnv.has(c.metadata.name))) {
    for (const key of Object.keys({ ...cm.data, ...cm.binaryData })) {
      if (!API_ENV_KEYS.has(key)) problems.push(`${id(cm)}: key ${key} is not a setting of the API`);
    }
  }
  for (const { doc, template } of workloads(docs)) {
    for (const c of allContainers(template)) {
      for (const e of c.env ?? []) {
        // Downward-API values (the pod name) may feed $(NAME) expansion in the API's settings.
        if (!API_ENV_KEYS.has(e.name) && !e.valueFrom?.fieldRef)
          problems.push(`${id(doc)} container ${c.name}: env ${e.name} is not a setting of the API`);
      }
      for (const source of c.envFrom ?? []) {
        const name = source.configMapRef?.name ?? source.secretRef?.name;
        const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
        if (!docs.some((d) => d.kind === kind && d.metadata.name === name))
          problems.push(`${id(doc)} container ${c.name}: envFrom ${kind} ${String(name)} is not rendered`);
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (!ref) continue;
        const secret = ofKind<ISecret>(docs, 'Secret').find((s) => s.metadata.name === ref.name);
        if (!secret || (secret.data?.[ref.key] === undefined && secret.stringData?.[ref.key] === undefined))
          problems.push(`${id(doc)} container ${c.name}: ${e.name} refers to missing ${String(ref.name)}/${ref.key}`);
      }
    }
  }
  for (const d of ofKind<IDeployment>(docs, 'Deployment')) {
    const variant = d.metadata.labels?.['mlship.io/variant'];
    for (const c of d.spec?.template.spec?.containers ?? []) {
      if (envValue(c, 'API_VARIANT') !== variant)
        problems.push(
          `${id(d)} container ${c.name}: API_VARIANT ${String(envValue(c, 'API_VARIANT'))} does not match the ` +
            `variant label ${String(variant)}`,
        );
    }
  }
  return problems;
};

/** Every container runs the image the release workflow pushes. */
export function imagePolicy(pattern: RegExp = IMAGE_PATTERN): Check {
  return (docs) => {
    const problems: string[] = [];
    for (const { doc, template } of workloads(docs)) {
      for (const c of allContainers(template)) {
        if (!c.image || !pattern.test(c.image))
          problems.push(`${id(doc)} container ${c.name}: image ${String(c.image)} does not match ${pattern.source}`);
        if (c.imagePullPolicy === 'Always' && !c.image?.includes('@sha256:'))
          problems.push(`${id(doc)} container ${c.name}: imagePullPolicy Always defeats kind load`);
      }
    }
    return problems;
  };
}

/** No service account token anywhere. */
export const serviceAccountPolicy: Check = (docs) => {
  const problems: string[] = [];
  for (const sa of ofKind<IServiceAccount>(docs, 'ServiceAccount')) {
    if (sa.automountServiceAccountToken !== false)
      problems.push(`${id(sa)}: automountServiceAccountToken must be false`);
  }
  for (const { doc, template } of workloads(docs)) {
    const name = template.spec?.serviceAccountName;
    if (!name || !docs.some((d) => d.kind === 'ServiceAccount' && d.metadata.name === name))
      problems.push(`${id(doc)}: serviceAccountName ${String(name)} is not rendered`);
  }
  return problems;
};

/** Autoscalers point at rendered Deployments, and no Deployment has two of them. */
export const autoscalingPolicy: Check = (docs) => {
  const problems: string[] = [];
  const deployments = new Set(ofKind<IDeployment>(docs, 'Deployment').map((d) => d.metadata.name));
  const owners = new Map<string, string[]>();
  const claim = (target: string | undefined, by: string): void => {
    if (!target || !deployments.has(target))
      problems.push(`${by}: scales ${String(target)}, which is not a rendered Deployment`);
    else owners.set(target, [...(owners.get(target) ?? []), by]);
  };
  for (const hpa of ofKind<IHorizontalPodAutoscaler>(docs, 'HorizontalPodAutoscaler')) {
    claim(hpa.spec?.scaleTargetRef.name, id(hpa));
    if (!hpa.spec?.metrics?.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu'))
      problems.push(`${id(hpa)}: no CPU metric`);
    if ((hpa.spec?.minReplicas ?? 1) > hpa.spec!.maxReplicas)
      problems.push(`${id(hpa)}: minReplicas above maxReplicas`);
  }
  for (const so of docs.filter((d) => d.kind === 'ScaledObject')) {
    const spec = so.spec as {
      scaleTargetRef?: { name?: string };
      triggers?: Array<{ type: string; metadata: Record<string, string> }>;
    };
    claim(spec.scaleTargetRef?.name, id(so));
    const concurrency = spec.triggers?.find((t) => t.type === 'prometheus');
    if (!concurrency?.metadata.query?.includes('http_requests_in_flight'))
      problems.push(`${id(so)}: no Prometheus trigger on http_requests_in_flight`);
  }
  for (const [target, by] of owners) {
    if (by.length > 1) problems.push(`Deployment/${target} is scaled by ${by.join(' and ')}`);
  }
  return problems;
};

/** Rendered Secrets come only from the generator, with the values the overlay should carry. */
export function secretsPolicy(expected: Readonly<Record<string, string>>): Check {
  return (docs) => {
    const problems: string[] = [];
    for (const s of ofKind<ISecret>(docs, 'Secret')) {
      if (!/^mlship-secrets-[a-z0-9]{10}$/.test(s.metadata?.name ?? ''))
        problems.push(`${id(s)}: only the generated mlship-secrets may be rendered`);
      if (s.stringData) problems.push(`${id(s)}: stringData holds literal values`);
      for (const [key, value] of Object.entries(s.data ?? {})) {
        if (expected[key] === undefined) problems.push(`${id(s)}: unexpected key ${key}`);
        else if (Buffer.from(value, 'base64').toString('utf8') !== expected[key])
          problems.push(`${id(s)}: ${key} is not the value the overlay should carry`);
      }
    }
    return problems;
  };
}

/** Every check that holds for any render (secretsPolicy and imagePolicy need arguments). */
export const ALWAYS: Readonly<Record<string, Check>> = {
  namespacePolicy,
  podSecurityPolicy,
  resourcesPolicy,
  probesPolicy,
  shutdownPolicy,
  labelsAndSelectorsPolicy,
  servicePortsPolicy,
  configKeysPolicy,
  modelRegistryPolicy,
  serviceAccountPolicy,
  networkPolicy,
  ingressPolicy,
  autoscalingPolicy,
  availabilityPolicy,
  secretVolumePolicy,
};
