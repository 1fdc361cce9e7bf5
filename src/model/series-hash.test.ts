import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from './labels.js';
import { realisticSeries } from '../../bench/realistic-series.js';
import { formatSeriesHash, hashSeries } from './series-hash.js';

/** The i-th of the shared realistic series, spread over ten clusters. */
function seriesAt(i: number): string[] {
  return realisticSeries(i % 10, Math.floor(i / 10));
}

/** Equal neighbours after sorting. */
function countDuplicates(values: BigUint64Array | Uint32Array): number {
  values.sort();
  let duplicates = 0;
  for (let i = 1; i < values.length; i++)
    if (values[i] === values[i - 1]) duplicates++;
  return duplicates;
}

function hashOf(labels: readonly string[]): [number, number] {
  const out = new Uint32Array(2);
  hashSeries(labels, out);
  return [out[0]!, out[1]!];
}

describe('hashSeries()', () => {
  it('gives equal label sets equal hashes', () => {
    const a = labelsFromRecord({
      __name__: 'up',
      job: 'api',
      instance: 'a:9090',
    });
    const b = labelsFromRecord({
      instance: 'a:9090',
      __name__: 'up',
      job: 'api',
    });
    expect(hashOf(a)).toEqual(hashOf(b));
  });

  it('keeps the boundaries between strings in both words', () => {
    const cases: [string[], string[]][] = [
      [
        ['ab', 'c'],
        ['a', 'bc'],
      ],
      [
        ['a', ''],
        ['', 'a'],
      ],
      [
        ['abc', 'd'],
        ['ab', 'cd'],
      ],
      [
        ['__name__', 'up'],
        ['__name__', 'up', '', ''],
      ],
    ];
    for (const [x, y] of cases) {
      const [hx, lx] = hashOf(x);
      const [hy, ly] = hashOf(y);
      expect(lx, `${x.join('|')} vs ${y.join('|')}`).not.toBe(ly);
      expect(hx === hy && lx === ly).toBe(false);
    }
  });

  it('writes unsigned words at the given offset', () => {
    const out = new Uint32Array(6);
    hashSeries(['__name__', 'x'], out, 2);
    expect(out[0]).toBe(0);
    expect(out[2]).toBe(hashOf(['__name__', 'x'])[0]);
    expect(out[3]).toBe(hashOf(['__name__', 'x'])[1]);
    expect(out[4]).toBe(0);
  });

  it('has no 64-bit collision among 1M realistic Kubernetes series', () => {
    const count = 1_000_000;
    const keys = new BigUint64Array(count);
    const highs = new Uint32Array(count);
    const lows = new Uint32Array(count);
    const out = new Uint32Array(2);
    for (let i = 0; i < count; i++) {
      hashSeries(seriesAt(i), out);
      keys[i] = (BigInt(out[0]!) << 32n) | BigInt(out[1]!);
      highs[i] = out[0]!;
      lows[i] = out[1]!;
    }
    expect(countDuplicates(keys)).toBe(0);
    // Each 32-bit word alone collides about n²/2³³ ≈ 116 times when it mixes
    // well (the table compares both words).
    expect(countDuplicates(highs)).toBeLessThan(300);
    expect(countDuplicates(lows)).toBeLessThan(300);
  }, 60_000);

  it('is fed distinct series by the collision test', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) seen.add(seriesAt(i).join('\x00'));
    expect(seen.size).toBe(50_000);
  });
});

describe('formatSeriesHash()', () => {
  it.each([
    [0, 0, '0000000000000000'],
    [0xdeadbeef, 0x1, 'deadbeef00000001'],
    [0xffffffff, 0xffffffff, 'ffffffffffffffff'],
  ])('renders %d, %d as %s', (hi, lo, want) => {
    expect(formatSeriesHash(hi, lo)).toBe(want);
  });
});
