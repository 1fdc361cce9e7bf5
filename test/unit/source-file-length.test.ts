/**
 * Issue #12: no file in src/ grows past about 500 lines unless its opening
 * comment says why it stays whole. The reason is a line `Why this file is
 * long: …` in the first comment block, so a reader meets it before the code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');
const MAX_LINES_WITHOUT_REASON = 520;
const REASON = /^\s*\*\s*Why this file is long: \S/m;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The first block comment of a file, or '' when it opens with code. */
function openingComment(text: string): string {
  const start = text.indexOf('/**');
  if (start < 0 || text.slice(0, start).trim() !== '') return '';
  const end = text.indexOf('*/', start);
  return end < 0 ? '' : text.slice(start, end);
}

describe('source file length', () => {
  it('finds the source tree', () => {
    expect(sourceFiles(SRC).length).toBeGreaterThan(100);
  });

  it(`gives every src file over ${MAX_LINES_WITHOUT_REASON} lines a reason in its opening comment`, () => {
    const unexplained = sourceFiles(SRC).flatMap(path => {
      const text = readFileSync(path, 'utf8');
      const lines = text.split('\n').length;
      if (lines <= MAX_LINES_WITHOUT_REASON) return [];
      return REASON.test(openingComment(text))
        ? []
        : [`${relative(SRC, path)} (${lines} lines)`];
    });
    expect(unexplained).toEqual([]);
  });

  it('reads the reason only from the opening comment', () => {
    const late = `import x from 'y';\n/**\n * Why this file is long: no.\n */\n`;
    expect(REASON.test(openingComment(late))).toBe(false);
    const early = `/**\n * Header.\n *\n * Why this file is long: one table.\n */\nexport {};\n`;
    expect(REASON.test(openingComment(early))).toBe(true);
  });
});
