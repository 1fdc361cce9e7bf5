/**
 * The batch of log records one OTLP logs request carries, shared by the
 * decoders (protocol/otlp/logs), the log pipeline (normalize, limit, taps) and
 * the log forwarders (Loki, OTLP). It keeps OTLP's nesting by index rather
 * than by containment, so a stage can walk the records in one flat loop and
 * still reach each record's scope and resource:
 *
 * ```
 * resources[r]            ResourceLogs.resource (+ schema_url)
 * scopes[s].resource = r  ScopeLogs.scope (+ schema_url)
 * records[i].scope = s    LogRecord
 * ```
 *
 * Decoders append in wire order, so the scopes of one resource and the
 * records of one scope are contiguous; encoders rely on that to rebuild the
 * nesting in one pass.
 *
 * Values: timestamps are nanoseconds as bigint (Loki and OTLP both keep
 * nanoseconds, and two lines of one stream with the same second and text
 * would merge in Loki if precision were lost); ids are lowercase hex ('' when
 * unset); attribute values are {@link LogAnyValue}. Nothing in a batch refers
 * to the request body.
 */

/**
 * An OTLP `AnyValue` as a plain JS value whose runtime type is the oneof
 * case: `string_value` → string, `bool_value` → boolean, `int_value` →
 * bigint, `double_value` → number, `bytes_value` → Uint8Array,
 * `array_value` → array, `kvlist_value` → {@link LogKeyValueList}, unset →
 * null. The same shape as the metrics model's `OtlpAnyValue`, declared here
 * because the model does not import from ingest/.
 */
export type LogAnyValue =
  | string
  | boolean
  | bigint
  | number
  | Uint8Array
  | LogAnyValue[]
  | LogKeyValueList
  | null;

/** `KeyValueList`: an object, so it is told apart from an array. */
export interface LogKeyValueList {
  kvlist: LogKeyValue[];
}

export interface LogKeyValue {
  key: string;
  value: LogAnyValue;
}

export interface LogResource {
  /** Resource attributes; rewritten by normalization (canonical keys, aliases folded). */
  attributes: LogKeyValue[];
  droppedAttributesCount: number;
  /** `ResourceLogs.schema_url`. */
  schemaUrl: string;
  /** The canonical cluster, set by normalization; '' before it ran. */
  cluster: string;
}

export interface LogScope {
  /** Index of the resource in `LogBatch.resources`. */
  readonly resource: number;
  name: string;
  version: string;
  attributes: LogKeyValue[];
  droppedAttributesCount: number;
  /** `ScopeLogs.schema_url`. */
  schemaUrl: string;
}

export interface LogRecord {
  /** Index of the scope in `LogBatch.scopes`. */
  readonly scope: number;
  /** When the event happened, ns since the epoch; 0n when unset. */
  timeUnixNano: bigint;
  /** When the collector saw it, ns since the epoch; 0n when unset. */
  observedTimeUnixNano: bigint;
  /** OTLP SeverityNumber (1–24), 0 when unset. */
  severityNumber: number;
  severityText: string;
  body: LogAnyValue;
  attributes: LogKeyValue[];
  droppedAttributesCount: number;
  /** `LogRecord.flags` (fixed32: the W3C trace flags in the low byte). */
  flags: number;
  /** 32 lowercase hex digits, or ''. */
  traceId: string;
  /** 16 lowercase hex digits, or ''. */
  spanId: string;
  eventName: string;
}

/** Why a record was refused (`LogBatch.dropped` values); 0 means live. */
export const LogDropReason = {
  NONE: 0,
  /** The body is longer than the configured `max_line_bytes`. */
  LINE_TOO_LONG: 1,
} as const;

export type LogDropReasonCode =
  (typeof LogDropReason)[keyof typeof LogDropReason];

/** One request's log records. Built by a decoder; used by one request at a time. */
export class LogBatch {
  readonly resources: LogResource[] = [];
  readonly scopes: LogScope[] = [];
  readonly records: LogRecord[] = [];
  /** Per record: {@link LogDropReason.NONE} while live, else why it was refused. */
  readonly dropped: LogDropReasonCode[] = [];
  /** When the gateway received the request, Unix ms (stamps records that carry no time). */
  receivedAtMs = 0;

  /** Appends a resource; returns its index. */
  addResource(resource: LogResource): number {
    this.resources.push(resource);
    return this.resources.length - 1;
  }

  /** Appends a scope of an already added resource; returns its index. */
  addScope(scope: LogScope): number {
    this.scopes.push(scope);
    return this.scopes.length - 1;
  }

  /** Appends a record of an already added scope. */
  addRecord(record: LogRecord): void {
    this.records.push(record);
    this.dropped.push(LogDropReason.NONE);
  }

  get recordCount(): number {
    return this.records.length;
  }

  /** Records not refused by any stage. */
  liveRecordCount(): number {
    let live = 0;
    const dropped = this.dropped;
    for (let i = 0; i < dropped.length; i++)
      if (dropped[i] === LogDropReason.NONE) live++;
    return live;
  }

  /** The resource a record belongs to. */
  resourceOf(record: LogRecord): LogResource {
    return this.resources[this.scopes[record.scope]!.resource]!;
  }

  /** The scope a record belongs to. */
  scopeOf(record: LogRecord): LogScope {
    return this.scopes[record.scope]!;
  }
}

/** A resource with nothing set (what an absent `ResourceLogs.resource` means). */
export function emptyLogResource(): LogResource {
  return {
    attributes: [],
    droppedAttributesCount: 0,
    schemaUrl: '',
    cluster: '',
  };
}

/** The value of the first attribute named `key`, or undefined. */
export function findAttribute(
  attributes: readonly LogKeyValue[],
  key: string
): LogAnyValue | undefined {
  for (let i = 0; i < attributes.length; i++) {
    if (attributes[i]!.key === key) return attributes[i]!.value;
  }
  return undefined;
}
