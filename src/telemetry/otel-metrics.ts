/**
 * The gateway's metrics under OpenTelemetry semantic-convention names, for
 * dashboards built on them, served on the same GET /metrics as prom-client's
 * `fleetgate_*` families:
 *
 * - `http.server.request.duration` (histogram, seconds) for every routed
 *   request, with `http.request.method`, `http.route`,
 *   `http.response.status_code`, `url.scheme` and, on 5xx, `error.type`;
 * - runtime gauges read at scrape time: `v8js.memory.heap.used` and
 *   `v8js.memory.heap.limit` per heap space, `nodejs.eventloop.utilization`;
 * - `target_info` with the service name and version.
 *
 * An @opentelemetry/sdk-metrics MeterProvider records them; the
 * @opentelemetry/exporter-prometheus reader collects and serializes them on
 * each scrape (it starts no server of its own). No name can collide with
 * prom-client's: every one of those starts with `fleetgate_`, and none of
 * these does; each family appears once, with one HELP and one TYPE.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Attributes, Histogram } from '@opentelemetry/api';
import {
  PrometheusExporter,
  PrometheusSerializer,
} from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_SCHEME,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions';

/** The instrumentation scope (`otel_scope_name` on every series). */
export const OTEL_METER_NAME = 'fleetgate';

/** The buckets the HTTP semantic conventions advise for request durations, in seconds. */
const HTTP_DURATION_BUCKETS_S = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

// Runtime metric names of the semantic conventions (still "development"
// there, so not exported by the stable entry point of the package).
const METRIC_V8JS_MEMORY_HEAP_USED = 'v8js.memory.heap.used';
const METRIC_V8JS_MEMORY_HEAP_LIMIT = 'v8js.memory.heap.limit';
const METRIC_NODEJS_EVENTLOOP_UTILIZATION = 'nodejs.eventloop.utilization';
const ATTR_V8JS_HEAP_SPACE_NAME = 'v8js.heap.space.name';

export interface OtelMetricsOptions {
  /** `service.version` on target_info. */
  version: string;
  /** Heap and event loop gauges (default true; tests turn them off). */
  collectRuntimeMetrics?: boolean;
}

export class OtelMetrics {
  /** Content type of `metrics()`: the Prometheus text format, as prom-client's. */
  static readonly CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

  private readonly _provider: MeterProvider;
  private readonly _reader: PrometheusExporter;
  private readonly _serializer = new PrometheusSerializer();
  private readonly _requestDuration: Histogram;

  constructor(options: OtelMetricsOptions) {
    this._reader = new PrometheusExporter({ preventServerStart: true });
    this._provider = new MeterProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: 'fleetgate',
        [ATTR_SERVICE_VERSION]: options.version,
      }),
      readers: [this._reader],
    });
    const meter = this._provider.getMeter(OTEL_METER_NAME, options.version);
    this._requestDuration = meter.createHistogram(
      METRIC_HTTP_SERVER_REQUEST_DURATION,
      {
        description: 'Duration of HTTP server requests.',
        unit: 's',
        advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS_S },
      }
    );
    if (options.collectRuntimeMetrics ?? true) {
      const heapUsed = meter.createObservableGauge(
        METRIC_V8JS_MEMORY_HEAP_USED,
        { description: 'Heap memory size in use, by heap space.', unit: 'By' }
      );
      const heapLimit = meter.createObservableGauge(
        METRIC_V8JS_MEMORY_HEAP_LIMIT,
        {
          description: 'Heap memory size allocated, by heap space.',
          unit: 'By',
        }
      );
      meter.addBatchObservableCallback(
        result => {
          for (const space of getHeapSpaceStatistics()) {
            const attributes = {
              [ATTR_V8JS_HEAP_SPACE_NAME]: space.space_name,
            };
            result.observe(heapUsed, space.space_used_size, attributes);
            result.observe(heapLimit, space.space_size, attributes);
          }
        },
        [heapUsed, heapLimit]
      );
      // Utilization since the previous scrape (since start on the first).
      let last: EventLoopUtilization | undefined;
      meter
        .createObservableGauge(METRIC_NODEJS_EVENTLOOP_UTILIZATION, {
          description:
            'Share of time the event loop was busy since the previous scrape.',
          unit: '1',
        })
        .addCallback(result => {
          const now = performance.eventLoopUtilization();
          const delta =
            last === undefined
              ? now
              : performance.eventLoopUtilization(now, last);
          last = now;
          result.observe(delta.utilization);
        });
    }
  }

  /**
   * Records one finished request. `route` is the route's template (a bounded
   * set), never the raw path.
   */
  recordRequest(
    method: string,
    route: string,
    scheme: string,
    statusCode: number,
    durationSeconds: number
  ): void {
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_HTTP_ROUTE]: route,
      [ATTR_URL_SCHEME]: scheme,
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: statusCode,
    };
    // The conventions set error.type on failures; a server's own are 5xx.
    if (statusCode >= 500) attributes[ATTR_ERROR_TYPE] = String(statusCode);
    this._requestDuration.record(durationSeconds, attributes);
  }

  /** Collects every instrument and serializes them in the Prometheus text format. */
  async metrics(): Promise<string> {
    const { resourceMetrics } = await this._reader.collect();
    return this._serializer.serialize(resourceMetrics);
  }

  /** Stops collection (the gauges' callbacks are dropped). */
  shutdown(): Promise<void> {
    return this._provider.shutdown();
  }
}
