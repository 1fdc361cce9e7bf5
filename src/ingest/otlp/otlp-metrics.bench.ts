/**
 * OTLP ingest cost on a collector-like request: 1 resource (Kubernetes
 * attributes), 40 metrics (counters, gauges, histograms with 15 buckets),
 * 25 data points each with 4 attributes: 1000 points. Measures protobuf and
 * JSON decoding and the conversion into a reused SeriesBatch.
 */
import { bench, describe } from 'vitest';
import { encodeOtlpJsonAsProtobuf } from '../../../test/helpers/otlp-reference.js';
import { SeriesBatch } from '../../model/index.js';
import { decodeMetricsJson } from '../../protocol/index.js';
import { decodeMetricsProtobuf } from '../../protocol/index.js';
import { DeltaToCumulative } from './delta-to-cumulative.js';
import { OtlpMetricsConverter } from './otlp-metrics-converter.js';

const METRICS = 40;
const POINTS_PER_METRIC = 25;
const BOUNDS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];
const T = '1700000000000000000';

function str(key: string, value: string): Record<string, unknown> {
  return { key, value: { stringValue: value } };
}

function buildRequest(): Record<string, unknown> {
  const metrics: Record<string, unknown>[] = [];
  for (let m = 0; m < METRICS; m++) {
    const points = [];
    for (let p = 0; p < POINTS_PER_METRIC; p++) {
      const attributes = [
        str('http.request.method', p % 2 === 0 ? 'GET' : 'POST'),
        str('http.route', `/api/v1/items/${p}`),
        {
          key: 'http.response.status_code',
          value: { intValue: 200 + (p % 3) },
        },
        str('server.address', 'checkout.shop.svc'),
      ];
      points.push({
        attributes,
        startTimeUnixNano: T,
        timeUnixNano: T,
        asDouble: p * 1.5,
      });
    }
    switch (m % 3) {
      case 0:
        metrics.push({
          name: `app.requests.${m}`,
          unit: '{request}',
          sum: {
            aggregationTemporality: 2,
            isMonotonic: true,
            dataPoints: points,
          },
        });
        break;
      case 1:
        metrics.push({
          name: `app.memory.${m}`,
          unit: 'By',
          gauge: { dataPoints: points },
        });
        break;
      default:
        metrics.push({
          name: `http.server.duration.${m}`,
          unit: 's',
          histogram: {
            aggregationTemporality: 2,
            dataPoints: points.map(({ asDouble: _value, ...point }) => ({
              ...point,
              count: 150,
              sum: 12.5,
              bucketCounts: [...BOUNDS, 0].map((_, i) => String(10 + (i % 3))),
              explicitBounds: BOUNDS,
            })),
          },
        });
    }
  }
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            str('service.name', 'checkout'),
            str('service.namespace', 'shop'),
            str('service.instance.id', 'checkout-7d9f8-abcde'),
            str('k8s.cluster.name', 'prod-eu-1'),
            str('k8s.namespace.name', 'shop'),
            str('k8s.pod.name', 'checkout-7d9f8-abcde'),
            str('k8s.node.name', 'node-12'),
            str('cloud.region', 'eu-west-1'),
          ],
        },
        scopeMetrics: [
          {
            scope: { name: 'io.opentelemetry.http', version: '1.0.0' },
            metrics,
          },
        ],
      },
    ],
  };
}

const json = buildRequest();
const protobufBody = encodeOtlpJsonAsProtobuf(json);
const jsonBody = new TextEncoder().encode(JSON.stringify(json));
const decoded = decodeMetricsProtobuf(protobufBody);
const converter = new OtlpMetricsConverter({
  promoteResourceAttributes: ['k8s.cluster.name', 'cloud.region'],
  deltaState: new DeltaToCumulative(),
});
const batch = new SeriesBatch();

describe(`OTLP metrics, ${METRICS * POINTS_PER_METRIC} points`, () => {
  bench(`decodeMetricsProtobuf (${protobufBody.length} bytes)`, () => {
    decodeMetricsProtobuf(protobufBody);
  });

  bench(`decodeMetricsJson (${jsonBody.length} bytes)`, () => {
    decodeMetricsJson(jsonBody);
  });

  bench('OtlpMetricsConverter.convert', () => {
    batch.reset();
    converter.convert(decoded, batch, 'cluster');
  });
});
