/**
 * One token bucket per cluster, in the state store: what the samples limit
 * (IngestionRateLimiter) and the log volume limit (LogRateLimiter) share.
 * The bucket lives in the store, so every gateway replica takes from the
 * same one and the limit holds however the load balancer spreads a
 * cluster's requests. Each cluster has its own bucket, so one cluster's
 * flood empties only its own budget and never starves the others.
 *
 * A signal differs only in what it counts (samples, log bytes), its bucket
 * names and its refusal (RateLimitUnit); it counts its own refusals.
 */
import { OverloadedError } from '../../errors.js';

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

/** The limit of one cluster, in the signal's unit. */
export interface ClusterRateLimit {
  /** Units per second; 0 means unlimited. */
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** A limit as configured: rate and burst, each optional in a per-cluster override. */
export interface ConfiguredRateLimit {
  readonly ratePerSecond?: number | undefined;
  readonly burst?: number | undefined;
}

/** What a signal's limit counts and how its refusal reads. */
export interface RateLimitUnit {
  /** Prefix of each cluster's bucket in the store (`ingestion_rate:`). */
  readonly bucketPrefix: string;
  /** What a take counts, after the amount in the refusal (`samples`, `bytes of logs`). */
  readonly amountNoun: string;
  /** The limit's name in the refusal (`ingestion rate limit`). */
  readonly limitName: string;
  /** The unit of the rate and burst in the refusal (`samples`, `bytes`). */
  readonly unit: string;
  /** OverloadedError.reason (`rate_limited`). */
  readonly reason: string;
  /** The refusal's status when the signal fixes it; otherwise the route maps it. */
  readonly httpStatus?: 429 | 503;
}

/** A refused take: which cluster, its limit, what it asked for and how long to wait. */
export interface RateRefusal {
  readonly cluster: string;
  readonly rate: ClusterRateLimit;
  readonly amount: number;
  /** At least 1 ms: a refusal must always tell the sender to wait. */
  readonly retryAfterMs: number;
}

export class ClusterRateLimiter {
  private readonly _unit: RateLimitUnit;
  private readonly _store: TokenBucketStore;
  private readonly _default: ClusterRateLimit;
  private readonly _perCluster = new Map<string, ClusterRateLimit>();
  private readonly _isUnlimited: boolean;

  /**
   * @param fleetWide the limit of every cluster without an override (rate 0 = unlimited).
   * @param perCluster overrides, by canonical cluster name; a missing rate
   *   or burst falls back to the fleet-wide one.
   */
  constructor(
    unit: RateLimitUnit,
    store: TokenBucketStore,
    fleetWide: ClusterRateLimit,
    perCluster: Iterable<readonly [string, ConfiguredRateLimit]>
  ) {
    this._unit = unit;
    this._store = store;
    this._default = rateOf(fleetWide.ratePerSecond, fleetWide.burst);
    let isUnlimited = this._default.ratePerSecond === 0;
    for (const [name, override] of perCluster) {
      const rate = rateOf(
        override.ratePerSecond ?? fleetWide.ratePerSecond,
        override.burst ?? fleetWide.burst
      );
      this._perCluster.set(name, rate);
      if (rate.ratePerSecond !== 0) isUnlimited = false;
    }
    this._isUnlimited = isUnlimited;
  }

  /** Whether no cluster has a limit (then nothing need ask the store). */
  get isUnlimited(): boolean {
    return this._isUnlimited;
  }

  /** The limit that applies to a cluster (rate 0 = unlimited). */
  limitOf(cluster: string): ClusterRateLimit {
    return this._perCluster.get(cluster) ?? this._default;
  }

  /**
   * Takes `amount` from `cluster`'s bucket (the caller skips unlimited
   * clusters and empty amounts). Resolves to the refusal, or undefined when
   * allowed.
   */
  async takeOne(
    cluster: string,
    rate: ClusterRateLimit,
    amount: number,
    nowMs: number
  ): Promise<RateRefusal | undefined> {
    const take = await this._ask(cluster, rate, amount, nowMs);
    return take.allowed ? undefined : refusalOf(cluster, rate, amount, take);
  }

  /**
   * Takes each cluster's amount from its bucket, the takes running together
   * (one store call per limited cluster with a non-zero amount). Undefined,
   * synchronously, when nothing needed asking; otherwise resolves to the
   * refusal with the longest wait (what the sender must wait for its whole
   * request), or undefined when all were allowed. Tokens taken from the
   * other clusters are not given back (the store has no refund).
   */
  takeEach<Volume>(
    volumes: ReadonlyMap<string, Volume>,
    amountOf: (volume: Volume) => number,
    nowMs: number
  ): Promise<RateRefusal | undefined> | undefined {
    const asks: { cluster: string; rate: ClusterRateLimit; amount: number }[] =
      [];
    for (const [cluster, volume] of volumes) {
      const rate = this.limitOf(cluster);
      const amount = amountOf(volume);
      if (rate.ratePerSecond !== 0 && amount > 0)
        asks.push({ cluster, rate, amount });
    }
    if (asks.length === 0) return undefined;
    if (asks.length === 1) {
      const only = asks[0]!;
      return this.takeOne(only.cluster, only.rate, only.amount, nowMs);
    }
    return this._takeAll(asks, nowMs);
  }

  /** The retryable refusal to throw, in the signal's words. */
  errorOf(refusal: RateRefusal): OverloadedError {
    const unit = this._unit;
    return new OverloadedError(
      `cannot accept ${refusal.amount} ${unit.amountNoun} for cluster ${JSON.stringify(refusal.cluster)}: ` +
        `over its ${unit.limitName} of ${refusal.rate.ratePerSecond} ${unit.unit}/s with burst ${refusal.rate.burst}; ` +
        `retry in ${formatSeconds(refusal.retryAfterMs)}`,
      unit.reason,
      refusal.retryAfterMs,
      unit.httpStatus
    );
  }

  private async _takeAll(
    asks: readonly {
      cluster: string;
      rate: ClusterRateLimit;
      amount: number;
    }[],
    nowMs: number
  ): Promise<RateRefusal | undefined> {
    const takes = await Promise.all(
      asks.map(a => this._ask(a.cluster, a.rate, a.amount, nowMs))
    );
    let refused: RateRefusal | undefined;
    for (let i = 0; i < asks.length; i++) {
      const take = takes[i]!;
      if (take.allowed) continue;
      const ask = asks[i]!;
      const refusal = refusalOf(ask.cluster, ask.rate, ask.amount, take);
      if (refused === undefined || refusal.retryAfterMs > refused.retryAfterMs)
        refused = refusal;
    }
    return refused;
  }

  private _ask(
    cluster: string,
    rate: ClusterRateLimit,
    amount: number,
    nowMs: number
  ): Promise<TokenTake> {
    return this._store.takeTokens(
      this._unit.bucketPrefix + cluster,
      amount,
      rate.ratePerSecond,
      rate.burst,
      nowMs
    );
  }
}

function refusalOf(
  cluster: string,
  rate: ClusterRateLimit,
  amount: number,
  take: TokenTake
): RateRefusal {
  return {
    cluster,
    rate,
    amount,
    retryAfterMs: Math.max(1, Math.ceil(take.retryAfterMs)),
  };
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
