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
 * The field helpers and the AnyValue/KeyValue/Resource/InstrumentationScope
 * readers are shared with decode-metrics-protobuf.ts
 * (common/decode-common-protobuf.ts).
 */
import { ProtobufReader, WireType } from '../../../codec/protobuf-reader.js';
import {
  checkEnd,
  expectWireType,
  nested,
  readAnyValue as readAnyValueCommon,
  readId as readIdCommon,
  readKeyValue as readKeyValueCommon,
  readResourceInto,
  readScopeInto,
  readString as readStringCommon,
  skipField,
  wrapError as wrapErrorCommon,
} from '../common/decode-common-protobuf.js';
import {
  LogBatch,
  emptyLogResource,
  type LogAnyValue,
  type LogKeyValue,
  type LogRecord,
  type LogResource,
  type LogScope,
} from '../../../model/log-batch.js';

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
  readResourceInto(r, end, into, true);
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
  readScopeInto(r, end, into, true);
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
  return readKeyValueCommon(r, end, depth, true);
}

function readAnyValue(
  r: ProtobufReader,
  end: number,
  depth: number
): LogAnyValue {
  return readAnyValueCommon(r, end, depth, true);
}

// ---- field helpers ---------------------------------------------------------

function readString(r: ProtobufReader, tag: number, parentEnd: number): string {
  return readStringCommon(r, tag, parentEnd, true);
}

function readId(
  r: ProtobufReader,
  tag: number,
  parentEnd: number,
  want: number,
  name: string
): string {
  return readIdCommon(r, tag, parentEnd, want, 'log record', name);
}

function wrapError(err: unknown): unknown {
  return wrapErrorCommon(err, 'logs');
}
