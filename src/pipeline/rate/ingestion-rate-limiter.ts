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
 * only its own budget and never starves the others.
 */
import type { Registry } from 'prom-client';
import type { LimitsConfig } from '../../config/index.js';
import { OverloadedError } from '../../errors.js';
import { getLabel, type SeriesBatch } from '../../model/index.js';
import { UNREGISTERED_CLUSTER } from '../normalize-labels.js';
import type { Stage, StageContext } from '../stage.js';
import { RateMetrics } from './rate-metrics.js';

/** OverloadedError.reason and the `reason` label of refused samples. */
export const RATE_LIMITED_REASON = 'rate_limited';

/** Prefix of the store bucket of each cluster (`ingestion_rate:<cluster>`). */
export const INGESTION_RATE_BUCKET_PREFIX = 'ingestion_rate:';

/** The answer of one take from a token bucket. */
export interface TokenTake {
  readonly allowed: boolean;
  /** When refused: ms until the tokens would be available. */
  readonly retryAfterMs: number;
}

/**
 * What the limiter needs of the state store. `StateStore` satisfies it; the
 * stage declares its own seam because pipeline stages do not import state/
 * (STYLE rule 2, enforced by lint).
 */
export interface TokenBucketStore {
  /**
   * Takes `tokens` from `bucket`, refilled at `ratePerSecond` up to `burst`,
   * atomically across replicas; a take larger than `burst` passes when the
   * bucket is full.
   */
  takeTokens(
    bucket: string,
    tokens: number,
    ratePerSecond: number,
    burst: number,
    nowMs: number
  ): Promise<TokenTake>;
}

/** The limit of one cluster. */
export interface ClusterRateLimit {
  /** Samples per second; 0 means unlimited. */
  readonly ratePerSecond: number;
  readonly burst: number;
}

/**
 * The rate limit stage. Asks the store once per request (once per cluster
 * named in an anonymous request, usually one), and not at all when the
 * cluster is unlimited or nothing in the request is live. Logs nothing per
 * request: refusals are counted by the error handler (by reason) and in
 * `fleetgate_ingestion_refused_samples_total` (by cluster).
 */
export class IngestionRateLimiter implements Stage {
  readonly name = 'ingestion_rate';
  private readonly _store: TokenBucketStore;
  private readonly _metrics: RateMetrics;
  private readonly _default: ClusterRateLimit;
  private readonly _perCluster = new Map<string, ClusterRateLimit>();
  private readonly _isUnlimited: boolean;

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
    this._store = store;
    this._metrics = new RateMetrics(registry);
    this._default = rateOf(limits.ingestion_rate, limits.ingestion_burst);
    let isUnlimited = this._default.ratePerSecond === 0;
    for (const name of Object.keys(limits.per_cluster)) {
      const override = limits.per_cluster[name]!;
      const rate = rateOf(
        override.ingestion_rate ?? limits.ingestion_rate,
        override.ingestion_burst ?? limits.ingestion_burst
      );
      this._perCluster.set(name, rate);
      if (rate.ratePerSecond !== 0) isUnlimited = false;
    }
    this._isUnlimited = isUnlimited;
  }

  /** Whether no cluster has a limit (then the stage can be left out). */
  get isUnlimited(): boolean {
    return this._isUnlimited;
  }

  /** The limit that applies to a cluster (samples/s and burst; rate 0 = unlimited). */
  limitOf(cluster: string): ClusterRateLimit {
    return this._perCluster.get(cluster) ?? this._default;
  }

  process(batch: SeriesBatch, context: StageContext): void | Promise<void> {
    if (this._isUnlimited) return;
    const identity = context.identity;
    if (identity.kind === 'anonymous') {
      return this._processAnonymous(batch, context.receivedAtMs);
    }
    // With a token every series carries the token's cluster (normalize runs first).
    const cluster = identity.cluster.name;
    const rate = this.limitOf(cluster);
    if (rate.ratePerSecond === 0) return;
    const points = batch.liveSampleCount();
    if (points === 0) return;
    return this._takeOne(cluster, cluster, rate, points, context.receivedAtMs);
  }

  /**
   * Loopback-only anonymous mode: the data names its clusters, and one
   * request may carry several; each is charged to its own bucket. Metrics
   * say `unregistered`, as every other metric does for anonymous writes.
   */
  private _processAnonymous(
    batch: SeriesBatch,
    nowMs: number
  ): void | Promise<void> {
    const pointsByCluster = new Map<string, number>();
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
    }
    const charges: Charge[] = [];
    let total = 0;
    for (const [cluster, points] of pointsByCluster) {
      total += points;
      const rate = this.limitOf(cluster);
      if (rate.ratePerSecond !== 0) charges.push({ cluster, rate, points });
    }
    if (charges.length === 0) return;
    if (charges.length === 1) {
      const only = charges[0]!;
      return this._takeOne(
        only.cluster,
        UNREGISTERED_CLUSTER,
        only.rate,
        only.points,
        nowMs,
        total
      );
    }
    return this._takeEach(charges, total, nowMs);
  }

  private async _takeOne(
    cluster: string,
    metricCluster: string,
    rate: ClusterRateLimit,
    points: number,
    nowMs: number,
    requestPoints = points
  ): Promise<void> {
    const take = await this._ask(cluster, rate, points, nowMs);
    if (!take.allowed)
      this._refuse(cluster, metricCluster, rate, points, requestPoints, take);
  }

  /**
   * Several clusters in one request: the takes run together. When one is
   * refused the whole request is, and tokens already taken from the other
   * clusters are not given back (the store has no refund); the sender's
   * retry is charged again. Only anonymous loopback senders get here.
   */
  private async _takeEach(
    charges: readonly Charge[],
    requestPoints: number,
    nowMs: number
  ): Promise<void> {
    const takes = await Promise.all(
      charges.map(c => this._ask(c.cluster, c.rate, c.points, nowMs))
    );
    for (let i = 0; i < charges.length; i++) {
      const take = takes[i]!;
      const charge = charges[i]!;
      if (!take.allowed)
        this._refuse(
          charge.cluster,
          UNREGISTERED_CLUSTER,
          charge.rate,
          charge.points,
          requestPoints,
          take
        );
    }
  }

  private _ask(
    cluster: string,
    rate: ClusterRateLimit,
    points: number,
    nowMs: number
  ): Promise<TokenTake> {
    return this._store.takeTokens(
      INGESTION_RATE_BUCKET_PREFIX + cluster,
      points,
      rate.ratePerSecond,
      rate.burst,
      nowMs
    );
  }

  /**
   * Counts the refused request's points (all of them: the sender resends the
   * whole request) under `metricCluster`, which is bounded (a registered name
   * or `unregistered`), and throws the retryable refusal.
   */
  private _refuse(
    cluster: string,
    metricCluster: string,
    rate: ClusterRateLimit,
    points: number,
    requestPoints: number,
    take: TokenTake
  ): never {
    this._metrics.countRefused(
      metricCluster,
      RATE_LIMITED_REASON,
      requestPoints
    );
    // At least 1 ms: a refusal must always tell the sender to wait.
    const retryAfterMs = Math.max(1, Math.ceil(take.retryAfterMs));
    throw new OverloadedError(
      `cannot accept ${points} samples for cluster ${JSON.stringify(cluster)}: ` +
        `over its ingestion rate limit of ${rate.ratePerSecond} samples/s with burst ${rate.burst}; ` +
        `retry in ${formatSeconds(retryAfterMs)}`,
      RATE_LIMITED_REASON,
      retryAfterMs
    );
  }
}

interface Charge {
  readonly cluster: string;
  readonly rate: ClusterRateLimit;
  readonly points: number;
}

/**
 * A burst of 0 would make an empty bucket "full" and let every request pass
 * (the store lets a take larger than the burst through a full bucket), so it
 * means one second's worth instead.
 */
function rateOf(ratePerSecond: number, burst: number): ClusterRateLimit {
  return { ratePerSecond, burst: burst === 0 ? ratePerSecond : burst };
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}
