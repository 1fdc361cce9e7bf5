/**
 * Why this file is long: one group of cases per row of otlp-metrics-converter.ts's mapping table.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { formatSeries, metricNameOf } from '../../model/index.js';
import { MetricType, SeriesBatch } from '../../model/index.js';
import {
  createRandom,
  exampleMetricsJson,
  randomOtlpJsonRequest,
} from '../../../test/helpers/otlp-reference.js';
import { decodeMetricsJson } from '../../protocol/index.js';
import { DeltaToCumulative } from './delta-to-cumulative.js';
import {
  MAX_CONVERT_ERRORS,
  OtlpMetricsConverter,
  type ConvertResult,
} from './otlp-metrics-converter.js';
import { isStaleNaN } from './stale-nan.js';

const T = '1700000000000000000'; // 1700000000000 ms
const T_MS = 1700000000000;
const START = '1699999990000000000';
const START_MS = 1699999990000;

type Json = Record<string, unknown>;

function request(
  metrics: Json[],
  resourceAttributes: Json[] = [],
  scope: Json = {}
): Json {
  return {
    resourceMetrics: [
      {
        resource: { attributes: resourceAttributes },
        scopeMetrics: [{ scope, metrics }],
      },
    ],
  };
}

function str(key: string, value: string): Json {
  return { key, value: { stringValue: value } };
}

/** One line per series: `name{labels} value @ts start=…`, samples and histograms alike. */
function dump(batch: SeriesBatch): string[] {
  const lines: string[] = [];
  for (let s = 0; s < batch.seriesCount; s++) {
    const name = formatSeries(batch.labels[s]!);
    for (let i = batch.sampleStart[s]!; i < batch.sampleStart[s + 1]!; i++) {
      const value = batch.values[i]!;
      const text = isStaleNaN(value) ? 'STALE' : String(value);
      lines.push(
        `${name} ${text} @${batch.timestamps[i]!} start=${batch.startTimestamps[i]!}`
      );
    }
    for (
      let i = batch.histogramStart[s]!;
      i < batch.histogramStart[s + 1]!;
      i++
    ) {
      const h = batch.histograms[i]!;
      const count =
        h.countInt ?? (isStaleNaN(h.countFloat) ? 'STALE' : h.countFloat);
      lines.push(
        `${name} histogram(count=${count},schema=${h.schema}) @${h.timestampMs} start=${h.startTimestampMs}`
      );
    }
  }
  return lines;
}

function names(batch: SeriesBatch): string[] {
  const out: string[] = [];
  for (let s = 0; s < batch.seriesCount; s++)
    out.push(metricNameOf(batch.labels[s]!));
  return out;
}

describe('OtlpMetricsConverter', () => {
  let delta: DeltaToCumulative;
  let converter: OtlpMetricsConverter;
  let batch: SeriesBatch;
  let nowMs: number;

  const convert = (json: Json, scope = 'cluster-a'): ConvertResult => {
    batch = new SeriesBatch();
    return converter.convert(
      decodeMetricsJson(new TextEncoder().encode(JSON.stringify(json))),
      batch,
      scope
    );
  };

  beforeEach(() => {
    nowMs = 5_000;
    delta = new DeltaToCumulative({ now: () => nowMs });
    converter = new OtlpMetricsConverter({
      promoteResourceAttributes: ['k8s.cluster.name', 'deployment.environment'],
      deltaState: delta,
    });
  });

  describe('metric names', () => {
    const gauge = { dataPoints: [{ asDouble: 1, timeUnixNano: T }] };
    const cumulative = (isMonotonic: boolean) => ({
      aggregationTemporality: 2,
      isMonotonic,
      dataPoints: [{ asDouble: 1, timeUnixNano: T }],
    });
    const histogram = {
      aggregationTemporality: 2,
      dataPoints: [
        {
          count: 1,
          sum: 1,
          bucketCounts: [1, 0],
          explicitBounds: [1],
          timeUnixNano: T,
        },
      ],
    };

    it.each<[string, Json, string[]]>([
      [
        'a histogram in ms',
        { name: 'http.server.duration', unit: 'ms', histogram },
        [
          'http_server_duration_milliseconds_bucket',
          'http_server_duration_milliseconds_bucket',
          'http_server_duration_milliseconds_sum',
          'http_server_duration_milliseconds_count',
        ],
      ],
      [
        'a gauge in bytes',
        { name: 'system.memory.usage', unit: 'By', gauge },
        ['system_memory_usage_bytes'],
      ],
      [
        'a counter with unit 1',
        { name: 'requests', unit: '1', sum: cumulative(true) },
        ['requests_total'],
      ],
      [
        'a counter with an annotation unit',
        { name: 'http.requests', unit: '{requests}', sum: cumulative(true) },
        ['http_requests_total'],
      ],
      [
        'a counter already ending in total',
        { name: 'requests_total', unit: '', sum: cumulative(true) },
        ['requests_total'],
      ],
      [
        'a gauge with unit 1',
        { name: 'cpu.utilization', unit: '1', gauge },
        ['cpu_utilization_ratio'],
      ],
      [
        'a non-monotonic sum with unit 1',
        { name: 'queue.fill', unit: '1', sum: cumulative(false) },
        ['queue_fill'],
      ],
      [
        'a gauge in m/s',
        { name: 'speed', unit: 'm/s', gauge },
        ['speed_meters_per_second'],
      ],
      [
        'a counter in By/s',
        { name: 'net.io', unit: 'By', sum: cumulative(true) },
        ['net_io_bytes_total'],
      ],
      [
        'a gauge already carrying its unit',
        { name: 'memory.bytes', unit: 'By', gauge },
        ['memory_bytes'],
      ],
    ])('names %s', (_name, metric, want) => {
      convert(request([metric]));
      expect(names(batch)).toEqual(want);
    });
  });

  it('converts the example request', () => {
    const result = convert(exampleMetricsJson());
    expect(result).toEqual({ points: 4, rejectedPoints: 0, errors: [] });
    const identity =
      'instance="pod-7",job="shop/my.service",k8s_cluster_name="prod-eu"';
    const rest =
      'my_attr="some value",otel_scope_my_scope_attribute="some scope attribute",otel_scope_name="my.library",otel_scope_version="1.0.0"';
    const common = `${identity},${rest}`;
    const le = (bound: string) => `${identity},le="${bound}",${rest}`;
    const at = '@1544712660300 start=1544712600300';
    expect(dump(batch)).toEqual([
      `my_counter_total{${common}} 5 ${at}`,
      `my_gauge_ratio{${common}} 10 @1544712660300 start=0`,
      `my_histogram_milliseconds_bucket{${le('1')}} 1 ${at}`,
      `my_histogram_milliseconds_bucket{${le('5')}} 2 ${at}`,
      `my_histogram_milliseconds_bucket{${le('+Inf')}} 3 ${at}`,
      `my_histogram_milliseconds_sum{${common}} 7 ${at}`,
      `my_histogram_milliseconds_count{${common}} 3 ${at}`,
      `my_exponential_histogram_seconds{${common}} histogram(count=3,schema=0) ${at}`,
      'target_info{host_cpu_count="8",instance="pod-7",job="shop/my.service",k8s_cluster_name="prod-eu"} 1 @1544712660300 start=0',
    ]);
    expect(batch.exemplars).toEqual([
      {
        labels: [
          'span_id',
          'eee19b7ec3c1b174',
          'trace_id',
          '5b8efff798038103d269b633813fc60c',
        ],
        value: 1.5,
        timestampMs: 1544712660300,
      },
    ]);
  });

  it('attaches one metadata object per metric to all its series', () => {
    convert(exampleMetricsJson());
    const histogramMeta = batch.metadata[2];
    expect(histogramMeta).toEqual({
      type: MetricType.HISTOGRAM,
      familyName: 'my_histogram_milliseconds',
      help: 'I am a Histogram',
      unit: 'milliseconds',
    });
    for (let s = 3; s <= 6; s++) expect(batch.metadata[s]).toBe(histogramMeta);
    expect(batch.metadata[0]).toMatchObject({
      type: MetricType.COUNTER,
      familyName: 'my_counter_total',
      help: 'I am a Counter',
      unit: '',
    });
    expect(batch.metadata[1]).toMatchObject({
      type: MetricType.GAUGE,
      familyName: 'my_gauge_ratio',
    });
  });

  it('marks a gauge as unknown when metadata prometheus.type says so', () => {
    convert(
      request([
        {
          name: 'g',
          gauge: { dataPoints: [{ asDouble: 1, timeUnixNano: T }] },
          metadata: [str('prometheus.type', 'unknown')],
        },
      ])
    );
    expect(batch.metadata[0]?.type).toBe(MetricType.UNKNOWN);
  });

  describe('labels', () => {
    const gaugeWith = (attributes: Json[]) => ({
      name: 'g',
      gauge: { dataPoints: [{ asDouble: 1, timeUnixNano: T, attributes }] },
    });

    it.each<[string, Json[], string]>([
      [
        'sanitizes names',
        [str('http.method', 'GET'), str('1st', 'x')],
        'g{http_method="GET",key_1st="x"}',
      ],
      [
        'joins colliding keys with ; in key order',
        [str('a_b', '3'), str('a.b', '2'), str('a-b', '1')],
        'g{a_b="1;2;3"}',
      ],
      [
        'drops empty values',
        [str('empty', ''), { key: 'unset' }, str('x', 'y')],
        'g{x="y"}',
      ],
      ['drops empty keys', [str('', 'v')], 'g{}'],
      [
        'cannot create reserved labels',
        [str('__name__', 'evil')],
        'g{key_name_="evil"}',
      ],
      [
        'renders non-string values',
        [
          { key: 'i', value: { intValue: '-12' } },
          { key: 'b', value: { boolValue: false } },
          { key: 'd', value: { doubleValue: 0.25 } },
          {
            key: 'a',
            value: {
              arrayValue: { values: [{ stringValue: 'x' }, { intValue: 1 }] },
            },
          },
          { key: 'k', value: { kvlistValue: { values: [str('n', 'v')] } } },
        ],
        'g{a="[\\"x\\",1]",b="false",d="0.25",i="-12",k="{\\"n\\":\\"v\\"}"}',
      ],
    ])('%s', (_name, attributes, want) => {
      convert(request([gaugeWith(attributes)]));
      expect(formatSeries(batch.labels[0]!)).toBe(want);
    });

    it('orders precedence: attributes < promoted < scope labels < job/instance < __name__', () => {
      convert(
        request(
          [
            gaugeWith([
              str('k8s.cluster.name', 'from-point'),
              str('job', 'spoofed'),
              str('otel.scope.name', 'spoofed'),
              str('le', 'kept'),
            ]),
          ],
          [
            str('service.name', 'api'),
            str('k8s.cluster.name', 'from-resource'),
            str('deployment.environment', 'prod'),
          ],
          { name: 'lib', version: '2' }
        )
      );
      expect(formatSeries(batch.labels[0]!)).toBe(
        'g{deployment_environment="prod",job="api",k8s_cluster_name="from-point",le="kept",otel_scope_name="lib",otel_scope_version="2"}'
      );
    });

    it('adds otel_scope_schema_url from the scope metrics schema url', () => {
      convert({
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                scope: { name: 's' },
                schemaUrl: 'https://x/1.2',
                metrics: [gaugeWith([])],
              },
            ],
          },
        ],
      });
      expect(formatSeries(batch.labels[0]!)).toBe(
        'g{otel_scope_name="s",otel_scope_schema_url="https://x/1.2"}'
      );
    });

    it('uses service.name alone as job without a namespace', () => {
      convert(request([gaugeWith([])], [str('service.name', 'api')]));
      expect(formatSeries(batch.labels[0]!)).toBe('g{job="api"}');
    });

    it('produces sorted, unique, non-empty labels for random requests', () => {
      const random = createRandom(3);
      for (let c = 0; c < 200; c++) {
        convert(randomOtlpJsonRequest(random));
        const sets = [...batch.labels, ...batch.exemplars.map(e => e.labels)];
        for (const labels of sets) {
          for (let i = 0; i < labels.length; i += 2) {
            expect(labels[i + 1], formatSeries(labels)).not.toBe('');
            if (i > 0)
              expect(labels[i - 2]! < labels[i]!, formatSeries(labels)).toBe(
                true
              );
          }
        }
      }
    });
  });

  describe('target_info', () => {
    const gauge = {
      name: 'g',
      gauge: {
        dataPoints: [
          { asDouble: 1, timeUnixNano: T },
          { asDouble: 2, timeUnixNano: '1700000005000000000' },
        ],
      },
    };

    it('carries the non-identifying resource attributes at the latest point time', () => {
      convert(
        request(
          [gauge],
          [
            str('service.name', 'api'),
            str('service.instance.id', 'i-1'),
            str('host.name', 'h'),
          ]
        )
      );
      expect(dump(batch).at(-1)).toBe(
        'target_info{host_name="h",instance="i-1",job="api"} 1 @1700000005000 start=0'
      );
      expect(batch.metadata.at(-1)).toMatchObject({
        type: MetricType.GAUGE,
        familyName: 'target_info',
      });
    });

    it('is not emitted for a resource with only identifying attributes', () => {
      convert(
        request(
          [gauge],
          [str('service.name', 'api'), str('service.instance.id', 'i-1')]
        )
      );
      expect(names(batch)).toEqual(['g', 'g']);
    });

    it('is emitted once for two resource entries with the same attributes', () => {
      const resourceMetrics = {
        resource: {
          attributes: [str('service.name', 'api'), str('host.name', 'h')],
        },
        scopeMetrics: [{ metrics: [gauge] }],
      };
      convert({ resourceMetrics: [resourceMetrics, resourceMetrics] });
      expect(names(batch).filter(n => n === 'target_info')).toHaveLength(1);
    });

    it('is not emitted when no point of the resource was converted', () => {
      convert(
        request(
          [{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: T }] } }],
          [str('host.name', 'h')]
        )
      );
      expect(names(batch)).toEqual([]);
    });
  });

  describe('histograms', () => {
    const histogram = (point: Json, temporality = 2) => ({
      name: 'lat',
      unit: 's',
      histogram: {
        aggregationTemporality: temporality,
        dataPoints: [{ timeUnixNano: T, startTimeUnixNano: START, ...point }],
      },
    });

    it('emits cumulative buckets with le as Prometheus formats it, +Inf as count', () => {
      convert(
        request([
          histogram({
            count: 10,
            sum: 2.5,
            bucketCounts: [1, 2, 3, 4],
            explicitBounds: [0.005, 1, 1e-7].sort((a, b) => a - b),
          }),
        ])
      );
      expect(dump(batch)).toEqual([
        `lat_seconds_bucket{le="0.0000001"} 1 @${T_MS} start=${START_MS}`,
        `lat_seconds_bucket{le="0.005"} 3 @${T_MS} start=${START_MS}`,
        `lat_seconds_bucket{le="1"} 6 @${T_MS} start=${START_MS}`,
        `lat_seconds_bucket{le="+Inf"} 10 @${T_MS} start=${START_MS}`,
        `lat_seconds_sum{} 2.5 @${T_MS} start=${START_MS}`,
        `lat_seconds_count{} 10 @${T_MS} start=${START_MS}`,
      ]);
    });

    it('omits _sum when the point has no sum', () => {
      convert(
        request([
          histogram({ count: 1, bucketCounts: [1], explicitBounds: [] }),
        ])
      );
      expect(names(batch)).toEqual(['lat_seconds_bucket', 'lat_seconds_count']);
    });

    it('does not duplicate an explicit +Inf bound', () => {
      convert(
        request([
          histogram({
            count: 3,
            bucketCounts: [1, 2, 0],
            explicitBounds: [1, 'Infinity'],
          }),
        ])
      );
      expect(dump(batch).filter(l => l.includes('_bucket'))).toEqual([
        `lat_seconds_bucket{le="1"} 1 @${T_MS} start=${START_MS}`,
        `lat_seconds_bucket{le="+Inf"} 3 @${T_MS} start=${START_MS}`,
      ]);
    });

    it('puts each exemplar on the bucket its value falls in', () => {
      const exemplar = (asDouble: number, spanId: string) => ({
        asDouble,
        spanId,
        timeUnixNano: T,
      });
      convert(
        request([
          histogram({
            count: 3,
            bucketCounts: [1, 1, 1],
            explicitBounds: [1, 5],
            exemplars: [
              exemplar(0.5, '0000000000000001'),
              exemplar(5, '0000000000000002'),
              exemplar(9, '0000000000000003'),
            ],
          }),
        ])
      );
      const spans = (s: number) =>
        batch.exemplars
          .slice(batch.exemplarStart[s], batch.exemplarStart[s + 1])
          .map(e => e.labels[1]);
      expect([spans(0), spans(1), spans(2)]).toEqual([
        ['0000000000000001'],
        ['0000000000000002'],
        ['0000000000000003'],
      ]);
    });

    it('rejects a point with a NaN bound', () => {
      const result = convert(
        request([
          histogram({
            count: 1,
            bucketCounts: [1, 0],
            explicitBounds: ['NaN'],
          }),
        ])
      );
      expect(result).toEqual({
        points: 0,
        rejectedPoints: 1,
        errors: ['metric "lat" has a histogram bucket bound that is NaN'],
      });
    });
  });

  describe('exponential histograms', () => {
    const exponential = (point: Json, temporality = 2) => ({
      name: 'lat',
      unit: 'ms',
      exponentialHistogram: {
        aggregationTemporality: temporality,
        dataPoints: [{ timeUnixNano: T, ...point }],
      },
    });

    it('becomes a native histogram series', () => {
      convert(
        request([
          exponential({
            count: 2,
            sum: 3,
            scale: 3,
            positive: { offset: 0, bucketCounts: [2] },
          }),
        ])
      );
      expect(batch.histograms[0]).toMatchObject({
        countInt: 2,
        sum: 3,
        schema: 3,
        positiveSpans: [{ offset: 1, length: 1 }],
        positiveDeltas: [2],
      });
      expect(names(batch)).toEqual(['lat_milliseconds']);
      expect(batch.sampleCount).toBe(0);
    });

    it('downscales scale 12 to schema 8', () => {
      convert(
        request([
          exponential({
            count: 2,
            scale: 12,
            positive: { offset: 0, bucketCounts: [1, 1] },
          }),
        ])
      );
      expect(batch.histograms[0]).toMatchObject({
        schema: 8,
        positiveSpans: [{ offset: 1, length: 1 }],
        positiveDeltas: [2],
      });
    });

    it('rejects a scale below -4', () => {
      const result = convert(request([exponential({ count: 0, scale: -5 })]));
      expect(result.rejectedPoints).toBe(1);
      expect(result.errors[0]).toBe(
        'metric "lat" has exponential histogram scale -5, below the lowest native histogram schema -4'
      );
    });

    it('rejects an inconsistent count', () => {
      const result = convert(
        request([exponential({ count: 1, zeroCount: 5 })])
      );
      expect(result.errors[0]).toMatch(
        /is invalid: exponential histogram count 1 is less than/
      );
    });

    it('accumulates delta points across requests', () => {
      convert(
        request([
          exponential(
            {
              count: 1,
              sum: 1,
              scale: 1,
              positive: { offset: 2, bucketCounts: [1] },
            },
            1
          ),
        ])
      );
      convert(
        request([
          exponential(
            {
              timeUnixNano: '1700000001000000000',
              count: 2,
              sum: 2,
              scale: 0,
              positive: { offset: 1, bucketCounts: [2] },
            },
            1
          ),
        ])
      );
      expect(batch.histograms[0]).toMatchObject({
        countInt: 3,
        sum: 3,
        schema: 0,
        positiveSpans: [{ offset: 2, length: 1 }],
        positiveDeltas: [3],
      });
    });
  });

  describe('summaries', () => {
    it('emits quantile series, _sum and _count', () => {
      convert(
        request([
          {
            name: 'rpc.latency',
            unit: 's',
            summary: {
              dataPoints: [
                {
                  timeUnixNano: T,
                  count: 4,
                  sum: 2,
                  quantileValues: [
                    { quantile: 0.5, value: 0.4 },
                    { quantile: 0.99, value: 0.9 },
                  ],
                },
              ],
            },
          },
        ])
      );
      expect(dump(batch)).toEqual([
        `rpc_latency_seconds{quantile="0.5"} 0.4 @${T_MS} start=0`,
        `rpc_latency_seconds{quantile="0.99"} 0.9 @${T_MS} start=0`,
        `rpc_latency_seconds_sum{} 2 @${T_MS} start=0`,
        `rpc_latency_seconds_count{} 4 @${T_MS} start=0`,
      ]);
      expect(batch.metadata[0]?.type).toBe(MetricType.SUMMARY);
    });
  });

  describe('NO_RECORDED_VALUE', () => {
    it('turns every series of the point into the stale NaN', () => {
      convert(
        request([
          { name: 'g', gauge: { dataPoints: [{ timeUnixNano: T, flags: 1 }] } },
          {
            name: 'c',
            sum: {
              aggregationTemporality: 2,
              isMonotonic: true,
              dataPoints: [{ asInt: 5, timeUnixNano: T, flags: 1 }],
            },
          },
          {
            name: 'h',
            histogram: {
              aggregationTemporality: 2,
              dataPoints: [
                {
                  timeUnixNano: T,
                  flags: 1,
                  count: 1,
                  sum: 1,
                  bucketCounts: [1, 0],
                  explicitBounds: [1],
                },
              ],
            },
          },
          {
            name: 's',
            summary: {
              dataPoints: [
                {
                  timeUnixNano: T,
                  flags: 1,
                  quantileValues: [{ quantile: 0.5, value: 1 }],
                },
              ],
            },
          },
        ])
      );
      const lines = dump(batch);
      expect(lines).toHaveLength(1 + 1 + 4 + 3);
      for (const line of lines) expect(line).toContain(' STALE @');
    });

    it('marks a native histogram series stale', () => {
      const result = convert(
        request([
          {
            name: 'e',
            exponentialHistogram: {
              aggregationTemporality: 2,
              dataPoints: [{ timeUnixNano: T, flags: 1, scale: 2 }],
            },
          },
        ])
      );
      expect(result.points).toBe(1);
      expect(dump(batch)).toEqual([
        `e{} histogram(count=STALE,schema=2) @${T_MS} start=0`,
      ]);
      expect(isStaleNaN(batch.histograms[0]!.sum)).toBe(true);
    });
  });

  describe('delta sums', () => {
    const deltaSum = (
      asInt: number,
      time: string,
      start: string,
      attributes: Json[] = [],
      isMonotonic = true
    ) => ({
      name: 'requests',
      sum: {
        aggregationTemporality: 1,
        isMonotonic,
        dataPoints: [
          { asInt, timeUnixNano: time, startTimeUnixNano: start, attributes },
        ],
      },
    });
    const t = (s: number) => `${1700000000 + s}000000000`;

    it('accumulates into a counter that keeps the first start time', () => {
      convert(request([deltaSum(5, t(10), t(0))]));
      expect(dump(batch)).toEqual([
        `requests_total{} 5 @1700000010000 start=1700000000000`,
      ]);
      convert(request([deltaSum(3, t(20), t(10))]));
      expect(dump(batch)).toEqual([
        `requests_total{} 8 @1700000020000 start=1700000000000`,
      ]);
      expect(batch.metadata[0]?.type).toBe(MetricType.COUNTER);
    });

    it('rejects an out-of-order point and keeps the rest of the request', () => {
      convert(request([deltaSum(5, t(20), t(10))]));
      const result = convert(
        request([
          deltaSum(1, t(15), t(5)),
          deltaSum(2, t(30), t(20), [str('other', 'x')]),
        ])
      );
      expect(result).toEqual({
        points: 1,
        rejectedPoints: 1,
        errors: [
          'metric "requests" has a delta point out of order (not after the last one accumulated)',
        ],
      });
      expect(dump(batch)).toEqual([
        `requests_total{other="x"} 2 @1700000030000 start=1700000020000`,
      ]);
    });

    it('keeps separate running totals per scope', () => {
      convert(request([deltaSum(5, t(10), t(0))]), 'cluster-a');
      convert(request([deltaSum(1, t(20), t(10))]), 'cluster-b');
      expect(dump(batch)).toEqual([
        `requests_total{} 1 @1700000020000 start=1700000010000`,
      ]);
      expect(delta.size).toBe(2);
    });

    it('starts over after the idle expiry', () => {
      convert(request([deltaSum(5, t(10), t(0))]));
      nowMs += 31 * 60_000;
      convert(request([deltaSum(2, t(20), t(10))]));
      expect(dump(batch)).toEqual([
        `requests_total{} 2 @1700000020000 start=1700000010000`,
      ]);
    });

    it('rejects a negative delta', () => {
      expect(convert(request([deltaSum(-1, t(10), t(0))])).errors).toEqual([
        'metric "requests" has a delta of -1, which a monotonic sum cannot accumulate',
      ]);
    });

    it('rejects a non-monotonic delta sum', () => {
      const result = convert(request([deltaSum(1, t(10), t(0), [], false)]));
      expect(result).toEqual({
        points: 0,
        rejectedPoints: 1,
        errors: [
          'metric "requests" is a non-monotonic delta sum, which Prometheus cannot represent',
        ],
      });
    });

    it('ends the series with a stale marker and forgets its total', () => {
      convert(request([deltaSum(5, t(10), t(0))]));
      convert(
        request([
          {
            name: 'requests',
            sum: {
              aggregationTemporality: 1,
              isMonotonic: true,
              dataPoints: [{ timeUnixNano: t(20), flags: 1 }],
            },
          },
        ])
      );
      expect(dump(batch)).toEqual([
        `requests_total{} STALE @1700000020000 start=0`,
      ]);
      expect(delta.size).toBe(0);
    });
  });

  describe('delta histograms', () => {
    it('accumulates bucket counts, sum and count', () => {
      const point = (time: string, counts: number[], sum: number) => ({
        name: 'lat',
        histogram: {
          aggregationTemporality: 1,
          dataPoints: [
            {
              timeUnixNano: time,
              startTimeUnixNano: START,
              count: counts.reduce((a, b) => a + b),
              sum,
              bucketCounts: counts,
              explicitBounds: [1],
            },
          ],
        },
      });
      convert(request([point(T, [1, 1], 3)]));
      convert(request([point('1700000001000000000', [2, 0], 1)]));
      expect(dump(batch)).toEqual([
        `lat_bucket{le="1"} 3 @1700000001000 start=${START_MS}`,
        `lat_bucket{le="+Inf"} 4 @1700000001000 start=${START_MS}`,
        `lat_sum{} 4 @1700000001000 start=${START_MS}`,
        `lat_count{} 4 @1700000001000 start=${START_MS}`,
      ]);
    });
  });

  describe('rejections', () => {
    it.each<[string, Json, number, string]>([
      [
        'a point without a value',
        { name: 'g', gauge: { dataPoints: [{ timeUnixNano: T }] } },
        1,
        'metric "g" has a data point without a value',
      ],
      [
        'a point without a time',
        { name: 'g', gauge: { dataPoints: [{ asDouble: 1 }] } },
        1,
        'metric "g" has a data point without time_unix_nano',
      ],
      [
        'a metric without a name',
        {
          gauge: {
            dataPoints: [
              { asDouble: 1, timeUnixNano: T },
              { asDouble: 1, timeUnixNano: T },
            ],
          },
        },
        2,
        'metric "" has no name',
      ],
      [
        'a name with no valid characters',
        {
          name: '...',
          gauge: { dataPoints: [{ asDouble: 1, timeUnixNano: T }] },
        },
        1,
        'metric "..." has a name with no valid Prometheus characters',
      ],
      [
        'unspecified temporality',
        {
          name: 's',
          sum: {
            isMonotonic: true,
            dataPoints: [{ asDouble: 1, timeUnixNano: T }],
          },
        },
        1,
        'metric "s" has unspecified aggregation temporality',
      ],
      [
        'a metric without data (a warning only)',
        { name: 'nothing' },
        0,
        'metric "nothing" has no data (unset or unknown type); ignored',
      ],
    ])('counts %s', (_name, metric, rejected, message) => {
      const result = convert(
        request([
          metric,
          {
            name: 'ok',
            gauge: { dataPoints: [{ asDouble: 1, timeUnixNano: T }] },
          },
        ])
      );
      expect(result).toEqual({
        points: 1,
        rejectedPoints: rejected,
        errors: [message],
      });
      expect(names(batch)).toEqual(['ok']);
    });

    it(`keeps at most ${MAX_CONVERT_ERRORS} distinct messages`, () => {
      const metrics = [];
      for (let i = 0; i < 30; i++)
        metrics.push({
          name: `m${i % 15}`,
          gauge: { dataPoints: [{ timeUnixNano: T }] },
        });
      const result = convert(request(metrics));
      expect(result.rejectedPoints).toBe(30);
      expect(result.errors).toHaveLength(MAX_CONVERT_ERRORS);
      expect(new Set(result.errors).size).toBe(MAX_CONVERT_ERRORS);
    });
  });

  describe('exemplars', () => {
    const exemplars = [
      {
        asInt: 3,
        timeUnixNano: T,
        traceId: '0102030405060708090a0b0c0d0e0f10',
        filteredAttributes: [str('user.id', 'u1')],
      },
    ];

    it('keeps counter exemplars with trace_id and filtered attributes as labels', () => {
      convert(
        request([
          {
            name: 'c',
            sum: {
              aggregationTemporality: 2,
              isMonotonic: true,
              dataPoints: [{ asInt: 5, timeUnixNano: T, exemplars }],
            },
          },
        ])
      );
      expect(batch.exemplars).toEqual([
        {
          labels: [
            'trace_id',
            '0102030405060708090a0b0c0d0e0f10',
            'user_id',
            'u1',
          ],
          value: 3,
          timestampMs: T_MS,
        },
      ]);
    });

    it('drops gauge exemplars (spec: only sums and histograms carry them)', () => {
      convert(
        request([
          {
            name: 'g',
            gauge: { dataPoints: [{ asInt: 5, timeUnixNano: T, exemplars }] },
          },
        ])
      );
      expect(batch.exemplars).toEqual([]);
    });
  });
});
