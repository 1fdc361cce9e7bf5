/**
 * Decodes a binary protobuf `ExportMetricsServiceRequest` into the model of
 * otlp-metrics-model.ts. Pure: bytes in, model out, InvalidPayloadError for
 * anything malformed (truncation, a known field with the wrong wire type, a
 * nested message that overruns its parent, invalid UTF-8, an id of the wrong
 * length). Unknown fields are skipped, as proto3 requires.
 *
 * Field table (opentelemetry-proto, PROTOCOLS.md §2.7; wire types: V=varint,
 * I64=fixed64/double, LEN=length-delimited):
 *
 * | message                       | field                                                  |
 * |-------------------------------|--------------------------------------------------------|
 * | ExportMetricsServiceRequest   | 1 resource_metrics LEN                                 |
 * | ResourceMetrics               | 1 resource LEN, 2 scope_metrics LEN, 3 schema_url LEN  |
 * | Resource                      | 1 attributes LEN, 2 dropped_attributes_count V         |
 * | ScopeMetrics                  | 1 scope LEN, 2 metrics LEN, 3 schema_url LEN           |
 * | InstrumentationScope          | 1 name, 2 version, 3 attributes LEN, 4 dropped V       |
 * | Metric                        | 1 name, 2 description, 3 unit, 5 gauge, 7 sum,         |
 * |                               | 9 histogram, 10 exponential_histogram, 11 summary,     |
 * |                               | 12 metadata (all LEN)                                  |
 * | Gauge / Summary               | 1 data_points LEN                                      |
 * | Sum                           | 1 data_points LEN, 2 temporality V, 3 is_monotonic V   |
 * | Histogram / ExpHistogram      | 1 data_points LEN, 2 temporality V                     |
 * | NumberDataPoint               | 7 attributes, 2 start I64, 3 time I64, 4 as_double I64,|
 * |                               | 6 as_int I64 (sfixed64), 5 exemplars, 8 flags V        |
 * | HistogramDataPoint            | 9 attributes, 2 start, 3 time, 4 count I64, 5 sum I64, |
 * |                               | 6 bucket_counts I64 (packed or not), 7 explicit_bounds |
 * |                               | I64 (packed or not), 8 exemplars, 10 flags V,          |
 * |                               | 11 min I64, 12 max I64                                 |
 * | ExponentialHistogramDataPoint | 1 attributes, 2 start, 3 time, 4 count I64, 5 sum I64, |
 * |                               | 6 scale V (sint32), 7 zero_count I64, 8 positive LEN,  |
 * |                               | 9 negative LEN, 10 flags V, 11 exemplars, 12 min,      |
 * |                               | 13 max, 14 zero_threshold I64                          |
 * | Buckets                       | 1 offset V (sint32), 2 bucket_counts V (packed or not) |
 * | SummaryDataPoint              | 7 attributes, 2 start, 3 time, 4 count I64, 5 sum I64, |
 * |                               | 6 quantile_values LEN, 8 flags V                       |
 * | ValueAtQuantile               | 1 quantile I64, 2 value I64                            |
 * | Exemplar                      | 7 filtered_attributes, 2 time I64, 3 as_double I64,    |
 * |                               | 6 as_int I64, 4 span_id LEN, 5 trace_id LEN            |
 * | KeyValue                      | 1 key LEN, 2 value LEN                                 |
 * | AnyValue                      | 1 string, 2 bool V, 3 int V, 4 double I64, 5 array,    |
 * |                               | 6 kvlist, 7 bytes                                      |
 * | ArrayValue / KeyValueList     | 1 values LEN                                           |
 *
 * Why this file is long: one reader per message of the field table above; they are one recursive descent over one buffer.
 */
import {
  type ProtobufReader,
  readRepeatedScalar,
  RepeatedScalar,
  WireType,
} from '../wire/protobuf-reader.js';
export { bytesToHex } from './common/decode-common-protobuf.js';
import {
  DEFAULT_REQUEST_LIMITS,
  type RequestLimits,
} from '../request-limits.js';
import {
  addAttribute,
  decodeCaps,
  type DecodeCaps,
  SPAN_ID_BYTES,
  TRACE_ID_BYTES,
  checkEnd,
  expectWireType,
  nested,
  readId as readIdCommon,
  readResourceInto,
  readScopeInto,
  decodeRequest,
  readEnvelope,
  readString as readStringCommon,
  skipField,
} from './common/decode-common-protobuf.js';
import {
  type OtlpBuckets,
  type OtlpExemplar,
  type OtlpExponentialHistogramDataPoint,
  type OtlpHistogramDataPoint,
  type OtlpKeyValue,
  type OtlpMetric,
  type OtlpMetricData,
  type OtlpMetricsRequest,
  type OtlpNumberDataPoint,
  type OtlpResourceMetrics,
  type OtlpScopeMetrics,
  type OtlpSummaryDataPoint,
  type OtlpValueAtQuantile,
} from './otlp-metrics-model.js';

/**
 * Decodes an OTLP/HTTP protobuf metrics body. An empty body is an empty
 * request. The returned model does not reference `body`.
 *
 * `limits` caps attributes per resource, scope and point (and exemplar and
 * metric metadata), attribute key and string value bytes (they become
 * labels) and data points per request, checked as they are read.
 *
 * @throws InvalidPayloadError (`cannot decode OTLP metrics: …`) for
 *   malformed input; RequestLimitError (400 or 413) over a cap.
 */
export function decodeMetricsProtobuf(
  body: Uint8Array,
  limits: RequestLimits = DEFAULT_REQUEST_LIMITS
): OtlpMetricsRequest {
  const caps = decodeCaps(limits, true, 'maxPointsPerRequest', 'data points');
  const resourceMetrics: OtlpResourceMetrics[] = [];
  decodeRequest(body, 'metrics', readResourceMetrics, resourceMetrics, caps);
  return { resourceMetrics };
}

function readResourceMetrics(
  r: ProtobufReader,
  end: number,
  into: OtlpResourceMetrics[],
  caps: DecodeCaps
): void {
  const out: OtlpResourceMetrics = {
    resource: { attributes: [], droppedAttributesCount: 0 },
    scopeMetrics: [],
    schemaUrl: '',
  };
  out.schemaUrl = readEnvelope(
    r,
    end,
    out.resource,
    readResourceInto,
    readScopeMetrics,
    out.scopeMetrics,
    false,
    caps
  );
  into.push(out);
}

function readScopeMetrics(
  r: ProtobufReader,
  end: number,
  into: OtlpScopeMetrics[],
  caps: DecodeCaps
): void {
  const out: OtlpScopeMetrics = {
    scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
    metrics: [],
    schemaUrl: '',
  };
  out.schemaUrl = readEnvelope(
    r,
    end,
    out.scope,
    readScopeInto,
    readMetricInto,
    out.metrics,
    false,
    caps
  );
  into.push(out);
}

function readMetricInto(
  r: ProtobufReader,
  end: number,
  into: OtlpMetric[],
  caps: DecodeCaps
): void {
  into.push(readMetric(r, end, caps));
}

function readMetric(
  r: ProtobufReader,
  end: number,
  caps: DecodeCaps
): OtlpMetric {
  const out: OtlpMetric = {
    name: '',
    description: '',
    unit: '',
    data: undefined,
    metadata: [],
  };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        out.name = readString(r, tag, end);
        break;
      case 2:
        out.description = readString(r, tag, end);
        break;
      case 3:
        out.unit = readString(r, tag, end);
        break;
      case 5:
        out.data = readNumberData(r, nested(r, tag, end), 'gauge', caps);
        break;
      case 7:
        out.data = readNumberData(r, nested(r, tag, end), 'sum', caps);
        break;
      case 9:
        out.data = readHistogram(r, nested(r, tag, end), caps);
        break;
      case 10:
        out.data = readExponentialHistogram(r, nested(r, tag, end), caps);
        break;
      case 11:
        out.data = readSummary(r, nested(r, tag, end), caps);
        break;
      case 12:
        addAttribute(
          r,
          tag,
          end,
          false,
          caps,
          out.metadata,
          'maxAttributesPerPoint',
          'metric metadata'
        );
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return out;
}

/** Gauge and Sum share a layout; a Gauge simply has no fields 2 and 3. */
function readNumberData(
  r: ProtobufReader,
  end: number,
  type: 'gauge' | 'sum',
  caps: DecodeCaps
): OtlpMetricData {
  const dataPoints: OtlpNumberDataPoint[] = [];
  let aggregationTemporality = 0;
  let isMonotonic = false;
  while (r.pos < end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1) {
      caps.items.add(1);
      dataPoints.push(readNumberDataPoint(r, nested(r, tag, end), caps));
    } else if (type === 'sum' && field === 2) {
      expectWireType(r, tag, WireType.VARINT);
      aggregationTemporality = r.uint32();
    } else if (type === 'sum' && field === 3) {
      expectWireType(r, tag, WireType.VARINT);
      isMonotonic = r.bool();
    } else {
      skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return type === 'gauge'
    ? { type, dataPoints }
    : { type, dataPoints, aggregationTemporality, isMonotonic };
}

function readHistogram(
  r: ProtobufReader,
  end: number,
  caps: DecodeCaps
): OtlpMetricData {
  const dataPoints: OtlpHistogramDataPoint[] = [];
  let aggregationTemporality = 0;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        caps.items.add(1);
        dataPoints.push(readHistogramDataPoint(r, nested(r, tag, end), caps));
        break;
      case 2:
        expectWireType(r, tag, WireType.VARINT);
        aggregationTemporality = r.uint32();
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return { type: 'histogram', dataPoints, aggregationTemporality };
}

function readExponentialHistogram(
  r: ProtobufReader,
  end: number,
  caps: DecodeCaps
): OtlpMetricData {
  const dataPoints: OtlpExponentialHistogramDataPoint[] = [];
  let aggregationTemporality = 0;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        caps.items.add(1);
        dataPoints.push(readExponentialDataPoint(r, nested(r, tag, end), caps));
        break;
      case 2:
        expectWireType(r, tag, WireType.VARINT);
        aggregationTemporality = r.uint32();
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return { type: 'exponentialHistogram', dataPoints, aggregationTemporality };
}

function readSummary(
  r: ProtobufReader,
  end: number,
  caps: DecodeCaps
): OtlpMetricData {
  const dataPoints: OtlpSummaryDataPoint[] = [];
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      caps.items.add(1);
      dataPoints.push(readSummaryDataPoint(r, nested(r, tag, end), caps));
    } else skipField(r, tag);
  }
  checkEnd(r, end);
  return { type: 'summary', dataPoints };
}

function readNumberDataPoint(
  r: ProtobufReader,
  end: number,
  caps: DecodeCaps
): OtlpNumberDataPoint {
  const out: OtlpNumberDataPoint = {
    attributes: [],
    startTimeUnixMs: 0,
    timeUnixMs: 0,
    value: undefined,
    isInt: false,
    exemplars: [],
    flags: 0,
  };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 7:
        addPointAttribute(r, tag, end, caps, out.attributes);
        break;
      case 2:
        out.startTimeUnixMs = readTimestampMs(r, tag);
        break;
      case 3:
        out.timeUnixMs = readTimestampMs(r, tag);
        break;
      case 4:
        expectWireType(r, tag, WireType.FIXED64);
        out.value = r.double();
        out.isInt = false;
        break;
      case 6:
        expectWireType(r, tag, WireType.FIXED64);
        out.value = r.fixed64(true);
        out.isInt = true;
        break;
      case 5:
        out.exemplars.push(readExemplar(r, nested(r, tag, end), caps));
        break;
      case 8:
        expectWireType(r, tag, WireType.VARINT);
        out.flags = r.uint32();
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return out;
}

function readHistogramDataPoint(
  r: ProtobufReader,
  end: number,
  caps: DecodeCaps
): OtlpHistogramDataPoint {
  const out: OtlpHistogramDataPoint = {
    attributes: [],
    startTimeUnixMs: 0,
    timeUnixMs: 0,
    count: 0,
    sum: undefined,
    bucketCounts: [],
    explicitBounds: [],
    exemplars: [],
    flags: 0,
    min: undefined,
    max: undefined,
  };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 9:
        addPointAttribute(r, tag, end, caps, out.attributes);
        break;
      case 2:
        out.startTimeUnixMs = readTimestampMs(r, tag);
        break;
      case 3:
        out.timeUnixMs = readTimestampMs(r, tag);
        break;
      case 4:
        expectWireType(r, tag, WireType.FIXED64);
        out.count = r.fixed64();
        break;
      case 5:
        out.sum = readDouble(r, tag);
        break;
      case 6:
        readRepeatedScalar(
          r,
          tag,
          end,
          RepeatedScalar.FIXED64,
          out.bucketCounts
        );
        break;
      case 7:
        readRepeatedScalar(
          r,
          tag,
          end,
          RepeatedScalar.DOUBLE,
          out.explicitBounds
        );
        break;
      case 8:
        out.exemplars.push(readExemplar(r, nested(r, tag, end), caps));
        break;
      case 10:
        expectWireType(r, tag, WireType.VARINT);
        out.flags = r.uint32();
        break;
      case 11:
        out.min = readDouble(r, tag);
        break;
      case 12:
        out.max = readDouble(r, tag);
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return out;
}

function readExponentialDataPoint(
  r: ProtobufReader,
  end: number,
  caps: DecodeCaps
): OtlpExponentialHistogramDataPoint {
  const out: OtlpExponentialHistogramDataPoint = {
    attributes: [],
    startTimeUnixMs: 0,
    timeUnixMs: 0,
    count: 0,
    sum: undefined,
    scale: 0,
    zeroCount: 0,
    positive: { offset: 0, bucketCounts: [] },
    negative: { offset: 0, bucketCounts: [] },
    flags: 0,
    exemplars: [],
    min: undefined,
    max: undefined,
    zeroThreshold: 0,
  };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        addPointAttribute(r, tag, end, caps, out.attributes);
        break;
      case 2:
        out.startTimeUnixMs = readTimestampMs(r, tag);
        break;
      case 3:
        out.timeUnixMs = readTimestampMs(r, tag);
        break;
      case 4:
        expectWireType(r, tag, WireType.FIXED64);
        out.count = r.fixed64();
        break;
      case 5:
        out.sum = readDouble(r, tag);
        break;
      case 6:
        expectWireType(r, tag, WireType.VARINT);
        out.scale = r.sint32();
        break;
      case 7:
        expectWireType(r, tag, WireType.FIXED64);
        out.zeroCount = r.fixed64();
        break;
      case 8:
        out.positive = readBuckets(r, nested(r, tag, end));
        break;
      case 9:
        out.negative = readBuckets(r, nested(r, tag, end));
        break;
      case 10:
        expectWireType(r, tag, WireType.VARINT);
        out.flags = r.uint32();
        break;
      case 11:
        out.exemplars.push(readExemplar(r, nested(r, tag, end), caps));
        break;
      case 12:
        out.min = readDouble(r, tag);
        break;
      case 13:
        out.max = readDouble(r, tag);
        break;
      case 14:
        out.zeroThreshold = readDouble(r, tag);
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return out;
}

function readBuckets(r: ProtobufReader, end: number): OtlpBuckets {
  const out: OtlpBuckets = { offset: 0, bucketCounts: [] };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        expectWireType(r, tag, WireType.VARINT);
        out.offset = r.sint32();
        break;
      case 2:
        readRepeatedScalar(
          r,
          tag,
          end,
          RepeatedScalar.UINT64,
          out.bucketCounts
        );
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return out;
}

function readSummaryDataPoint(
  r: ProtobufReader,
  end: number,
  caps: DecodeCaps
): OtlpSummaryDataPoint {
  const out: OtlpSummaryDataPoint = {
    attributes: [],
    startTimeUnixMs: 0,
    timeUnixMs: 0,
    count: 0,
    sum: 0,
    quantileValues: [],
    flags: 0,
  };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 7:
        addPointAttribute(r, tag, end, caps, out.attributes);
        break;
      case 2:
        out.startTimeUnixMs = readTimestampMs(r, tag);
        break;
      case 3:
        out.timeUnixMs = readTimestampMs(r, tag);
        break;
      case 4:
        expectWireType(r, tag, WireType.FIXED64);
        out.count = r.fixed64();
        break;
      case 5:
        out.sum = readDouble(r, tag);
        break;
      case 6:
        out.quantileValues.push(readValueAtQuantile(r, nested(r, tag, end)));
        break;
      case 8:
        expectWireType(r, tag, WireType.VARINT);
        out.flags = r.uint32();
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return out;
}

function readValueAtQuantile(
  r: ProtobufReader,
  end: number
): OtlpValueAtQuantile {
  const out: OtlpValueAtQuantile = { quantile: 0, value: 0 };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        out.quantile = readDouble(r, tag);
        break;
      case 2:
        out.value = readDouble(r, tag);
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return out;
}

function readExemplar(
  r: ProtobufReader,
  end: number,
  caps: DecodeCaps
): OtlpExemplar {
  const out: OtlpExemplar = {
    filteredAttributes: [],
    timeUnixMs: 0,
    value: undefined,
    isInt: false,
    spanId: '',
    traceId: '',
  };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 7:
        addAttribute(
          r,
          tag,
          end,
          false,
          caps,
          out.filteredAttributes,
          'maxAttributesPerPoint',
          'exemplar'
        );
        break;
      case 2:
        out.timeUnixMs = readTimestampMs(r, tag);
        break;
      case 3:
        out.value = readDouble(r, tag);
        out.isInt = false;
        break;
      case 6:
        expectWireType(r, tag, WireType.FIXED64);
        out.value = r.fixed64(true);
        out.isInt = true;
        break;
      case 4:
        out.spanId = readId(r, tag, end, SPAN_ID_BYTES, 'span_id');
        break;
      case 5:
        out.traceId = readId(r, tag, end, TRACE_ID_BYTES, 'trace_id');
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return out;
}

/** A data point's attribute, under maxAttributesPerPoint. */
function addPointAttribute(
  r: ProtobufReader,
  tag: number,
  end: number,
  caps: DecodeCaps,
  attributes: OtlpKeyValue[]
): void {
  addAttribute(
    r,
    tag,
    end,
    false,
    caps,
    attributes,
    'maxAttributesPerPoint',
    'data point'
  );
}

// ---- field helpers ---------------------------------------------------------

function readString(r: ProtobufReader, tag: number, parentEnd: number): string {
  return readStringCommon(r, tag, parentEnd, false);
}

function readDouble(r: ProtobufReader, tag: number): number {
  expectWireType(r, tag, WireType.FIXED64);
  return r.double();
}

/**
 * fixed64 nanoseconds → milliseconds, exactly (truncated), without a bigint:
 * ns = hi·2^32 + lo = hi·4294·10^6 + (hi·967296 + lo), and the second term
 * stays below 2^53, so its integer division by 10^6 is exact.
 */
function readTimestampMs(r: ProtobufReader, tag: number): number {
  expectWireType(r, tag, WireType.FIXED64);
  const lo = r.fixed32();
  const hi = r.fixed32();
  const rest = hi * 967296 + lo;
  return hi * 4294 + (rest - (rest % 1e6)) / 1e6;
}

function readId(
  r: ProtobufReader,
  tag: number,
  parentEnd: number,
  want: number,
  name: string
): string {
  return readIdCommon(r, tag, parentEnd, want, 'exemplar', name);
}
