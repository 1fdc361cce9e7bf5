import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ACTIVE_SERIES_RETENTION_MS,
  MAX_ACTIVE_SERIES_RETENTION_MS,
  bucketStartMs,
  retentionFor,
  windowBuckets,
} from '../../../src/state/active-series-buckets.js';

const T0 = Date.UTC(2030, 0, 1);

describe('bucketStartMs()', () => {
  it.each([
    [T0, T0],
    [T0 + 59_999, T0],
    [T0 + 60_000, T0 + 60_000],
    [T0 - 1, T0 - 60_000],
  ])('puts %d in the bucket starting at %d', (time, want) => {
    expect(bucketStartMs(time)).toBe(want);
  });
});

describe('windowBuckets()', () => {
  it.each([
    // window, now → first, last: the buckets intersecting (now - window, now]
    [300_000, T0 + 300_000, T0, T0 + 300_000],
    [300_000, T0 + 359_998, T0, T0 + 300_000],
    [300_000, T0 + 359_999, T0 + 60_000, T0 + 300_000],
    [300_000, T0 + 360_000, T0 + 60_000, T0 + 360_000],
    [60_000, T0 + 30_000, T0 - 60_000, T0],
    [60_000, T0 + 59_999, T0, T0],
    [1, T0 + 60_000, T0 + 60_000, T0 + 60_000],
  ])(
    'reads a %d ms window at %d from %d to %d',
    (windowMs, nowMs, firstMs, lastMs) => {
      expect(windowBuckets(windowMs, nowMs)).toEqual({ firstMs, lastMs });
    }
  );

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses the window %d',
    windowMs => {
      expect(() => windowBuckets(windowMs, T0)).toThrow(RangeError);
    }
  );
});

describe('retentionFor()', () => {
  it.each([
    [undefined, DEFAULT_ACTIVE_SERIES_RETENTION_MS],
    [20 * 60_000, 20 * 60_000],
    [30 * 24 * 3_600_000, MAX_ACTIVE_SERIES_RETENTION_MS],
  ])('keeps %j → %d ms', (largest, want) => {
    expect(retentionFor(largest)).toBe(want);
  });
});
