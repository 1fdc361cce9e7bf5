/**
 * Issue #12: test support lives in one home, test/helpers. A `testing/`
 * folder under src/ would start a second one (and tsconfig.build.json
 * would quietly leave it out of the build).
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');

function directories(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter(entry => entry.isDirectory())
    .flatMap(entry => {
      const path = join(dir, entry.name);
      return [path, ...directories(path)];
    });
}

describe('test support home', () => {
  it('has no testing/ folder under src/', () => {
    const all = directories(SRC);
    expect(all.length).toBeGreaterThan(10);
    const testing = all
      .filter(path => path.endsWith('/testing'))
      .map(path => relative(SRC, path));
    expect(testing).toEqual([]);
  });
});
