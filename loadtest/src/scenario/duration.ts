/**
 * Parses a k6 duration (`1h30m`, `2m`, `45s`, `500ms`, `1.5s`; a bare number is seconds) into
 * seconds. Throws on anything else.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6, µs: 1e-6 };
  const part = /(\d+(?:\.\d+)?)(ms|us|µs|h|m|s)/gy;
  let seconds = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = part.exec(trimmed)) !== null) {
    seconds += Number(match[1]) * unit[match[2]!]!;
    consumed = part.lastIndex;
  }
  if (consumed === 0 || consumed !== trimmed.length)
    throw new Error(`"${text}" is not a duration (e.g. 30s, 2m, 1h30m, 500ms)`);
  return seconds;
}
