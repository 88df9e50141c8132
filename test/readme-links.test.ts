// The README's and docs' relative links work in a clone: each one names a file inside the
// repository (the protocol contract too: docs/PROTOCOL.md, a copy of the shared spec).
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = new URL('../', import.meta.url).pathname;
const SHARED_PROTOCOL = '/work/shared/spec/PROTOCOL.md';
const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Every Markdown link target of a page that is not a URL or an anchor. */
function relativeLinks(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'));
}

describe('links in README.md and docs/*.md', () => {
  it.each(pages)('%s: every relative link names a file inside the repository', (page) => {
    const links = relativeLinks(readFileSync(join(ROOT, page), 'utf8'));
    const broken = links.filter((l) => {
      const target = resolve(ROOT, dirname(page), l.split('#')[0]!);
      return relative(ROOT, target).startsWith('..') || !existsSync(target);
    });
    expect(broken).toEqual([]);
  });

  it('README links the protocol contract inside the repository', () => {
    expect(relativeLinks(readFileSync(join(ROOT, 'README.md'), 'utf8'))).toContain('docs/PROTOCOL.md');
  });

  it.skipIf(!existsSync(SHARED_PROTOCOL))('docs/PROTOCOL.md is the shared spec, under a note of its source', () => {
    const copy = readFileSync(join(ROOT, 'docs/PROTOCOL.md'), 'utf8');
    const note = copy.slice(0, copy.indexOf('\n# '));
    expect(note).toContain('spec/PROTOCOL.md');
    expect(copy.slice(note.length + 1)).toBe(readFileSync(SHARED_PROTOCOL, 'utf8'));
  });
});
