/**
 * The forward metrics of one downstream, bound to its `downstream` label once
 * (STYLE rule 16) so the send path does not rebuild label sets.
 */
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { SelfMetrics } from '../telemetry/index.js';
import type { RetryReason } from './export-result.js';

export class ForwardInstruments {
  private readonly _metrics: SelfMetrics;
  private readonly _downstream: string;
  private readonly _forwarded: Counter.Internal;
  private readonly _queued: Gauge.Internal<'downstream'>;
  private readonly _capacity: Gauge.Internal<'downstream'>;
  private readonly _sendDuration: Histogram.Internal<'downstream'>;
  private readonly _lastSuccess: Gauge.Internal<'downstream'>;

  constructor(metrics: SelfMetrics, downstream: string) {
    this._metrics = metrics;
    this._downstream = downstream;
    const labels = { downstream };
    this._forwarded = metrics.forwardedSamples.labels(labels);
    this._queued = metrics.forwardQueueSamples.labels(labels);
    this._capacity = metrics.forwardQueueCapacity.labels(labels);
    this._sendDuration = metrics.forwardSendDuration.labels(labels);
    this._lastSuccess = metrics.forwardLastSuccess.labels(labels);
    // inc(0), not set(0): after a reload the old forwarder of the same
    // downstream may still be draining into this gauge.
    this._queued.inc(0);
  }

  setCapacity(points: number): void {
    this._capacity.set(points);
  }

  /** Points appended to (positive) or removed from (negative) the queue. */
  addQueued(points: number): void {
    if (points !== 0) this._queued.inc(points);
  }

  /** One HTTP attempt; `httpStatus` undefined means no response (network error, timeout). */
  recordRequest(httpStatus: number | undefined, seconds: number): void {
    this._metrics.forwardRequests.inc({
      downstream: this._downstream,
      status_code: httpStatus === undefined ? 'error' : String(httpStatus),
    });
    this._sendDuration.observe(seconds);
  }

  recordRetry(reason: RetryReason): void {
    this._metrics.forwardRetries.inc({ downstream: this._downstream, reason });
  }

  /** A batch the downstream took; `nowMs` is Unix time in ms. */
  recordDelivered(points: number, nowMs: number): void {
    this._forwarded.inc(points);
    this._lastSuccess.set(nowMs / 1000);
  }

  /** A batch the downstream refused for good, dropped; `reason` is `http_<status>`. */
  recordRefused(reason: string, points: number): void {
    this._metrics.forwardFailedSamples.inc(
      { downstream: this._downstream, reason },
      points
    );
  }
}
