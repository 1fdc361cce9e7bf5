import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  describe('nextDelayMs()', () => {
    it('doubles the jitter ceiling from min to max', () => {
      const backoff = new Backoff(10, 50, () => 0.999_999);
      const delays = Array.from({ length: 5 }, () => backoff.nextDelayMs());
      expect(delays).toEqual([9, 19, 39, 49, 49].map(d => Math.max(10, d)));
    });

    it('never waits less than min, whatever the jitter draws', () => {
      const backoff = new Backoff(30, 5000, () => 0);
      for (let i = 0; i < 20; i++) expect(backoff.nextDelayMs()).toBe(30);
    });

    it('draws uniformly below the ceiling (full jitter)', () => {
      const backoff = new Backoff(10, 1000, () => 0.5);
      expect([1, 2, 3, 4].map(() => backoff.nextDelayMs())).toEqual([
        10, 10, 20, 40,
      ]);
    });

    it('treats a max below min as min', () => {
      const backoff = new Backoff(100, 10, () => 0.999_999);
      expect([backoff.nextDelayMs(), backoff.nextDelayMs()]).toEqual([
        100, 100,
      ]);
    });
  });

  describe('reset()', () => {
    it('brings the ceiling back to min', () => {
      const backoff = new Backoff(10, 1000, () => 0.999_999);
      backoff.nextDelayMs();
      backoff.nextDelayMs();
      backoff.reset();
      expect(backoff.nextDelayMs()).toBe(10);
    });
  });
});
