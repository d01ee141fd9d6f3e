/**
 * Credentials (issue #17): kind opts in to the published development credentials, production
 * never does and carries real ones; secret files are readable by the pod's group only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { Check } from './objects';
import { configValue, envValue, id, ofKind, workloads } from './objects';
import type { K8sObject } from './render';
import { K8S_DIR, ROOT } from './render';

const OPT_IN = 'ALLOW_DEV_CREDENTIALS';

/** The published development credentials: api/users.dev.txt and kind's monitoring token. */
export function devCredentials(): { token: string; userLines: string[] } {
  const env = parseEnv(
    readFileSync(join(K8S_DIR, 'overlays', 'kind', 'dev-credentials', 'monitoring.env'), 'utf8'),
  ) as Record<string, string>;
  return {
    token: env.MONITORING_TOKEN!,
    userLines: userLines(readFileSync(join(ROOT, 'api', 'users.dev.txt'), 'utf8')),
  };
}

function userLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

function setting(docs: readonly K8sObject[], c: IContainer, key: string): string | undefined {
  return envValue(c, key) ?? configValue(docs, c, key);
}

/** The Secret and key a file path in the container reads, through a secret volume. */
function secretFileAt(
  template: IPodTemplateSpec,
  c: IContainer,
  file: string,
): { secret: string; key: string } | undefined {
  for (const mount of c.volumeMounts ?? []) {
    const secret = template.spec?.volumes?.find((v) => v.name === mount.name)?.secret;
    if (!secret?.secretName || !file.startsWith(`${mount.mountPath}/`)) continue;
    const path = file.slice(mount.mountPath.length + 1);
    const key = secret.items ? secret.items.find((i) => i.path === path)?.key : path;
    if (key) return { secret: secret.secretName, key };
  }
  return undefined;
}

/** Secret volumes set a mode no wider than 0440, and the pod's fsGroup can read it (files are root's). */
export const secretVolumePolicy: Check = (docs) => {
  const problems: string[] = [];
  for (const { doc, template } of workloads(docs)) {
    for (const volume of template.spec?.volumes ?? []) {
      if (!volume.secret) continue;
      const modes = [
        volume.secret.defaultMode,
        ...(volume.secret.items ?? []).map((i) => i.mode).filter((m) => m !== undefined),
      ];
      for (const mode of modes) {
        if (mode === undefined)
          problems.push(`${id(doc)}: secret volume ${volume.name} has no defaultMode (Kubernetes makes it 0644)`);
        else if ((mode & ~0o440) !== 0)
          problems.push(`${id(doc)}: secret volume ${volume.name} mode 0${mode.toString(8)} is wider than 0440`);
        else if ((mode & 0o040) === 0)
          problems.push(
            `${id(doc)}: secret volume ${volume.name} mode 0${mode.toString(8)} is not group-readable, and the ` +
              `files belong to root`,
          );
      }
      if (template.spec?.securityContext?.fsGroup === undefined)
        problems.push(`${id(doc)}: secret volume ${volume.name} needs a pod fsGroup to be readable`);
    }
  }
  return problems;
};

/** What one API container gets: the opt-in, and the Secret values behind USERS_FILE and the token. */
function credentialsOf(
  docs: readonly K8sObject[],
  template: IPodTemplateSpec,
  c: IContainer,
): { optIn?: string; users?: string; token?: string; where: string } {
  const secretValue = (ref: { secret: string; key: string } | undefined): string | undefined => {
    const secret = ofKind<ISecret>(docs, 'Secret').find((s) => s.metadata.name === ref?.secret);
    const data = ref ? secret?.data?.[ref.key] : undefined;
    return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
  };
  const usersFile = setting(docs, c, 'USERS_FILE');
  const tokenRef = c.env?.find((e) => e.name === 'MONITORING_TOKEN')?.valueFrom?.secretKeyRef;
  return {
    optIn: setting(docs, c, OPT_IN),
    users: usersFile ? secretValue(secretFileAt(template, c, usersFile)) : undefined,
    token: secretValue(tokenRef ? { secret: tokenRef.name ?? '', key: tokenRef.key } : undefined),
    where: `container ${c.name}`,
  };
}

/**
 * kind: the API containers opt in (ALLOW_DEV_CREDENTIALS=true) and read the development users.
 * production: no opt-in anywhere, a real token and users file with no published user.
 */
export function credentialsPolicy(overlay: 'kind' | 'production'): Check {
  return (docs) => {
    const problems: string[] = [];
    const dev = devCredentials();
    for (const { doc, template, longRunning } of workloads(docs)) {
      for (const c of template.spec?.initContainers ?? []) {
        if (setting(docs, c, OPT_IN) !== undefined)
          problems.push(`${id(doc)} container ${c.name}: only the API takes ${OPT_IN}`);
      }
      if (!longRunning) continue;
      for (const c of template.spec?.containers ?? []) {
        const { optIn, users, token, where } = credentialsOf(docs, template, c);
        const at = `${id(doc)} ${where}`;
        if (users === undefined) problems.push(`${at}: USERS_FILE is not a file of a rendered Secret`);
        if (!token) problems.push(`${at}: MONITORING_TOKEN does not come from a rendered Secret`);
        if (overlay === 'kind') {
          if (optIn !== 'true')
            problems.push(`${at}: a development stack must opt in with ${OPT_IN}=true, got ${String(optIn)}`);
          continue;
        }
        if (optIn !== undefined) problems.push(`${at}: production must never set ${OPT_IN} (it is ${optIn})`);
        const published = userLines(users ?? '').filter((l) => dev.userLines.includes(l));
        if (published.length > 0)
          problems.push(
            `${at}: the users file holds published development users (` +
              `${published.map((l) => l.split(':')[0]).join(', ')})`,
          );
        if (token === dev.token || token?.startsWith('change-me'))
          problems.push(`${at}: MONITORING_TOKEN is a published placeholder`);
      }
    }
    return problems;
  };
}
