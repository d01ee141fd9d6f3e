/**
 * `npm run audit`: `npm audit --omit=dev` for the runtime dependencies, with explained exceptions.
 * Every advisory must be fixed or listed in scripts/audit-exceptions.json with a reason and a
 * review date; an expired exception counts as a finding again.
 *
 *   npx tsx scripts/audit.ts [--exceptions FILE] [--json] [--allow-unavailable]
 *
 * exit: 0 clean (or only explained findings), 1 unexplained findings, 2 bad input, 3 when the
 * registry's audit service cannot be reached (0 with --allow-unavailable, for offline mirrors).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './support/repo-root';

/** One accepted advisory. */
interface AuditException {
  /** The advisory id, e.g. GHSA-xxxx-xxxx-xxxx. */
  id: string;
  package: string;
  reason: string;
  /** YYYY-MM-DD: after this the exception lapses. */
  reviewBy: string;
}

/** One advisory found in the tree. */
export interface Finding {
  id: string;
  package: string;
  severity: string;
  title: string;
}

interface AuditReport {
  vulnerabilities?: Record<
    string,
    {
      name: string;
      severity: string;
      via: Array<string | { url?: string; title?: string; severity?: string; name?: string }>;
    }
  >;
  error?: { summary?: string };
  message?: string;
}

/** The advisories in `npm audit --json` output, one per package and advisory. */
export function findingsOf(report: AuditReport): Finding[] {
  const found = new Map<string, Finding>();
  for (const vuln of Object.values(report.vulnerabilities ?? {})) {
    for (const via of vuln.via) {
      // A string names another vulnerable package the advisory came through; that one is listed itself.
      if (typeof via === 'string') continue;
      const id = /GHSA-[\w-]+/.exec(via.url ?? '')?.[0] ?? via.url ?? 'unknown';
      found.set(`${id} ${vuln.name}`, {
        id,
        package: vuln.name,
        severity: via.severity ?? vuln.severity,
        title: via.title ?? '',
      });
    }
  }
  return [...found.values()].sort((a, b) => a.package.localeCompare(b.package) || a.id.localeCompare(b.id));
}

/** Splits findings into explained (a current exception covers them) and unexplained. */
export function judge(
  findings: Finding[],
  exceptions: AuditException[],
  today: string,
): { explained: Array<Finding & { reason: string }>; unexplained: Finding[] } {
  const explained: Array<Finding & { reason: string }> = [];
  const unexplained: Finding[] = [];
  for (const finding of findings) {
    const exception = exceptions.find(
      (e) => e.id === finding.id && e.package === finding.package && e.reviewBy >= today,
    );
    if (exception) explained.push({ ...finding, reason: exception.reason });
    else unexplained.push(finding);
  }
  return { explained, unexplained };
}

function loadExceptions(file: string): AuditException[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { exceptions?: unknown };
  if (!Array.isArray(parsed.exceptions)) throw new Error(`${file}: expected {"exceptions": [...]}`);
  for (const e of parsed.exceptions as AuditException[]) {
    if (!e.id || !e.package || !e.reason || !/^\d{4}-\d{2}-\d{2}$/.test(e.reviewBy ?? ''))
      throw new Error(`${file}: every exception needs id, package, reason and reviewBy (YYYY-MM-DD)`);
  }
  return parsed.exceptions as AuditException[];
}

function main(): number {
  const { values } = parseArgs({
    options: {
      exceptions: { type: 'string', default: join(ROOT, 'scripts/audit-exceptions.json') },
      json: { type: 'boolean', default: false },
      'allow-unavailable': { type: 'boolean', default: false },
    },
  });
  const exceptions = loadExceptions(values.exceptions);
  const result = spawnSync('npm', ['audit', '--omit=dev', '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  let report: AuditReport;
  try {
    report = JSON.parse(result.stdout) as AuditReport;
  } catch {
    report = { message: (result.stderr || 'no output').trim().split('\n').pop() };
  }
  if (!report.vulnerabilities) {
    const why = report.error?.summary || report.message || 'npm audit gave no report';
    console.log(`audit: the registry's audit service is unavailable (${why.slice(0, 160)})`);
    return values['allow-unavailable'] ? 0 : 3;
  }
  const { explained, unexplained } = judge(findingsOf(report), exceptions, new Date().toISOString().slice(0, 10));
  if (values.json) console.log(JSON.stringify({ audit: { unexplained, explained } }));
  else {
    for (const f of explained) console.log(`explained  ${f.severity.padEnd(9)} ${f.package} ${f.id}: ${f.reason}`);
    for (const f of unexplained) console.log(`FINDING    ${f.severity.padEnd(9)} ${f.package} ${f.id}: ${f.title}`);
    console.log(`audit (runtime dependencies): ${unexplained.length} unexplained, ${explained.length} explained`);
  }
  return unexplained.length === 0 ? 0 : 1;
}

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  }
}
