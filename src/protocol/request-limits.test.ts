/**
 * Every decode-time cap on every decoder it applies to, at its boundary: a
 * request exactly at the cap decodes, one item more is refused with a
 * RequestLimitError whose message names the config key and its value.
 *
 * Why this file is long: every cap at its boundary on every decoder it applies to (remote write 1.0 and 2.0, OTLP metrics and logs, protobuf and JSON).
 */
import { describe, expect, it } from 'vitest';
import {
  encodeV1Request,
  encodeV2Request,
  type TimeSeriesV1Object,
} from '../../test/helpers/remote-write-reference.js';
import { encodeOtlpJsonAsProtobuf } from '../../test/helpers/otlp-reference.js';
import { RequestLimitError } from '../errors.js';
import { SeriesBatch } from '../model/index.js';
import { decodeMetricsJson } from './otlp/decode-metrics-json.js';
import { decodeMetricsProtobuf } from './otlp/decode-metrics-protobuf.js';
import { decodeLogsJson } from './otlp/logs/decode-logs-json.js';
import { decodeLogsProtobuf } from './otlp/logs/decode-logs-protobuf.js';
import { encodeOtlpLogsJsonAsProtobuf } from '../../test/helpers/otlp-logs-reference.js';
import { decodeWriteRequestV1 } from './remote-write/decode-write-request-v1.js';
import { decodeWriteRequestV2 } from './remote-write/decode-write-request-v2.js';
import { SeriesLabelCache } from './remote-write/series-label-cache.js';
import {
  DEFAULT_REQUEST_LIMITS,
  REQUEST_LIMIT_KEYS,
  RequestItemCounter,
  utf8LengthOver,
  type RequestLimitName,
  type RequestLimits,
} from './request-limits.js';

type Obj = Record<string, unknown>;
type Decode = (body: Uint8Array, limits: RequestLimits) => unknown;

function limitsWith(cap: RequestLimitName, value: number): RequestLimits {
  return { ...DEFAULT_REQUEST_LIMITS, [cap]: value };
}

/**
 * Decodes `build(max)` under `cap = max` (it must pass) and `build(max + 1)`
 * (it must be refused naming the cap, with `status`).
 */
function checkBoundary(
  decode: Decode,
  cap: RequestLimitName,
  max: number,
  build: (n: number) => Uint8Array,
  status: 400 | 413
): void {
  const limits = limitsWith(cap, max);
  expect(() => decode(build(max), limits)).not.toThrow();
  let refusal: unknown;
  try {
    decode(build(max + 1), limits);
  } catch (err) {
    refusal = err;
  }
  expect(refusal).toBeInstanceOf(RequestLimitError);
  const err = refusal as RequestLimitError;
  expect(err.httpStatus).toBe(status);
  expect(err.limit).toBe(REQUEST_LIMIT_KEYS[cap]);
  expect(err.limitValue).toBe(max);
  expect(err.message).toContain(`${REQUEST_LIMIT_KEYS[cap]} (${max})`);
  expect(err.message).toMatch(/^cannot decode /);
}

// ---- OTLP fixtures -----------------------------------------------------------

function attributes(n: number, prefix = 'a'): Obj[] {
  const out: Obj[] = [];
  for (let i = 0; i < n; i++)
    out.push({ key: `${prefix}${i}`, value: { stringValue: 'v' } });
  return out;
}

interface MetricsShape {
  resourceAttributes?: Obj[];
  scopeAttributes?: Obj[];
  pointAttributes?: Obj[];
  exemplarAttributes?: Obj[];
  points?: number;
}

function metricsJson(shape: MetricsShape): Obj {
  const points: Obj[] = [];
  for (let i = 0; i < (shape.points ?? 1); i++) {
    points.push({
      attributes: shape.pointAttributes ?? [],
      timeUnixNano: '1700000000000000000',
      asDouble: i,
      exemplars:
        shape.exemplarAttributes === undefined
          ? []
          : [{ filteredAttributes: shape.exemplarAttributes, asDouble: 1 }],
    });
  }
  // Split across two metrics, so the per-request count spans metrics.
  const half = Math.ceil(points.length / 2);
  return {
    resourceMetrics: [
      {
        resource: { attributes: shape.resourceAttributes ?? [] },
        scopeMetrics: [
          {
            scope: { name: 's', attributes: shape.scopeAttributes ?? [] },
            metrics: [
              { name: 'm1', gauge: { dataPoints: points.slice(0, half) } },
              { name: 'm2', gauge: { dataPoints: points.slice(half) } },
            ],
          },
        ],
      },
    ],
  };
}

interface LogsShape {
  resourceAttributes?: Obj[];
  scopeAttributes?: Obj[];
  recordAttributes?: Obj[];
  records?: number;
}

function logsJson(shape: LogsShape): Obj {
  const records: Obj[] = [];
  for (let i = 0; i < (shape.records ?? 1); i++)
    records.push({
      attributes: shape.recordAttributes ?? [],
      body: { stringValue: `line ${i}` },
    });
  return {
    resourceLogs: [
      {
        resource: { attributes: shape.resourceAttributes ?? [] },
        scopeLogs: [
          {
            scope: { name: 's', attributes: shape.scopeAttributes ?? [] },
            logRecords: records,
          },
        ],
      },
    ],
  };
}

const json = (obj: Obj): Uint8Array => Buffer.from(JSON.stringify(obj));

const METRICS_DECODERS: [string, Decode, (obj: Obj) => Uint8Array][] = [
  ['JSON', decodeMetricsJson, json],
  ['protobuf', decodeMetricsProtobuf, encodeOtlpJsonAsProtobuf],
];

const LOGS_DECODERS: [string, Decode, (obj: Obj) => Uint8Array][] = [
  ['JSON', decodeLogsJson, json],
  ['protobuf', decodeLogsProtobuf, encodeOtlpLogsJsonAsProtobuf],
];

describe.each(METRICS_DECODERS)('OTLP metrics %s caps', (_, decode, encode) => {
  it.each<[RequestLimitName, number, (n: number) => Obj, 400 | 413]>([
    [
      'maxAttributesPerResource',
      5,
      n => metricsJson({ resourceAttributes: attributes(n) }),
      400,
    ],
    [
      'maxAttributesPerScope',
      4,
      n => metricsJson({ scopeAttributes: attributes(n) }),
      400,
    ],
    [
      'maxAttributesPerPoint',
      3,
      n => metricsJson({ pointAttributes: attributes(n) }),
      400,
    ],
    [
      'maxAttributesPerPoint',
      2,
      n => metricsJson({ exemplarAttributes: attributes(n) }),
      400,
    ],
    [
      'maxLabelNameBytes',
      16,
      n =>
        metricsJson({
          pointAttributes: [
            { key: 'k'.repeat(n), value: { stringValue: 'v' } },
          ],
        }),
      400,
    ],
    [
      'maxLabelValueBytes',
      32,
      n =>
        metricsJson({
          pointAttributes: [
            { key: 'k', value: { stringValue: 'x'.repeat(n) } },
          ],
        }),
      400,
    ],
    ['maxPointsPerRequest', 7, n => metricsJson({ points: n }), 413],
    [
      'maxLabelsPerRequest',
      5,
      n => metricsJson({ points: n, pointAttributes: attributes(1) }),
      413,
    ],
  ])('%s at %i', (cap, max, build, status) => {
    checkBoundary(decode, cap, max, n => encode(build(n)), status);
  });

  it('caps resource and scope attribute keys and values as labels too', () => {
    const long = [{ key: 'k', value: { stringValue: 'x'.repeat(33) } }];
    const limits = limitsWith('maxLabelValueBytes', 32);
    for (const shape of [
      { resourceAttributes: long },
      { scopeAttributes: long },
    ])
      expect(() => decode(encode(metricsJson(shape)), limits)).toThrow(
        'request_limits.max_label_value_bytes (32)'
      );
  });

  it('counts string value bytes, not characters, against maxLabelValueBytes', () => {
    // '€' is three UTF-8 bytes: 10 of them are 30 bytes.
    const body = encode(
      metricsJson({
        pointAttributes: [{ key: 'k', value: { stringValue: '€'.repeat(10) } }],
      })
    );
    expect(() => decode(body, limitsWith('maxLabelValueBytes', 29))).toThrow(
      'request_limits.max_label_value_bytes (29)'
    );
    expect(() =>
      decode(body, limitsWith('maxLabelValueBytes', 30))
    ).not.toThrow();
  });

  it('counts attribute key bytes, not characters, against maxLabelNameBytes', () => {
    // 'é' is two UTF-8 bytes: 9 of them are 18 bytes, over a 16-byte cap.
    const body = encode(
      metricsJson({
        pointAttributes: [{ key: 'é'.repeat(9), value: { stringValue: 'v' } }],
      })
    );
    expect(() => decode(body, limitsWith('maxLabelNameBytes', 17))).toThrow(
      'request_limits.max_label_name_bytes (17)'
    );
    expect(() =>
      decode(body, limitsWith('maxLabelNameBytes', 18))
    ).not.toThrow();
  });

  it('refuses the 10^6-attribute resource by its cap', () => {
    const body = encode(
      metricsJson({ resourceAttributes: attributes(1_000_000) })
    );
    // The JSON form (45 MB) is over the default max_json_bytes: raised here.
    const limits = limitsWith('maxJsonBytes', 64 * 1024 * 1024);
    expect(() => decode(body, limits)).toThrow(
      /request_limits\.max_attributes_per_resource \(1024\)/
    );
  });
});

describe('OTLP metrics JSON body cap', () => {
  it('refuses a body over max_json_bytes before parsing it', () => {
    const body = json(metricsJson({ points: 3 }));
    expect(() =>
      decodeMetricsJson(body, limitsWith('maxJsonBytes', body.length))
    ).not.toThrow();
    expect(() =>
      decodeMetricsJson(body, limitsWith('maxJsonBytes', body.length - 1))
    ).toThrow(
      `cannot decode OTLP metrics: JSON body of ${body.length} bytes, over request_limits.max_json_bytes (${body.length - 1})`
    );
  });
});

describe.each(LOGS_DECODERS)('OTLP logs %s caps', (_, decode, encode) => {
  it.each<[RequestLimitName, number, (n: number) => Obj, 400 | 413]>([
    [
      'maxAttributesPerResource',
      5,
      n => logsJson({ resourceAttributes: attributes(n) }),
      400,
    ],
    [
      'maxAttributesPerScope',
      4,
      n => logsJson({ scopeAttributes: attributes(n) }),
      400,
    ],
    [
      'maxAttributesPerLogRecord',
      3,
      n => logsJson({ recordAttributes: attributes(n) }),
      400,
    ],
    ['maxLogRecordsPerRequest', 6, n => logsJson({ records: n }), 413],
    [
      'maxLabelsPerRequest',
      4,
      n => logsJson({ records: n, recordAttributes: attributes(1) }),
      413,
    ],
  ])('%s at %i', (cap, max, build, status) => {
    checkBoundary(decode, cap, max, n => encode(build(n)), status);
  });

  it('leaves log attribute values to the body caps (they are not labels)', () => {
    const body = encode(
      logsJson({
        recordAttributes: [
          { key: 'k', value: { stringValue: 'x'.repeat(100) } },
        ],
      })
    );
    expect(() =>
      decode(body, limitsWith('maxLabelValueBytes', 10))
    ).not.toThrow();
  });
});

describe('OTLP logs JSON body cap', () => {
  it('refuses a body over max_json_bytes before parsing it', () => {
    const body = json(logsJson({ records: 2 }));
    expect(() =>
      decodeLogsJson(body, limitsWith('maxJsonBytes', body.length))
    ).not.toThrow();
    expect(() =>
      decodeLogsJson(body, limitsWith('maxJsonBytes', body.length - 1))
    ).toThrow(
      /^cannot decode OTLP logs: JSON body of \d+ bytes, over request_limits\.max_json_bytes/
    );
  });
});

// ---- remote write ----------------------------------------------------------------

interface SeriesShape {
  series?: number;
  samplesPerSeries?: number;
  histogramsPerSeries?: number;
  extraLabels?: number;
  name?: string;
  value?: string;
  exemplarLabels?: number;
}

/** One v1 request of `series` series, labels sorted. */
function v1Series(shape: SeriesShape): TimeSeriesV1Object[] {
  const out: TimeSeriesV1Object[] = [];
  for (let s = 0; s < (shape.series ?? 1); s++) {
    const labels = [{ name: '__name__', value: `m${s}` }];
    for (let i = 0; i < (shape.extraLabels ?? 0); i++)
      labels.push({ name: `l${String(i).padStart(6, '0')}`, value: 'v' });
    if (shape.name !== undefined || shape.value !== undefined)
      labels.push({ name: shape.name ?? 'n', value: shape.value ?? 'v' });
    const samples = [];
    for (let i = 0; i < (shape.samplesPerSeries ?? 1); i++)
      samples.push({ value: i, timestamp: 1000 + i });
    const histograms = [];
    for (let i = 0; i < (shape.histogramsPerSeries ?? 0); i++)
      histograms.push({ countInt: 1, sum: 1, schema: 0, timestamp: 1000 + i });
    const exemplarLabels = [];
    for (let i = 0; i < (shape.exemplarLabels ?? 0); i++)
      exemplarLabels.push({ name: `e${i}`, value: 'v' });
    out.push({
      labels,
      samples: histograms.length === 0 ? samples : [],
      histograms,
      exemplars:
        shape.exemplarLabels === undefined
          ? []
          : [{ labels: exemplarLabels, value: 1, timestamp: 1000 }],
    });
  }
  return out;
}

function v1Body(shape: SeriesShape): Uint8Array {
  return encodeV1Request({ timeseries: v1Series(shape) });
}

/** The same request in 2.0 form, every string a symbol. */
function v2Body(shape: SeriesShape): Uint8Array {
  const symbols = [''];
  const refOf = (text: string): number => {
    let ref = symbols.indexOf(text);
    if (ref === -1) ref = symbols.push(text) - 1;
    return ref;
  };
  const timeseries = v1Series(shape).map(series => ({
    labelsRefs: series.labels!.flatMap(l => [refOf(l.name!), refOf(l.value!)]),
    samples: series.samples ?? [],
    histograms: series.histograms ?? [],
    exemplars: series.exemplars!.map(e => ({
      labelsRefs: e.labels!.flatMap(l => [refOf(l.name!), refOf(l.value!)]),
      value: e.value ?? 0,
      timestamp: e.timestamp ?? 0,
    })),
  }));
  return encodeV2Request({ symbols, timeseries });
}

const RW_DECODERS: [string, Decode, (shape: SeriesShape) => Uint8Array][] = [
  [
    '1.0',
    (body, limits) =>
      decodeWriteRequestV1(body, new SeriesBatch(), undefined, limits),
    v1Body,
  ],
  [
    '1.0 with a series cache',
    (body, limits) =>
      decodeWriteRequestV1(
        body,
        new SeriesBatch(),
        new SeriesLabelCache(),
        limits
      ),
    v1Body,
  ],
  [
    '2.0',
    (body, limits) =>
      decodeWriteRequestV2(body, new SeriesBatch(), undefined, limits),
    v2Body,
  ],
  [
    '2.0 with a series cache',
    (body, limits) =>
      decodeWriteRequestV2(
        body,
        new SeriesBatch(),
        new SeriesLabelCache(),
        limits
      ),
    v2Body,
  ],
];

describe.each(RW_DECODERS)('remote write %s caps', (_, decode, encode) => {
  it.each<[RequestLimitName, number, (n: number) => SeriesShape, 400 | 413]>([
    ['maxSeriesPerRequest', 5, n => ({ series: n }), 413],
    // Each series is one pair (__name__).
    ['maxLabelsPerRequest', 6, n => ({ series: n }), 413],
    ['maxPointsPerRequest', 7, n => ({ series: 1, samplesPerSeries: n }), 413],
    [
      'maxPointsPerRequest',
      6,
      n => ({ series: n / 2, samplesPerSeries: 2 }),
      413,
    ],
    [
      'maxPointsPerRequest',
      3,
      n => ({ series: n, histogramsPerSeries: 1 }),
      413,
    ],
    // __name__ is one of the pairs.
    ['maxLabelPairsPerSeries', 4, n => ({ extraLabels: n - 1 }), 400],
    ['maxLabelPairsPerSeries', 3, n => ({ exemplarLabels: n }), 400],
    ['maxLabelNameBytes', 12, n => ({ name: 'n'.repeat(n) }), 400],
    ['maxLabelValueBytes', 40, n => ({ value: 'v'.repeat(n) }), 400],
  ])('%s at %i', (cap, max, build, status) => {
    // `series: n / 2` needs an even n: step by 2 there.
    const step = build(max).series === max / 2 ? 2 : 1;
    const limits = limitsWith(cap, max);
    expect(() => decode(encode(build(max)), limits)).not.toThrow();
    checkBoundary(
      decode,
      cap,
      max,
      n => encode(build(n === max ? n : max + step)),
      status
    );
  });

  it('names the series and the cap for a 10 MiB label value', () => {
    const body = encode({ series: 2, value: 'x'.repeat(10 * 1024 * 1024) });
    expect(() => decode(body, DEFAULT_REQUEST_LIMITS)).toThrow(
      /^cannot decode write request: series 0: label (?:value|1 value) .*10485760 bytes.*, over request_limits\.max_label_value_bytes \(65536\)$/
    );
  });
});

describe('RequestItemCounter', () => {
  it('passes at the cap and refuses past it', () => {
    const counter = new RequestItemCounter(
      limitsWith('maxPointsPerRequest', 3),
      'maxPointsPerRequest',
      'points'
    );
    counter.add(2);
    counter.add(1);
    expect(counter.count).toBe(3);
    expect(() => counter.add(1)).toThrow(
      'the request has more than 3 points, over request_limits.max_points_per_request (3)'
    );
  });
});

describe('utf8LengthOver()', () => {
  it.each<[string, number, boolean]>([
    ['abc', 3, false],
    ['abcd', 3, true],
    ['é', 1, true],
    ['é', 2, false],
    ['€€', 5, true],
    ['€€', 6, false],
    ['', 0, false],
  ])('%j over %i: %s', (text, max, want) => {
    expect(utf8LengthOver(text, max)).toBe(want);
  });
});

describe('remote write caps on series served from the cache', () => {
  it.each<[string, typeof decodeWriteRequestV1]>([
    ['1.0', decodeWriteRequestV1],
    ['2.0', decodeWriteRequestV2],
  ])('%s still counts their label pairs per request', (version, decode) => {
    const body = (version === '1.0' ? v1Body : v2Body)({
      series: 4,
      extraLabels: 1,
    });
    const cache = new SeriesLabelCache();
    decode(body, new SeriesBatch(), cache);
    // Every series is now a cache hit: 4 series of 2 pairs, over a cap of 7.
    expect(() =>
      decode(
        body,
        new SeriesBatch(),
        cache,
        limitsWith('maxLabelsPerRequest', 7)
      )
    ).toThrow('request_limits.max_labels_per_request (7)');
    expect(() =>
      decode(
        body,
        new SeriesBatch(),
        cache,
        limitsWith('maxLabelsPerRequest', 8)
      )
    ).not.toThrow();
  });
});

describe('OTLP values nested in attributes and log bodies', () => {
  const arrayOf = (n: number): Obj => ({
    arrayValue: { values: new Array(n).fill({ stringValue: 'x' }) },
  });
  const kvlistOf = (n: number): Obj => ({
    kvlistValue: { values: attributes(n) },
  });

  it.each<[string, Decode, (obj: Obj) => Uint8Array]>([
    ['metrics JSON', decodeMetricsJson, json],
    ['metrics protobuf', decodeMetricsProtobuf, encodeOtlpJsonAsProtobuf],
  ])(
    '%s counts array elements and kvlist entries against maxLabelsPerRequest',
    (_, decode, encode) => {
      // One attribute holding 3 elements, and one holding a kvlist of 2: 7 in all.
      const body = encode(
        metricsJson({
          pointAttributes: [
            { key: 'a', value: arrayOf(3) },
            { key: 'k', value: kvlistOf(2) },
          ],
        })
      );
      expect(() =>
        decode(body, limitsWith('maxLabelsPerRequest', 7))
      ).not.toThrow();
      expect(() => decode(body, limitsWith('maxLabelsPerRequest', 6))).toThrow(
        'request_limits.max_labels_per_request (6)'
      );
    }
  );

  it.each<[string, Decode, (obj: Obj) => Uint8Array]>([
    ['logs JSON', decodeLogsJson, json],
    ['logs protobuf', decodeLogsProtobuf, encodeOtlpLogsJsonAsProtobuf],
  ])(
    '%s counts a log body kvlist against maxLabelsPerRequest',
    (_, decode, encode) => {
      const obj = logsJson({ records: 1 });
      const record = (
        ((obj['resourceLogs'] as Obj[])[0]!['scopeLogs'] as Obj[])[0]![
          'logRecords'
        ] as Obj[]
      )[0]!;
      record['body'] = kvlistOf(5);
      const body = encode(obj);
      expect(() =>
        decode(body, limitsWith('maxLabelsPerRequest', 5))
      ).not.toThrow();
      expect(() => decode(body, limitsWith('maxLabelsPerRequest', 4))).toThrow(
        'request_limits.max_labels_per_request (4)'
      );
    }
  );
});
