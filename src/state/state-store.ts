/**
 * What fleetgate replicas share. One interface, two implementations: memory
 * (the default: one replica, fastest) and Redis (several replicas agree).
 * One contract suite (test/contract/state-store.contract.ts) runs against
 * both.
 *
 * Every method is about one concept the gateway needs, not a generic
 * key-value API, so each can be implemented atomically (Lua in Redis) and
 * hash-tagged per cluster for Redis Cluster.
 *
 * A Redis outage must never stop ingestion: the Redis store then answers
 * from local state, reports `health().degraded`, and converges again when
 * Redis is back.
 *
 * Methods reject only on invalid arguments (a RangeError: a caller bug);
 * a backend failure is never surfaced to the caller. Times are the caller's
 * `nowMs`; no store reads a clock for its answers.
 */
import type { SnapshotTransport } from './snapshot/index.js';

export type { ReplicaSnapshot } from './snapshot/index.js';

export interface StoreHealth {
  /** True while the shared backend is unreachable and answers come from local state. */
  readonly degraded: boolean;
  /** Why degraded (e.g. "redis: connect ECONNREFUSED 127.0.0.1:6390"). */
  readonly reason?: string;
}

/** Series (as 64-bit hashes) seen active now in one sketch. */
export interface SketchAdd {
  /**
   * Which set: a cluster's series (`cluster` set, `metric` undefined), a
   * metric's series within a cluster (`cluster` and `metric`), or a metric's
   * series fleet-wide (`cluster` undefined, `metric` set).
   */
  readonly cluster: string | undefined;
  readonly metric: string | undefined;
  /** Series hashes as 16 hex digits. */
  readonly hashes: readonly string[];
}

export interface TokenBucketResult {
  readonly allowed: boolean;
  /** Tokens left after this take (0 when refused). */
  readonly remaining: number;
  /** When refused: how long until `tokens` would be available. */
  readonly retryAfterMs: number;
}

export interface HaElection {
  /** The elected replica for the cluster. */
  readonly leader: string;
  readonly isLeader: boolean;
}

/**
 * Snapshots (`publishSnapshot`, `readSnapshots`, `isShared`) are the
 * transport of the snapshot-and-merge component (snapshot/): a store is how
 * replicas exchange them.
 */
export interface StateStore extends SnapshotTransport {
  readonly kind: 'memory' | 'redis';

  health(): StoreHealth;

  /**
   * Marks series active in the current time bucket (Redis: PFADD into
   * bucketed HyperLogLogs that expire after the active window). Buckets are
   * ACTIVE_SERIES_BUCKET_MS (60 s) wide; `nowMs` should not go backwards
   * for one set.
   */
  addActiveSeries(adds: readonly SketchAdd[], nowMs: number): Promise<void>;

  /**
   * Distinct series active within `windowMs` before `nowMs` in one set
   * (Redis: PFCOUNT over the union of the window's buckets; standard error
   * 0.81%). Bucket rounding: a series last added at `t` is counted at least
   * while `nowMs - t < windowMs`, and at most one bucket longer. Rejects
   * a `windowMs` that is not > 0 with a RangeError.
   */
  countActiveSeries(
    cluster: string | undefined,
    metric: string | undefined,
    windowMs: number,
    nowMs: number
  ): Promise<number>;

  /**
   * Takes `tokens` from a token bucket refilled at `ratePerSecond` up to
   * `burst`, atomically across replicas. A take larger than `burst` is
   * allowed when the bucket is full (a single request must always be able to
   * pass eventually); the bucket then owes the excess (holds `burst - tokens`,
   * below zero), so the rate still holds over time. `remaining` is in whole
   * tokens. Rejects `tokens < 0`, `ratePerSecond <= 0` or `burst <= 0` with
   * a RangeError.
   */
  takeTokens(
    bucket: string,
    tokens: number,
    ratePerSecond: number,
    burst: number,
    nowMs: number
  ): Promise<TokenBucketResult>;

  /**
   * HA pair election for one cluster (Mimir's HA tracker): the first replica
   * to ask becomes leader; the leader's lease is renewed by its own samples;
   * another replica takes over only when the leader sent nothing for
   * `failoverTimeoutMs` (strictly longer than it, as Mimir).
   */
  electReplica(
    cluster: string,
    replica: string,
    nowMs: number,
    failoverTimeoutMs: number
  ): Promise<HaElection>;

  /** Releases the backend connection; idempotent, never hangs. */
  close(): Promise<void>;
}
