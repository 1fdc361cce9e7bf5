import { Registry } from 'prom-client';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { configSchema, type LimitsConfig } from '../../config/index.js';
import { OverloadedError } from '../../errors.js';
import type { RegisteredCluster } from '../../fleet/index.js';
import {
  DropReason,
  SeriesBatch,
  labelsFromRecord,
} from '../../model/index.js';
import type { StateStore } from '../../state/index.js';
import type { Identity } from '../identify.js';
import { StageTally, type StageContext } from '../stage.js';
import type { TokenBucketStore, TokenTake } from './cluster-rate-limiter.js';
import {
  INGESTION_RATE_BUCKET_PREFIX,
  IngestionRateLimiter,
} from './ingestion-rate-limiter.js';
import { INGESTION_REFUSED_SAMPLES_METRIC } from './rate-metrics.js';

/**
 * A token bucket as the StateStore contract describes it, in memory: full at
 * first, refilled continuously, and a take larger than the burst passes when
 * the bucket is full. Counts its calls.
 */
class FakeBucketStore implements TokenBucketStore {
  calls = 0;
  private readonly _buckets = new Map<
    string,
    { tokens: number; atMs: number }
  >();

  takeTokens(
    bucket: string,
    tokens: number,
    ratePerSecond: number,
    burst: number,
    nowMs: number
  ): Promise<TokenTake> {
    this.calls++;
    const state = this._buckets.get(bucket) ?? { tokens: burst, atMs: nowMs };
    const level = Math.min(
      burst,
      state.tokens + (Math.max(0, nowMs - state.atMs) * ratePerSecond) / 1000
    );
    if (tokens <= level || level >= burst) {
      this._buckets.set(bucket, {
        tokens: Math.max(0, level - tokens),
        atMs: nowMs,
      });
      return Promise.resolve({ allowed: true, retryAfterMs: 0 });
    }
    this._buckets.set(bucket, { tokens: level, atMs: nowMs });
    const missing = Math.min(tokens, burst) - level;
    return Promise.resolve({
      allowed: false,
      retryAfterMs: Math.ceil((missing * 1000) / ratePerSecond),
    });
  }
}

function cluster(name: string): Identity {
  const registered: RegisteredCluster = {
    name,
    region: 'eu-west-1',
    env: 'prod',
    team: 'sre',
    extraLabels: [],
  };
  return { kind: 'cluster', cluster: registered };
}
const PROD_EU = cluster('prod-eu');
const PROD_US = cluster('prod-us');

function limitsOf(limits: Record<string, unknown>): LimitsConfig {
  return configSchema.parse({
    clusters: [
      { name: 'prod-eu', region: 'eu-west-1', env: 'prod' },
      { name: 'prod-us', region: 'us-east-1', env: 'prod' },
    ],
    limits,
  }).limits;
}

/** A batch of `series` series with `samplesEach` float samples, all of one cluster. */
function batchOf(
  samplesEach: number,
  series = 1,
  clusterName = 'prod-eu'
): SeriesBatch {
  const batch = new SeriesBatch();
  for (let s = 0; s < series; s++) {
    batch.addSeries(
      labelsFromRecord({
        __name__: 'up',
        cluster: clusterName,
        instance: `i-${s}`,
      })
    );
    for (let i = 0; i < samplesEach; i++) batch.addSample(1, 1000 + i);
  }
  return batch;
}

function contextAt(identity: Identity, receivedAtMs: number): StageContext {
  return {
    identity,
    protocol: 'remote_write_v1',
    receivedAtMs,
    tally: new StageTally(),
  };
}

async function refusalOf(
  pending: void | Promise<void>
): Promise<OverloadedError> {
  try {
    await pending;
  } catch (err) {
    expect(err).toBeInstanceOf(OverloadedError);
    return err as OverloadedError;
  }
  throw new Error('want a refusal, the request passed');
}

async function refusedSamples(
  registry: Registry,
  clusterName: string
): Promise<number> {
  const metric = registry.getSingleMetric(INGESTION_REFUSED_SAMPLES_METRIC);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return (
    values.find(
      v =>
        v.labels['cluster'] === clusterName &&
        v.labels['reason'] === 'rate_limited'
    )?.value ?? 0
  );
}

const T0 = 1_700_000_000_000;

describe('IngestionRateLimiter', () => {
  it('fits the StateStore interface', () => {
    expectTypeOf<StateStore>().toExtend<TokenBucketStore>();
  });

  describe('process()', () => {
    it('passes a steady flow under the rate', async () => {
      const store = new FakeBucketStore();
      const limiter = new IngestionRateLimiter(
        limitsOf({ ingestion_rate: 1000, ingestion_burst: 2000 }),
        store,
        new Registry()
      );
      for (let second = 0; second < 30; second++) {
        await limiter.process(
          batchOf(100, 9),
          contextAt(PROD_EU, T0 + second * 1000)
        );
      }
      expect(store.calls).toBe(30);
    });

    it('refuses a burst over the limit with a retryable error that names the limit', async () => {
      const registry = new Registry();
      const limiter = new IngestionRateLimiter(
        limitsOf({ ingestion_rate: 1000, ingestion_burst: 2000 }),
        new FakeBucketStore(),
        registry
      );
      await limiter.process(batchOf(2000), contextAt(PROD_EU, T0));
      const err = await refusalOf(
        limiter.process(batchOf(500), contextAt(PROD_EU, T0))
      );
      expect(err.reason).toBe('rate_limited');
      expect(err.retryAfterMs).toBe(500);
      expect(err.message).toBe(
        'cannot accept 500 samples for cluster "prod-eu": over its ingestion rate limit of 1000 samples/s with burst 2000; retry in 500ms'
      );
      expect(await refusedSamples(registry, 'prod-eu')).toBe(500);
    });

    it('counts histograms as points and skips dropped series', async () => {
      const store = new FakeBucketStore();
      const limiter = new IngestionRateLimiter(
        limitsOf({ ingestion_rate: 10, ingestion_burst: 10 }),
        store,
        new Registry()
      );
      const batch = batchOf(8, 2);
      batch.dropped[1] = DropReason.RELABEL;
      await limiter.process(batch, contextAt(PROD_EU, T0));
      const spent = await refusalOf(
        limiter.process(batchOf(3), contextAt(PROD_EU, T0))
      );
      expect(spent.message).toContain('cannot accept 3 samples');
    });

    it('lets the bucket refill over time', async () => {
      const limiter = new IngestionRateLimiter(
        limitsOf({ ingestion_rate: 1000, ingestion_burst: 2000 }),
        new FakeBucketStore(),
        new Registry()
      );
      await limiter.process(batchOf(2000), contextAt(PROD_EU, T0));
      await refusalOf(
        limiter.process(batchOf(500), contextAt(PROD_EU, T0 + 100))
      );
      await limiter.process(batchOf(500), contextAt(PROD_EU, T0 + 500));
      await refusalOf(
        limiter.process(batchOf(500), contextAt(PROD_EU, T0 + 600))
      );
      await limiter.process(batchOf(2000), contextAt(PROD_EU, T0 + 2600));
    });

    it('applies a per-cluster override and keeps buckets apart', async () => {
      const limiter = new IngestionRateLimiter(
        limitsOf({
          ingestion_rate: 1000,
          ingestion_burst: 1000,
          per_cluster: {
            'prod-eu': { ingestion_rate: 10, ingestion_burst: 20 },
          },
        }),
        new FakeBucketStore(),
        new Registry()
      );
      expect(limiter.limitOf('prod-eu')).toEqual({
        ratePerSecond: 10,
        burst: 20,
      });
      await limiter.process(batchOf(15), contextAt(PROD_EU, T0));
      const err = await refusalOf(
        limiter.process(batchOf(10), contextAt(PROD_EU, T0))
      );
      expect(err.message).toContain('rate limit of 10 samples/s with burst 20');
      // prod-eu's flood leaves prod-us its own budget.
      await limiter.process(batchOf(1000), contextAt(PROD_US, T0));
    });

    it('takes an override of only the rate with the fleet-wide burst', () => {
      const limiter = new IngestionRateLimiter(
        limitsOf({
          ingestion_rate: 1000,
          ingestion_burst: 5000,
          per_cluster: { 'prod-eu': { ingestion_rate: 50 } },
        }),
        new FakeBucketStore(),
        new Registry()
      );
      expect(limiter.limitOf('prod-eu')).toEqual({
        ratePerSecond: 50,
        burst: 5000,
      });
    });

    it('treats rate 0 as unlimited and asks no store', () => {
      const store = new FakeBucketStore();
      const limiter = new IngestionRateLimiter(
        limitsOf({ ingestion_rate: 0 }),
        store,
        new Registry()
      );
      expect(limiter.isUnlimited).toBe(true);
      expect(
        limiter.process(batchOf(100, 1000), contextAt(PROD_EU, T0))
      ).toBeUndefined();
      expect(store.calls).toBe(0);
    });

    it('treats a per-cluster rate 0 as unlimited for that cluster only', async () => {
      const store = new FakeBucketStore();
      const limiter = new IngestionRateLimiter(
        limitsOf({
          ingestion_rate: 10,
          ingestion_burst: 10,
          per_cluster: { 'prod-us': { ingestion_rate: 0 } },
        }),
        store,
        new Registry()
      );
      expect(
        limiter.process(batchOf(1000), contextAt(PROD_US, T0))
      ).toBeUndefined();
      await limiter.process(batchOf(10), contextAt(PROD_EU, T0));
      await refusalOf(limiter.process(batchOf(10), contextAt(PROD_EU, T0)));
      expect(store.calls).toBe(2);
    });

    it('lets a request bigger than the burst through a full bucket', async () => {
      const limiter = new IngestionRateLimiter(
        limitsOf({ ingestion_rate: 100, ingestion_burst: 100 }),
        new FakeBucketStore(),
        new Registry()
      );
      await limiter.process(batchOf(500), contextAt(PROD_EU, T0));
      const err = await refusalOf(
        limiter.process(batchOf(500), contextAt(PROD_EU, T0))
      );
      expect(err.retryAfterMs).toBe(1000);
      await limiter.process(batchOf(500), contextAt(PROD_EU, T0 + 1000));
    });

    it('reads a burst of 0 as one second of the rate', () => {
      const limiter = new IngestionRateLimiter(
        limitsOf({ ingestion_rate: 300, ingestion_burst: 0 }),
        new FakeBucketStore(),
        new Registry()
      );
      expect(limiter.limitOf('prod-eu')).toEqual({
        ratePerSecond: 300,
        burst: 300,
      });
    });

    it('shares one budget between gateway replicas through the store', async () => {
      const store = new FakeBucketStore();
      const limits = limitsOf({ ingestion_rate: 1000, ingestion_burst: 2000 });
      const first = new IngestionRateLimiter(limits, store, new Registry());
      const second = new IngestionRateLimiter(limits, store, new Registry());
      await first.process(batchOf(1500), contextAt(PROD_EU, T0));
      const err = await refusalOf(
        second.process(batchOf(1000), contextAt(PROD_EU, T0))
      );
      expect(err.retryAfterMs).toBe(500);
      await second.process(batchOf(500), contextAt(PROD_EU, T0));
    });

    it('asks the store once per request, under the cluster bucket', async () => {
      const calls: [string, number][] = [];
      const store: TokenBucketStore = {
        takeTokens(bucket, tokens) {
          calls.push([bucket, tokens]);
          return Promise.resolve({ allowed: true, retryAfterMs: 0 });
        },
      };
      const limiter = new IngestionRateLimiter(
        limitsOf({}),
        store,
        new Registry()
      );
      await limiter.process(batchOf(3, 40), contextAt(PROD_EU, T0));
      expect(calls).toEqual([[`${INGESTION_RATE_BUCKET_PREFIX}prod-eu`, 120]]);
    });

    it('asks nothing for a request with no live points', () => {
      const store = new FakeBucketStore();
      const limiter = new IngestionRateLimiter(
        limitsOf({}),
        store,
        new Registry()
      );
      const batch = batchOf(5, 2);
      batch.dropped[0] = batch.dropped[1] = DropReason.CARDINALITY;
      expect(limiter.process(batch, contextAt(PROD_EU, T0))).toBeUndefined();
      expect(store.calls).toBe(0);
    });

    it('charges anonymous data to the clusters it names and counts it as unregistered', async () => {
      const registry = new Registry();
      const store = new FakeBucketStore();
      const limiter = new IngestionRateLimiter(
        limitsOf({
          ingestion_rate: 100,
          ingestion_burst: 100,
          per_cluster: {
            'prod-us': { ingestion_rate: 10, ingestion_burst: 10 },
          },
        }),
        store,
        registry
      );
      const anonymous: Identity = { kind: 'anonymous' };
      await limiter.process(batchOf(5, 1, 'prod-us'), contextAt(anonymous, T0));
      const batch = batchOf(50, 1, 'prod-eu');
      batch.addSeries(labelsFromRecord({ __name__: 'up', cluster: 'prod-us' }));
      for (let i = 0; i < 20; i++) batch.addSample(1, i);
      const err = await refusalOf(
        limiter.process(batch, contextAt(anonymous, T0))
      );
      expect(err.message).toContain(
        'cannot accept 20 samples for cluster "prod-us"'
      );
      expect(store.calls).toBe(3);
      expect(await refusedSamples(registry, 'unregistered')).toBe(70);
      await limiter.process(
        batchOf(50, 1, 'prod-eu'),
        contextAt(anonymous, T0)
      );
    });

    it('reuses its counter when rebuilt on the same registry (config reload)', async () => {
      const registry = new Registry();
      const limits = limitsOf({ ingestion_rate: 1, ingestion_burst: 1 });
      const before = new IngestionRateLimiter(
        limits,
        new FakeBucketStore(),
        registry
      );
      await before.process(batchOf(1), contextAt(PROD_EU, T0));
      await refusalOf(before.process(batchOf(1), contextAt(PROD_EU, T0)));
      const after = new IngestionRateLimiter(
        limits,
        new FakeBucketStore(),
        registry
      );
      await after.process(batchOf(1), contextAt(PROD_EU, T0));
      await refusalOf(after.process(batchOf(1), contextAt(PROD_EU, T0)));
      expect(await refusedSamples(registry, 'prod-eu')).toBe(2);
    });
  });
});
