import { ConfigError } from '../config';
import type { Variant } from './variant';
import { armsOf } from './variant';

/** What the pair needs to know of a loaded model. */
interface PairMember {
  name: string;
  featureNames: readonly string[];
}

/** The A/B pair asked for: v1's and v2's model, and whether v2 was set (a mismatch then refuses). */
export interface PairRule {
  v1: string;
  v2: string;
  required: boolean;
}

/** The pair served: v2 equals v1 when there is no experiment; `dropped` says why the asked-for v2 is not. */
export interface Pair {
  v1: string;
  v2: string;
  dropped?: string;
}

/** An A/B pair whose models take different features: a request one of them answers, the other cannot. */
export class PairError extends ConfigError {
  override name = 'PairError';
}

const same = (a: PairMember, b: PairMember): boolean =>
  a.featureNames.length === b.featureNames.length && a.featureNames.every((f, i) => f === b.featureNames[i]);

function features(model: PairMember): string {
  const list = model.featureNames.join(', ');
  return `${model.featureNames.length} features (${list.length > 80 ? `${list.slice(0, 77)}...` : list})`;
}

/**
 * The pair to serve from the loaded `models` (both names must be among them). Both variants answer
 * the same POST /predict body, so they must take the same features, in the same order: a set
 * AB_MODEL_NAME that does not is a PairError; a default one is dropped (v2 answers from v1's model).
 */
export function choosePair(rule: PairRule, models: ReadonlyMap<string, PairMember>): Pair {
  const v1 = models.get(rule.v1);
  const v2 = models.get(rule.v2);
  if (!v1 || !v2 || same(v1, v2)) return { v1: rule.v1, v2: rule.v2 };
  const problem = `AB_MODEL_NAME=${v2.name} takes ${features(v2)}, MODEL_NAME=${v1.name} takes ${features(v1)}`;
  if (rule.required)
    throw new PairError(
      `${problem}: an A/B pair must take the same features; set AB_MODEL_NAME to a model trained on ${v1.name}'s ` +
        `features, or unset it`,
    );
  return { v1: rule.v1, v2: rule.v1, dropped: `${problem}, so there is no A/B experiment: v2 answers from ${v1.name}` };
}

/** The variant `name` answers in when nothing asks for another (metrics): its first arm (variant.ts). */
export function variantIn(pair: Pair | undefined, name: string): Variant {
  return armsOf(name, pair)[0]!;
}
