/**
 * What Kubernetes event recognition needs of one OTLP log record, declared
 * here so that fleet/events depends on no ingest model (an adapter maps the
 * logs batch onto it). The value types mirror the OTLP metrics model
 * (ingest/otlp/otlp-metrics-model.ts), so that model's `OtlpAnyValue` and
 * `OtlpKeyValue[]` are assignable to them as they are:
 *
 * | AnyValue case  | JS value                               |
 * | -------------- | -------------------------------------- |
 * | string_value   | string                                 |
 * | bool_value     | boolean                                |
 * | int_value      | bigint (or a number; both are accepted) |
 * | double_value   | number                                 |
 * | bytes_value    | Uint8Array                             |
 * | array_value    | array                                  |
 * | kvlist_value   | `{kvlist: KeyValue[]}`                 |
 * | no case set    | null                                   |
 */

/** An OTLP `AnyValue` (see the table above). */
export type AnyValueView =
  | string
  | boolean
  | bigint
  | number
  | Uint8Array
  | readonly AnyValueView[]
  | KeyValueListView
  | null;

/** `KeyValueList`: an object, so it is told apart from an array. */
export interface KeyValueListView {
  readonly kvlist: readonly KeyValueView[];
}

/** `KeyValue`: one attribute or one map entry. */
export interface KeyValueView {
  readonly key: string;
  readonly value: AnyValueView;
}

/**
 * One log record with its resource (PROTOCOLS.md §2.7 `LogRecord`).
 * Timestamps are milliseconds since the epoch (nanoseconds truncated);
 * 0 means unset, as on the wire.
 */
export interface LogRecordView {
  /** `Resource.attributes` of the record's ResourceLogs. */
  readonly resourceAttributes: readonly KeyValueView[];
  /** `LogRecord.attributes`. */
  readonly attributes: readonly KeyValueView[];
  /** `LogRecord.body`; null when unset. */
  readonly body: AnyValueView;
  /** `severity_text`; '' when unset. */
  readonly severityText: string;
  /** `severity_number` (1..24); 0 when unset. */
  readonly severityNumber: number;
  /** `time_unix_nano` in ms; 0 when unset. */
  readonly timeUnixMs: number;
  /** `observed_time_unix_nano` in ms; 0 when unset. */
  readonly observedTimeUnixMs: number;
}

/**
 * The value of the first entry named `key`, or undefined when absent.
 * Attribute lists are short (the receivers emit at most 7), so a linear
 * scan beats building a map per record.
 */
export function findValue(
  entries: readonly KeyValueView[],
  key: string
): AnyValueView | undefined {
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.key === key) return entry.value;
  }
  return undefined;
}

/** Whether a value is a kvlist (an OTLP map). */
export function isKeyValueList(
  value: AnyValueView | undefined
): value is KeyValueListView {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  );
}

/** The entry `key` of a kvlist value; undefined when absent or `value` is not a map. */
export function mapField(
  value: AnyValueView | undefined,
  key: string
): AnyValueView | undefined {
  return isKeyValueList(value) ? findValue(value.kvlist, key) : undefined;
}

/** A string value, or undefined for any other case (no coercion). */
export function asString(value: AnyValueView | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * A whole number from an int (bigint or number), a double holding an
 * integer, or decimal text (JSON-decoded int64 may arrive as text); else
 * undefined.
 */
export function asInteger(value: AnyValueView | undefined): number | undefined {
  let n: number;
  if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^[+-]?\d{1,16}$/.test(value))
    n = Number(value);
  else return undefined;
  return Number.isSafeInteger(n) ? n : undefined;
}
