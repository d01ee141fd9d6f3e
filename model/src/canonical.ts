import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so equal content always serialises to equal bytes. */
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .filter((key) => obj[key] !== undefined)
        .map((key) => [key, sortKeys(obj[key])]),
    );
  }
  return value;
}

/** Hex sha256 of a string. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
