import { describe, expect, it } from 'vitest';
import {
  countAtOrBelow,
  observationCount,
  type ThresholdFit,
} from './native-threshold.js';
import { nativeHistogram as histogram } from '../../test/helpers/slo-fixtures.js';

function fitOf(): ThresholdFit {
  return { isExact: false, lower: 0, upper: 0 };
}

describe('countAtOrBelow', () => {
  // Schema 0: bucket i holds (2^(i−1), 2^i]; index −2 ends at 0.25.
  const schema0 = new Map([
    [-4, 3], // (1/32, 1/16]
    [-3, 5], // (1/16, 1/8]
    [-2, 7], // (1/8, 1/4]
    [-1, 11], // (1/4, 1/2]
    [2, 13], // (2, 4]  (a gap in the spans before it)
  ]);

  for (const isInteger of [true, false]) {
    it(`counts the buckets up to a threshold on a bound (${isInteger ? 'integer deltas' : 'float counts'})`, () => {
      const h = histogram({ schema: 0, positive: schema0, isInteger });
      const fit = fitOf();
      expect(countAtOrBelow(h, 0.25, fit)).toBe(3 + 5 + 7);
      expect(fit).toEqual({ isExact: true, lower: 0.25, upper: 0.25 });
      expect(countAtOrBelow(h, 4, fit)).toBe(39);
      expect(fit.isExact).toBe(true);
      expect(countAtOrBelow(h, 1 / 64, fit)).toBe(0);
      expect(observationCount(h)).toBe(39);
    });
  }

  it('counts the bucket holding an off-bound threshold as bad, and names its bounds', () => {
    const h = histogram({ schema: 0, positive: schema0 });
    const fit = fitOf();
    expect(countAtOrBelow(h, 0.3, fit)).toBe(3 + 5 + 7);
    expect(fit).toEqual({ isExact: false, lower: 0.25, upper: 0.5 });
  });

  it('finds bounds of finer schemas despite log2 rounding', () => {
    // Schema 3: 8 buckets per doubling; 0.25 = 2^(−16/8) ends bucket −16,
    // and 2^(−13/8) ≈ 0.3242 ends bucket −13.
    const positive = new Map([
      [-17, 1],
      [-16, 2],
      [-15, 4],
      [-14, 8],
      [-13, 16],
      [-12, 32],
    ]);
    const h = histogram({ schema: 3, positive });
    const fit = fitOf();
    expect(countAtOrBelow(h, 0.25, fit)).toBe(3);
    expect(fit.isExact).toBe(true);
    expect(countAtOrBelow(h, 2 ** (-13 / 8), fit)).toBe(31);
    expect(fit.isExact).toBe(true);
    expect(countAtOrBelow(h, 0.3, fit)).toBe(15);
    expect(fit.isExact).toBe(false);
    expect(fit.lower).toBeCloseTo(2 ** (-14 / 8), 12);
    expect(fit.upper).toBeCloseTo(2 ** (-13 / 8), 12);
  });

  it('counts the zero bucket and negative observations as under a positive threshold', () => {
    const h = histogram({
      schema: 0,
      positive: schema0,
      negative: new Map([[1, 4]]),
      zeroCount: 6,
      zeroThreshold: 0.001,
    });
    const fit = fitOf();
    expect(countAtOrBelow(h, 0.25, fit)).toBe(6 + 4 + 15);
    expect(fit.isExact).toBe(true);
  });

  it('is not exact when the zero bucket reaches past the threshold', () => {
    const h = histogram({
      schema: 0,
      positive: new Map([[1, 2]]),
      zeroCount: 9,
      zeroThreshold: 0.5,
    });
    const fit = fitOf();
    expect(countAtOrBelow(h, 0.25, fit)).toBe(0);
    expect(fit.isExact).toBe(false);
  });

  it('reads custom bounds (schema −53) as classic le buckets', () => {
    // Bounds 0.1, 0.25, 1 and +Inf: buckets 0…3.
    const h = histogram({
      schema: -53,
      positive: new Map([
        [0, 10],
        [1, 20],
        [2, 30],
        [3, 40],
      ]),
      customValues: [0.1, 0.25, 1],
    });
    const fit = fitOf();
    expect(countAtOrBelow(h, 0.25, fit)).toBe(30);
    expect(fit).toEqual({ isExact: true, lower: 0.25, upper: 0.25 });
    expect(countAtOrBelow(h, 0.5, fit)).toBe(30);
    expect(fit).toEqual({ isExact: false, lower: 0.25, upper: 1 });
    expect(countAtOrBelow(h, 5, fit)).toBe(60);
    expect(fit).toEqual({ isExact: false, lower: 1, upper: Infinity });
  });
});
