import { CONFIG_KEYS } from '../../../api/src/config';
import { openApiDocument } from '../../../api/src/http/openapi/document';

/**
 * The facts of mlship's contract (docs/api.md, docs/docker.md) that the deployment specs must agree
 * with. When the contract changes, change it here and the policy tests say what else to fix.
 */

/** Environment variables the API's config knows (docs/api.md, settings; api/src/config.ts). */
export const API_ENV_KEYS: ReadonlySet<string> = new Set<string>(CONFIG_KEYS);

/** The API's port (docs/api.md). */
export const API_PORT = 8000;

interface OpenApiOperation {
  security?: unknown[];
}

/**
 * GET routes that need no credentials, read from the API's own OpenAPI document: the only routes
 * a kubelet or Container Apps probe can use.
 */
export const UNAUTHENTICATED_GET_ROUTES: ReadonlySet<string> = new Set(
  Object.entries((openApiDocument(1) as { paths: Record<string, { get?: OpenApiOperation }> }).paths)
    .filter(([path, ops]) => ops.get && (ops.get.security ?? []).length === 0 && !path.includes('{'))
    .map(([path]) => path),
);

/** Liveness and readiness routes of the contract. */
export const LIVENESS_PATH = '/healthz';
export const READINESS_PATH = '/readyz';

/**
 * The name the manifests give the image until a deploy runs `kustomize edit set image`: under the
 * reserved .invalid TLD (RFC 2606) no registry can serve it, so a render that skipped the step
 * cannot pull someone else's image (k8s/scripts/check-no-placeholder.sh refuses it before that).
 */
export const IMAGE_NAME = 'mlship.invalid/mlship';
/** The image the release workflow pushes (ghcr.io/OWNER/mlship), or the placeholder before it is set. */
export const IMAGE_PATTERN =
  /^(ghcr\.io\/[a-z0-9][a-z0-9-]*|mlship\.invalid)\/mlship(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})?$/;

/** The header that selects variant v2 (docs/api.md, A/B) and its value. */
export const EXPERIMENT_HEADER = 'X-Experiment-Group';
export const EXPERIMENT_VALUE = 'debug';

/** The numeric non-root user the image runs as. */
export const IMAGE_UID = 10001;

/** The registry inside the image: the models the release gated (docker/Dockerfile, MODEL_DIR). */
export const IMAGE_MODEL_DIR = '/app/model/artifacts';

/** The oldest KEDA whose admission webhook accepts components/keda (fallback beside a cpu trigger). */
export const KEDA_MIN_VERSION: readonly [number, number] = [2, 17];
