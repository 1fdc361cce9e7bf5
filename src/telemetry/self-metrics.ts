/**
 * The gateway's own metrics, on a dedicated prom-client Registry (no global
 * default registry, so tests and several app instances never collide). Every
 * name is `fleetgate_`-prefixed; label values that come from senders are
 * bounded (cluster names come from the registry or are folded into
 * `unregistered`). Next to them, `otel` holds the same HTTP requests and the
 * runtime under OpenTelemetry names (otel-metrics.ts); `exposition()` serves
 * both in one scrape.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  Summary,
  collectDefaultMetrics,
} from 'prom-client';
import { OtelMetrics } from './otel-metrics.js';

export interface SelfMetricsOptions {
  /** Process and runtime metrics, of both families (default true; tests turn them off). */
  collectProcessMetrics?: boolean;
  /** fleetgate's version, for the OpenTelemetry `target_info`. */
  version?: string;
}

export class SelfMetrics {
  readonly registry: Registry;
  /** The OpenTelemetry-named metrics served next to the registry's. */
  readonly otel: OtelMetrics;

  readonly receivedSamples: Counter<'cluster' | 'protocol'>;
  readonly receivedHistograms: Counter<'cluster' | 'protocol'>;
  readonly receivedSeries: Counter<'cluster' | 'protocol'>;
  readonly receivedRequests: Counter<'cluster' | 'protocol'>;
  readonly rejectedRequests: Counter<'protocol' | 'reason'>;
  readonly droppedSeries: Counter<'cluster' | 'reason'>;
  readonly droppedSamples: Counter<'cluster' | 'reason'>;
  readonly labelConflicts: Counter<'cluster' | 'label'>;
  readonly requestDuration: Histogram<'handler' | 'code'>;
  readonly connectionsOpen: Gauge;
  readonly connectionsRefused: Counter<'reason'>;
  readonly connectionsTimedOut: Counter<'reason'>;

  readonly forwardedSamples: Counter<'downstream'>;
  readonly forwardRequests: Counter<'downstream' | 'status_code'>;
  readonly forwardRetries: Counter<'downstream' | 'reason'>;
  readonly forwardFailedSamples: Counter<'downstream' | 'reason'>;
  readonly forwardQueueSamples: Gauge<'downstream'>;
  readonly forwardQueueCapacity: Gauge<'downstream'>;
  readonly forwardSendDuration: Histogram<'downstream'>;
  readonly forwardLastSuccess: Gauge<'downstream'>;

  readonly stateDegraded: Gauge;

  readonly configReloads: Counter<'result'>;
  readonly configLastReloadSuccess: Gauge;
  readonly configLastReloadTimestamp: Gauge;

  /** Event loop delay quantiles and max since the previous scrape (collectProcessMetrics only). */
  readonly eventLoopDelay: Summary | undefined;
  readonly eventLoopDelayMax: Gauge | undefined;

  constructor(options: SelfMetricsOptions = {}) {
    const registry = new Registry();
    this.registry = registry;
    const registers = [registry];
    const collectProcessMetrics = options.collectProcessMetrics ?? true;
    if (collectProcessMetrics)
      collectDefaultMetrics({ register: registry, prefix: 'fleetgate_' });
    this.otel = new OtelMetrics({
      version: options.version ?? 'unknown',
      collectRuntimeMetrics: collectProcessMetrics,
    });

    this.receivedSamples = new Counter({
      name: 'fleetgate_received_samples_total',
      help: 'Float samples received, by cluster and protocol, before any limit.',
      labelNames: ['cluster', 'protocol'],
      registers,
    });
    this.receivedHistograms = new Counter({
      name: 'fleetgate_received_histograms_total',
      help: 'Native histogram samples received, by cluster and protocol.',
      labelNames: ['cluster', 'protocol'],
      registers,
    });
    this.receivedSeries = new Counter({
      name: 'fleetgate_received_series_total',
      help: 'Series (one per time series entry in a request) received, by cluster and protocol.',
      labelNames: ['cluster', 'protocol'],
      registers,
    });
    this.receivedRequests = new Counter({
      name: 'fleetgate_received_requests_total',
      help: 'Write requests accepted, by cluster and protocol.',
      labelNames: ['cluster', 'protocol'],
      registers,
    });
    this.rejectedRequests = new Counter({
      name: 'fleetgate_rejected_requests_total',
      help: 'Write requests refused, by protocol and reason (bad_data, unauthorized, too_large, request_limit, unsupported_media_type, timeout, overloaded, unavailable).',
      labelNames: ['protocol', 'reason'],
      registers,
    });
    this.droppedSeries = new Counter({
      name: 'fleetgate_series_dropped_total',
      help: 'Series dropped by a policy (relabel, cardinality, label limits, HA dedup), by cluster and reason.',
      labelNames: ['cluster', 'reason'],
      registers,
    });
    this.droppedSamples = new Counter({
      name: 'fleetgate_samples_dropped_total',
      help: 'Samples dropped by a policy, by cluster and reason.',
      labelNames: ['cluster', 'reason'],
      registers,
    });
    this.labelConflicts = new Counter({
      name: 'fleetgate_label_conflicts_total',
      help: 'Series whose sender-supplied canonical label disagreed with the registry and was overwritten.',
      labelNames: ['cluster', 'label'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'fleetgate_request_duration_seconds',
      help: 'HTTP request duration by handler and status code.',
      labelNames: ['handler', 'code'],
      buckets: [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
        5, 10,
      ],
      registers,
    });
    this.connectionsOpen = new Gauge({
      name: 'fleetgate_http_connections_open',
      help: 'HTTP connections open now (accepted and not refused).',
      registers,
    });
    this.connectionsRefused = new Counter({
      name: 'fleetgate_http_connections_refused_total',
      help: 'HTTP connections closed on accept, by reason (max_connections, per_source).',
      labelNames: ['reason'],
      registers,
    });
    this.connectionsTimedOut = new Counter({
      name: 'fleetgate_http_connections_timed_out_total',
      help: 'HTTP connections closed by a timeout, by reason (headers, body, idle).',
      labelNames: ['reason'],
      registers,
    });
    // Every reason is exported from the start, so a rate() over them never starts from nothing.
    for (const reason of ['max_connections', 'per_source'])
      this.connectionsRefused.inc({ reason }, 0);
    for (const reason of ['headers', 'body', 'idle'])
      this.connectionsTimedOut.inc({ reason }, 0);

    this.forwardedSamples = new Counter({
      name: 'fleetgate_forward_samples_total',
      help: 'Samples (floats and histograms) delivered to a downstream.',
      labelNames: ['downstream'],
      registers,
    });
    this.forwardRequests = new Counter({
      name: 'fleetgate_forward_requests_total',
      help: 'Requests sent to a downstream, by status code (or "error" for a network failure).',
      labelNames: ['downstream', 'status_code'],
      registers,
    });
    this.forwardRetries = new Counter({
      name: 'fleetgate_forward_retries_total',
      help: 'Send attempts retried, by downstream and reason (5xx, 429, network).',
      labelNames: ['downstream', 'reason'],
      registers,
    });
    this.forwardFailedSamples = new Counter({
      name: 'fleetgate_forward_failed_samples_total',
      help: 'Samples a downstream refused permanently (4xx other than 429), by downstream and reason.',
      labelNames: ['downstream', 'reason'],
      registers,
    });
    this.forwardQueueSamples = new Gauge({
      name: 'fleetgate_forward_queue_samples',
      help: 'Samples waiting in the forward queue of a downstream.',
      labelNames: ['downstream'],
      registers,
    });
    this.forwardQueueCapacity = new Gauge({
      name: 'fleetgate_forward_queue_capacity_samples',
      help: 'Capacity of the forward queue of a downstream, in samples.',
      labelNames: ['downstream'],
      registers,
    });
    this.forwardSendDuration = new Histogram({
      name: 'fleetgate_forward_send_duration_seconds',
      help: 'Duration of one send to a downstream.',
      labelNames: ['downstream'],
      buckets: [
        0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
      ],
      registers,
    });
    this.forwardLastSuccess = new Gauge({
      name: 'fleetgate_forward_last_success_timestamp_seconds',
      help: 'Unix time of the last successful send to a downstream.',
      labelNames: ['downstream'],
      registers,
    });

    this.stateDegraded = new Gauge({
      name: 'fleetgate_state_degraded',
      help: 'Whether shared state (Redis) is unreachable and this replica answers from local state (1) or not (0).',
      registers,
    });

    this.configReloads = new Counter({
      name: 'fleetgate_config_reloads_total',
      help: 'Configuration reloads by result (success, failure).',
      labelNames: ['result'],
      registers,
    });
    this.configLastReloadSuccess = new Gauge({
      name: 'fleetgate_config_last_reload_successful',
      help: 'Whether the last configuration reload succeeded (1) or failed (0).',
      registers,
    });
    this.configLastReloadTimestamp = new Gauge({
      name: 'fleetgate_config_last_reload_success_timestamp_seconds',
      help: 'Unix time of the last successful configuration load.',
      registers,
    });
    this.configLastReloadSuccess.set(1);
    this.configLastReloadTimestamp.set(Date.now() / 1000);

    if (options.collectProcessMetrics ?? true) {
      const delay = eventLoopDelayGauges(registers);
      this.eventLoopDelay = delay.quantiles;
      this.eventLoopDelayMax = delay.max;
    }
  }

  /** Content type of `exposition()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * GET /metrics: the registry's families, then the OpenTelemetry ones. Both
   * are the Prometheus text format and share no name (see otel-metrics.ts).
   */
  async exposition(): Promise<string> {
    const [own, otel] = await Promise.all([
      this.registry.metrics(),
      this.otel.metrics(),
    ]);
    return own.endsWith('\n') ? own + otel : `${own}\n${otel}`;
  }
}

/** Sampling period of the event loop delay histogram. */
const EVENT_LOOP_RESOLUTION_MS = 10;

type IntervalHistogram = ReturnType<typeof monitorEventLoopDelay>;
const EVENT_LOOP_QUANTILES = [0.5, 0.9, 0.99] as const;

/**
 * `fleetgate_event_loop_delay_seconds` (a summary: quantiles, `_sum`,
 * `_count`) and `…_max_seconds`, from perf_hooks.monitorEventLoopDelay
 * (#11: no request may hold the loop for long; this shows whether one did).
 * Each scrape reads the histogram and resets it, so the quantiles and the
 * max cover the time since the previous scrape, while `_sum` and `_count`
 * add up, as a summary's must.
 */
function eventLoopDelayGauges(registers: Registry[]): {
  quantiles: EventLoopDelaySummary;
  max: Gauge;
} {
  // The histogram's timer is unref'd: it keeps no process alive.
  const histogram = monitorEventLoopDelay({
    resolution: EVENT_LOOP_RESOLUTION_MS,
  });
  histogram.enable();
  // Both read the same interval: the max gauge (collected second,
  // registration order) resets the histogram after the quantiles are read.
  const quantiles = new EventLoopDelaySummary(histogram, registers);
  const max = new Gauge({
    name: 'fleetgate_event_loop_delay_max_seconds',
    help: 'Longest event loop delay since the previous scrape (perf_hooks.monitorEventLoopDelay).',
    registers,
    collect() {
      this.set(histogram.count === 0 ? 0 : histogram.max / 1e9);
      histogram.reset();
    },
  });
  return { quantiles, max };
}

/**
 * A summary whose quantiles come from Node's own delay histogram rather than
 * from observe() calls: prom-client's Summary with its `get()` answering from
 * that histogram, so the exposition says `# TYPE … summary` (promtool refuses
 * `quantile` on a gauge).
 */
class EventLoopDelaySummary extends Summary {
  private readonly _histogram: IntervalHistogram;
  private _sumSeconds = 0;
  private _count = 0;

  constructor(histogram: IntervalHistogram, registers: Registry[]) {
    super({
      name: 'fleetgate_event_loop_delay_seconds',
      help: `Event loop delay since the previous scrape, by quantile (perf_hooks.monitorEventLoopDelay, sampled every ${EVENT_LOOP_RESOLUTION_MS} ms).`,
      percentiles: [...EVENT_LOOP_QUANTILES],
      registers,
    });
    this._histogram = histogram;
  }

  /** Summary's own answer (name, help, type), with the values read from the histogram. */
  override async get(): ReturnType<Summary['get']> {
    // Read before the first await: the max gauge, collected next, resets the histogram.
    const h = this._histogram;
    const isEmpty = h.count === 0;
    const quantiles = EVENT_LOOP_QUANTILES.map(q => ({
      labels: { quantile: q },
      value: isEmpty ? 0 : h.percentile(q * 100) / 1e9,
    }));
    this._count += h.count;
    if (!isEmpty) this._sumSeconds += (h.mean * h.count) / 1e9;
    const own = await super.get();
    return {
      ...own,
      values: [
        ...quantiles,
        { metricName: `${own.name}_sum`, labels: {}, value: this._sumSeconds },
        { metricName: `${own.name}_count`, labels: {}, value: this._count },
      ],
    };
  }
}
