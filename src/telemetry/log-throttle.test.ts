import { describe, expect, it } from 'vitest';
import { LogThrottle } from './log-throttle.js';

describe('LogThrottle', () => {
  describe('admit()', () => {
    it('lets one event per key through each interval and counts the ones held back', () => {
      let nowMs = 0;
      const throttle = new LogThrottle(10_000, () => nowMs);
      expect(throttle.admit('per_source')).toBe(0);
      for (let i = 0; i < 500; i++) {
        nowMs += 10;
        expect(throttle.admit('per_source')).toBeUndefined();
      }
      // Another key has its own interval.
      expect(throttle.admit('max_connections')).toBe(0);
      nowMs = 10_000;
      expect(throttle.admit('per_source')).toBe(500);
      expect(throttle.admit('per_source')).toBeUndefined();
      nowMs = 20_000;
      expect(throttle.admit('per_source')).toBe(1);
    });
  });
});
