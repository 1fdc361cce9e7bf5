import { describe, expect, it } from 'vitest';
import { sortLabels } from './labels.js';

/** Pairs `[name, value, …]` from `count` names drawn with repeats, in a scrambled order. */
function scrambled(count: number, seed: number): string[] {
  const out: string[] = [];
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(`n${x % (count * 2)}`, `v${i}`);
  }
  return out;
}

/** The obvious stable sort of pairs, for comparison. */
function referenceSort(labels: readonly string[]): string[] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < labels.length; i += 2)
    pairs.push([labels[i]!, labels[i + 1]!]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return pairs.flat();
}

describe('sortLabels()', () => {
  it.each([0, 1, 2, 31, 32, 33, 100, 5000])(
    'sorts %i pairs by name, stable, in place',
    count => {
      const labels = scrambled(count, count + 7);
      const want = referenceSort(labels);
      const got = sortLabels(labels);
      expect(got).toBe(labels);
      expect(got).toEqual(want);
    }
  );
});
