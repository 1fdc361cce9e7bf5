import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchPool } from './batch-pool.js';
import type { SeriesBatch } from './series-batch.js';

const TRIM_INTERVAL_MS = 15_000;

/** Fills `batch` with `series` series of one sample each. */
function fill(batch: SeriesBatch, series: number): void {
  for (let i = 0; i < series; i++) {
    batch.addSeries(['__name__', `m${i}`]);
    batch.addSample(i, 1_700_000_000_000);
  }
}

/** Acquires a batch, fills it and releases it, as one request does. */
function serve(pool: BatchPool, series: number): SeriesBatch {
  const batch = pool.acquire();
  fill(batch, series);
  pool.release(batch);
  return batch;
}

describe('BatchPool', () => {
  let pool: BatchPool;
  beforeEach(() => {
    vi.useFakeTimers();
    pool = new BatchPool({ trimIntervalMs: TRIM_INTERVAL_MS });
  });
  afterEach(() => {
    pool.close();
    vi.useRealTimers();
  });

  describe('acquire()', () => {
    it('hands back the batch released last, emptied', () => {
      const first = serve(pool, 10);
      const second = pool.acquire();
      expect(second).toBe(first);
      expect(second.seriesCount).toBe(0);
      expect(second.sampleCount).toBe(0);
    });

    it('gives concurrent requests distinct batches', () => {
      const a = pool.acquire();
      const b = pool.acquire();
      expect(a).not.toBe(b);
    });
  });

  describe('trim()', () => {
    it('shrinks a batch grown by one extreme request back to what normal requests use within three intervals', () => {
      const baseline = serve(pool, 100).capacityBytes();
      const extreme = serve(pool, 100_000);
      const grown = pool.retainedBytes;
      expect(grown).toBeGreaterThan(20 * baseline);
      // The interval of the request, then one more, still count it.
      for (let i = 0; i < 2; i++) {
        vi.advanceTimersByTime(TRIM_INTERVAL_MS);
        expect(serve(pool, 100)).toBe(extreme);
      }
      expect(pool.retainedBytes).toBe(grown);
      vi.advanceTimersByTime(TRIM_INTERVAL_MS);
      expect(pool.retainedBytes).toBe(baseline);
      // The same object, shrunk: the pool still reuses it.
      expect(pool.acquire()).toBe(extreme);
    });

    it('keeps the capacity that normal-sized requests keep using', () => {
      const batch = serve(pool, 2000);
      const bytes = pool.retainedBytes;
      const columns = batch.values;
      for (let i = 0; i < 10; i++) {
        expect(serve(pool, 2000)).toBe(batch);
        vi.advanceTimersByTime(TRIM_INTERVAL_MS);
      }
      expect(pool.retainedBytes).toBe(bytes);
      // Not reallocated either: the same typed arrays.
      expect(batch.values).toBe(columns);
    });

    it('shrinks to the recent demand, not below it', () => {
      serve(pool, 100_000);
      vi.advanceTimersByTime(TRIM_INTERVAL_MS);
      const batch = serve(pool, 3000);
      vi.advanceTimersByTime(2 * TRIM_INTERVAL_MS);
      expect(batch.sampleStart.length).toBeGreaterThan(3000);
      expect(batch.sampleStart.length).toBeLessThan(2 * 3000 + 2);
      expect(batch.values.length).toBeGreaterThanOrEqual(3000);
      expect(batch.values.length).toBeLessThan(2 * 3000);
      // A request of the recent size fits without growing.
      const columns = batch.values;
      fill(pool.acquire(), 3000);
      expect(batch.values).toBe(columns);
    });

    it('lets go of the batches a burst of concurrent requests left behind', () => {
      const burst = Array.from({ length: 8 }, () => pool.acquire());
      for (const batch of burst) pool.release(batch);
      expect(pool.size).toBe(8);
      for (let i = 0; i < 3; i++) {
        serve(pool, 10);
        vi.advanceTimersByTime(TRIM_INTERVAL_MS);
      }
      expect(pool.size).toBe(1);
    });

    it('keeps no batch after an idle minute', () => {
      serve(pool, 10);
      vi.advanceTimersByTime(60_000);
      expect(pool.size).toBe(0);
      expect(pool.retainedBytes).toBe(0);
    });

    it('counts batches still in use as demand, so their return finds room', () => {
      const held = pool.acquire();
      serve(pool, 10);
      vi.advanceTimersByTime(3 * TRIM_INTERVAL_MS);
      // `held` is still out: the free batch beside it goes, and `held` comes back.
      pool.release(held);
      expect(pool.size).toBe(1);
      expect(pool.acquire()).toBe(held);
    });
  });

  describe('release()', () => {
    it('does not keep a batch past one million samples', () => {
      serve(pool, (1 << 20) + 1);
      expect(pool.size).toBe(0);
    });

    it('keeps at most maxPooled free batches', () => {
      const small = new BatchPool({ maxPooled: 2, trimIntervalMs: 0 });
      const batches = [small.acquire(), small.acquire(), small.acquire()];
      for (const batch of batches) small.release(batch);
      expect(small.size).toBe(2);
      small.close();
    });
  });

  describe('close()', () => {
    it('stops the trim timer and drops the free batches', () => {
      serve(pool, 10);
      pool.close();
      expect(pool.size).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
