/**
 * Decodes an OTLP/JSON `ExportLogsServiceRequest` (the proto3 JSON mapping
 * with the OTLP quirks of PROTOCOLS.md §2.8) into a LogBatch:
 *
 * - keys are lowerCamelCase; unknown keys are ignored; `null` means unset;
 * - 64-bit integers (timestamps, `intValue`) come as decimal strings or numbers;
 * - enums (`severityNumber`) are integers; names are rejected;
 * - `traceId`/`spanId` are hex (any case); `bytesValue` is base64;
 * - doubles may be "NaN", "Infinity", "-Infinity" or a numeric string.
 *
 * A value of the wrong JSON type is an error naming its path, e.g.
 * `resourceLogs[0].scopeLogs[1].logRecords[2].severityNumber: want an integer enum value, got "INFO"`.
 * The path is kept as a stack of segments and rendered only on error. The
 * path, AnyValue/KeyValue readers and most value rules are shared with
 * decode-metrics-json.ts (common/decode-common-json.ts).
 */
import {
  DEFAULT_REQUEST_LIMITS,
  RequestItemCounter,
  type RequestLimits,
} from '../../request-limits.js';
import {
  LogBatch,
  emptyLogResource,
  type LogAnyValue,
  type LogRecord,
  type LogScope,
} from '../../../model/index.js';
import {
  JsonPath,
  SPAN_ID_HEX_DIGITS,
  TRACE_ID_HEX_DIGITS,
  UNSIGNED_RE,
  arrayField,
  attributesField,
  hexIdField,
  isObject,
  jsonAttributeCaps,
  objectValue,
  parseJsonBody,
  readAnyValue,
  stringField,
  uint32Field,
  wrapJsonError,
  type JsonAttributeCaps,
  type JsonObject,
} from '../common/decode-common-json.js';

const UINT64_MAX = 2n ** 64n - 1n;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** The caps of one decode call, passed down with the path. */
interface DecodeCaps {
  readonly records: RequestItemCounter;
  readonly resource: JsonAttributeCaps;
  readonly scope: JsonAttributeCaps;
  readonly record: JsonAttributeCaps;
}

/**
 * Decodes an OTLP/HTTP JSON logs body (UTF-8).
 *
 * `limits` caps the body's bytes before it is parsed (JSON.parse is one
 * blocking step), attributes per resource, scope and log record, and log
 * records per request; an array is refused by its length before its items
 * are read.
 *
 * @throws InvalidPayloadError (`cannot decode OTLP logs: …`) for invalid
 *   UTF-8, invalid JSON, or a field of the wrong type, naming its JSON path;
 *   RequestLimitError (400 or 413) over a cap, naming it.
 */
export function decodeLogsJson(
  body: Uint8Array,
  limits: RequestLimits = DEFAULT_REQUEST_LIMITS
): LogBatch {
  const attributes = jsonAttributeCaps(limits, false);
  const caps: DecodeCaps = {
    records: new RequestItemCounter(
      limits,
      'maxLogRecordsPerRequest',
      'log records'
    ),
    resource: attributes.resource,
    scope: attributes.scope,
    record: attributes.logRecord,
  };
  const root = parseJsonBody(body, limits, 'logs');
  const batch = new LogBatch();
  try {
    readRequest(root, new JsonPath(), batch, caps);
    return batch;
  } catch (err) {
    throw wrapJsonError(err, 'logs');
  }
}

function readRequest(
  root: unknown,
  path: JsonPath,
  batch: LogBatch,
  caps: DecodeCaps
): void {
  if (!isObject(root)) throw path.fail(undefined, 'want an object', root);
  const items = arrayField(root, 'resourceLogs', path);
  path.push('resourceLogs');
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    readResourceLogs(items[i], path, batch, caps);
    path.pop();
  }
  path.pop();
}

function readResourceLogs(
  value: unknown,
  path: JsonPath,
  batch: LogBatch,
  caps: DecodeCaps
): void {
  const obj = objectValue(value, path);
  const resource = emptyLogResource();
  resource.schemaUrl = stringField(obj, 'schemaUrl', path);
  const res = obj['resource'];
  if (res !== undefined && res !== null) {
    path.push('resource');
    const resObj = objectValue(res, path);
    resource.attributes = attributesField(
      resObj,
      'attributes',
      path,
      caps.resource
    );
    resource.droppedAttributesCount = uint32Field(
      resObj,
      'droppedAttributesCount',
      path
    );
    path.pop();
  }
  const index = batch.addResource(resource);
  const items = arrayField(obj, 'scopeLogs', path);
  path.push('scopeLogs');
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    readScopeLogs(items[i], path, batch, index, caps);
    path.pop();
  }
  path.pop();
}

function readScopeLogs(
  value: unknown,
  path: JsonPath,
  batch: LogBatch,
  resource: number,
  caps: DecodeCaps
): void {
  const obj = objectValue(value, path);
  const scope: LogScope = {
    resource,
    name: '',
    version: '',
    attributes: [],
    droppedAttributesCount: 0,
    schemaUrl: stringField(obj, 'schemaUrl', path),
  };
  const scopeValue = obj['scope'];
  if (scopeValue !== undefined && scopeValue !== null) {
    path.push('scope');
    const s = objectValue(scopeValue, path);
    scope.name = stringField(s, 'name', path);
    scope.version = stringField(s, 'version', path);
    scope.attributes = attributesField(s, 'attributes', path, caps.scope);
    scope.droppedAttributesCount = uint32Field(
      s,
      'droppedAttributesCount',
      path
    );
    path.pop();
  }
  const index = batch.addScope(scope);
  const items = arrayField(obj, 'logRecords', path);
  // Refused by the array's length, before any record is read.
  caps.records.add(items.length);
  path.push('logRecords');
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    batch.addRecord(readLogRecord(items[i], path, index, caps));
    path.pop();
  }
  path.pop();
}

function readLogRecord(
  value: unknown,
  path: JsonPath,
  scope: number,
  caps: DecodeCaps
): LogRecord {
  const obj = objectValue(value, path);
  let body: LogAnyValue = null;
  const bodyValue = obj['body'];
  if (bodyValue !== undefined && bodyValue !== null) {
    path.push('body');
    body = readAnyValue(bodyValue, path, 0, caps.record.total);
    path.pop();
  }
  return {
    scope,
    timeUnixNano: uint64BigIntField(obj, 'timeUnixNano', path),
    observedTimeUnixNano: uint64BigIntField(obj, 'observedTimeUnixNano', path),
    severityNumber: enumField(obj, 'severityNumber', path),
    severityText: stringField(obj, 'severityText', path),
    body,
    attributes: attributesField(obj, 'attributes', path, caps.record),
    droppedAttributesCount: uint32Field(obj, 'droppedAttributesCount', path),
    flags: uint32Field(obj, 'flags', path),
    traceId: hexIdField(obj, 'traceId', TRACE_ID_HEX_DIGITS, path),
    spanId: hexIdField(obj, 'spanId', SPAN_ID_HEX_DIGITS, path),
    eventName: stringField(obj, 'eventName', path),
  };
}

// ---- scalar fields -----------------------------------------------------------

/** Enums must be integers in OTLP/JSON (names are forbidden); int32 range. */
function enumField(obj: JsonObject, key: string, path: JsonPath): number {
  const value = obj[key];
  if (value === undefined || value === null) return 0;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < INT32_MIN ||
    value > INT32_MAX
  ) {
    throw path.fail(key, 'want an integer enum value', value);
  }
  return value;
}
/** Nanosecond timestamps: uint64 as a decimal string or a number. */
function uint64BigIntField(
  obj: JsonObject,
  key: string,
  path: JsonPath
): bigint {
  const value = obj[key];
  if (value === undefined || value === null) return 0n;
  let n: bigint | undefined;
  if (typeof value === 'string' && UNSIGNED_RE.test(value)) n = BigInt(value);
  else if (
    typeof value === 'number' &&
    Number.isSafeInteger(value) &&
    value >= 0
  )
    n = BigInt(value);
  if (n === undefined || n > UINT64_MAX)
    throw path.fail(key, 'want unsigned integer nanoseconds', value);
  return n;
}
