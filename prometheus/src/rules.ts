import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { MONITORING_PATHS } from './paths';

/** One rule of a Prometheus rule file (recording when `record` is set, alerting when `alert` is). */
export interface RuleJson {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Prometheus rule file: `groups:` of named rule lists (the format PrometheusRule reuses). */
export interface RuleFileJson {
  groups: Array<{ name: string; interval?: string; rules: RuleJson[] }>;
}

/** The rule files Prometheus loads (rules/*.yml; the tests live in rules/tests/). */
export function ruleFiles(dir: string = MONITORING_PATHS.rulesDir): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yml') || name.endsWith('.yaml'))
    .sort()
    .map((name) => join(dir, name));
}

/** Reads one rule file; a file without `groups` throws naming the file. */
export function readRuleFile(file: string): RuleFileJson {
  const parsed = parse(readFileSync(file, 'utf8')) as Partial<RuleFileJson> | null;
  if (!parsed || !Array.isArray(parsed.groups)) throw new Error(`${basename(file)}: not a rule file (no groups:)`);
  return parsed as RuleFileJson;
}

/** Every rule of every rule file, each with the file it came from. */
export function allRules(files: string[] = ruleFiles()): Array<RuleJson & { file: string }> {
  return files.flatMap((file) =>
    readRuleFile(file).groups.flatMap((group) => group.rules.map((rule) => ({ ...rule, file: basename(file) }))),
  );
}

/** The names of all recording rules, in file order. */
export function recordingRuleNames(files?: string[]): string[] {
  return allRules(files).flatMap((rule) => (rule.record ? [rule.record] : []));
}
