/**
 * Decodes an OTLP/JSON `ExportMetricsServiceRequest` (the proto3 JSON
 * mapping with the OTLP quirks of PROTOCOLS.md §2.8) into the model of
 * otlp-metrics-model.ts:
 *
 * - keys are lowerCamelCase; unknown keys are ignored; `null` means unset;
 * - 64-bit integers come as decimal strings or JSON numbers;
 * - enums are integers (names are rejected);
 * - `traceId`/`spanId` are hex (any case), other bytes are base64;
 * - doubles may also be "NaN", "Infinity", "-Infinity" or a numeric string.
 *
 * A value of the wrong JSON type is an error naming its path, e.g.
 * `resourceMetrics[0].scopeMetrics[1].metrics[2].sum.dataPoints[0].asInt: want an integer, got "x"`.
 * The path is kept on a stack of segments and rendered only on error.
 *
 * Why this file is long: one reader per message of the OTLP metrics schema, each keeping the path its errors name; they are one recursive descent.
 */
import {
  DEFAULT_REQUEST_LIMITS,
  RequestItemCounter,
  type RequestLimits,
} from '../request-limits.js';
import {
  type OtlpBuckets,
  type OtlpExemplar,
  type OtlpExponentialHistogramDataPoint,
  type OtlpHistogramDataPoint,
  type OtlpInstrumentationScope,
  type OtlpMetric,
  type OtlpMetricData,
  type OtlpMetricsRequest,
  type OtlpNumberDataPoint,
  type OtlpResource,
  type OtlpResourceMetrics,
  type OtlpScopeMetrics,
  type OtlpSummaryDataPoint,
  type OtlpValueAtQuantile,
} from './otlp-metrics-model.js';
import {
  JsonPath,
  SIGNED_RE,
  SPAN_ID_HEX_DIGITS,
  TRACE_ID_HEX_DIGITS,
  UNSIGNED_RE,
  arrayField,
  attributesField,
  doubleValue,
  hexIdField,
  isObject,
  jsonAttributeCaps,
  objectValue,
  parseJsonBody,
  stringField,
  uint32Field,
  wrapJsonError,
  type JsonAttributeCaps,
  type JsonObject,
} from './common/decode-common-json.js';

/** The caps of one decode call, passed down with the path. */
interface DecodeCaps {
  readonly points: RequestItemCounter;
  readonly resource: JsonAttributeCaps;
  readonly scope: JsonAttributeCaps;
  readonly point: JsonAttributeCaps;
  /** Metric metadata: counted like a point's attributes, but not labels. */
  readonly metadata: JsonAttributeCaps;
}

/**
 * Decodes an OTLP/HTTP JSON metrics body (UTF-8).
 *
 * `limits` caps the body's bytes before it is parsed (JSON.parse is one
 * blocking step), then attributes per resource, scope and point (and
 * exemplar and metric metadata), attribute key and string value bytes, and
 * data points per request; an array is refused by its length before its
 * items are read.
 *
 * @throws InvalidPayloadError (`cannot decode OTLP metrics: …`) for invalid
 *   UTF-8, invalid JSON, or a field of the wrong type, naming its JSON path;
 *   RequestLimitError (400 or 413) over a cap, naming it.
 */
export function decodeMetricsJson(
  body: Uint8Array,
  limits: RequestLimits = DEFAULT_REQUEST_LIMITS
): OtlpMetricsRequest {
  const attributes = jsonAttributeCaps(limits, true);
  const caps: DecodeCaps = {
    points: new RequestItemCounter(
      limits,
      'maxPointsPerRequest',
      'data points'
    ),
    resource: attributes.resource,
    scope: attributes.scope,
    point: attributes.point,
    metadata: { ...attributes.point, labelBytes: false },
  };
  const root = parseJsonBody(body, limits, 'metrics');
  try {
    return readRequest(root, new JsonPath(), caps);
  } catch (err) {
    throw wrapJsonError(err, 'metrics');
  }
}

function readRequest(
  root: unknown,
  path: JsonPath,
  caps: DecodeCaps
): OtlpMetricsRequest {
  if (!isObject(root)) throw path.fail(undefined, 'want an object', root);
  const resourceMetrics: OtlpResourceMetrics[] = [];
  const items = arrayField(root, 'resourceMetrics', path);
  path.push('resourceMetrics');
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    resourceMetrics.push(readResourceMetrics(items[i], path, caps));
    path.pop();
  }
  path.pop();
  return { resourceMetrics };
}

function readResourceMetrics(
  value: unknown,
  path: JsonPath,
  caps: DecodeCaps
): OtlpResourceMetrics {
  const obj = objectValue(value, path);
  const out: OtlpResourceMetrics = {
    resource: { attributes: [], droppedAttributesCount: 0 },
    scopeMetrics: [],
    schemaUrl: stringField(obj, 'schemaUrl', path),
  };
  const resource = obj['resource'];
  if (resource !== undefined && resource !== null) {
    path.push('resource');
    out.resource = readResource(resource, path, caps);
    path.pop();
  }
  const items = arrayField(obj, 'scopeMetrics', path);
  path.push('scopeMetrics');
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    out.scopeMetrics.push(readScopeMetrics(items[i], path, caps));
    path.pop();
  }
  path.pop();
  return out;
}

function readResource(
  value: unknown,
  path: JsonPath,
  caps: DecodeCaps
): OtlpResource {
  const obj = objectValue(value, path);
  return {
    attributes: attributesField(obj, 'attributes', path, caps.resource),
    droppedAttributesCount: uint32Field(obj, 'droppedAttributesCount', path),
  };
}

function readScopeMetrics(
  value: unknown,
  path: JsonPath,
  caps: DecodeCaps
): OtlpScopeMetrics {
  const obj = objectValue(value, path);
  const out: OtlpScopeMetrics = {
    scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
    metrics: [],
    schemaUrl: stringField(obj, 'schemaUrl', path),
  };
  const scope = obj['scope'];
  if (scope !== undefined && scope !== null) {
    path.push('scope');
    out.scope = readScope(scope, path, caps);
    path.pop();
  }
  const items = arrayField(obj, 'metrics', path);
  path.push('metrics');
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    out.metrics.push(readMetric(items[i], path, caps));
    path.pop();
  }
  path.pop();
  return out;
}

function readScope(
  value: unknown,
  path: JsonPath,
  caps: DecodeCaps
): OtlpInstrumentationScope {
  const obj = objectValue(value, path);
  return {
    name: stringField(obj, 'name', path),
    version: stringField(obj, 'version', path),
    attributes: attributesField(obj, 'attributes', path, caps.scope),
    droppedAttributesCount: uint32Field(obj, 'droppedAttributesCount', path),
  };
}

const METRIC_DATA_KEYS = [
  'gauge',
  'sum',
  'histogram',
  'exponentialHistogram',
  'summary',
] as const;

function readMetric(
  value: unknown,
  path: JsonPath,
  caps: DecodeCaps
): OtlpMetric {
  const obj = objectValue(value, path);
  const out: OtlpMetric = {
    name: stringField(obj, 'name', path),
    description: stringField(obj, 'description', path),
    unit: stringField(obj, 'unit', path),
    data: undefined,
    metadata: attributesField(obj, 'metadata', path, caps.metadata),
  };
  for (const key of METRIC_DATA_KEYS) {
    const data = obj[key];
    if (data === undefined || data === null) continue;
    if (out.data !== undefined)
      throw path.fail(
        key,
        `want one data field, already have ${out.data.type}`,
        data
      );
    path.push(key);
    out.data = readMetricData(key, objectValue(data, path), path, caps);
    path.pop();
  }
  return out;
}

function readMetricData(
  type: (typeof METRIC_DATA_KEYS)[number],
  obj: JsonObject,
  path: JsonPath,
  caps: DecodeCaps
): OtlpMetricData {
  const items = arrayField(obj, 'dataPoints', path);
  // Refused by the array's length, before any point is read.
  caps.points.add(items.length);
  path.push('dataPoints');
  let data: OtlpMetricData;
  switch (type) {
    case 'gauge':
    case 'sum': {
      const dataPoints: OtlpNumberDataPoint[] = [];
      for (let i = 0; i < items.length; i++) {
        path.push(i);
        dataPoints.push(readNumberDataPoint(items[i], path, caps));
        path.pop();
      }
      path.pop();
      data =
        type === 'gauge'
          ? { type, dataPoints }
          : {
              type,
              dataPoints,
              aggregationTemporality: enumField(
                obj,
                'aggregationTemporality',
                path
              ),
              isMonotonic: boolField(obj, 'isMonotonic', path),
            };
      break;
    }
    case 'histogram': {
      const dataPoints: OtlpHistogramDataPoint[] = [];
      for (let i = 0; i < items.length; i++) {
        path.push(i);
        dataPoints.push(readHistogramDataPoint(items[i], path, caps));
        path.pop();
      }
      path.pop();
      data = {
        type,
        dataPoints,
        aggregationTemporality: enumField(obj, 'aggregationTemporality', path),
      };
      break;
    }
    case 'exponentialHistogram': {
      const dataPoints: OtlpExponentialHistogramDataPoint[] = [];
      for (let i = 0; i < items.length; i++) {
        path.push(i);
        dataPoints.push(readExponentialDataPoint(items[i], path, caps));
        path.pop();
      }
      path.pop();
      data = {
        type,
        dataPoints,
        aggregationTemporality: enumField(obj, 'aggregationTemporality', path),
      };
      break;
    }
    case 'summary': {
      const dataPoints: OtlpSummaryDataPoint[] = [];
      for (let i = 0; i < items.length; i++) {
        path.push(i);
        dataPoints.push(readSummaryDataPoint(items[i], path, caps));
        path.pop();
      }
      path.pop();
      data = { type, dataPoints };
      break;
    }
  }
  return data;
}

function readNumberDataPoint(
  value: unknown,
  path: JsonPath,
  caps: DecodeCaps
): OtlpNumberDataPoint {
  const obj = objectValue(value, path);
  const out: OtlpNumberDataPoint = {
    attributes: attributesField(obj, 'attributes', path, caps.point),
    startTimeUnixMs: timestampField(obj, 'startTimeUnixNano', path),
    timeUnixMs: timestampField(obj, 'timeUnixNano', path),
    value: undefined,
    isInt: false,
    exemplars: exemplarsField(obj, path, caps),
    flags: uint32Field(obj, 'flags', path),
  };
  readNumberValue(obj, out, path);
  return out;
}

/** The `as_double` / `as_int` oneof of NumberDataPoint and Exemplar. */
function readNumberValue(
  obj: JsonObject,
  out: { value: number | undefined; isInt: boolean },
  path: JsonPath
): void {
  const asDouble = obj['asDouble'];
  const asInt = obj['asInt'];
  const hasDouble = asDouble !== undefined && asDouble !== null;
  const hasInt = asInt !== undefined && asInt !== null;
  if (hasDouble && hasInt)
    throw path.fail('asInt', 'want only one of asDouble and asInt', asInt);
  if (hasDouble) {
    out.value = doubleValue(asDouble, 'asDouble', path);
  } else if (hasInt) {
    out.value = int64Value(asInt, 'asInt', path, true);
    out.isInt = true;
  }
}

function readHistogramDataPoint(
  value: unknown,
  path: JsonPath,
  caps: DecodeCaps
): OtlpHistogramDataPoint {
  const obj = objectValue(value, path);
  return {
    attributes: attributesField(obj, 'attributes', path, caps.point),
    startTimeUnixMs: timestampField(obj, 'startTimeUnixNano', path),
    timeUnixMs: timestampField(obj, 'timeUnixNano', path),
    count: uint64Field(obj, 'count', path),
    sum: optionalDoubleField(obj, 'sum', path),
    bucketCounts: uint64ArrayField(obj, 'bucketCounts', path),
    explicitBounds: doubleArrayField(obj, 'explicitBounds', path),
    exemplars: exemplarsField(obj, path, caps),
    flags: uint32Field(obj, 'flags', path),
    min: optionalDoubleField(obj, 'min', path),
    max: optionalDoubleField(obj, 'max', path),
  };
}

function readExponentialDataPoint(
  value: unknown,
  path: JsonPath,
  caps: DecodeCaps
): OtlpExponentialHistogramDataPoint {
  const obj = objectValue(value, path);
  return {
    attributes: attributesField(obj, 'attributes', path, caps.point),
    startTimeUnixMs: timestampField(obj, 'startTimeUnixNano', path),
    timeUnixMs: timestampField(obj, 'timeUnixNano', path),
    count: uint64Field(obj, 'count', path),
    sum: optionalDoubleField(obj, 'sum', path),
    scale: int32Field(obj, 'scale', path),
    zeroCount: uint64Field(obj, 'zeroCount', path),
    positive: bucketsField(obj, 'positive', path),
    negative: bucketsField(obj, 'negative', path),
    flags: uint32Field(obj, 'flags', path),
    exemplars: exemplarsField(obj, path, caps),
    min: optionalDoubleField(obj, 'min', path),
    max: optionalDoubleField(obj, 'max', path),
    zeroThreshold: optionalDoubleField(obj, 'zeroThreshold', path) ?? 0,
  };
}

function bucketsField(
  obj: JsonObject,
  key: string,
  path: JsonPath
): OtlpBuckets {
  const value = obj[key];
  if (value === undefined || value === null)
    return { offset: 0, bucketCounts: [] };
  path.push(key);
  const buckets = objectValue(value, path);
  const out: OtlpBuckets = {
    offset: int32Field(buckets, 'offset', path),
    bucketCounts: uint64ArrayField(buckets, 'bucketCounts', path),
  };
  path.pop();
  return out;
}

function readSummaryDataPoint(
  value: unknown,
  path: JsonPath,
  caps: DecodeCaps
): OtlpSummaryDataPoint {
  const obj = objectValue(value, path);
  const out: OtlpSummaryDataPoint = {
    attributes: attributesField(obj, 'attributes', path, caps.point),
    startTimeUnixMs: timestampField(obj, 'startTimeUnixNano', path),
    timeUnixMs: timestampField(obj, 'timeUnixNano', path),
    count: uint64Field(obj, 'count', path),
    sum: optionalDoubleField(obj, 'sum', path) ?? 0,
    quantileValues: [],
    flags: uint32Field(obj, 'flags', path),
  };
  const items = arrayField(obj, 'quantileValues', path);
  path.push('quantileValues');
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    const q = objectValue(items[i], path);
    const quantile: OtlpValueAtQuantile = {
      quantile: optionalDoubleField(q, 'quantile', path) ?? 0,
      value: optionalDoubleField(q, 'value', path) ?? 0,
    };
    out.quantileValues.push(quantile);
    path.pop();
  }
  path.pop();
  return out;
}

function exemplarsField(
  obj: JsonObject,
  path: JsonPath,
  caps: DecodeCaps
): OtlpExemplar[] {
  const items = arrayField(obj, 'exemplars', path);
  if (items.length === 0) return [];
  const out: OtlpExemplar[] = [];
  path.push('exemplars');
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    const e = objectValue(items[i], path);
    const exemplar: OtlpExemplar = {
      filteredAttributes: attributesField(
        e,
        'filteredAttributes',
        path,
        caps.point
      ),
      timeUnixMs: timestampField(e, 'timeUnixNano', path),
      value: undefined,
      isInt: false,
      spanId: hexIdField(e, 'spanId', SPAN_ID_HEX_DIGITS, path),
      traceId: hexIdField(e, 'traceId', TRACE_ID_HEX_DIGITS, path),
    };
    readNumberValue(e, exemplar, path);
    out.push(exemplar);
    path.pop();
  }
  path.pop();
  return out;
}

// ---- scalar fields -----------------------------------------------------------

function boolField(obj: JsonObject, key: string, path: JsonPath): boolean {
  const value = obj[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw path.fail(key, 'want a boolean', value);
  return value;
}

/** Enums must be integers in OTLP/JSON (names are forbidden). */
function enumField(obj: JsonObject, key: string, path: JsonPath): number {
  const value = obj[key];
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw path.fail(key, 'want an integer enum value', value);
  return value;
}

/** int32/uint32 accept a number or a decimal string, as the proto3 JSON mapping allows. */
function int32Field(obj: JsonObject, key: string, path: JsonPath): number {
  const value = obj[key];
  if (value === undefined || value === null) return 0;
  const n =
    typeof value === 'string' && SIGNED_RE.test(value) ? Number(value) : value;
  if (
    typeof n !== 'number' ||
    !Number.isInteger(n) ||
    n < -2147483648 ||
    n > 2147483647
  ) {
    throw path.fail(key, 'want a 32-bit integer', value);
  }
  return n;
}

function uint64Field(obj: JsonObject, key: string, path: JsonPath): number {
  const value = obj[key];
  if (value === undefined || value === null) return 0;
  return int64Value(value, key, path, false);
}

/** A 64-bit integer (decimal string or number) as a JS number; `signed` allows a minus sign. */
function int64Value(
  value: unknown,
  key: string | undefined,
  path: JsonPath,
  signed: boolean
): number {
  if (typeof value === 'string') {
    if ((signed ? SIGNED_RE : UNSIGNED_RE).test(value)) return Number(value);
  } else if (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    (signed || value >= 0)
  ) {
    return value;
  }
  throw path.fail(
    key,
    signed ? 'want an integer' : 'want an unsigned integer',
    value
  );
}

/**
 * Nanoseconds (uint64 as string or number) → milliseconds, truncated. For a
 * string, dropping the last six digits is exact for any uint64.
 */
function timestampField(obj: JsonObject, key: string, path: JsonPath): number {
  const value = obj[key];
  if (value === undefined || value === null) return 0;
  if (typeof value === 'string' && UNSIGNED_RE.test(value)) {
    return value.length > 6 ? Number(value.slice(0, value.length - 6)) : 0;
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0)
    return Math.floor(value / 1e6);
  throw path.fail(key, 'want unsigned integer nanoseconds', value);
}

function optionalDoubleField(
  obj: JsonObject,
  key: string,
  path: JsonPath
): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  return doubleValue(value, key, path);
}

function uint64ArrayField(
  obj: JsonObject,
  key: string,
  path: JsonPath
): number[] {
  const items = arrayField(obj, key, path);
  const out: number[] = [];
  if (items.length === 0) return out;
  path.push(key);
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    out.push(int64Value(items[i], undefined, path, false));
    path.pop();
  }
  path.pop();
  return out;
}

function doubleArrayField(
  obj: JsonObject,
  key: string,
  path: JsonPath
): number[] {
  const items = arrayField(obj, key, path);
  const out: number[] = [];
  if (items.length === 0) return out;
  path.push(key);
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    out.push(doubleValue(items[i], undefined, path));
    path.pop();
  }
  path.pop();
  return out;
}
