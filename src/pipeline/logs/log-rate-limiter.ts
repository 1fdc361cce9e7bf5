/**
 * Log ingestion rate limit: body bytes per second per cluster, with a burst,
 * like Loki's `ingestion_rate_mb` / `ingestion_burst_size_mb` and like the
 * samples limit: the same per-cluster token buckets (pipeline/rate,
 * ClusterRateLimiter), so the bucket lives in the state store and every
 * replica takes from the same one. Only the bucket
 * (`log_ingestion_rate:<cluster>`), the unit and the status (429) differ.
 *
 * Over the limit the whole request is refused with a retryable
 * OverloadedError (429 for OTLP, with Retry-After): the sender keeps its
 * logs and retries; nothing is dropped here. Each cluster has its own
 * bucket, so one cluster's flood never starves another.
 */
import type { LogLimitsConfig } from '../../config/index.js';
import { UNREGISTERED_CLUSTER } from '../normalize-labels.js';
import {
  ClusterRateLimiter,
  type ClusterRateLimit,
  type RateLimitUnit,
  type TokenBucketStore,
} from '../rate/index.js';
import type { Stage } from '../stage.js';
import type { LogBatch } from '../../model/index.js';
import type { LogStageContext } from './log-stage-context.js';

/** OverloadedError.reason and the `reason` label of refused log volume. */
export const LOG_RATE_LIMITED_REASON = 'log_rate_limited';

/** Prefix of each cluster's bucket in the state store. */
export const LOG_INGESTION_RATE_BUCKET_PREFIX = 'log_ingestion_rate:';

const LOG_BYTES: RateLimitUnit = {
  bucketPrefix: LOG_INGESTION_RATE_BUCKET_PREFIX,
  amountNoun: 'bytes of logs',
  limitName: 'log ingestion rate limit',
  unit: 'bytes',
  reason: LOG_RATE_LIMITED_REASON,
  httpStatus: 429,
};

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
  private readonly _buckets: ClusterRateLimiter;
  private readonly _onRefused: (refusal: LogRateRefusal) => void;

  /**
   * @param limits `logs.limits` (bytes/s and burst bytes; rate 0 = unlimited), overridden per cluster.
   * @param onRefused told about each refusal the stage makes (for the caller's metrics).
   */
  constructor(
    limits: LogLimitsConfig,
    store: TokenBucketStore,
    onRefused: (refusal: LogRateRefusal) => void = () => undefined
  ) {
    this._onRefused = onRefused;
    this._buckets = new ClusterRateLimiter(
      LOG_BYTES,
      store,
      {
        ratePerSecond: limits.ingestion_rate_bytes,
        burst: limits.ingestion_burst_bytes,
      },
      Object.entries(limits.per_cluster).map(([name, override]) => [
        name,
        {
          ratePerSecond: override.ingestion_rate_bytes,
          burst: override.ingestion_burst_bytes,
        },
      ])
    );
  }

  /** Whether no cluster has a limit (then `take` never asks the store). */
  get isUnlimited(): boolean {
    return this._buckets.isUnlimited;
  }

  /** As a stage: charges the volume the line-length stage added up. */
  process(
    _batch: LogBatch,
    context: LogStageContext
  ): Promise<void> | undefined {
    if (this._buckets.isUnlimited) return undefined;
    return this.take(
      context.volumes,
      context.identity.kind === 'anonymous',
      context.receivedAtMs,
      this._onRefused
    );
  }

  /** The limit of a cluster (bytes/s and burst; rate 0 = unlimited). */
  limitOf(cluster: string): ClusterRateLimit {
    return this._buckets.limitOf(cluster);
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
    if (this._buckets.isUnlimited) return;
    const refused = await this._buckets.takeEach(volumes, bytesOf, nowMs);
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
    throw this._buckets.errorOf(refused);
  }
}

function bytesOf(volume: LogVolume): number {
  return volume.bytes;
}
