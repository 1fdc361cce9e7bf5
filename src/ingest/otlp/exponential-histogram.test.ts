import { describe, expect, it } from 'vitest';
import type { BucketSpan, NativeHistogram } from '../../model/index.js';
import { createRandom } from '../../../test/helpers/otlp-reference.js';
import {
  addBuckets,
  DEFAULT_ZERO_THRESHOLD,
  downscaleBuckets,
  staleNativeHistogram,
  toNativeHistogram,
  type ExponentialHistogramShape,
} from './exponential-histogram.js';
import { isStaleNaN } from './stale-nan.js';

function shape(
  fields: Partial<ExponentialHistogramShape>
): ExponentialHistogramShape {
  return {
    scale: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    count: 0,
    sum: 0,
    positive: { offset: 0, bucketCounts: [] },
    negative: { offset: 0, bucketCounts: [] },
    ...fields,
  };
}

function native(fields: Partial<ExponentialHistogramShape>): NativeHistogram {
  const h = toNativeHistogram(shape(fields), 1000, 500);
  if (typeof h === 'string') throw new Error(h);
  return h;
}

/** Prometheus bucket index → count, decoded from spans and deltas. */
function expand(
  spans: readonly BucketSpan[],
  deltas: readonly number[]
): Map<number, number> {
  const out = new Map<number, number>();
  let index = 0;
  let count = 0;
  let d = 0;
  for (let s = 0; s < spans.length; s++) {
    index += spans[s]!.offset;
    for (let i = 0; i < spans[s]!.length; i++) {
      count += deltas[d++]!;
      if (count !== 0) out.set(index, count);
      index++;
    }
  }
  expect(d).toBe(deltas.length);
  return out;
}

describe('toNativeHistogram()', () => {
  it('converts the example point: OTLP bucket i becomes Prometheus bucket i+1', () => {
    expect(
      native({
        scale: 0,
        zeroCount: 1,
        count: 3,
        sum: 10,
        positive: { offset: 1, bucketCounts: [0, 2] },
      })
    ).toEqual({
      countInt: 3,
      countFloat: 0,
      sum: 10,
      schema: 0,
      zeroThreshold: DEFAULT_ZERO_THRESHOLD,
      zeroCountInt: 1,
      zeroCountFloat: 0,
      negativeSpans: [],
      negativeDeltas: [],
      negativeCounts: [],
      positiveSpans: [{ offset: 3, length: 1 }],
      positiveDeltas: [2],
      positiveCounts: [],
      resetHint: 0,
      timestampMs: 1000,
      customValues: [],
      startTimestampMs: 500,
    });
  });

  it.each<[string, number, number[], BucketSpan[], number[]]>([
    [
      'consecutive buckets in one span',
      -2,
      [1, 2, 3],
      [{ offset: -1, length: 3 }],
      [1, 1, 1],
    ],
    [
      'a gap of two filled with zeros',
      0,
      [1, 0, 0, 4],
      [{ offset: 1, length: 4 }],
      [1, -1, 0, 4],
    ],
    [
      'a gap of three as a new span',
      0,
      [1, 0, 0, 0, 5],
      [
        { offset: 1, length: 1 },
        { offset: 3, length: 1 },
      ],
      [1, 4],
    ],
    [
      'leading and trailing empty buckets dropped',
      5,
      [0, 0, 7, 0],
      [{ offset: 8, length: 1 }],
      [7],
    ],
  ])('lays out %s', (_name, offset, counts, spans, deltas) => {
    const total = counts.reduce((a, b) => a + b, 0);
    const h = native({
      count: total,
      negative: { offset, bucketCounts: counts },
    });
    expect(h.negativeSpans).toEqual(spans);
    expect(h.negativeDeltas).toEqual(deltas);
  });

  it('downscales a scale above 8 to schema 8 by merging buckets', () => {
    const h = native({
      scale: 10,
      count: 5,
      positive: { offset: 0, bucketCounts: [1, 1, 1, 1, 1] },
    });
    expect(h.schema).toBe(8);
    expect(h.positiveSpans).toEqual([{ offset: 1, length: 2 }]);
    expect(h.positiveDeltas).toEqual([4, -3]);
  });

  it('downscales negative bucket indices by flooring', () => {
    const h = native({
      scale: 9,
      count: 3,
      positive: { offset: -3, bucketCounts: [1, 1, 1] },
    });
    expect(expand(h.positiveSpans, h.positiveDeltas)).toEqual(
      new Map([
        [-1, 1],
        [0, 2],
      ])
    );
  });

  it('matches a brute-force bucket merge on random layouts', () => {
    const random = createRandom(99);
    for (let c = 0; c < 500; c++) {
      const scale = Math.floor(random() * 16) - 4;
      const offset = Math.floor(random() * 200) - 100;
      const counts = Array.from({ length: Math.floor(random() * 30) }, () =>
        random() < 0.4 ? 0 : Math.floor(random() * 9)
      );
      const total = counts.reduce((a, b) => a + b, 0);
      const h = native({
        scale,
        count: total,
        positive: { offset, bucketCounts: counts },
      });
      const shift = Math.max(0, scale - 8);
      const want = new Map<number, number>();
      counts.forEach((n, j) => {
        if (n === 0) return;
        const index = Math.floor((offset + j) / 2 ** shift) + 1;
        want.set(index, (want.get(index) ?? 0) + n);
      });
      expect(h.schema).toBe(Math.min(scale, 8));
      expect(expand(h.positiveSpans, h.positiveDeltas)).toEqual(want);
    }
  });

  it('keeps a zero threshold that is set', () => {
    expect(native({ zeroThreshold: 0.001 }).zeroThreshold).toBe(0.001);
  });

  it('uses 0 for an absent sum', () => {
    expect(native({ count: 1, zeroCount: 1, sum: undefined }).sum).toBe(0);
  });

  it('refuses a count below the buckets total', () => {
    expect(
      toNativeHistogram(
        shape({
          count: 2,
          zeroCount: 1,
          positive: { offset: 0, bucketCounts: [5] },
        }),
        1,
        0
      )
    ).toBe("exponential histogram count 2 is less than its buckets' total 6");
  });

  it('refuses a zero count with a non-zero sum', () => {
    expect(toNativeHistogram(shape({ count: 0, sum: 3 }), 1, 0)).toBe(
      'exponential histogram has zero count but sum 3'
    );
  });
});

describe('staleNativeHistogram()', () => {
  it('is a float histogram whose sum and count are the stale NaN', () => {
    const h = staleNativeHistogram(3, 1000, 0);
    expect(h.countInt).toBeUndefined();
    expect(isStaleNaN(h.countFloat)).toBe(true);
    expect(isStaleNaN(h.sum)).toBe(true);
    expect(h.schema).toBe(3);
  });
});

describe('downscaleBuckets()', () => {
  it.each([
    [
      { offset: 0, bucketCounts: [1, 2, 3, 4] },
      1,
      { offset: 0, bucketCounts: [3, 7] },
    ],
    [
      { offset: 1, bucketCounts: [1, 2, 3] },
      1,
      { offset: 0, bucketCounts: [1, 5] },
    ],
    [
      { offset: -3, bucketCounts: [1, 1, 1, 1] },
      2,
      { offset: -1, bucketCounts: [3, 1] },
    ],
    [
      { offset: 5, bucketCounts: [1, 2] },
      0,
      { offset: 5, bucketCounts: [1, 2] },
    ],
    [{ offset: 5, bucketCounts: [] }, 3, { offset: 0, bucketCounts: [] }],
  ])('merges %j by %i steps', (buckets, shift, want) => {
    expect(downscaleBuckets(buckets, shift)).toEqual(want);
  });
});

describe('addBuckets()', () => {
  it('aligns offsets and adds bucket-wise', () => {
    expect(
      addBuckets(
        { offset: 2, bucketCounts: [1, 1] },
        { offset: 0, bucketCounts: [5, 0, 1] }
      )
    ).toEqual({
      offset: 0,
      bucketCounts: [5, 0, 2, 1],
    });
  });

  it('returns copies when one side is empty', () => {
    const b = { offset: 3, bucketCounts: [1] };
    const sum = addBuckets({ offset: 0, bucketCounts: [] }, b);
    expect(sum).toEqual(b);
    expect(sum.bucketCounts).not.toBe(b.bucketCounts);
  });
});
