import { describe, expect, it } from 'vitest';
import { OverloadedError } from '../../errors.js';
import {
  ClusterRateLimiter,
  type RateLimitUnit,
  type TokenBucketStore,
  type TokenTake,
} from './cluster-rate-limiter.js';

const WIDGETS: RateLimitUnit = {
  bucketPrefix: 'widgets:',
  amountNoun: 'widgets',
  limitName: 'widget limit',
  unit: 'widgets',
  reason: 'widgets_limited',
  httpStatus: 429,
};

/** A store that answers each bucket from a table and records the asks. */
function scriptedStore(answers: Record<string, TokenTake>) {
  const asks: string[] = [];
  const store: TokenBucketStore = {
    takeTokens: async (bucket, tokens, ratePerSecond, burst) => {
      asks.push(`${bucket} ${tokens} ${ratePerSecond}/${burst}`);
      return answers[bucket] ?? { allowed: true, retryAfterMs: 0 };
    },
  };
  return { store, asks };
}

describe('ClusterRateLimiter', () => {
  it('falls back to the fleet-wide rate or burst a per-cluster override leaves out', () => {
    const { store } = scriptedStore({});
    const limiter = new ClusterRateLimiter(
      WIDGETS,
      store,
      { ratePerSecond: 100, burst: 0 },
      Object.entries({
        a: { ratePerSecond: 10 },
        b: { burst: 7 },
        c: { ratePerSecond: 0 },
      })
    );
    expect(limiter.limitOf('unknown')).toEqual({
      ratePerSecond: 100,
      burst: 100,
    });
    expect(limiter.limitOf('a')).toEqual({ ratePerSecond: 10, burst: 10 });
    expect(limiter.limitOf('b')).toEqual({ ratePerSecond: 100, burst: 7 });
    expect(limiter.limitOf('c').ratePerSecond).toBe(0);
    expect(limiter.isUnlimited).toBe(false);
  });

  it('is unlimited only when every cluster is', () => {
    const { store } = scriptedStore({});
    const none = { ratePerSecond: 0, burst: 0 };
    expect(new ClusterRateLimiter(WIDGETS, store, none, []).isUnlimited).toBe(
      true
    );
    expect(
      new ClusterRateLimiter(WIDGETS, store, none, [
        ['a', { ratePerSecond: 1 }],
      ]).isUnlimited
    ).toBe(false);
  });

  it('asks nothing, synchronously, for unlimited clusters and empty amounts', () => {
    const { store, asks } = scriptedStore({});
    const limiter = new ClusterRateLimiter(
      WIDGETS,
      store,
      { ratePerSecond: 5, burst: 5 },
      [['free', { ratePerSecond: 0 }]]
    );
    const volumes = new Map([
      ['free', 50],
      ['idle', 0],
    ]);
    expect(limiter.takeEach(volumes, n => n, 0)).toBeUndefined();
    expect(asks).toEqual([]);
  });

  it('takes from each cluster bucket and names the refusal with the longest wait', async () => {
    const { store, asks } = scriptedStore({
      'widgets:a': { allowed: false, retryAfterMs: 200.2 },
      'widgets:b': { allowed: false, retryAfterMs: 4500 },
    });
    const limiter = new ClusterRateLimiter(
      WIDGETS,
      store,
      { ratePerSecond: 5, burst: 8 },
      []
    );
    const volumes = new Map([
      ['a', 9],
      ['b', 12],
      ['c', 1],
    ]);
    const refusal = await limiter.takeEach(volumes, n => n, 0);
    expect(asks).toEqual([
      'widgets:a 9 5/8',
      'widgets:b 12 5/8',
      'widgets:c 1 5/8',
    ]);
    expect(refusal).toEqual({
      cluster: 'b',
      rate: { ratePerSecond: 5, burst: 8 },
      amount: 12,
      retryAfterMs: 4500,
    });
  });

  it('rounds a refusal up to at least 1 ms and words it in the unit', async () => {
    const { store } = scriptedStore({
      'widgets:a': { allowed: false, retryAfterMs: 0 },
    });
    const limiter = new ClusterRateLimiter(
      WIDGETS,
      store,
      { ratePerSecond: 5, burst: 8 },
      []
    );
    const refusal = await limiter.takeOne('a', limiter.limitOf('a'), 9, 0);
    expect(refusal?.retryAfterMs).toBe(1);
    const error = limiter.errorOf(refusal!);
    expect(error).toBeInstanceOf(OverloadedError);
    expect(error.message).toBe(
      'cannot accept 9 widgets for cluster "a": over its widget limit of 5 widgets/s with burst 8; retry in 1ms'
    );
    expect(error.reason).toBe('widgets_limited');
    expect(error.retryAfterMs).toBe(1);
    expect(error.httpStatus).toBe(429);
  });

  it('resolves to undefined when the bucket allows the take', async () => {
    const { store } = scriptedStore({});
    const limiter = new ClusterRateLimiter(
      WIDGETS,
      store,
      { ratePerSecond: 5, burst: 8 },
      []
    );
    await expect(
      limiter.takeEach(new Map([['a', 3]]), n => n, 0)
    ).resolves.toBeUndefined();
  });
});
