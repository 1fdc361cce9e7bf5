/**
 * Bodies produced by the real OpenTelemetry JS SDK: sdk-metrics collects,
 * otlp-transformer serializes exactly as the OTLP/HTTP exporters do.
 * `@opentelemetry/otlp-transformer` is not a direct dependency; it is present
 * through the exporter packages in devDependencies.
 */
import {
  AggregationTemporality as SdkTemporality,
  AggregationType,
  InstrumentType,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  JsonMetricsSerializer,
  ProtobufMetricsSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { describe, expect, it } from 'vitest';
import { formatSeries, metricNameOf } from '../../model/index.js';
import { SeriesBatch } from '../../model/index.js';
import { decodeMetricsJson } from '../../protocol/index.js';
import { decodeMetricsProtobuf } from '../../protocol/index.js';
import { DeltaToCumulative } from './delta-to-cumulative.js';
import { OtlpMetricsConverter } from './otlp-metrics-converter.js';

class CollectingReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

function serialize(resourceMetrics: ResourceMetrics): {
  protobuf: Uint8Array;
  json: Uint8Array;
} {
  const protobuf = ProtobufMetricsSerializer.serializeRequest(resourceMetrics);
  const json = JsonMetricsSerializer.serializeRequest(resourceMetrics);
  if (protobuf === undefined || json === undefined)
    throw new Error('serializer produced no body');
  return { protobuf, json };
}

/**
 * `delta` as OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE means it:
 * counters and histograms delta, up-down counters stay cumulative.
 */
function selectTemporality(
  preference: SdkTemporality,
  instrument: InstrumentType
): SdkTemporality {
  if (preference === SdkTemporality.CUMULATIVE) return preference;
  return instrument === InstrumentType.UP_DOWN_COUNTER ||
    instrument === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER
    ? SdkTemporality.CUMULATIVE
    : SdkTemporality.DELTA;
}

function setup(temporality: SdkTemporality) {
  const reader = new CollectingReader({
    aggregationTemporalitySelector: instrument =>
      selectTemporality(temporality, instrument),
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': 'checkout',
      'service.namespace': 'shop',
      'service.instance.id': 'i-1',
      'k8s.cluster.name': 'prod-eu',
    }),
    readers: [reader],
    views: [
      {
        instrumentName: 'rpc.duration',
        aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
      },
    ],
  });
  const meter = provider.getMeter('checkout-meter', '1.2.3');
  const requests = meter.createCounter('http.requests', {
    unit: '{request}',
    description: 'Requests served',
  });
  const duration = meter.createHistogram('http.server.duration', {
    unit: 'ms',
  });
  const rpc = meter.createHistogram('rpc.duration', { unit: 's' });
  const inflight = meter.createUpDownCounter('http.inflight');
  meter
    .createObservableGauge('cpu.utilization', { unit: '1' })
    .addCallback(result => result.observe(0.25, { cpu: 0 }));
  const record = () => {
    requests.add(3, { 'http.method': 'GET', 'http.status_code': 200 });
    duration.record(5, { 'http.method': 'GET' });
    duration.record(50, { 'http.method': 'GET' });
    rpc.record(0.02);
    rpc.record(0.5);
    inflight.add(2);
  };
  return { reader, record };
}

function convert(
  converter: OtlpMetricsConverter,
  body: Uint8Array
): SeriesBatch {
  const batch = new SeriesBatch();
  const result = converter.convert(
    decodeMetricsProtobuf(body),
    batch,
    'cluster'
  );
  expect(result.errors).toEqual([]);
  expect(result.rejectedPoints).toBe(0);
  return batch;
}

describe('payloads of the OpenTelemetry JS SDK', () => {
  it('decode to the same model from protobuf and JSON', async () => {
    const { reader, record } = setup(SdkTemporality.CUMULATIVE);
    record();
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const { protobuf, json } = serialize(resourceMetrics);
    const fromProtobuf = decodeMetricsProtobuf(protobuf);
    expect(decodeMetricsJson(json)).toEqual(fromProtobuf);
    const metrics = fromProtobuf.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    expect(metrics.map(m => `${m.name} ${m.data?.type}`).sort()).toEqual([
      'cpu.utilization gauge',
      'http.inflight sum',
      'http.requests sum',
      'http.server.duration histogram',
      'rpc.duration exponentialHistogram',
    ]);
  });

  it('convert to the expected Prometheus series', async () => {
    const { reader, record } = setup(SdkTemporality.CUMULATIVE);
    record();
    const { resourceMetrics } = await reader.collect();
    const converter = new OtlpMetricsConverter({
      promoteResourceAttributes: ['k8s.cluster.name'],
      deltaState: new DeltaToCumulative(),
    });
    const batch = convert(converter, serialize(resourceMetrics).protobuf);
    const byName = new Map<string, string[]>();
    for (let s = 0; s < batch.seriesCount; s++)
      byName.set(metricNameOf(batch.labels[s]!), batch.labels[s]!);

    expect([...byName.keys()].sort()).toEqual([
      'cpu_utilization_ratio',
      'http_inflight',
      'http_requests_total',
      'http_server_duration_milliseconds_bucket',
      'http_server_duration_milliseconds_count',
      'http_server_duration_milliseconds_sum',
      'rpc_duration_seconds',
      'target_info',
    ]);
    expect(formatSeries(byName.get('http_requests_total')!)).toBe(
      'http_requests_total{http_method="GET",http_status_code="200",instance="i-1",job="shop/checkout",' +
        'k8s_cluster_name="prod-eu",otel_scope_name="checkout-meter",otel_scope_version="1.2.3"}'
    );
    expect(formatSeries(byName.get('target_info')!)).toBe(
      'target_info{instance="i-1",job="shop/checkout",k8s_cluster_name="prod-eu"}'
    );
    const requestsAt = batch.labels.findIndex(
      l => metricNameOf(l) === 'http_requests_total'
    );
    expect(batch.values[batch.sampleStart[requestsAt]!]).toBe(3);
    expect(batch.histograms).toHaveLength(1);
    expect(batch.histograms[0]).toMatchObject({ countInt: 2, sum: 0.52 });
  });

  it('accumulate delta temporality into cumulative counters', async () => {
    const { reader, record } = setup(SdkTemporality.DELTA);
    const converter = new OtlpMetricsConverter({
      promoteResourceAttributes: [],
      deltaState: new DeltaToCumulative(),
    });
    const counterValue = (batch: SeriesBatch) => {
      const at = batch.labels.findIndex(
        l => metricNameOf(l) === 'http_requests_total'
      );
      return batch.values[batch.sampleStart[at]!];
    };
    record();
    const first = convert(
      converter,
      serialize((await reader.collect()).resourceMetrics).protobuf
    );
    await new Promise(resolve => setTimeout(resolve, 5)); // the next interval must end at a later millisecond
    record();
    const second = convert(
      converter,
      serialize((await reader.collect()).resourceMetrics).protobuf
    );
    expect(counterValue(first)).toBe(3);
    expect(counterValue(second)).toBe(6);
    const count = (batch: SeriesBatch) => {
      const at = batch.labels.findIndex(
        l => metricNameOf(l) === 'http_server_duration_milliseconds_count'
      );
      return batch.values[batch.sampleStart[at]!];
    };
    expect(count(second)).toBe(4);
    expect(second.histograms[0]).toMatchObject({ countInt: 4 });
  });
});
