/**
 * Decodes a binary protobuf `ExportLogsServiceRequest` into a LogBatch
 * (model/log-batch.ts). Pure: bytes in, batch out, InvalidPayloadError for
 * anything malformed (truncation, a known field with the wrong wire type, a
 * nested message that overruns its parent, invalid UTF-8, an id of the wrong
 * length, AnyValue nested too deep). Unknown fields are skipped, as proto3
 * requires (that includes the deprecated `instrumentation_library_logs`, 1000).
 *
 * Field table (opentelemetry-proto, PROTOCOLS.md §2.7; V=varint,
 * I64=fixed64, I32=fixed32, LEN=length-delimited):
 *
 * | message                  | field                                                   |
 * |--------------------------|---------------------------------------------------------|
 * | ExportLogsServiceRequest | 1 resource_logs LEN                                     |
 * | ResourceLogs             | 1 resource LEN, 2 scope_logs LEN, 3 schema_url LEN      |
 * | Resource                 | 1 attributes LEN, 2 dropped_attributes_count V          |
 * | ScopeLogs                | 1 scope LEN, 2 log_records LEN, 3 schema_url LEN        |
 * | InstrumentationScope     | 1 name, 2 version, 3 attributes LEN, 4 dropped V        |
 * | LogRecord                | 1 time_unix_nano I64, 11 observed_time_unix_nano I64,   |
 * |                          | 2 severity_number V, 3 severity_text LEN, 5 body LEN,   |
 * |                          | 6 attributes LEN, 7 dropped_attributes_count V,         |
 * |                          | 8 flags I32, 9 trace_id LEN, 10 span_id LEN,            |
 * |                          | 12 event_name LEN                                       |
 * | KeyValue                 | 1 key LEN, 2 value LEN                                  |
 * | AnyValue                 | 1 string, 2 bool V, 3 int V, 4 double I64, 5 array,     |
 * |                          | 6 kvlist, 7 bytes                                       |
 * | ArrayValue/KeyValueList  | 1 values LEN                                            |
 *
 * The AnyValue/KeyValue readers mirror decode-metrics-protobuf.ts (same
 * rules, same messages); they are private there, so they are repeated here
 * rather than reaching into that file.
 */
import {
  ProtobufReader,
  WireType,
  decodeUtf8,
} from '../../../codec/protobuf-reader.js';
import { GatewayError, InvalidPayloadError } from '../../../errors.js';
import {
  LogBatch,
  emptyLogResource,
  type LogAnyValue,
  type LogKeyValue,
  type LogRecord,
  type LogResource,
  type LogScope,
} from '../../../model/log-batch.js';
import { bytesToHex } from '../decode-metrics-protobuf.js';
import { MAX_ANY_VALUE_DEPTH } from '../otlp-metrics-model.js';

const TRACE_ID_BYTES = 16;
const SPAN_ID_BYTES = 8;

/**
 * Decodes an OTLP/HTTP protobuf logs body. An empty body is an empty
 * request. The returned batch does not reference `body`.
 *
 * @throws InvalidPayloadError (`cannot decode OTLP logs: …`) for malformed input.
 */
export function decodeLogsProtobuf(body: Uint8Array): LogBatch {
  // A plain Uint8Array view: a Node Buffer's own `subarray` is slower per string.
  const r = new ProtobufReader(
    new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  );
  const batch = new LogBatch();
  try {
    const end = body.length;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag >>> 3 === 1) readResourceLogs(r, nested(r, tag, end), batch);
      else skipField(r, tag);
    }
    return batch;
  } catch (err) {
    throw wrapError(err);
  }
}

/**
 * ResourceLogs. Its scopes are appended as they come, but the resource
 * message may arrive after them on the wire (field order is free), so the
 * resource object is added first and filled in place.
 */
function readResourceLogs(
  r: ProtobufReader,
  end: number,
  batch: LogBatch
): void {
  const resource = emptyLogResource();
  const index = batch.addResource(resource);
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        readResource(r, nested(r, tag, end), resource);
        break;
      case 2:
        readScopeLogs(r, nested(r, tag, end), batch, index);
        break;
      case 3:
        resource.schemaUrl = readString(r, tag, end);
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
}

function readResource(r: ProtobufReader, end: number, into: LogResource): void {
  // A repeated `resource` field merges, as proto3 says for embedded messages.
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        into.attributes.push(readKeyValue(r, nested(r, tag, end), 0));
        break;
      case 2:
        expectWireType(r, tag, WireType.VARINT);
        into.droppedAttributesCount = r.uint32();
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
}

function readScopeLogs(
  r: ProtobufReader,
  end: number,
  batch: LogBatch,
  resource: number
): void {
  const scope: LogScope = {
    resource,
    name: '',
    version: '',
    attributes: [],
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
  const index = batch.addScope(scope);
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        readScope(r, nested(r, tag, end), scope);
        break;
      case 2:
        batch.addRecord(readLogRecord(r, nested(r, tag, end), index));
        break;
      case 3:
        scope.schemaUrl = readString(r, tag, end);
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
}

function readScope(r: ProtobufReader, end: number, into: LogScope): void {
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        into.name = readString(r, tag, end);
        break;
      case 2:
        into.version = readString(r, tag, end);
        break;
      case 3:
        into.attributes.push(readKeyValue(r, nested(r, tag, end), 0));
        break;
      case 4:
        expectWireType(r, tag, WireType.VARINT);
        into.droppedAttributesCount = r.uint32();
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
}

function readLogRecord(
  r: ProtobufReader,
  end: number,
  scope: number
): LogRecord {
  const out: LogRecord = {
    scope,
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: null,
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
  };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        expectWireType(r, tag, WireType.FIXED64);
        out.timeUnixNano = r.fixed64BigInt();
        break;
      case 11:
        expectWireType(r, tag, WireType.FIXED64);
        out.observedTimeUnixNano = r.fixed64BigInt();
        break;
      case 2:
        expectWireType(r, tag, WireType.VARINT);
        // An enum is an int32 on the wire; negative values are not severities.
        out.severityNumber = r.uint32() | 0;
        break;
      case 3:
        out.severityText = readString(r, tag, end);
        break;
      case 5:
        out.body = readAnyValue(r, nested(r, tag, end), 0);
        break;
      case 6:
        out.attributes.push(readKeyValue(r, nested(r, tag, end), 0));
        break;
      case 7:
        expectWireType(r, tag, WireType.VARINT);
        out.droppedAttributesCount = r.uint32();
        break;
      case 8:
        expectWireType(r, tag, WireType.FIXED32);
        out.flags = r.fixed32();
        break;
      case 9:
        out.traceId = readId(r, tag, end, TRACE_ID_BYTES, 'trace_id');
        break;
      case 10:
        out.spanId = readId(r, tag, end, SPAN_ID_BYTES, 'span_id');
        break;
      case 12:
        out.eventName = readString(r, tag, end);
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return out;
}

function readKeyValue(
  r: ProtobufReader,
  end: number,
  depth: number
): LogKeyValue {
  const out: LogKeyValue = { key: '', value: null };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        out.key = readString(r, tag, end);
        break;
      case 2:
        out.value = readAnyValue(r, nested(r, tag, end), depth);
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return out;
}

function readAnyValue(
  r: ProtobufReader,
  end: number,
  depth: number
): LogAnyValue {
  if (depth >= MAX_ANY_VALUE_DEPTH) {
    throw new InvalidPayloadError(
      `AnyValue nested deeper than ${MAX_ANY_VALUE_DEPTH} levels at offset ${r.pos}`
    );
  }
  // A oneof: the last case on the wire wins, as in every proto3 decoder.
  let value: LogAnyValue = null;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        value = readString(r, tag, end);
        break;
      case 2:
        expectWireType(r, tag, WireType.VARINT);
        value = r.bool();
        break;
      case 3:
        expectWireType(r, tag, WireType.VARINT);
        value = readVarintBigInt(r);
        break;
      case 4:
        expectWireType(r, tag, WireType.FIXED64);
        value = r.double();
        break;
      case 5:
        value = readValues(r, nested(r, tag, end), depth + 1);
        break;
      case 6:
        value = { kvlist: readKeyValues(r, nested(r, tag, end), depth + 1) };
        break;
      case 7: {
        const bytesEnd = nested(r, tag, end);
        // Copied so the batch does not pin the request body.
        value = new Uint8Array(r.buf.subarray(r.pos, bytesEnd));
        r.pos = bytesEnd;
        break;
      }
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return value;
}

/** `ArrayValue.values`. */
function readValues(
  r: ProtobufReader,
  end: number,
  depth: number
): LogAnyValue[] {
  const values: LogAnyValue[] = [];
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 === 1)
      values.push(readAnyValue(r, nested(r, tag, end), depth));
    else skipField(r, tag);
  }
  checkEnd(r, end);
  return values;
}

/** `KeyValueList.values`. */
function readKeyValues(
  r: ProtobufReader,
  end: number,
  depth: number
): LogKeyValue[] {
  const values: LogKeyValue[] = [];
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 === 1)
      values.push(readKeyValue(r, nested(r, tag, end), depth));
    else skipField(r, tag);
  }
  checkEnd(r, end);
  return values;
}

// ---- field helpers ---------------------------------------------------------

/** Checks a LEN field and returns the end of its body, which must lie inside `parentEnd`. */
function nested(r: ProtobufReader, tag: number, parentEnd: number): number {
  expectWireType(r, tag, WireType.LENGTH_DELIMITED);
  const end = r.delimitedEnd();
  if (end > parentEnd) {
    throw new InvalidPayloadError(
      `field ${tag >>> 3} of ${end - r.pos} bytes at offset ${r.pos} overruns its enclosing message`
    );
  }
  return end;
}

function readString(r: ProtobufReader, tag: number, parentEnd: number): string {
  const end = nested(r, tag, parentEnd);
  const start = r.pos;
  r.pos = end;
  return decodeUtf8(r.buf, start, end);
}

/** int64 varint with all 64 bits (attribute ints are rendered as text). */
function readVarintBigInt(r: ProtobufReader): bigint {
  const buf = r.buf;
  let pos = r.pos;
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    const b = buf[pos++];
    if (b === undefined)
      throw new InvalidPayloadError(`truncated varint at offset ${r.pos}`);
    result |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) {
      r.pos = pos;
      return BigInt.asIntN(64, result);
    }
    shift += 7n;
  }
  throw new InvalidPayloadError(
    `varint longer than 10 bytes at offset ${r.pos}`
  );
}

function readId(
  r: ProtobufReader,
  tag: number,
  parentEnd: number,
  want: number,
  name: string
): string {
  const end = nested(r, tag, parentEnd);
  const start = r.pos;
  r.pos = end;
  const length = end - start;
  if (length === 0) return '';
  if (length !== want) {
    throw new InvalidPayloadError(
      `log record ${name} of ${length} bytes at offset ${start}, want ${want}`
    );
  }
  return bytesToHex(r.buf, start, end);
}

const WIRE_TYPE_NAMES = [
  'varint',
  'fixed64',
  'length-delimited',
  'start-group',
  'end-group',
  'fixed32',
  '6',
  '7',
];

function expectWireType(r: ProtobufReader, tag: number, want: number): void {
  const got = tag & 7;
  if (got !== want) {
    throw new InvalidPayloadError(
      `field ${tag >>> 3} has wire type ${WIRE_TYPE_NAMES[got]!}, want ${WIRE_TYPE_NAMES[want]!} (before offset ${r.pos})`
    );
  }
}

function skipField(r: ProtobufReader, tag: number): void {
  if (tag >>> 3 === 0)
    throw new InvalidPayloadError(
      `invalid field number 0 before offset ${r.pos}`
    );
  r.skip(tag & 7);
}

function checkEnd(r: ProtobufReader, end: number): void {
  if (r.pos !== end) {
    throw new InvalidPayloadError(
      `a field overruns its enclosing message: offset ${r.pos}, message ends at ${end}`
    );
  }
}

const PROTOBUF_PREFIX = 'cannot decode protobuf: ';

function wrapError(err: unknown): unknown {
  if (err instanceof GatewayError) {
    const detail = err.message.startsWith(PROTOBUF_PREFIX)
      ? err.message.slice(PROTOBUF_PREFIX.length)
      : err.message;
    return new InvalidPayloadError(`cannot decode OTLP logs: ${detail}`, {
      cause: err,
    });
  }
  return err;
}
