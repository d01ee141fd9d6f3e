/**
 * Edits of a rendered object for the mutation tests (policy.test.ts): one rule broken in a good
 * render, the check that owns it must say so.
 */
import type { Check } from './policy';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form edits of rendered YAML
export type Json = Record<string, any>;

export const api = (doc: Json): Json => doc.spec.template.spec.containers[0] as Json;

/** What breaks, the check that must say so, the object to break (`Kind/name`), the edit, what it reports. */
export type PolicyCase = [string, Check, string, (doc: Json) => unknown, RegExp];
