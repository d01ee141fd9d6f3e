/**
 * The project's documentation: README.md, the front door, and the pages under docs/ that hold each
 * stage's detail. Tests that check what the documentation says read it through here, so a section
 * moved between the README and a page stays checked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/repo-root';

/** README.md and every docs/*.md, as paths from the repository root. */
export const DOC_PAGES: readonly string[] = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .sort()
    .map((file) => join('docs', file)),
];

/** The text of one page (a path from the repository root). */
export function readDocPage(page: string): string {
  return readFileSync(join(ROOT, page), 'utf8');
}

/**
 * GitHub's anchors for a markdown file's headings (lower case, punctuation dropped, spaces to
 * dashes); `#` lines inside fenced code blocks are shell comments, not headings.
 */
export function headingAnchors(markdown: string): Set<string> {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const headings = [...prose.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => heading!);
  return new Set(
    headings.map((heading) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  );
}

/** Every page's text, joined: for a check that a statement is made somewhere in the docs. */
export function readAllDocPages(): string {
  return DOC_PAGES.map(readDocPage).join('\n');
}
