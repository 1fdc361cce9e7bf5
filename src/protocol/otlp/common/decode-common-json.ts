/**
 * OTLP/JSON readers shared by the metrics and logs decoders
 * (decode-metrics-json.ts, logs/decode-logs-json.ts): the JSON path used in
 * error messages, scalar field readers whose rules the two agree on, and
 * the common messages KeyValue, AnyValue, ArrayValue and KeyValueList.
 * Pure; errors are InvalidPayloadError naming the JSON path.
 *
 * The value types are the metrics model's; the log model's LogAnyValue and
 * LogKeyValue have the same shape, so the results are assignable to both.
 */
import {
  GatewayError,
  InvalidPayloadError,
  RequestLimitError,
} from '../../../errors.js';
import {
  RequestItemCounter,
  overRequestLimit,
  utf8LengthOver,
  type RequestLimitName,
  type RequestLimits,
} from '../../request-limits.js';
import {
  MAX_ANY_VALUE_DEPTH,
  type OtlpAnyValue,
  type OtlpKeyValue,
} from '../otlp-metrics-model.js';

export type JsonObject = Record<string, unknown>;

export const UNSIGNED_RE = /^[0-9]+$/;
export const SIGNED_RE = /^-?[0-9]+$/;
const HEX_RE = /^[0-9a-fA-F]*$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]|[A-Za-z0-9\-_])*={0,2}$/;
export const TRACE_ID_HEX_DIGITS = 32;
export const SPAN_ID_HEX_DIGITS = 16;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MAX_SHOWN_VALUE_CHARS = 40;

/** The path from the root to the value being read, rendered only for errors. */
export class JsonPath {
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
    return new InvalidPayloadError(
      `${this._render(key)}: ${want}, got ${showValue(got)}`
    );
  }

  /** The refusal of a value at this path (plus `key`) over a request cap. */
  overLimit(
    key: string | undefined,
    limits: RequestLimits,
    cap: RequestLimitName,
    problem: string
  ): RequestLimitError {
    return overRequestLimit(limits, cap, `${this._render(key)}: ${problem}`);
  }

  private _render(key: string | undefined): string {
    let text = '';
    for (const part of this._parts) {
      if (typeof part === 'number') text += `[${part}]`;
      else text += text === '' ? part : `.${part}`;
    }
    if (key !== undefined) text += text === '' ? key : `.${key}`;
    return text === '' ? '(root)' : text;
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

// ---- the request ---------------------------------------------------------

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The parsed body of an OTLP/JSON request of `signal` (`metrics`, `logs`).
 * Its size is checked against `maxJsonBytes` first: JSON.parse is one
 * blocking step, so its input is what bounds it.
 */
export function parseJsonBody(
  body: Uint8Array,
  limits: RequestLimits,
  signal: string
): unknown {
  if (body.length > limits.maxJsonBytes) {
    throw overRequestLimit(
      limits,
      'maxJsonBytes',
      `cannot decode OTLP ${signal}: JSON body of ${body.length} bytes`
    );
  }
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (err) {
    throw new InvalidPayloadError(
      `cannot decode OTLP ${signal}: body is not valid UTF-8`,
      { cause: err }
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new InvalidPayloadError(
      `cannot decode OTLP ${signal}: invalid JSON: ${detail}`,
      { cause: err }
    );
  }
}

/**
 * An error thrown while reading a parsed request as its refusal, worded
 * `cannot decode OTLP <signal>: …` (a RequestLimitError keeps its class and
 * status); anything else unchanged.
 */
export function wrapJsonError(err: unknown, signal: string): unknown {
  const prefix = `cannot decode OTLP ${signal}: `;
  if (err instanceof RequestLimitError) return err.withPrefix(prefix);
  if (err instanceof GatewayError)
    return new InvalidPayloadError(prefix + err.message, { cause: err });
  return err;
}

// ---- attributes ------------------------------------------------------------

export type AttributeCapName =
  | 'maxAttributesPerResource'
  | 'maxAttributesPerScope'
  | 'maxAttributesPerPoint'
  | 'maxAttributesPerLogRecord';

/** How one attribute list is capped: its count, and with `labelBytes` its keys' and string values' bytes. */
export interface JsonAttributeCaps {
  readonly limits: RequestLimits;
  readonly cap: AttributeCapName;
  readonly labelBytes: boolean;
  /** Attributes of the whole request so far (maxLabelsPerRequest), shared by every list. */
  readonly total: RequestItemCounter;
}

/** The caps of each attribute list of one request, sharing its per-request total. */
export function jsonAttributeCaps(
  limits: RequestLimits,
  labelBytes: boolean
): Record<'resource' | 'scope' | 'point' | 'logRecord', JsonAttributeCaps> {
  const total = new RequestItemCounter(
    limits,
    'maxLabelsPerRequest',
    'attributes'
  );
  return {
    resource: { limits, cap: 'maxAttributesPerResource', labelBytes, total },
    scope: { limits, cap: 'maxAttributesPerScope', labelBytes, total },
    point: { limits, cap: 'maxAttributesPerPoint', labelBytes, total },
    logRecord: { limits, cap: 'maxAttributesPerLogRecord', labelBytes, total },
  };
}

/**
 * The attributes under `key`. The list's length is checked against its cap
 * before any attribute is read (JSON.parse has already built it: refusing
 * it now costs nothing more).
 */
export function attributesField(
  obj: JsonObject,
  key: string,
  path: JsonPath,
  caps: JsonAttributeCaps
): OtlpKeyValue[] {
  const items = arrayField(obj, key, path);
  if (items.length === 0) return [];
  const max = caps.limits[caps.cap];
  if (items.length > max) {
    throw path.overLimit(
      key,
      caps.limits,
      caps.cap,
      `${items.length} attributes, more than ${max}`
    );
  }
  caps.total.add(items.length);
  path.push(key);
  const out = readKeyValues(
    items,
    path,
    0,
    caps.labelBytes ? caps.limits : undefined,
    caps.total
  );
  path.pop();
  return out;
}

/**
 * KeyValues; with `labelLimits` (top-level metric attributes), key and
 * string value bytes are capped; with `elements`, the array elements and
 * kvlist entries inside the values are counted there.
 */
function readKeyValues(
  items: unknown[],
  path: JsonPath,
  depth: number,
  labelLimits?: RequestLimits,
  elements?: RequestItemCounter
): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = [];
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    const kv = objectValue(items[i], path);
    const value = kv['value'];
    let decoded: OtlpAnyValue = null;
    if (value !== undefined && value !== null) {
      path.push('value');
      decoded = readAnyValue(value, path, depth, elements);
      path.pop();
    }
    const key = stringField(kv, 'key', path);
    if (labelLimits !== undefined)
      checkLabelBytes(key, decoded, path, labelLimits);
    out.push({ key, value: decoded });
    path.pop();
  }
  return out;
}

function checkLabelBytes(
  key: string,
  value: OtlpAnyValue,
  path: JsonPath,
  limits: RequestLimits
): void {
  if (utf8LengthOver(key, limits.maxLabelNameBytes)) {
    throw path.overLimit(
      'key',
      limits,
      'maxLabelNameBytes',
      `attribute key of ${Buffer.byteLength(key)} bytes`
    );
  }
  if (
    typeof value === 'string' &&
    utf8LengthOver(value, limits.maxLabelValueBytes)
  ) {
    throw path.overLimit(
      'value.stringValue',
      limits,
      'maxLabelValueBytes',
      `attribute value of ${Buffer.byteLength(value)} bytes`
    );
  }
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

/** An AnyValue; with `elements`, its array elements and kvlist entries are counted there. */
export function readAnyValue(
  value: unknown,
  path: JsonPath,
  depth: number,
  elements?: RequestItemCounter
): OtlpAnyValue {
  if (depth >= MAX_ANY_VALUE_DEPTH)
    throw path.fail(
      undefined,
      `want AnyValue nesting under ${MAX_ANY_VALUE_DEPTH} levels`,
      value
    );
  const obj = objectValue(value, path);
  let out: OtlpAnyValue = null;
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
        elements?.add(values.length);
        const array: OtlpAnyValue[] = [];
        for (let i = 0; i < values.length; i++) {
          path.push(i);
          array.push(readAnyValue(values[i], path, depth + 1, elements));
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
        elements?.add(values.length);
        out = {
          kvlist: readKeyValues(values, path, depth + 1, undefined, elements),
        };
        path.pop();
        path.pop();
        break;
      }
    }
  }
  return out;
}

// ---- scalar fields -----------------------------------------------------------

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function objectValue(value: unknown, path: JsonPath): JsonObject {
  if (!isObject(value)) throw path.fail(undefined, 'want an object', value);
  return value;
}

const NO_ITEMS: unknown[] = [];

export function arrayField(
  obj: JsonObject,
  key: string,
  path: JsonPath
): unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) return NO_ITEMS;
  if (!Array.isArray(value)) throw path.fail(key, 'want an array', value);
  return value;
}

export function stringField(
  obj: JsonObject,
  key: string,
  path: JsonPath
): string {
  const value = obj[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw path.fail(key, 'want a string', value);
  return value;
}

/** uint32 (and fixed32) accept a number or a decimal string, as the proto3 JSON mapping allows. */
export function uint32Field(
  obj: JsonObject,
  key: string,
  path: JsonPath
): number {
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
    n > 4294967295
  ) {
    throw path.fail(key, 'want an unsigned 32-bit integer', value);
  }
  return n;
}

export function int64BigIntValue(
  value: unknown,
  key: string,
  path: JsonPath
): bigint {
  let n: bigint | undefined;
  if (typeof value === 'string' && SIGNED_RE.test(value)) n = BigInt(value);
  else if (typeof value === 'number' && Number.isInteger(value))
    n = BigInt(value);
  if (n === undefined || n < INT64_MIN || n > INT64_MAX)
    throw path.fail(key, 'want a 64-bit integer', value);
  return n;
}

export function doubleValue(
  value: unknown,
  key: string | undefined,
  path: JsonPath
): number {
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

export function base64Value(
  value: unknown,
  key: string,
  path: JsonPath
): Uint8Array {
  if (typeof value !== 'string' || !BASE64_RE.test(value))
    throw path.fail(key, 'want base64 bytes', value);
  // A plain Uint8Array copy, so JSON and protobuf models compare equal.
  return new Uint8Array(Buffer.from(value, 'base64'));
}

/** Trace and span ids are hex in OTLP/JSON (any case); stored lowercase. */
export function hexIdField(
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
