/**
 * The decoded form of an OTLP `ExportMetricsServiceRequest`, shared by the
 * protobuf and the JSON decoder so that the converter sees one shape. It
 * mirrors opentelemetry-proto `metrics/v1` (PROTOCOLS.md §2.7) with three
 * simplifications:
 *
 * - Timestamps are milliseconds since the epoch (nanoseconds truncated), the
 *   precision Prometheus keeps. 0 means unset.
 * - `AnyValue` is a plain JS value whose runtime type is the oneof case (see
 *   {@link OtlpAnyValue}), so an attribute costs one object, not three.
 * - uint64/int64 counts and values are JS numbers (exact up to 2^53); only
 *   attribute `int_value` keeps all 64 bits, as a bigint, because it becomes
 *   label text.
 *
 * Decoders build one object per data point; nothing in here is shared with
 * the request body (bytes are copied), so a model outlives its buffer.
 */

/**
 * An OTLP `AnyValue`: `string_value` → string, `bool_value` → boolean,
 * `int_value` → bigint, `double_value` → number, `bytes_value` → Uint8Array,
 * `array_value` → array, `kvlist_value` → {@link OtlpKeyValueList}, and an
 * AnyValue with no case set → null.
 */
export type OtlpAnyValue =
  | string
  | boolean
  | bigint
  | number
  | Uint8Array
  | OtlpAnyValue[]
  | OtlpKeyValueList
  | null;

/** `KeyValueList`: kept as an object so it is told apart from `ArrayValue`. */
export interface OtlpKeyValueList {
  kvlist: OtlpKeyValue[];
}

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

/** `AggregationTemporality` enum values as on the wire. */
export const AggregationTemporality = {
  UNSPECIFIED: 0,
  DELTA: 1,
  CUMULATIVE: 2,
} as const;

/** `DataPointFlags` bits. */
export const DataPointFlags = {
  /** The point marks the end of a series: Prometheus staleness. */
  NO_RECORDED_VALUE: 1,
} as const;

export interface OtlpMetricsRequest {
  resourceMetrics: OtlpResourceMetrics[];
}

export interface OtlpResourceMetrics {
  resource: OtlpResource;
  scopeMetrics: OtlpScopeMetrics[];
  schemaUrl: string;
}

export interface OtlpResource {
  attributes: OtlpKeyValue[];
  droppedAttributesCount: number;
}

export interface OtlpScopeMetrics {
  scope: OtlpInstrumentationScope;
  metrics: OtlpMetric[];
  schemaUrl: string;
}

export interface OtlpInstrumentationScope {
  name: string;
  version: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount: number;
}

export interface OtlpMetric {
  name: string;
  description: string;
  unit: string;
  /** The `data` oneof; undefined when unset or a type this model does not know. */
  data: OtlpMetricData | undefined;
  /** `Metric.metadata` (field 12), e.g. `prometheus.type`. */
  metadata: OtlpKeyValue[];
}

export type OtlpMetricData =
  OtlpGauge | OtlpSum | OtlpHistogram | OtlpExponentialHistogram | OtlpSummary;

export interface OtlpGauge {
  type: 'gauge';
  dataPoints: OtlpNumberDataPoint[];
}

export interface OtlpSum {
  type: 'sum';
  dataPoints: OtlpNumberDataPoint[];
  aggregationTemporality: number;
  isMonotonic: boolean;
}

export interface OtlpHistogram {
  type: 'histogram';
  dataPoints: OtlpHistogramDataPoint[];
  aggregationTemporality: number;
}

export interface OtlpExponentialHistogram {
  type: 'exponentialHistogram';
  dataPoints: OtlpExponentialHistogramDataPoint[];
  aggregationTemporality: number;
}

export interface OtlpSummary {
  type: 'summary';
  dataPoints: OtlpSummaryDataPoint[];
}

export interface OtlpNumberDataPoint {
  attributes: OtlpKeyValue[];
  startTimeUnixMs: number;
  timeUnixMs: number;
  /** `as_double` or `as_int`; undefined when the oneof is unset. */
  value: number | undefined;
  /** True when the value came as `as_int`. */
  isInt: boolean;
  exemplars: OtlpExemplar[];
  flags: number;
}

export interface OtlpHistogramDataPoint {
  attributes: OtlpKeyValue[];
  startTimeUnixMs: number;
  timeUnixMs: number;
  count: number;
  /** Undefined when the optional `sum` is absent. */
  sum: number | undefined;
  bucketCounts: number[];
  explicitBounds: number[];
  exemplars: OtlpExemplar[];
  flags: number;
  min: number | undefined;
  max: number | undefined;
}

export interface OtlpBuckets {
  /** Index of the first bucket; bucket i covers (base^i, base^(i+1)]. */
  offset: number;
  bucketCounts: number[];
}

export interface OtlpExponentialHistogramDataPoint {
  attributes: OtlpKeyValue[];
  startTimeUnixMs: number;
  timeUnixMs: number;
  count: number;
  sum: number | undefined;
  scale: number;
  zeroCount: number;
  positive: OtlpBuckets;
  negative: OtlpBuckets;
  flags: number;
  exemplars: OtlpExemplar[];
  min: number | undefined;
  max: number | undefined;
  /** 0 when unset. */
  zeroThreshold: number;
}

export interface OtlpValueAtQuantile {
  quantile: number;
  value: number;
}

export interface OtlpSummaryDataPoint {
  attributes: OtlpKeyValue[];
  startTimeUnixMs: number;
  timeUnixMs: number;
  count: number;
  sum: number;
  quantileValues: OtlpValueAtQuantile[];
  flags: number;
}

export interface OtlpExemplar {
  filteredAttributes: OtlpKeyValue[];
  timeUnixMs: number;
  value: number | undefined;
  isInt: boolean;
  /** Lowercase hex (16 digits), or '' when unset. */
  spanId: string;
  /** Lowercase hex (32 digits), or '' when unset. */
  traceId: string;
}

/**
 * Deepest `AnyValue` nesting (arrays and kvlists inside each other) a decoder
 * accepts. Real attributes nest once or twice; the cap keeps hostile input
 * from exhausting the stack.
 */
export const MAX_ANY_VALUE_DEPTH = 32;

/** Number of data points in a metric (0 when it has no data). */
export function countDataPoints(metric: OtlpMetric): number {
  return metric.data === undefined ? 0 : metric.data.dataPoints.length;
}
