/**
 * Log ingestion rate limit: body bytes per second per cluster, with a burst,
 * like Loki's `ingestion_rate_mb` / `ingestion_burst_size_mb` and like the
 * samples limit (pipeline/rate): the same `takeTokens` seam, so the bucket
 * lives in the state store and every replica takes from the same one. Only
 * the bucket (`log_ingestion_rate:<cluster>`) and the unit differ.
 *
 * Over the limit the whole request is refused with a retryable
 * OverloadedError (429 for OTLP, with Retry-After): the sender keeps its
 * logs and retries; nothing is dropped here. Each cluster has its own
 * bucket, so one cluster's flood never starves another.
 */
import type { LogLimitsConfig } from '../../config/index.js';
import { OverloadedError } from '../../errors.js';
import { UNREGISTERED_CLUSTER } from '../normalize-labels.js';
import type { ClusterRateLimit, TokenBucketStore } from '../rate/index.js';
import type { Stage } from '../stage.js';
import type { LogBatch } from '../../model/index.js';
import type { LogStageContext } from './log-stage-context.js';

/** OverloadedError.reason and the `reason` label of refused log volume. */
export const LOG_RATE_LIMITED_REASON = 'log_rate_limited';

/** Prefix of each cluster's bucket in the state store. */
export const LOG_INGESTION_RATE_BUCKET_PREFIX = 'log_ingestion_rate:';

/** Log volume of one request for one cluster. */
export interface LogVolume {
  records: number;
  bytes: number;
}

/** A refusal, for the caller's metrics: what was refused, under which bounded cluster name. */
export interface LogRateRefusal {
  readonly metricCluster: string;
  readonly records: number;
  readonly bytes: number;
}

export class LogRateLimiter implements Stage<LogBatch, LogStageContext> {
  readonly name = 'log_rate';
  private readonly _store: TokenBucketStore;
  private readonly _onRefused: (refusal: LogRateRefusal) => void;
  private readonly _default: ClusterRateLimit;
  private readonly _perCluster = new Map<string, ClusterRateLimit>();
  private readonly _isUnlimited: boolean;

  /**
   * @param limits `logs.limits` (bytes/s and burst bytes; rate 0 = unlimited), overridden per cluster.
   * @param onRefused told about each refusal the stage makes (for the caller's metrics).
   */
  constructor(
    limits: LogLimitsConfig,
    store: TokenBucketStore,
    onRefused: (refusal: LogRateRefusal) => void = () => undefined
  ) {
    this._store = store;
    this._onRefused = onRefused;
    this._default = rateOf(
      limits.ingestion_rate_bytes,
      limits.ingestion_burst_bytes
    );
    let isUnlimited = this._default.ratePerSecond === 0;
    for (const name of Object.keys(limits.per_cluster)) {
      const override = limits.per_cluster[name]!;
      const rate = rateOf(
        override.ingestion_rate_bytes ?? limits.ingestion_rate_bytes,
        override.ingestion_burst_bytes ?? limits.ingestion_burst_bytes
      );
      this._perCluster.set(name, rate);
      if (rate.ratePerSecond !== 0) isUnlimited = false;
    }
    this._isUnlimited = isUnlimited;
  }

  /** Whether no cluster has a limit (then `take` never asks the store). */
  get isUnlimited(): boolean {
    return this._isUnlimited;
  }

  /** As a stage: charges the volume the line-length stage added up. */
  process(
    _batch: LogBatch,
    context: LogStageContext
  ): Promise<void> | undefined {
    if (this._isUnlimited) return undefined;
    return this.take(
      context.volumes,
      context.identity.kind === 'anonymous',
      context.receivedAtMs,
      this._onRefused
    );
  }

  /** The limit of a cluster (bytes/s and burst; rate 0 = unlimited). */
  limitOf(cluster: string): ClusterRateLimit {
    return this._perCluster.get(cluster) ?? this._default;
  }

  /**
   * Takes each cluster's bytes from its bucket (one store call per limited
   * cluster; with a token there is one cluster). Resolves when all are
   * allowed; otherwise calls `onRefused` and rejects with an OverloadedError
   * whose Retry-After is the longest wait. Tokens taken from other clusters
   * of the same (anonymous) request are not given back.
   *
   * @param volumes canonical cluster → live volume of this request.
   * @param isAnonymous whether metrics must say `unregistered` (anonymous senders).
   */
  async take(
    volumes: ReadonlyMap<string, LogVolume>,
    isAnonymous: boolean,
    nowMs: number,
    onRefused: (refusal: LogRateRefusal) => void
  ): Promise<void> {
    if (this._isUnlimited) return;
    const asks: { cluster: string; rate: ClusterRateLimit; bytes: number }[] =
      [];
    for (const [cluster, volume] of volumes) {
      const rate = this.limitOf(cluster);
      if (rate.ratePerSecond !== 0 && volume.bytes > 0)
        asks.push({ cluster, rate, bytes: volume.bytes });
    }
    if (asks.length === 0) return;
    const takes = await Promise.all(
      asks.map(a =>
        this._store.takeTokens(
          LOG_INGESTION_RATE_BUCKET_PREFIX + a.cluster,
          a.bytes,
          a.rate.ratePerSecond,
          a.rate.burst,
          nowMs
        )
      )
    );
    let refused:
      | {
          cluster: string;
          rate: ClusterRateLimit;
          bytes: number;
          retryAfterMs: number;
        }
      | undefined;
    for (let i = 0; i < asks.length; i++) {
      const take = takes[i]!;
      if (take.allowed) continue;
      const retryAfterMs = Math.max(1, Math.ceil(take.retryAfterMs));
      if (refused === undefined || retryAfterMs > refused.retryAfterMs)
        refused = { ...asks[i]!, retryAfterMs };
    }
    if (refused === undefined) return;
    // The sender resends the whole request: all of it is counted as refused.
    let records = 0;
    let bytes = 0;
    for (const volume of volumes.values()) {
      records += volume.records;
      bytes += volume.bytes;
    }
    onRefused({
      metricCluster: isAnonymous ? UNREGISTERED_CLUSTER : refused.cluster,
      records,
      bytes,
    });
    throw new OverloadedError(
      `cannot accept ${refused.bytes} bytes of logs for cluster ${JSON.stringify(refused.cluster)}: ` +
        `over its log ingestion rate limit of ${refused.rate.ratePerSecond} bytes/s with burst ${refused.rate.burst}; ` +
        `retry in ${formatSeconds(refused.retryAfterMs)}`,
      LOG_RATE_LIMITED_REASON,
      refused.retryAfterMs,
      429
    );
  }
}

/** A burst of 0 means one second's worth (see IngestionRateLimiter: 0 would let everything through). */
function rateOf(ratePerSecond: number, burst: number): ClusterRateLimit {
  return { ratePerSecond, burst: burst === 0 ? ratePerSecond : burst };
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}
