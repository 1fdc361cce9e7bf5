/**
 * The OpenTelemetry JS SDK, a real OTLP/HTTP client, exports to the built
 * gateway's /v1/metrics (protobuf in one case, JSON in the other); the
 * gateway forwards to a real Prometheus receiver. What lands follows the
 * OTLP → Prometheus mapping (PROTOCOLS.md §2.9) and carries the canonical
 * cluster labels of the token's cluster:
 *   counter `orders.placed`          → orders_placed_total
 *   UpDownCounter `queue.depth`      → queue_depth (a gauge)
 *   gauge `process.heap.used` (By)   → process_heap_used_bytes
 *   histogram `http.server.duration` (ms) → http_server_duration_milliseconds_{bucket,sum,count}
 *   resource service.name            → job; service.instance.id → instance
 */
import { OTLPMetricExporter as OtlpJsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OtlpProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type AggregationOption,
  type InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import {
  queryPrometheus,
  startPrometheusReceiver,
  waitFor,
  type InstantSample,
  type ManagedProcess,
} from '../helpers/peers.js';

const PROD_EU = {
  name: 'prod-eu',
  region: 'eu-west-1',
  env: 'prod',
  team: 'payments',
  token: 'e2e-token-prod-eu-0123456789abcdef',
};
const WRONG_TOKEN = 'e2e-token-nobody-knows-0123456789';
const ALIAS_LABELS = [
  'k8s_cluster',
  'cluster_name',
  'kubernetes_cluster',
  'k8s_cluster_name',
  'k8s.cluster.name',
];

const ARRIVAL_TIMEOUT_MS = 60_000;
// The reader requires exportTimeoutMillis <= exportIntervalMillis.
const EXPORT_INTERVAL_MS = 2000;
/** ExportResultCode.SUCCESS in @opentelemetry/core. */
const EXPORT_SUCCESS = 0;

type ExportResult = Parameters<Parameters<PushMetricExporter['export']>[1]>[0];

/**
 * Passes everything to a real OTLP exporter and keeps the result of each
 * export, so a test can tell "the gateway refused it" from "not yet there".
 */
class RecordingExporter implements PushMetricExporter {
  readonly results: ExportResult[] = [];
  constructor(private readonly _inner: PushMetricExporter) {}

  export(
    metrics: ResourceMetrics,
    resultCallback: (result: ExportResult) => void
  ): void {
    this._inner.export(metrics, result => {
      this.results.push(result);
      resultCallback(result);
    });
  }
  forceFlush(): Promise<void> {
    return this._inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this._inner.shutdown();
  }
  selectAggregationTemporality(
    instrumentType: InstrumentType
  ): AggregationTemporality {
    return (
      this._inner.selectAggregationTemporality?.(instrumentType) ??
      AggregationTemporality.CUMULATIVE
    );
  }
  selectAggregation(instrumentType: InstrumentType): AggregationOption {
    return (
      this._inner.selectAggregation?.(instrumentType) ?? {
        type: AggregationType.DEFAULT,
      }
    );
  }
  describeFailures(): string {
    return this.results
      .filter(r => r.code !== EXPORT_SUCCESS)
      .map(r => r.error?.message ?? `code ${r.code}`)
      .join('\n');
  }
}

type Encoding = 'protobuf' | 'json';

function makeExporter(
  encoding: Encoding,
  url: string,
  token: string
): PushMetricExporter {
  const config = {
    url,
    headers: { Authorization: `Bearer ${token}` },
    timeoutMillis: 10_000,
  };
  return encoding === 'protobuf'
    ? new OtlpProtoExporter(config)
    : new OtlpJsonExporter(config);
}

interface Instrumented {
  provider: MeterProvider;
  exporter: RecordingExporter;
}

/**
 * A MeterProvider for service `job`, recording fixed values so the test can
 * check exact numbers: 5 orders, depth 5, heap 1 MiB, three latencies.
 */
function instrument(job: string, exporter: RecordingExporter): Instrumented {
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': job,
      'service.instance.id': `${job}-0`,
      // The cluster named under the OTel attribute: an alias to fold away.
      'k8s.cluster.name': PROD_EU.name,
      'k8s.namespace.name': 'shop',
    }),
    readers: [
      new PeriodicExportingMetricReader({
        exporter,
        exportIntervalMillis: EXPORT_INTERVAL_MS,
        exportTimeoutMillis: EXPORT_INTERVAL_MS,
      }),
    ],
  });
  const meter = provider.getMeter('fleetgate-e2e', '1.0.0');
  const orders = meter.createCounter('orders.placed', {
    description: 'Orders placed.',
  });
  orders.add(3, { payment: 'card' });
  orders.add(2, { payment: 'card' });
  const depth = meter.createUpDownCounter('queue.depth', {
    description: 'Orders waiting.',
  });
  depth.add(7, { queue: 'orders' });
  depth.add(-2, { queue: 'orders' });
  const heap = meter.createObservableGauge('process.heap.used', {
    unit: 'By',
    description: 'Heap in use.',
  });
  heap.addCallback(result => result.observe(1_048_576));
  const latency = meter.createHistogram('http.server.duration', {
    unit: 'ms',
    description: 'Server latency.',
  });
  for (const ms of [15, 120, 340]) latency.record(ms, { route: '/checkout' });
  return { provider, exporter };
}

/** Prometheus writes the last bound as "+Inf", which Number() does not read. */
function parseLe(le: string | undefined): number {
  return le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
}

function show(result: readonly InstantSample[]): string {
  return result
    .map(r => `${JSON.stringify(r.metric)} ${r.value[1]}`)
    .join('\n');
}

describe('OpenTelemetry SDK → fleetgate /v1/metrics → Prometheus', () => {
  let receiver: ManagedProcess | undefined;
  let gateway: GatewayProcess | undefined;

  beforeAll(async () => {
    receiver = await startPrometheusReceiver();
    gateway = await startGateway(`
clusters:
  - name: ${PROD_EU.name}
    region: ${PROD_EU.region}
    env: ${PROD_EU.env}
    team: ${PROD_EU.team}
    token: ${PROD_EU.token}
forward:
  remote_write:
    - url: ${receiver.url}/api/v1/write
`);
  });

  // Providers run until the end: the wrong-token case uses a good exporter's
  // fresh samples as its clock.
  const providers: MeterProvider[] = [];

  afterAll(async () => {
    await Promise.allSettled(providers.map(p => p.shutdown()));
    await gateway?.stop();
    await receiver?.stop();
  });

  const diagnostics = (): string =>
    [gateway?.logs(), receiver?.diagnostics()]
      .filter(d => d !== undefined)
      .join('\n');

  /** Polls the receiver until `promql` returns `count` series. */
  async function waitForSeries(
    promql: string,
    count: number,
    exporter: RecordingExporter
  ): Promise<InstantSample[]> {
    return waitFor(
      async () => {
        const r = await queryPrometheus(receiver!.url, promql);
        return r.length >= count ? r : undefined;
      },
      ARRIVAL_TIMEOUT_MS,
      { description: `${count} series for ${promql}`, intervalMs: 500 }
    ).catch((err: unknown) => {
      const failures = exporter.describeFailures();
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}\nexports: ${exporter.results.length}, failed: ${failures || 'none'}\n${diagnostics()}`
      );
    });
  }

  function expectCanonicalLabels(series: InstantSample, job: string): void {
    const labels = series.metric;
    const where = JSON.stringify(labels);
    expect(labels['cluster'], where).toBe(PROD_EU.name);
    expect(labels['region'], where).toBe(PROD_EU.region);
    expect(labels['env'], where).toBe(PROD_EU.env);
    expect(labels['team'], where).toBe(PROD_EU.team);
    expect(labels['job'], where).toBe(job);
    expect(labels['instance'], where).toBe(`${job}-0`);
    for (const alias of ALIAS_LABELS)
      expect(
        labels,
        `${alias} must be folded away: ${where}`
      ).not.toHaveProperty(alias);
  }

  describe.each<[Encoding, string]>([
    ['protobuf', 'checkout-proto'],
    ['json', 'checkout-json'],
  ])('with the %s exporter', (encoding, job) => {
    let instrumented: Instrumented | undefined;

    beforeAll(() => {
      const exporter = new RecordingExporter(
        makeExporter(encoding, `${gateway!.url}/v1/metrics`, PROD_EU.token)
      );
      instrumented = instrument(job, exporter);
      providers.push(instrumented.provider);
    });

    it('gets every export accepted', async () => {
      const { provider, exporter } = instrumented!;
      await provider.forceFlush();
      await waitFor(() => exporter.results.length > 0, ARRIVAL_TIMEOUT_MS, {
        description: 'an export result',
      });
      expect(exporter.describeFailures(), diagnostics()).toBe('');
      expect(exporter.results.every(r => r.code === EXPORT_SUCCESS)).toBe(true);
    });

    it('lands the counter as orders_placed_total under the canonical cluster labels', async () => {
      const exporter = instrumented!.exporter;
      const [series] = await waitForSeries(
        `orders_placed_total{job="${job}"}`,
        1,
        exporter
      );
      expectCanonicalLabels(series!, job);
      expect(series!.metric['payment']).toBe('card');
      expect(Number(series!.value[1])).toBe(5);
    });

    it('lands the UpDownCounter as the gauge queue_depth', async () => {
      const [series] = await waitForSeries(
        `queue_depth{job="${job}"}`,
        1,
        instrumented!.exporter
      );
      expectCanonicalLabels(series!, job);
      expect(series!.metric['queue']).toBe('orders');
      expect(Number(series!.value[1])).toBe(5);
    });

    it('lands the gauge with its unit suffix as process_heap_used_bytes', async () => {
      const [series] = await waitForSeries(
        `process_heap_used_bytes{job="${job}"}`,
        1,
        instrumented!.exporter
      );
      expectCanonicalLabels(series!, job);
      expect(Number(series!.value[1])).toBe(1_048_576);
    });

    it('lands the ms histogram as _milliseconds_bucket, _sum and _count', async () => {
      const exporter = instrumented!.exporter;
      const buckets = await waitForSeries(
        `http_server_duration_milliseconds_bucket{job="${job}"}`,
        2,
        exporter
      );
      const [count] = await waitForSeries(
        `http_server_duration_milliseconds_count{job="${job}"}`,
        1,
        exporter
      );
      const [sum] = await waitForSeries(
        `http_server_duration_milliseconds_sum{job="${job}"}`,
        1,
        exporter
      );
      for (const s of [...buckets, count!, sum!]) {
        expectCanonicalLabels(s, job);
        expect(s.metric['route']).toBe('/checkout');
      }
      expect(Number(count!.value[1])).toBe(3);
      expect(Number(sum!.value[1])).toBe(475);
      // Buckets are cumulative and end with +Inf; the SDK's default bounds
      // include 100 and 250: 15 ≤ 100; 15, 120 ≤ 250.
      const byLe = new Map(
        buckets.map(b => [parseLe(b.metric['le']), Number(b.value[1])])
      );
      expect(byLe.get(Number.POSITIVE_INFINITY), show(buckets)).toBe(3);
      expect(byLe.get(100), show(buckets)).toBe(1);
      expect(byLe.get(250), show(buckets)).toBe(2);
      const ordered = [...byLe.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(e => e[1]);
      for (let i = 1; i < ordered.length; i++)
        expect(ordered[i]!).toBeGreaterThanOrEqual(ordered[i - 1]!);
    });
  });

  describe('with a token no cluster has', () => {
    it('fails the export and lands nothing', async () => {
      const job = 'checkout-wrong-token';
      const exporter = new RecordingExporter(
        makeExporter('protobuf', `${gateway!.url}/v1/metrics`, WRONG_TOKEN)
      );
      const { provider } = instrument(job, exporter);
      try {
        await provider.forceFlush().catch(() => undefined);
        await waitFor(() => exporter.results.length > 0, ARRIVAL_TIMEOUT_MS, {
          description: 'an export result',
        });
        const failed = exporter.results.filter(r => r.code !== EXPORT_SUCCESS);
        expect(failed.length).toBeGreaterThan(0);
        // 401 is permanent for OTLP clients: the error names the status.
        expect(exporter.describeFailures()).toMatch(/401|Unauthorized/i);
      } finally {
        await provider.shutdown().catch(() => undefined);
      }
      // The good exporters above are still flowing through the same path, so
      // waiting for their fresh samples shows the wrong one had its chance.
      const before = Date.now() / 1000;
      await waitFor(
        async () => {
          const r = await queryPrometheus(
            receiver!.url,
            'timestamp(orders_placed_total{job="checkout-json"})'
          );
          return r.some(s => Number(s.value[1]) > before) ? true : undefined;
        },
        ARRIVAL_TIMEOUT_MS,
        { description: 'fresh samples from a good exporter' }
      );
      const landed = await queryPrometheus(receiver!.url, `{job="${job}"}`);
      expect(landed, show(landed)).toEqual([]);
    });
  });
});
