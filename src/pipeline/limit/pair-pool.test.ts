import { describe, expect, it } from 'vitest';
import { PAIR_POOL_PAGE_WORDS, PairPool } from './pair-pool.js';

function write(pool: PairPool, ids: number[]): number {
  const offset = pool.alloc(ids.length);
  const page = pool.pageOf(offset);
  const base = offset % PAIR_POOL_PAGE_WORDS;
  ids.forEach((id, k) => (page[base + 1 + k] = id));
  return offset;
}

function read(pool: PairPool, offset: number): number[] {
  const page = pool.pageOf(offset);
  const base = offset % PAIR_POOL_PAGE_WORDS;
  return [...page.subarray(base + 1, base + 1 + page[base]!)];
}

describe('PairPool', () => {
  it('never hands out offset 0 and keeps chunks apart', () => {
    const pool = new PairPool();
    const a = write(pool, [1, 2, 3]);
    const b = write(pool, [4]);
    expect(a).toBeGreaterThan(0);
    expect(read(pool, a)).toEqual([1, 2, 3]);
    expect(read(pool, b)).toEqual([4]);
  });

  it('reuses a freed chunk of the same length', () => {
    const pool = new PairPool();
    const a = write(pool, [1, 2, 3]);
    write(pool, [9]);
    pool.free(a);
    expect(pool.wastedWords).toBe(4);
    expect(write(pool, [7, 8, 9])).toBe(a);
    expect(pool.wastedWords).toBe(0);
  });

  it('starts a new page instead of straddling one, without moving old chunks', () => {
    const pool = new PairPool();
    const offsets: number[] = [];
    for (let i = 0; i < 20_000; i++)
      offsets.push(write(pool, [i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6]));
    expect(pool.byteLength).toBeGreaterThan(PAIR_POOL_PAGE_WORDS * 4);
    for (let i = 0; i < offsets.length; i++) {
      const base = offsets[i]! % PAIR_POOL_PAGE_WORDS;
      expect(base + 8).toBeLessThanOrEqual(PAIR_POOL_PAGE_WORDS);
      expect(read(pool, offsets[i]!)[6]).toBe(i + 6);
    }
  });

  it('copies chunks into another pool (compaction)', () => {
    const from = new PairPool();
    const a = write(from, [5, 6]);
    const to = new PairPool();
    expect(read(to, to.copyFrom(from, a))).toEqual([5, 6]);
  });
});
