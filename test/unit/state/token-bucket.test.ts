import { describe, expect, it } from 'vitest';
import {
  msUntilFull,
  takeFromTokenBucket,
} from '../../../src/state/token-bucket.js';

const T0 = 1_000_000;

describe('takeFromTokenBucket()', () => {
  it.each([
    // state, take, rate, burst, now → tokens after, result
    [
      undefined,
      1,
      10,
      5,
      T0,
      4,
      { allowed: true, remaining: 4, retryAfterMs: 0 },
    ],
    [
      { tokens: 0, lastRefillMs: T0 },
      1,
      10,
      5,
      T0 + 50,
      0.5,
      { allowed: false, remaining: 0, retryAfterMs: 50 },
    ],
    [
      { tokens: 0, lastRefillMs: T0 },
      1,
      10,
      5,
      T0 - 1000,
      0,
      { allowed: false, remaining: 0, retryAfterMs: 100 },
    ],
    [
      { tokens: 5, lastRefillMs: T0 },
      7,
      10,
      5,
      T0,
      -2,
      { allowed: true, remaining: 0, retryAfterMs: 0 },
    ],
    [
      { tokens: 4, lastRefillMs: T0 },
      7,
      10,
      5,
      T0,
      4,
      { allowed: false, remaining: 0, retryAfterMs: 100 },
    ],
    [
      { tokens: 9, lastRefillMs: T0 },
      1,
      10,
      5,
      T0,
      4,
      { allowed: true, remaining: 4, retryAfterMs: 0 },
    ],
    [
      { tokens: 1, lastRefillMs: T0 },
      0,
      10,
      5,
      T0,
      1,
      { allowed: true, remaining: 1, retryAfterMs: 0 },
    ],
  ] as const)(
    'from %j takes %d at %d/s burst %d',
    (state, take, rate, burst, now, tokens, result) => {
      const got = takeFromTokenBucket(state, take, rate, burst, now);
      expect(got.result).toEqual(result);
      expect(got.state.tokens).toBeCloseTo(tokens, 10);
    }
  );

  it('never moves the refill time backwards', () => {
    const got = takeFromTokenBucket(
      { tokens: 1, lastRefillMs: T0 },
      1,
      10,
      5,
      T0 - 500
    );
    expect(got.state.lastRefillMs).toBe(T0);
  });
});

describe('msUntilFull()', () => {
  it.each([
    [{ tokens: 5, lastRefillMs: T0 }, 0],
    [{ tokens: 0, lastRefillMs: T0 }, 500],
    [{ tokens: -5, lastRefillMs: T0 }, 1000],
  ])('is %j → %d ms at 10/s, burst 5', (state, want) => {
    expect(msUntilFull(state, 10, 5)).toBe(want);
  });
});
