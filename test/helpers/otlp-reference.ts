/**
 * Test-only OTLP reference codec: protobufjs loaded from the .proto files in
 * test/fixtures/proto/opentelemetry (written from the field numbers), plus
 *
 * - `encodeOtlpJsonAsProtobuf`: an OTLP/JSON object → protobuf bytes, so one
 *   fixture yields both encodings of the same request;
 * - `referenceDecodeMetrics`: protobuf bytes → the gateway's model, built
 *   independently of src/ingest/otlp, for differential tests;
 * - `randomOtlpJsonRequest`: a seeded random OTLP/JSON request;
 * - `createRandom`: a small seeded PRNG (mulberry32).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type {
  OtlpAnyValue,
  OtlpBuckets,
  OtlpExemplar,
  OtlpKeyValue,
  OtlpMetric,
  OtlpMetricData,
  OtlpMetricsRequest,
  OtlpNumberDataPoint,
} from '../../src/protocol/otlp/otlp-metrics-model.js';

const PROTO_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/proto'
);

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // Imports name files as "opentelemetry/proto/…", relative to PROTO_ROOT.
  root.resolvePath = (_origin: string, target: string) =>
    path.isAbsolute(target) ? target : path.join(PROTO_ROOT, target);
  root.loadSync(
    [
      'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
      'opentelemetry/proto/collector/logs/v1/logs_service.proto',
      'opentelemetry/rpc/status.proto',
    ],
    { keepCase: false }
  );
  root.resolveAll();
  return root;
}

const root = loadRoot();

export const ExportMetricsServiceRequest = root.lookupType(
  'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'
);
export const ExportMetricsServiceResponse = root.lookupType(
  'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'
);
export const ExportLogsServiceResponse = root.lookupType(
  'opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'
);
export const RpcStatus = root.lookupType('google.rpc.Status');

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  bytes: Array,
  defaults: true,
  oneofs: true,
};

/** Decodes protobuf bytes with the reference decoder into a plain object (int64 as strings). */
export function referenceToObject(
  type: protobuf.Type,
  bytes: Uint8Array
): Record<string, unknown> {
  return type.toObject(type.decode(bytes), TO_OBJECT);
}

// ---- OTLP/JSON → protobuf ------------------------------------------------------

/**
 * Encodes an OTLP/JSON request object as protobuf. OTLP/JSON differs from
 * protobufjs' object form only in `traceId`/`spanId`, which are hex instead
 * of base64; they are converted here.
 */
export function encodeOtlpJsonAsProtobuf(json: unknown): Uint8Array {
  const converted = convertIds(json);
  const message = ExportMetricsServiceRequest.fromObject(
    converted as Record<string, unknown>
  );
  return ExportMetricsServiceRequest.encode(message).finish();
}

function convertIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(convertIds);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if ((key === 'traceId' || key === 'spanId') && typeof v === 'string')
      out[key] = Buffer.from(v, 'hex');
    else out[key] = convertIds(v);
  }
  return out;
}

// ---- reference decode into the model ------------------------------------------

type Obj = Record<string, unknown>;

/** Protobuf bytes → OtlpMetricsRequest through protobufjs, independent of the gateway decoder. */
export function referenceDecodeMetrics(bytes: Uint8Array): OtlpMetricsRequest {
  const obj = referenceToObject(ExportMetricsServiceRequest, bytes);
  return {
    resourceMetrics: (obj['resourceMetrics'] as Obj[]).map(rm => {
      const resource = rm['resource'] as Obj | null;
      return {
        resource: {
          attributes:
            resource === null ? [] : keyValues(resource['attributes']),
          droppedAttributesCount:
            resource === null
              ? 0
              : (resource['droppedAttributesCount'] as number),
        },
        schemaUrl: rm['schemaUrl'] as string,
        scopeMetrics: (rm['scopeMetrics'] as Obj[]).map(sm => {
          const scope = sm['scope'] as Obj | null;
          return {
            scope: {
              name: scope === null ? '' : (scope['name'] as string),
              version: scope === null ? '' : (scope['version'] as string),
              attributes: scope === null ? [] : keyValues(scope['attributes']),
              droppedAttributesCount:
                scope === null
                  ? 0
                  : (scope['droppedAttributesCount'] as number),
            },
            schemaUrl: sm['schemaUrl'] as string,
            metrics: (sm['metrics'] as Obj[]).map(metric),
          };
        }),
      };
    }),
  };
}

function metric(m: Obj): OtlpMetric {
  return {
    name: m['name'] as string,
    description: m['description'] as string,
    unit: m['unit'] as string,
    metadata: keyValues(m['metadata']),
    data: metricData(m),
  };
}

function metricData(m: Obj): OtlpMetricData | undefined {
  const which = m['data'] as string | undefined;
  if (which === undefined) return undefined;
  const data = m[which] as Obj;
  const points = data['dataPoints'] as Obj[];
  const temporality =
    (data['aggregationTemporality'] as number | undefined) ?? 0;
  switch (which) {
    case 'gauge':
      return { type: 'gauge', dataPoints: points.map(numberPoint) };
    case 'sum':
      return {
        type: 'sum',
        dataPoints: points.map(numberPoint),
        aggregationTemporality: temporality,
        isMonotonic: data['isMonotonic'] as boolean,
      };
    case 'histogram':
      return {
        type: 'histogram',
        aggregationTemporality: temporality,
        dataPoints: points.map(p => ({
          attributes: keyValues(p['attributes']),
          startTimeUnixMs: nanosToMs(p['startTimeUnixNano']),
          timeUnixMs: nanosToMs(p['timeUnixNano']),
          count: Number(p['count']),
          sum: optionalNumber(p, 'sum'),
          bucketCounts: (p['bucketCounts'] as string[]).map(Number),
          explicitBounds: p['explicitBounds'] as number[],
          exemplars: exemplars(p['exemplars']),
          flags: p['flags'] as number,
          min: optionalNumber(p, 'min'),
          max: optionalNumber(p, 'max'),
        })),
      };
    case 'exponentialHistogram':
      return {
        type: 'exponentialHistogram',
        aggregationTemporality: temporality,
        dataPoints: points.map(p => ({
          attributes: keyValues(p['attributes']),
          startTimeUnixMs: nanosToMs(p['startTimeUnixNano']),
          timeUnixMs: nanosToMs(p['timeUnixNano']),
          count: Number(p['count']),
          sum: optionalNumber(p, 'sum'),
          scale: p['scale'] as number,
          zeroCount: Number(p['zeroCount']),
          positive: buckets(p['positive']),
          negative: buckets(p['negative']),
          flags: p['flags'] as number,
          exemplars: exemplars(p['exemplars']),
          min: optionalNumber(p, 'min'),
          max: optionalNumber(p, 'max'),
          zeroThreshold: p['zeroThreshold'] as number,
        })),
      };
    case 'summary':
      return {
        type: 'summary',
        dataPoints: points.map(p => ({
          attributes: keyValues(p['attributes']),
          startTimeUnixMs: nanosToMs(p['startTimeUnixNano']),
          timeUnixMs: nanosToMs(p['timeUnixNano']),
          count: Number(p['count']),
          sum: p['sum'] as number,
          quantileValues: (p['quantileValues'] as Obj[]).map(q => ({
            quantile: q['quantile'] as number,
            value: q['value'] as number,
          })),
          flags: p['flags'] as number,
        })),
      };
    default:
      throw new Error(`unknown data ${which}`);
  }
}

function numberPoint(p: Obj): OtlpNumberDataPoint {
  const which = p['value'] as string | undefined;
  return {
    attributes: keyValues(p['attributes']),
    startTimeUnixMs: nanosToMs(p['startTimeUnixNano']),
    timeUnixMs: nanosToMs(p['timeUnixNano']),
    value: which === undefined ? undefined : Number(p[which]),
    isInt: which === 'asInt',
    exemplars: exemplars(p['exemplars']),
    flags: p['flags'] as number,
  };
}

function exemplars(value: unknown): OtlpExemplar[] {
  return (value as Obj[]).map(e => {
    const which = e['value'] as string | undefined;
    return {
      filteredAttributes: keyValues(e['filteredAttributes']),
      timeUnixMs: nanosToMs(e['timeUnixNano']),
      value: which === undefined ? undefined : Number(e[which]),
      isInt: which === 'asInt',
      spanId: Buffer.from(e['spanId'] as number[]).toString('hex'),
      traceId: Buffer.from(e['traceId'] as number[]).toString('hex'),
    };
  });
}

function buckets(value: unknown): OtlpBuckets {
  if (value === null || value === undefined)
    return { offset: 0, bucketCounts: [] };
  const b = value as Obj;
  return {
    offset: b['offset'] as number,
    bucketCounts: (b['bucketCounts'] as string[]).map(Number),
  };
}

function keyValues(value: unknown): OtlpKeyValue[] {
  return ((value ?? []) as Obj[]).map(kv => ({
    key: kv['key'] as string,
    value: anyValue(kv['value']),
  }));
}

function anyValue(value: unknown): OtlpAnyValue {
  if (value === null || value === undefined) return null;
  const v = value as Obj;
  switch (v['value'] as string | undefined) {
    case 'stringValue':
      return v['stringValue'] as string;
    case 'boolValue':
      return v['boolValue'] as boolean;
    case 'intValue':
      return BigInt(v['intValue'] as string);
    case 'doubleValue':
      return v['doubleValue'] as number;
    case 'bytesValue':
      return new Uint8Array(v['bytesValue'] as number[]);
    case 'arrayValue':
      return ((v['arrayValue'] as Obj)['values'] as unknown[]).map(anyValue);
    case 'kvlistValue':
      return { kvlist: keyValues((v['kvlistValue'] as Obj)['values']) };
    default:
      return null;
  }
}

function nanosToMs(value: unknown): number {
  return Number(BigInt(value as string) / 1_000_000n);
}

function optionalNumber(obj: Obj, key: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key)
    ? (obj[key] as number)
    : undefined;
}

// ---- seeded random requests ------------------------------------------------------

/** mulberry32: a tiny deterministic PRNG returning floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [
  'service.name',
  'http.method',
  'host',
  'k8s.pod.name',
  'a.b',
  'a-b',
  '1st',
  '__x',
  'ünï',
  '',
];
const WORDS = ['GET', 'POST', '', 'pod-1', 'ü', '☃', 'a;b', 'x'.repeat(40)];

/**
 * A random OTLP/JSON request exercising every field the model reads. Values
 * stay inside what both encodings carry identically (no -0, int64 as strings,
 * doubles finite or given as "NaN"/"Infinity" strings).
 */
export function randomOtlpJsonRequest(random: () => number): Obj {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const maybe = (p = 0.5) => random() < p;
  const nanos = () =>
    maybe(0.1)
      ? '0'
      : (1_700_000_000_000_000_000n + BigInt(int(1e9)) * 1_000_007n).toString();
  const uint64 = () =>
    maybe(0.05) ? '18446744073709551615' : String(int(1000));
  const double = (): number | string =>
    maybe(0.05)
      ? pick(['NaN', 'Infinity', '-Infinity'])
      : (int(2_000_000) - 1e6) / 8;
  const hex = (bytes: number) => {
    let s = '';
    for (let i = 0; i < bytes; i++) s += int(256).toString(16).padStart(2, '0');
    return s;
  };
  const anyValue = (depth: number): Obj => {
    switch (int(depth > 2 ? 5 : 8)) {
      case 0:
        return { stringValue: pick(WORDS) };
      case 1:
        return { boolValue: maybe() };
      case 2:
        return {
          intValue: maybe(0.1)
            ? '-9223372036854775808'
            : String(int(1e6) - 5e5),
        };
      case 3:
        return { doubleValue: (int(1e6) - 5e5) / 16 };
      case 4:
        return {};
      case 5:
        return {
          arrayValue: {
            values: Array.from({ length: int(3) }, () => anyValue(depth + 1)),
          },
        };
      case 6:
        return { kvlistValue: { values: attributes(depth + 1) } };
      default:
        return {
          bytesValue: Buffer.from(hex(int(5)), 'hex').toString('base64'),
        };
    }
  };
  const attributes = (depth = 0): Obj[] =>
    Array.from({ length: int(4) }, () => ({
      key: pick(KEYS),
      value: anyValue(depth),
    }));
  const exemplarList = (): Obj[] =>
    Array.from({ length: int(3) }, () => ({
      filteredAttributes: attributes(),
      timeUnixNano: nanos(),
      ...(maybe(0.2)
        ? {}
        : maybe()
          ? { asDouble: double() }
          : { asInt: String(int(1e6) - 5e5) }),
      ...(maybe(0.3) ? {} : { spanId: hex(8), traceId: hex(16) }),
    }));
  const common = () => ({
    attributes: attributes(),
    startTimeUnixNano: nanos(),
    timeUnixNano: nanos(),
    flags: maybe(0.1) ? 1 : 0,
  });
  const numberPoint = () => ({
    ...common(),
    ...(maybe(0.1)
      ? {}
      : maybe()
        ? { asDouble: double() }
        : { asInt: String(int(1e9) - 5e8) }),
    exemplars: exemplarList(),
  });
  const metricData = (): Obj => {
    const temporality = int(3);
    switch (int(6)) {
      case 0:
        return {
          gauge: { dataPoints: Array.from({ length: int(3) }, numberPoint) },
        };
      case 1:
        return {
          sum: {
            aggregationTemporality: temporality,
            isMonotonic: maybe(),
            dataPoints: Array.from({ length: int(3) }, numberPoint),
          },
        };
      case 2:
        return {
          histogram: {
            aggregationTemporality: temporality,
            dataPoints: Array.from({ length: int(3) }, () => {
              const bounds = Array.from(
                { length: int(5) },
                (_, i) => i * 2.5 + 0.005
              );
              return {
                ...common(),
                count: uint64(),
                ...(maybe(0.8) ? { sum: double() } : {}),
                ...(maybe(0.5) ? { min: double(), max: double() } : {}),
                bucketCounts: maybe(0.1)
                  ? []
                  : [...bounds, 0].map(() => uint64()),
                explicitBounds: bounds,
                exemplars: exemplarList(),
              };
            }),
          },
        };
      case 3:
        return {
          exponentialHistogram: {
            aggregationTemporality: temporality,
            dataPoints: Array.from({ length: int(3) }, () => ({
              ...common(),
              count: uint64(),
              ...(maybe(0.8) ? { sum: double() } : {}),
              scale: int(30) - 8,
              zeroCount: uint64(),
              ...(maybe(0.3) ? { zeroThreshold: 1e-9 } : {}),
              ...(maybe(0.8)
                ? {
                    positive: {
                      offset: int(40) - 20,
                      bucketCounts: Array.from({ length: int(6) }, uint64),
                    },
                  }
                : {}),
              ...(maybe(0.5)
                ? {
                    negative: {
                      offset: int(40) - 20,
                      bucketCounts: Array.from({ length: int(6) }, uint64),
                    },
                  }
                : {}),
              exemplars: exemplarList(),
            })),
          },
        };
      case 4:
        return {
          summary: {
            dataPoints: Array.from({ length: int(3) }, () => ({
              ...common(),
              count: uint64(),
              sum: double(),
              quantileValues: Array.from({ length: int(4) }, (_, i) => ({
                quantile: i / 4,
                value: double(),
              })),
            })),
          },
        };
      default:
        return {};
    }
  };
  return {
    resourceMetrics: Array.from({ length: 1 + int(2) }, () => ({
      ...(maybe(0.9)
        ? {
            resource: {
              attributes: attributes(),
              droppedAttributesCount: int(3),
            },
          }
        : {}),
      schemaUrl: maybe() ? 'https://opentelemetry.io/schemas/1.21.0' : '',
      scopeMetrics: Array.from({ length: int(3) }, () => ({
        ...(maybe(0.8)
          ? {
              scope: {
                name: pick(['', 'lib', 'io.opentelemetry.x']),
                version: pick(['', '1.0.0']),
                attributes: attributes(),
              },
            }
          : {}),
        schemaUrl: maybe(0.2) ? 'https://example.com/s' : '',
        metrics: Array.from({ length: int(4) }, () => ({
          name: pick([
            'http.server.duration',
            'requests',
            'system.memory.usage',
            '',
            'x',
          ]),
          description: pick(['', 'a description']),
          unit: pick(['', 'ms', 'By', '1', '{requests}', 'm/s']),
          ...metricData(),
          ...(maybe(0.1)
            ? {
                metadata: [
                  { key: 'prometheus.type', value: { stringValue: 'unknown' } },
                ],
              }
            : {}),
        })),
      })),
    })),
  };
}

// ---- the example request -----------------------------------------------------------

/**
 * A request shaped like opentelemetry-proto's examples/metrics.json: one
 * resource, one scope, a sum, a gauge, a histogram and an exponential
 * histogram, in OTLP/JSON form (int64 as strings, hex ids).
 */
export function exampleMetricsJson(): Obj {
  const time = '1544712660300000000';
  const start = '1544712600300000000';
  const attrs = [{ key: 'my.attr', value: { stringValue: 'some value' } }];
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'my.service' } },
            { key: 'service.namespace', value: { stringValue: 'shop' } },
            { key: 'service.instance.id', value: { stringValue: 'pod-7' } },
            { key: 'k8s.cluster.name', value: { stringValue: 'prod-eu' } },
            { key: 'host.cpu.count', value: { intValue: '8' } },
          ],
        },
        scopeMetrics: [
          {
            scope: {
              name: 'my.library',
              version: '1.0.0',
              attributes: [
                {
                  key: 'my.scope.attribute',
                  value: { stringValue: 'some scope attribute' },
                },
              ],
            },
            metrics: [
              {
                name: 'my.counter',
                unit: '1',
                description: 'I am a Counter',
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      asDouble: 5,
                      startTimeUnixNano: start,
                      timeUnixNano: time,
                      attributes: attrs,
                      exemplars: [
                        {
                          asDouble: 1.5,
                          timeUnixNano: time,
                          traceId: '5B8EFFF798038103D269B633813FC60C',
                          spanId: 'EEE19B7EC3C1B174',
                        },
                      ],
                    },
                  ],
                },
              },
              {
                name: 'my.gauge',
                unit: '1',
                description: 'I am a Gauge',
                gauge: {
                  dataPoints: [
                    { asInt: '10', timeUnixNano: time, attributes: attrs },
                  ],
                },
              },
              {
                name: 'my.histogram',
                unit: 'ms',
                description: 'I am a Histogram',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      startTimeUnixNano: start,
                      timeUnixNano: time,
                      count: '3',
                      sum: 7,
                      bucketCounts: ['1', '1', '1'],
                      explicitBounds: [1, 5],
                      min: 0,
                      max: 6,
                      attributes: attrs,
                    },
                  ],
                },
              },
              {
                name: 'my.exponential.histogram',
                unit: 's',
                description: 'I am an Exponential Histogram',
                exponentialHistogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      startTimeUnixNano: start,
                      timeUnixNano: time,
                      count: '3',
                      sum: 10,
                      scale: 0,
                      zeroCount: '1',
                      positive: { offset: 1, bucketCounts: ['0', '2'] },
                      min: 0,
                      max: 5,
                      zeroThreshold: 0,
                      attributes: attrs,
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
}
