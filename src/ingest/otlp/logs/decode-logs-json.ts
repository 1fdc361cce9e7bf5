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
 * value rules are those of decode-metrics-json.ts, whose helpers are private.
 */
import { GatewayError, InvalidPayloadError } from '../../../errors.js';
import {
  LogBatch,
  emptyLogResource,
  type LogAnyValue,
  type LogKeyValue,
  type LogRecord,
  type LogScope,
} from '../../../model/log-batch.js';
import { MAX_ANY_VALUE_DEPTH } from '../otlp-metrics-model.js';

type JsonObject = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const UNSIGNED_RE = /^[0-9]+$/;
const SIGNED_RE = /^-?[0-9]+$/;
const HEX_RE = /^[0-9a-fA-F]*$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]|[A-Za-z0-9\-_])*={0,2}$/;
const TRACE_ID_HEX_DIGITS = 32;
const SPAN_ID_HEX_DIGITS = 16;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const UINT32_MAX = 4294967295;
const MAX_SHOWN_VALUE_CHARS = 40;

/**
 * Decodes an OTLP/HTTP JSON logs body (UTF-8).
 *
 * @throws InvalidPayloadError (`cannot decode OTLP logs: …`) for invalid
 *   UTF-8, invalid JSON, or a field of the wrong type, naming its JSON path.
 */
export function decodeLogsJson(body: Uint8Array): LogBatch {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (err) {
    throw new InvalidPayloadError(
      'cannot decode OTLP logs: body is not valid UTF-8',
      { cause: err }
    );
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new InvalidPayloadError(
      `cannot decode OTLP logs: invalid JSON: ${detail}`,
      { cause: err }
    );
  }
  const path = new JsonPath();
  const batch = new LogBatch();
  try {
    readRequest(root, path, batch);
    return batch;
  } catch (err) {
    if (err instanceof GatewayError) {
      throw new InvalidPayloadError(`cannot decode OTLP logs: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
}

/** The path from the root to the value being read, rendered only for errors. */
class JsonPath {
  private readonly _parts: (string | number)[] = [];

  push(part: string | number): void {
    this._parts.push(part);
  }

  pop(): void {
    this._parts.pop();
  }

  /** The error for a bad value at this path (plus `key`, when given). */
  fail(
    key: string | undefined,
    want: string,
    got: unknown
  ): InvalidPayloadError {
    let text = '';
    for (const part of this._parts) {
      if (typeof part === 'number') text += `[${part}]`;
      else text += text === '' ? part : `.${part}`;
    }
    if (key !== undefined) text += text === '' ? key : `.${key}`;
    return new InvalidPayloadError(
      `${text === '' ? '(root)' : text}: ${want}, got ${showValue(got)}`
    );
  }
}

function showValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > MAX_SHOWN_VALUE_CHARS
    ? `${text.slice(0, MAX_SHOWN_VALUE_CHARS)}…`
    : text;
}

function readRequest(root: unknown, path: JsonPath, batch: LogBatch): void {
  if (!isObject(root)) throw path.fail(undefined, 'want an object', root);
  const items = arrayField(root, 'resourceLogs', path);
  path.push('resourceLogs');
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    readResourceLogs(items[i], path, batch);
    path.pop();
  }
  path.pop();
}

function readResourceLogs(
  value: unknown,
  path: JsonPath,
  batch: LogBatch
): void {
  const obj = objectValue(value, path);
  const resource = emptyLogResource();
  resource.schemaUrl = stringField(obj, 'schemaUrl', path);
  const res = obj['resource'];
  if (res !== undefined && res !== null) {
    path.push('resource');
    const resObj = objectValue(res, path);
    resource.attributes = attributesField(resObj, 'attributes', path);
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
    readScopeLogs(items[i], path, batch, index);
    path.pop();
  }
  path.pop();
}

function readScopeLogs(
  value: unknown,
  path: JsonPath,
  batch: LogBatch,
  resource: number
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
    scope.attributes = attributesField(s, 'attributes', path);
    scope.droppedAttributesCount = uint32Field(
      s,
      'droppedAttributesCount',
      path
    );
    path.pop();
  }
  const index = batch.addScope(scope);
  const items = arrayField(obj, 'logRecords', path);
  path.push('logRecords');
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    batch.addRecord(readLogRecord(items[i], path, index));
    path.pop();
  }
  path.pop();
}

function readLogRecord(
  value: unknown,
  path: JsonPath,
  scope: number
): LogRecord {
  const obj = objectValue(value, path);
  let body: LogAnyValue = null;
  const bodyValue = obj['body'];
  if (bodyValue !== undefined && bodyValue !== null) {
    path.push('body');
    body = readAnyValue(bodyValue, path, 0);
    path.pop();
  }
  return {
    scope,
    timeUnixNano: uint64BigIntField(obj, 'timeUnixNano', path),
    observedTimeUnixNano: uint64BigIntField(obj, 'observedTimeUnixNano', path),
    severityNumber: enumField(obj, 'severityNumber', path),
    severityText: stringField(obj, 'severityText', path),
    body,
    attributes: attributesField(obj, 'attributes', path),
    droppedAttributesCount: uint32Field(obj, 'droppedAttributesCount', path),
    flags: uint32Field(obj, 'flags', path),
    traceId: hexIdField(obj, 'traceId', TRACE_ID_HEX_DIGITS, path),
    spanId: hexIdField(obj, 'spanId', SPAN_ID_HEX_DIGITS, path),
    eventName: stringField(obj, 'eventName', path),
  };
}

// ---- attributes ------------------------------------------------------------

function attributesField(
  obj: JsonObject,
  key: string,
  path: JsonPath
): LogKeyValue[] {
  const items = arrayField(obj, key, path);
  if (items.length === 0) return [];
  path.push(key);
  const out = readKeyValues(items, path, 0);
  path.pop();
  return out;
}

function readKeyValues(
  items: unknown[],
  path: JsonPath,
  depth: number
): LogKeyValue[] {
  const out: LogKeyValue[] = [];
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    const kv = objectValue(items[i], path);
    const value = kv['value'];
    let decoded: LogAnyValue = null;
    if (value !== undefined && value !== null) {
      path.push('value');
      decoded = readAnyValue(value, path, depth);
      path.pop();
    }
    out.push({ key: stringField(kv, 'key', path), value: decoded });
    path.pop();
  }
  return out;
}

const ANY_VALUE_KEYS = [
  'stringValue',
  'boolValue',
  'intValue',
  'doubleValue',
  'arrayValue',
  'kvlistValue',
  'bytesValue',
] as const;

function readAnyValue(
  value: unknown,
  path: JsonPath,
  depth: number
): LogAnyValue {
  if (depth >= MAX_ANY_VALUE_DEPTH) {
    throw path.fail(
      undefined,
      `want AnyValue nesting under ${MAX_ANY_VALUE_DEPTH} levels`,
      value
    );
  }
  const obj = objectValue(value, path);
  let out: LogAnyValue = null;
  let found: string | undefined;
  for (const key of ANY_VALUE_KEYS) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    if (found !== undefined)
      throw path.fail(key, `want one value field, already have ${found}`, v);
    found = key;
    switch (key) {
      case 'stringValue':
        if (typeof v !== 'string') throw path.fail(key, 'want a string', v);
        out = v;
        break;
      case 'boolValue':
        if (typeof v !== 'boolean') throw path.fail(key, 'want a boolean', v);
        out = v;
        break;
      case 'intValue':
        out = int64BigIntValue(v, key, path);
        break;
      case 'doubleValue':
        out = doubleValue(v, key, path);
        break;
      case 'bytesValue':
        out = base64Value(v, key, path);
        break;
      case 'arrayValue': {
        path.push(key);
        const values = arrayField(objectValue(v, path), 'values', path);
        path.push('values');
        const array: LogAnyValue[] = [];
        for (let i = 0; i < values.length; i++) {
          path.push(i);
          array.push(readAnyValue(values[i], path, depth + 1));
          path.pop();
        }
        path.pop();
        path.pop();
        out = array;
        break;
      }
      case 'kvlistValue': {
        path.push(key);
        const values = arrayField(objectValue(v, path), 'values', path);
        path.push('values');
        out = { kvlist: readKeyValues(values, path, depth + 1) };
        path.pop();
        path.pop();
        break;
      }
    }
  }
  return out;
}

// ---- scalar fields -----------------------------------------------------------

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectValue(value: unknown, path: JsonPath): JsonObject {
  if (!isObject(value)) throw path.fail(undefined, 'want an object', value);
  return value;
}

const NO_ITEMS: unknown[] = [];

function arrayField(obj: JsonObject, key: string, path: JsonPath): unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) return NO_ITEMS;
  if (!Array.isArray(value)) throw path.fail(key, 'want an array', value);
  return value;
}

function stringField(obj: JsonObject, key: string, path: JsonPath): string {
  const value = obj[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw path.fail(key, 'want a string', value);
  return value;
}

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

/** uint32 (and fixed32) accept a number or a decimal string, as the proto3 JSON mapping allows. */
function uint32Field(obj: JsonObject, key: string, path: JsonPath): number {
  const value = obj[key];
  if (value === undefined || value === null) return 0;
  const n =
    typeof value === 'string' && UNSIGNED_RE.test(value)
      ? Number(value)
      : value;
  if (
    typeof n !== 'number' ||
    !Number.isInteger(n) ||
    n < 0 ||
    n > UINT32_MAX
  ) {
    throw path.fail(key, 'want an unsigned 32-bit integer', value);
  }
  return n;
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

function int64BigIntValue(value: unknown, key: string, path: JsonPath): bigint {
  let n: bigint | undefined;
  if (typeof value === 'string' && SIGNED_RE.test(value)) n = BigInt(value);
  else if (typeof value === 'number' && Number.isInteger(value))
    n = BigInt(value);
  if (n === undefined || n < INT64_MIN || n > INT64_MAX)
    throw path.fail(key, 'want a 64-bit integer', value);
  return n;
}

function doubleValue(value: unknown, key: string, path: JsonPath): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'NaN') return NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isNaN(n)) return n;
  }
  throw path.fail(key, 'want a number', value);
}

function base64Value(value: unknown, key: string, path: JsonPath): Uint8Array {
  if (typeof value !== 'string' || !BASE64_RE.test(value))
    throw path.fail(key, 'want base64 bytes', value);
  // A plain Uint8Array copy, so JSON and protobuf batches compare equal.
  return new Uint8Array(Buffer.from(value, 'base64'));
}

/** Trace and span ids are hex in OTLP/JSON (any case); stored lowercase. */
function hexIdField(
  obj: JsonObject,
  key: string,
  digits: number,
  path: JsonPath
): string {
  const value = obj[key];
  if (value === undefined || value === null || value === '') return '';
  if (
    typeof value !== 'string' ||
    value.length !== digits ||
    !HEX_RE.test(value)
  ) {
    throw path.fail(key, `want ${digits} hex digits`, value);
  }
  return value.toLowerCase();
}
