/**
 * Ingestion rate limit: samples per second per cluster, with a burst, like
 * Mimir's `ingestion_rate` / `ingestion_burst_size` (PROTOCOLS.md §2.15).
 * Unlike Mimir, which divides the limit by the number of healthy
 * distributors and so needs even load, the bucket lives in the state store
 * and every gateway replica takes from the same one: the limit holds however
 * the load balancer spreads a cluster's requests.
 *
 * Over the limit, the whole request is refused with a retryable
 * OverloadedError (503 for remote write, 429 for OTLP, with Retry-After;
 * docs/architecture.md "Status codes for senders"), so the sender keeps its data and
 * retries. Nothing is dropped here.
 *
 * Fairness: each cluster has its own bucket, so one cluster's flood empties
 * only its own budget and never starves the others. The buckets are
 * ClusterRateLimiter's, shared with the log volume limit.
 */
import type { Registry } from 'prom-client';
import type { LimitsConfig } from '../../config/index.js';
import { getLabel, type SeriesBatch } from '../../model/index.js';
import { UNREGISTERED_CLUSTER } from '../normalize-labels.js';
import type { Stage, StageContext } from '../stage.js';
import {
  ClusterRateLimiter,
  type ClusterRateLimit,
  type RateLimitUnit,
  type RateRefusal,
  type TokenBucketStore,
} from './cluster-rate-limiter.js';
import { RateMetrics } from './rate-metrics.js';

/** OverloadedError.reason and the `reason` label of refused samples. */
export const RATE_LIMITED_REASON = 'rate_limited';

/** Prefix of the store bucket of each cluster (`ingestion_rate:<cluster>`). */
export const INGESTION_RATE_BUCKET_PREFIX = 'ingestion_rate:';

const SAMPLES: RateLimitUnit = {
  bucketPrefix: INGESTION_RATE_BUCKET_PREFIX,
  amountNoun: 'samples',
  limitName: 'ingestion rate limit',
  unit: 'samples',
  reason: RATE_LIMITED_REASON,
};

/**
 * The rate limit stage. Asks the store once per request (once per cluster
 * named in an anonymous request, usually one), and not at all when the
 * cluster is unlimited or nothing in the request is live. Logs nothing per
 * request: refusals are counted by the error handler (by reason) and in
 * `fleetgate_ingestion_refused_samples_total` (by cluster).
 */
export class IngestionRateLimiter implements Stage {
  readonly name = 'ingestion_rate';
  private readonly _buckets: ClusterRateLimiter;
  private readonly _metrics: RateMetrics;

  /**
   * @param limits `ingestion_rate` (samples/s, 0 = unlimited) and
   *   `ingestion_burst` (samples) fleet-wide, overridden per cluster by
   *   `limits.per_cluster`.
   * @param store shared (Redis) or local (memory) token buckets.
   * @param registry where `fleetgate_ingestion_refused_samples_total` lives.
   */
  constructor(
    limits: LimitsConfig,
    store: TokenBucketStore,
    registry: Registry
  ) {
    this._buckets = new ClusterRateLimiter(
      SAMPLES,
      store,
      { ratePerSecond: limits.ingestion_rate, burst: limits.ingestion_burst },
      Object.entries(limits.per_cluster).map(([name, override]) => [
        name,
        {
          ratePerSecond: override.ingestion_rate,
          burst: override.ingestion_burst,
        },
      ])
    );
    this._metrics = new RateMetrics(registry);
  }

  /** Whether no cluster has a limit (then the stage can be left out). */
  get isUnlimited(): boolean {
    return this._buckets.isUnlimited;
  }

  /** The limit that applies to a cluster (samples/s and burst; rate 0 = unlimited). */
  limitOf(cluster: string): ClusterRateLimit {
    return this._buckets.limitOf(cluster);
  }

  process(batch: SeriesBatch, context: StageContext): void | Promise<void> {
    if (this._buckets.isUnlimited) return;
    const identity = context.identity;
    if (identity.kind === 'anonymous') {
      return this._processAnonymous(batch, context.receivedAtMs);
    }
    // With a token every series carries the token's cluster (normalize runs first).
    const cluster = identity.cluster.name;
    const rate = this._buckets.limitOf(cluster);
    if (rate.ratePerSecond === 0) return;
    const points = batch.liveSampleCount();
    if (points === 0) return;
    return this._refuseIf(
      this._buckets.takeOne(cluster, rate, points, context.receivedAtMs),
      cluster,
      points
    );
  }

  /**
   * Loopback-only anonymous mode: the data names its clusters, and one
   * request may carry several; each is charged to its own bucket. When one
   * is refused the whole request is (the refusal names the longest wait).
   * Metrics say `unregistered`, as every other metric does for anonymous writes.
   */
  private _processAnonymous(
    batch: SeriesBatch,
    nowMs: number
  ): void | Promise<void> {
    const pointsByCluster = new Map<string, number>();
    let total = 0;
    for (let s = 0; s < batch.seriesCount; s++) {
      if (batch.dropped[s] !== 0) continue;
      const points = batch.pointsOf(s);
      if (points === 0) continue;
      const cluster =
        getLabel(batch.labels[s]!, 'cluster') ?? UNREGISTERED_CLUSTER;
      pointsByCluster.set(
        cluster,
        (pointsByCluster.get(cluster) ?? 0) + points
      );
      total += points;
    }
    const taking = this._buckets.takeEach(pointsByCluster, pointsOf, nowMs);
    if (taking === undefined) return;
    return this._refuseIf(taking, UNREGISTERED_CLUSTER, total);
  }

  /**
   * On a refusal, counts the request's points (all of them: the sender
   * resends the whole request) under `metricCluster`, which is bounded (a
   * registered name or `unregistered`), and throws the retryable refusal.
   */
  private async _refuseIf(
    taking: Promise<RateRefusal | undefined>,
    metricCluster: string,
    requestPoints: number
  ): Promise<void> {
    const refusal = await taking;
    if (refusal === undefined) return;
    this._metrics.countRefused(
      metricCluster,
      RATE_LIMITED_REASON,
      requestPoints
    );
    throw this._buckets.errorOf(refusal);
  }
}

function pointsOf(points: number): number {
  return points;
}
