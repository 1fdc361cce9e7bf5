import { beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_DELTA_IDLE_MS,
  DeltaToCumulative,
} from './delta-to-cumulative.js';
import type { ExponentialHistogramShape } from './exponential-histogram.js';

const MINUTE_MS = 60_000;

describe('DeltaToCumulative', () => {
  let nowMs = 0;
  let state: DeltaToCumulative;
  beforeEach(() => {
    nowMs = 1_000_000;
    state = new DeltaToCumulative({ now: () => nowMs });
  });

  describe('addSum()', () => {
    it('accumulates deltas and keeps the first start time', () => {
      expect(state.addSum('k', 100, 200, 1)).toMatchObject({
        total: 1,
        startMs: 100,
        lastMs: 200,
      });
      expect(state.addSum('k', 200, 300, 2)).toMatchObject({
        total: 3,
        startMs: 100,
        lastMs: 300,
      });
      expect(state.addSum('k', 300, 400, 3)).toMatchObject({
        total: 6,
        startMs: 100,
        lastMs: 400,
      });
      expect(state.size).toBe(1);
    });

    it('refuses a point older than the last one and leaves the total alone', () => {
      state.addSum('k', 100, 300, 5);
      expect(state.addSum('k', 100, 200, 1)).toBeUndefined();
      expect(state.addSum('k', 300, 400, 1)).toMatchObject({ total: 6 });
    });

    it('refuses a point at the same time (a duplicate)', () => {
      state.addSum('k', 100, 300, 5);
      expect(state.addSum('k', 100, 300, 5)).toBeUndefined();
    });

    it('keeps separate totals per key', () => {
      state.addSum('cluster-a\u0000x', 0, 100, 1);
      expect(state.addSum('cluster-b\u0000x', 0, 100, 10)).toMatchObject({
        total: 10,
      });
      expect(state.size).toBe(2);
    });

    it('starts afresh after the series was idle longer than idleMs', () => {
      state.addSum('k', 100, 200, 5);
      nowMs += DEFAULT_DELTA_IDLE_MS + 1;
      expect(state.addSum('k', 900, 1000, 2)).toMatchObject({
        total: 2,
        startMs: 900,
      });
    });

    it('keeps a series updated within idleMs', () => {
      state.addSum('k', 100, 200, 5);
      nowMs += DEFAULT_DELTA_IDLE_MS;
      expect(state.addSum('k', 200, 300, 2)).toMatchObject({ total: 7 });
    });
  });

  describe('sweep()', () => {
    it('drops only series idle longer than idleMs, least recently updated first', () => {
      const swept = new DeltaToCumulative({
        idleMs: 10 * MINUTE_MS,
        now: () => nowMs,
      });
      swept.addSum('old', 0, 1, 1);
      swept.addSum('touched', 0, 1, 1);
      nowMs += 5 * MINUTE_MS;
      swept.addSum('young', 0, 1, 1);
      swept.addSum('touched', 1, 2, 1);
      nowMs += 6 * MINUTE_MS;
      expect(swept.sweep(nowMs)).toBe(1);
      expect(swept.size).toBe(2);
      expect(swept.addSum('old', 5, 6, 1)).toMatchObject({
        total: 1,
        startMs: 5,
      });
      expect(swept.addSum('touched', 2, 3, 1)).toMatchObject({ total: 3 });
    });
  });

  describe('maxEntries', () => {
    it('evicts the least recently updated series past the bound', () => {
      const bounded = new DeltaToCumulative({
        maxEntries: 2,
        now: () => nowMs,
      });
      bounded.addSum('a', 0, 1, 1);
      bounded.addSum('b', 0, 1, 1);
      bounded.addSum('a', 1, 2, 1); // a is now younger than b
      bounded.addSum('c', 0, 1, 1);
      expect(bounded.size).toBe(2);
      expect(bounded.evictedTotal).toBe(1);
      expect(bounded.addSum('a', 2, 3, 1)).toMatchObject({ total: 3 });
      expect(bounded.addSum('b', 5, 6, 1)).toMatchObject({
        total: 1,
        startMs: 5,
      });
    });
  });

  describe('forget()', () => {
    it('drops a series so its next point starts afresh', () => {
      state.addSum('k', 0, 100, 4);
      state.forget('k');
      expect(state.addSum('k', 100, 200, 1)).toMatchObject({
        total: 1,
        startMs: 100,
      });
    });
  });

  describe('clear()', () => {
    it('drops every series, so each starts afresh', () => {
      state.addSum('a', 0, 100, 4);
      state.addSum('b', 0, 100, 5);
      state.clear();
      expect(state.size).toBe(0);
      expect(state.addSum('a', 100, 200, 1)).toMatchObject({
        total: 1,
        startMs: 100,
      });
    });
  });

  describe('addHistogram()', () => {
    it('adds bucket counts, count and sum', () => {
      state.addHistogram('h', 0, 100, [1, 5], [1, 0, 2], 3, 10);
      expect(
        state.addHistogram('h', 100, 200, [1, 5], [0, 4, 1], 5, 2.5)
      ).toMatchObject({
        startMs: 0,
        bounds: [1, 5],
        bucketCounts: [1, 4, 3],
        count: 8,
        sum: 12.5,
      });
    });

    it('starts afresh when the bucket layout changes', () => {
      state.addHistogram('h', 0, 100, [1, 5], [1, 0, 2], 3, 10);
      expect(
        state.addHistogram('h', 100, 200, [1, 2, 5], [1, 1, 1, 1], 4, 1)
      ).toMatchObject({
        startMs: 100,
        bucketCounts: [1, 1, 1, 1],
        count: 4,
      });
    });

    it('drops the sum once a point comes without one', () => {
      state.addHistogram('h', 0, 100, [1], [1, 0], 1, 1);
      expect(
        state.addHistogram('h', 100, 200, [1], [1, 0], 1, undefined)?.sum
      ).toBeUndefined();
    });

    it('refuses an out-of-order point', () => {
      state.addHistogram('h', 0, 100, [1], [1, 0], 1, 1);
      expect(state.addHistogram('h', 0, 50, [1], [1, 0], 1, 1)).toBeUndefined();
    });

    it('does not alias the caller arrays', () => {
      const counts = [1, 2];
      state.addHistogram('h', 0, 100, [1], counts, 3, 1);
      counts[0] = 100;
      expect(
        state.addHistogram('h', 100, 200, [1], [0, 0], 0, 0)?.bucketCounts
      ).toEqual([1, 2]);
    });
  });

  describe('addExponentialHistogram()', () => {
    const point = (
      fields: Partial<ExponentialHistogramShape>
    ): ExponentialHistogramShape => ({
      scale: 2,
      zeroThreshold: 0,
      zeroCount: 0,
      count: 0,
      sum: 0,
      positive: { offset: 0, bucketCounts: [] },
      negative: { offset: 0, bucketCounts: [] },
      ...fields,
    });

    it('merges points at the coarser of the two scales', () => {
      state.addExponentialHistogram(
        'e',
        0,
        100,
        point({
          scale: 2,
          count: 2,
          sum: 3,
          zeroCount: 1,
          positive: { offset: 4, bucketCounts: [1] },
        })
      );
      const merged = state.addExponentialHistogram(
        'e',
        100,
        200,
        point({
          scale: 1,
          count: 3,
          sum: 4,
          positive: { offset: 1, bucketCounts: [1, 2] },
          negative: { offset: -1, bucketCounts: [1] },
        })
      );
      expect(merged).toMatchObject({
        scale: 1,
        count: 5,
        sum: 7,
        zeroCount: 1,
        // scale-2 bucket 4 is scale-1 bucket 2
        positive: { offset: 1, bucketCounts: [1, 3] },
        negative: { offset: -1, bucketCounts: [1] },
      });
    });

    it('starts afresh when the zero threshold changes', () => {
      state.addExponentialHistogram(
        'e',
        0,
        100,
        point({ count: 1, zeroCount: 1 })
      );
      expect(
        state.addExponentialHistogram(
          'e',
          100,
          200,
          point({ zeroThreshold: 0.5, count: 1, zeroCount: 1 })
        )
      ).toMatchObject({
        startMs: 100,
        count: 1,
      });
    });

    it('refuses an out-of-order point', () => {
      state.addExponentialHistogram(
        'e',
        0,
        100,
        point({ count: 1, zeroCount: 1 })
      );
      expect(
        state.addExponentialHistogram(
          'e',
          0,
          100,
          point({ count: 1, zeroCount: 1 })
        )
      ).toBeUndefined();
    });
  });
});
