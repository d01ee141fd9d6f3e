/**
 * Where the API's models come from (issue #12). By default the image's own registry, the one the
 * release gated: MODEL_DIR is the image's directory and no volume hides it. With
 * components/retraining: a model-registry PVC, seeded from the image before any pod reads it, a
 * Job that promotes only through the gate, and API pods that notice a new `current`.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { IMAGE_MODEL_DIR } from './contract';
import type { Check } from './objects';
import { configValue, envValue, id, ofKind } from './objects';
import type { K8sObject } from './render';

const REGISTRY_CLAIM = 'model-registry';
const SEED_SCRIPT = 'seed-registry.js';

function setting(docs: readonly K8sObject[], c: IContainer, key: string): string | undefined {
  return envValue(c, key) ?? configValue(docs, c, key);
}

function claimOf(template: IPodTemplateSpec, volume: string): string | undefined {
  return template.spec?.volumes?.find((v) => v.name === volume)?.persistentVolumeClaim?.claimName;
}

function argv(c: IContainer): string[] {
  return [...(c.command ?? []), ...(c.args ?? [])];
}

/** The mount that holds `dir` (at it or above it), if any. */
function mountHolding(c: IContainer, dir: string): NonNullable<IContainer['volumeMounts']>[number] | undefined {
  return c.volumeMounts?.find((m) => dir === m.mountPath || dir.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
}

/** Problems unless an init container copies the image's registry into `dir` on the registry PVC. */
function seedProblems(docs: readonly K8sObject[], doc: K8sObject, template: IPodTemplateSpec, dir: string): string[] {
  const seeder = (template.spec?.initContainers ?? []).find((c) => argv(c).some((a) => a.endsWith(SEED_SCRIPT)));
  if (!seeder) return [`${id(doc)}: no init container seeds the registry from the image (${SEED_SCRIPT})`];
  const args = argv(seeder);
  const [source, target] = args.slice(args.findIndex((a) => a.endsWith(SEED_SCRIPT)) + 1);
  const problems: string[] = [];
  if (source !== IMAGE_MODEL_DIR || target !== dir)
    problems.push(
      `${id(doc)} container ${seeder.name}: must seed ${dir} from ${IMAGE_MODEL_DIR}, not ${String(target)} from ` +
        `${String(source)}`,
    );
  const mount = mountHolding(seeder, dir);
  if (!mount || mount.readOnly || claimOf(template, mount.name) !== REGISTRY_CLAIM)
    problems.push(`${id(doc)} container ${seeder.name}: ${dir} is not a writable mount of the ${REGISTRY_CLAIM} PVC`);
  const script = args.find((a) => a.endsWith(SEED_SCRIPT))!;
  const scriptMount = mountHolding(seeder, script);
  const configMap = template.spec?.volumes?.find((v) => v.name === scriptMount?.name)?.configMap?.name;
  if (!configMap || !docs.some((d) => d.kind === 'ConfigMap' && d.metadata.name === configMap))
    problems.push(`${id(doc)} container ${seeder.name}: ${script} is not mounted from a rendered ConfigMap`);
  return problems;
}

function trainerProblems(docs: readonly K8sObject[]): string[] {
  const trainer = ofKind<IJob>(docs, 'Job').find((j) =>
    j.spec?.template.spec?.containers.some((c) => argv(c).some((a) => a.endsWith('train.js'))),
  );
  if (!trainer) return ['no Job runs train.js to retrain into the registry PVC'];
  const c = trainer.spec!.template.spec!.containers[0]!;
  const args = argv(c);
  const problems: string[] = [];
  // The training CLI promotes only what passes its gate against the promoted version.
  if (!args.includes('--promote')) problems.push(`${id(trainer)}: does not promote through the gate (--promote)`);
  const dir = args[args.indexOf('--model-dir') + 1];
  const mount = dir ? mountHolding(c, dir) : undefined;
  if (!dir || !mount || mount.readOnly || claimOf(trainer.spec!.template, mount.name) !== REGISTRY_CLAIM)
    problems.push(`${id(trainer)}: --model-dir ${String(dir)} is not a writable mount of the ${REGISTRY_CLAIM} PVC`);
  else problems.push(...seedProblems(docs, trainer, trainer.spec!.template, dir));
  return problems;
}

function servingProblems(docs: readonly K8sObject[], d: IDeployment & K8sObject, retraining: boolean): string[] {
  const problems: string[] = [];
  const template = d.spec!.template;
  for (const c of template.spec?.containers ?? []) {
    const modelDir = setting(docs, c, 'MODEL_DIR') ?? '';
    const mount = mountHolding(c, modelDir);
    if (!retraining) {
      if (modelDir !== IMAGE_MODEL_DIR)
        problems.push(
          `${id(d)} container ${c.name}: MODEL_DIR ${modelDir} is not the image's registry ${IMAGE_MODEL_DIR}`,
        );
      if (mount)
        problems.push(
          `${id(d)} container ${c.name}: volume ${mount.name} at ${mount.mountPath} hides the image's models`,
        );
      continue;
    }
    if (!mount || claimOf(template, mount.name) !== REGISTRY_CLAIM)
      problems.push(`${id(d)} container ${c.name}: MODEL_DIR ${modelDir} is not on the ${REGISTRY_CLAIM} PVC`);
    else if (mount.readOnly !== true)
      problems.push(`${id(d)} container ${c.name}: the model registry must be mounted read-only`);
    if (!(Number(setting(docs, c, 'MODEL_POLL_INTERVAL_MS')) > 0))
      problems.push(
        `${id(d)} container ${c.name}: MODEL_POLL_INTERVAL_MS is not set, so a promoted version needs a restart`,
      );
    problems.push(...seedProblems(docs, d, template, modelDir));
  }
  return problems;
}

function logProblems(docs: readonly K8sObject[], d: IDeployment & K8sObject): string[] {
  const problems: string[] = [];
  for (const c of d.spec?.template.spec?.containers ?? []) {
    const logDir = setting(docs, c, 'PREDICTION_LOG_DIR');
    if (!logDir) continue;
    const logMount = c.volumeMounts?.find((m) => logDir.startsWith(`${m.mountPath}/`) && !m.readOnly);
    if (!logMount)
      problems.push(`${id(d)} container ${c.name}: PREDICTION_LOG_DIR ${logDir} is not under a writable mount`);
    // The API appends to and rotates one predictions.jsonl per directory: one directory per pod.
    if (!logDir.includes('$(POD_NAME)'))
      problems.push(`${id(d)} container ${c.name}: PREDICTION_LOG_DIR ${logDir} must be per pod ($(POD_NAME))`);
  }
  return problems;
}

/** The image's models by default; with the retraining component, the seeded, gated PVC registry. */
export const modelRegistryPolicy: Check = (docs) => {
  const claims = ofKind<IPersistentVolumeClaim>(docs, 'PersistentVolumeClaim');
  const registry = claims.find((c) => c.metadata.name === REGISTRY_CLAIM);
  const logs = claims.find((c) => c.metadata.name === 'prediction-logs');
  const retraining = registry !== undefined || docs.some((d) => d.kind === 'Job');
  const problems = [...(logs ? [] : ['no PersistentVolumeClaim prediction-logs'])];
  if (retraining) {
    problems.push(...trainerProblems(docs));
    if (!registry) problems.push(`no PersistentVolumeClaim ${REGISTRY_CLAIM}`);
    else if (JSON.stringify(registry.spec?.accessModes) !== JSON.stringify(logs?.spec?.accessModes))
      problems.push(
        `PersistentVolumeClaim/${REGISTRY_CLAIM}: access modes differ from prediction-logs' (pods on several nodes ` +
          `mount both)`,
      );
  }
  for (const d of ofKind<IDeployment>(docs, 'Deployment'))
    problems.push(...servingProblems(docs, d, retraining), ...logProblems(docs, d));
  return problems;
};
