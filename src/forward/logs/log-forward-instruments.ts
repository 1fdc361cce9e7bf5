/**
 * The forward metrics of one log downstream, bound to its `downstream`
 * label once. Per-request ones (requests by status, retries, send duration,
 * last success) are the gateway's shared forward metrics, so dashboards show
 * log and metric downstreams side by side; volumes are counted in records,
 * on log-specific metrics (the shared ones count samples):
 *
 * - `fleetgate_forward_log_records_total{downstream}`: delivered;
 * - `fleetgate_forward_set_aside_log_records_total{downstream,reason}`:
 *   refused for good by the downstream (a 4xx but 429), set aside so the
 *   queue moves on; `reason` is `http_<status>`;
 * - `fleetgate_forward_queue_log_records{downstream}` and
 *   `fleetgate_forward_queue_capacity_log_records{downstream}`.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SelfMetrics } from '../../telemetry/index.js';
import type { RetryReason } from '../export-result.js';
import type { ShardInstruments } from '../queue-sender.js';

export const FORWARDED_LOG_RECORDS_METRIC =
  'fleetgate_forward_log_records_total';
export const SET_ASIDE_LOG_RECORDS_METRIC =
  'fleetgate_forward_set_aside_log_records_total';
export const QUEUED_LOG_RECORDS_METRIC = 'fleetgate_forward_queue_log_records';
export const LOG_QUEUE_CAPACITY_METRIC =
  'fleetgate_forward_queue_capacity_log_records';

export class LogForwardInstruments implements ShardInstruments {
  private readonly _metrics: SelfMetrics;
  private readonly _downstream: string;
  private readonly _forwarded: Counter.Internal;
  private readonly _setAside: Counter<'downstream' | 'reason'>;
  private readonly _queued: Gauge.Internal<'downstream'>;
  private readonly _capacity: Gauge.Internal<'downstream'>;

  constructor(metrics: SelfMetrics, downstream: string) {
    this._metrics = metrics;
    this._downstream = downstream;
    const registry = metrics.registry;
    const labels = { downstream };
    this._forwarded = counter(
      registry,
      FORWARDED_LOG_RECORDS_METRIC,
      'Log records delivered to a downstream.',
      ['downstream']
    ).labels(labels);
    this._setAside = counter(
      registry,
      SET_ASIDE_LOG_RECORDS_METRIC,
      'Log records a downstream refused for good (4xx other than 429), set aside so the queue moves on, by downstream and reason.',
      ['downstream', 'reason']
    );
    this._queued = gauge(
      registry,
      QUEUED_LOG_RECORDS_METRIC,
      'Log records waiting in the forward queue of a downstream.'
    ).labels(labels);
    this._capacity = gauge(
      registry,
      LOG_QUEUE_CAPACITY_METRIC,
      'Capacity of the forward queue of a log downstream, in records.'
    ).labels(labels);
    // inc(0), not set(0): after a reload the old forwarder of the same downstream may still be draining.
    this._queued.inc(0);
  }

  setCapacity(records: number): void {
    this._capacity.set(records);
  }

  /** Records appended to (positive) or removed from (negative) the queue. */
  addQueued(records: number): void {
    if (records !== 0) this._queued.inc(records);
  }

  /** One HTTP attempt; `httpStatus` undefined means no response. */
  recordRequest(httpStatus: number | undefined, seconds: number): void {
    this._metrics.forwardRequests.inc({
      downstream: this._downstream,
      status_code: httpStatus === undefined ? 'error' : String(httpStatus),
    });
    this._metrics.forwardSendDuration.observe(
      { downstream: this._downstream },
      seconds
    );
  }

  recordRetry(reason: RetryReason): void {
    this._metrics.forwardRetries.inc({ downstream: this._downstream, reason });
  }

  /** A batch the downstream took; `nowMs` is Unix time in ms. */
  recordDelivered(records: number, nowMs: number): void {
    this._forwarded.inc(records);
    this._metrics.forwardLastSuccess.set(
      { downstream: this._downstream },
      nowMs / 1000
    );
  }

  /** A batch the downstream refused for good: set aside; `reason` is `http_<status>`. */
  recordRefused(reason: string, records: number): void {
    this._setAside.inc({ downstream: this._downstream, reason }, records);
  }
}

function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[]
): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function gauge(
  registry: Registry,
  name: string,
  help: string
): Gauge<'downstream'> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Gauge) return existing;
  return new Gauge({
    name,
    help,
    labelNames: ['downstream'],
    registers: [registry],
  });
}
