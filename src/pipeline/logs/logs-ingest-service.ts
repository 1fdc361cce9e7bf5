/**
 * What every OTLP logs write does after decoding, in order:
 *
 * 1. normalize: canonical cluster/region/env/team on every resource (LogNormalizer);
 * 2. refuse records one by one that no downstream would take (a body over
 *    `logs.max_line_bytes`): they are reported back as OTLP partial success,
 *    the rest lands;
 * 3. limit: log volume per cluster against its token bucket (LogRateLimiter);
 *    over it, the whole request is refused with a retryable 429;
 * 4. forward: the live records are encoded and appended to every log
 *    downstream's queue, all or nothing (a full queue refuses with 429);
 * 5. count: records and body bytes per cluster, conflicts, refusals;
 * 6. observe: each observer (tap) sees the normalized batch and the identity,
 *    after the data is acknowledged, so a sender's retry of a refused request
 *    is never observed twice. Observers are read-only; one that throws is
 *    counted and reported through `onObserverError`, and the request still
 *    succeeds (its data is already queued).
 *
 * Built anew with each configuration (like the metrics pipeline); a request
 * keeps the service it started with.
 */
import type { Registry } from 'prom-client';
import type { LogsConfig } from '../../config/index.js';
import type { ClusterRegistry } from '../../fleet/index.js';
import type { LogBatch } from '../../model/index.js';
import type { NormalizeOptions } from '../canonical-label-resolver.js';
import type { Identity } from '../identify.js';
import { UNREGISTERED_CLUSTER } from '../normalize-labels.js';
import type { TokenBucketStore } from '../rate/index.js';
import { Pipeline } from '../pipeline.js';
import { StageTally } from '../stage.js';
import {
  notifyObservers,
  type BatchObserver,
  type ObservedWrite,
} from '../batch-observer.js';
import { LogIngestMetrics } from './log-ingest-metrics.js';
import { LogLineLimit } from './log-line-limit.js';
import { LogNormalizer } from './log-normalizer.js';
import type { LogStageContext } from './log-stage-context.js';
import {
  LOG_RATE_LIMITED_REASON,
  LogRateLimiter,
  type LogVolume,
} from './log-rate-limiter.js';

/** `reason` label of records refused for their size. */
export const LINE_TOO_LONG_REASON = 'line_too_long';

/** A read-only tap on accepted log batches (e.g. the Kubernetes events extractor); resources carry their canonical attributes and `cluster`. */
export type LogBatchObserver = BatchObserver<LogBatch>;

/** Where accepted batches go; LogForwardFanout implements it. */
export interface LogBatchForwarder {
  /**
   * Encodes the live records and appends them to every downstream, or to
   * none: throws OverloadedError (queue full) or UnavailableError (stopping)
   * before anything is appended.
   */
  /** Copies the records out synchronously; a returned promise resolves when they are durable. */
  enqueue(batch: LogBatch): Promise<void> | undefined;
}

export interface LogsIngestServiceDeps {
  /** The cluster registry of this configuration. */
  readonly registry: ClusterRegistry;
  /** `normalize.aliases` and `normalize.unknown_cluster` (the same as for metrics). */
  readonly normalize: NormalizeOptions;
  /** The `logs` config section (`max_line_bytes`, `limits`). */
  readonly logs: Pick<LogsConfig, 'max_line_bytes' | 'limits'>;
  /** Token buckets (the StateStore satisfies it). */
  readonly store: TokenBucketStore;
  /** Where the log metrics live (SelfMetrics.registry). */
  readonly metricsRegistry: Registry;
  /** Undefined (or a fan-out with no downstream): logs are acknowledged once observed. */
  readonly forwarder?: LogBatchForwarder | undefined;
  readonly observers?: readonly LogBatchObserver[] | undefined;
  /** Told about an observer that threw (the request still succeeds). */
  readonly onObserverError?:
    ((err: unknown, observer: string) => void) | undefined;
}

export interface LogsIngestOutcome {
  /** Live records, appended to the forward queues (acknowledged). */
  readonly acceptedRecords: number;
  /** Records refused one by one (OTLP `partial_success.rejected_log_records`). */
  readonly rejectedRecords: number;
  /** Why, for `partial_success.error_message`; '' when nothing was refused. */
  readonly message: string;
}

export class LogsIngestService {
  private readonly _pipeline: Pipeline<LogBatch, LogStageContext>;
  private readonly _metrics: LogIngestMetrics;
  private readonly _maxLineBytes: number;
  private readonly _forwarder: LogBatchForwarder | undefined;
  private readonly _observers: LogBatchObserver[];
  private readonly _onObserverError:
    ((err: unknown, observer: string) => void) | undefined;

  constructor(deps: LogsIngestServiceDeps) {
    const metrics = new LogIngestMetrics(deps.metricsRegistry);
    this._metrics = metrics;
    // Steps 1 to 3 above, in order.
    this._pipeline = new Pipeline<LogBatch, LogStageContext>([
      new LogNormalizer(deps.registry, deps.normalize),
      new LogLineLimit(deps.logs.max_line_bytes),
      new LogRateLimiter(deps.logs.limits, deps.store, refusal => {
        metrics.refusedBytes.inc(
          { cluster: refusal.metricCluster, reason: LOG_RATE_LIMITED_REASON },
          refusal.bytes
        );
      }),
    ]);
    this._maxLineBytes = deps.logs.max_line_bytes;
    this._forwarder = deps.forwarder;
    this._observers = [...(deps.observers ?? [])];
    this._onObserverError = deps.onObserverError;
  }

  /** Adds a tap that sees every accepted batch from now on. */
  addObserver(observer: LogBatchObserver): void {
    this._observers.push(observer);
  }

  /**
   * Runs the steps above over a decoded batch. Throws OverloadedError (429,
   * rate limit or full queue) or UnavailableError (forwarding stopping)
   * before anything is acknowledged.
   *
   * @param receivedAtMs Unix ms the request arrived (stamps records without a time; the rate limit's clock).
   */
  async accept(
    batch: LogBatch,
    identity: Identity,
    receivedAtMs: number
  ): Promise<LogsIngestOutcome> {
    batch.receivedAtMs = receivedAtMs;
    const tally = new StageTally();
    const volumes = new Map<string, LogVolume>();
    const tooLong = new Map<string, number>();
    await this._pipeline.run(batch, {
      identity,
      protocol: 'otlp',
      receivedAtMs,
      tally,
      volumes,
      tooLong,
    });
    let rejected = 0;
    for (const count of tooLong.values()) rejected += count;

    let accepted = 0;
    for (const volume of volumes.values()) accepted += volume.records;
    if (accepted > 0 && this._forwarder !== undefined) {
      const durable = this._forwarder.enqueue(batch);
      if (durable !== undefined) await durable;
    }

    this._count(identity, volumes, tooLong, tally);
    const observed = this._observe(batch, identity, receivedAtMs, tally);
    if (observed !== undefined) await observed;
    return {
      acceptedRecords: accepted,
      rejectedRecords: rejected,
      message: this._message(tooLong),
    };
  }

  private _count(
    identity: Identity,
    volumes: ReadonlyMap<string, LogVolume>,
    tooLong: ReadonlyMap<string, number>,
    tally: StageTally
  ): void {
    const metrics = this._metrics;
    // Bounded label values: a token's registered cluster, else `unregistered` (as metrics do).
    const fixed =
      identity.kind === 'cluster'
        ? identity.cluster.name
        : UNREGISTERED_CLUSTER;
    let records = 0;
    let bytes = 0;
    for (const volume of volumes.values()) {
      records += volume.records;
      bytes += volume.bytes;
    }
    if (records > 0) {
      metrics.receivedRecords.inc({ cluster: fixed }, records);
      metrics.receivedBytes.inc({ cluster: fixed }, bytes);
    }
    let refused = 0;
    for (const count of tooLong.values()) refused += count;
    if (refused > 0)
      metrics.rejectedRecords.inc(
        { cluster: fixed, reason: LINE_TOO_LONG_REASON },
        refused
      );
    for (const [key, count] of tally.conflicts) {
      const label = key.slice(key.indexOf('\x00') + 1);
      metrics.labelConflicts.inc({ cluster: fixed, label }, count);
    }
  }

  private _observe(
    batch: LogBatch,
    identity: Identity,
    receivedAtMs: number,
    tally: StageTally
  ): Promise<void> | undefined {
    if (this._observers.length === 0) return undefined;
    const write: ObservedWrite = {
      identity,
      protocol: 'otlp',
      receivedAtMs,
      tally,
      sender: {},
    };
    return notifyObservers(this._observers, batch, write, (err, observer) => {
      this._metrics.observerErrors.inc({ observer });
      this._onObserverError?.(err, observer);
    });
  }

  private _message(tooLong: ReadonlyMap<string, number>): string {
    const parts: string[] = [];
    for (const [cluster, count] of tooLong) {
      parts.push(
        `${count} log records refused for cluster ${cluster}: body longer than the ${this._maxLineBytes}-byte limit (logs.max_line_bytes)`
      );
    }
    return parts.join('; ');
  }
}
