import { describe, expect, it, vi } from 'vitest';
import { logsSchema } from '../../config/index.js';
import { OverloadedError } from '../../errors.js';
import { MemoryStateStore } from '../../state/index.js';
import {
  LOG_INGESTION_RATE_BUCKET_PREFIX,
  LogRateLimiter,
  type LogVolume,
} from './log-rate-limiter.js';

const NOW = 1_700_000_000_000;

function limiter(
  limits: Record<string, unknown>,
  store = new MemoryStateStore()
): LogRateLimiter {
  return new LogRateLimiter(logsSchema.parse({ limits }).limits, store);
}

function volumes(
  entries: Record<string, [number, number]>
): Map<string, LogVolume> {
  return new Map(
    Object.entries(entries).map(([cluster, [records, bytes]]) => [
      cluster,
      { records, bytes },
    ])
  );
}

describe('LogRateLimiter', () => {
  it('lets a cluster send up to its burst, then refuses with a retryable 429', async () => {
    const limit = limiter({
      ingestion_rate_bytes: 1000,
      ingestion_burst_bytes: 2000,
    });
    const refused = vi.fn();
    await limit.take(volumes({ a: [10, 1500] }), false, NOW, refused);
    const error = await limit
      .take(volumes({ a: [3, 1000] }), false, NOW, refused)
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OverloadedError);
    const overloaded = error as OverloadedError;
    expect(overloaded.httpStatus).toBe(429);
    expect(overloaded.reason).toBe('log_rate_limited');
    // 500 bytes left, 1000 wanted, refilled at 1000 bytes/s.
    expect(overloaded.retryAfterMs).toBe(500);
    expect(overloaded.message).toBe(
      'cannot accept 1000 bytes of logs for cluster "a": over its log ingestion rate limit of 1000 bytes/s with burst 2000; retry in 500ms'
    );
    expect(refused).toHaveBeenCalledExactlyOnceWith({
      metricCluster: 'a',
      records: 3,
      bytes: 1000,
    });
  });

  it('refills over time', async () => {
    const limit = limiter({
      ingestion_rate_bytes: 1000,
      ingestion_burst_bytes: 1000,
    });
    await limit.take(volumes({ a: [1, 1000] }), false, NOW, vi.fn());
    await expect(
      limit.take(volumes({ a: [1, 1000] }), false, NOW, vi.fn())
    ).rejects.toBeInstanceOf(OverloadedError);
    await limit.take(volumes({ a: [1, 1000] }), false, NOW + 1000, vi.fn());
  });

  it('gives each cluster its own bucket', async () => {
    const limit = limiter({
      ingestion_rate_bytes: 100,
      ingestion_burst_bytes: 100,
    });
    const refused = vi.fn();
    await limit.take(volumes({ a: [1, 100] }), false, NOW, refused);
    // a has emptied its bucket: even one more byte from it is refused ...
    await expect(
      limit.take(volumes({ a: [1, 1] }), false, NOW, refused)
    ).rejects.toBeInstanceOf(OverloadedError);
    // ... while b, at the same instant, still has its whole burst.
    await expect(
      limit.take(volumes({ b: [1, 100] }), false, NOW, refused)
    ).resolves.toBeUndefined();
    expect(refused).toHaveBeenCalledExactlyOnceWith({
      metricCluster: 'a',
      records: 1,
      bytes: 1,
    });
  });

  it('applies per-cluster overrides and treats rate 0 as unlimited', async () => {
    const store = new MemoryStateStore();
    const take = vi.spyOn(store, 'takeTokens');
    const limit = limiter(
      {
        ingestion_rate_bytes: 100,
        ingestion_burst_bytes: 100,
        per_cluster: { big: { ingestion_rate_bytes: 0 } },
      },
      store
    );
    await limit.take(volumes({ big: [1, 1_000_000] }), false, NOW, vi.fn());
    expect(take).not.toHaveBeenCalled();
    expect(limit.limitOf('big').ratePerSecond).toBe(0);
    expect(limit.limitOf('other')).toEqual({ ratePerSecond: 100, burst: 100 });
  });

  it("asks the store for the cluster's bucket in bytes", async () => {
    const store = new MemoryStateStore();
    const take = vi.spyOn(store, 'takeTokens');
    await limiter(
      { ingestion_rate_bytes: 10, ingestion_burst_bytes: 0 },
      store
    ).take(volumes({ a: [2, 7] }), false, NOW, vi.fn());
    // A burst of 0 means one second's worth.
    expect(take).toHaveBeenCalledExactlyOnceWith(
      `${LOG_INGESTION_RATE_BUCKET_PREFIX}a`,
      7,
      10,
      10,
      NOW
    );
  });

  it('counts an anonymous refusal under unregistered', async () => {
    const limit = limiter({
      ingestion_rate_bytes: 10,
      ingestion_burst_bytes: 10,
    });
    await limit.take(volumes({ other: [1, 10] }), true, NOW, vi.fn());
    const refused = vi.fn();
    await expect(
      limit.take(volumes({ lab: [1, 5], other: [2, 5] }), true, NOW, refused)
    ).rejects.toBeInstanceOf(OverloadedError);
    expect(refused).toHaveBeenCalledExactlyOnceWith({
      metricCluster: 'unregistered',
      records: 3,
      bytes: 10,
    });
  });

  it('is unlimited with a rate of 0 everywhere', () => {
    expect(limiter({ ingestion_rate_bytes: 0 }).isUnlimited).toBe(true);
    expect(
      limiter({
        ingestion_rate_bytes: 0,
        per_cluster: { a: { ingestion_rate_bytes: 5 } },
      }).isUnlimited
    ).toBe(false);
  });
});
