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
 * The field helpers, the AnyValue/KeyValue/Resource/InstrumentationScope
 * readers and the request/resource/scope envelopes are shared with
 * decode-metrics-protobuf.ts (common/decode-common-protobuf.ts).
 */
import { type ProtobufReader, WireType } from '../../wire/protobuf-reader.js';
import {
  DEFAULT_REQUEST_LIMITS,
  type RequestLimits,
} from '../../request-limits.js';
import {
  addAttribute,
  decodeCaps,
  type DecodeCaps,
  SPAN_ID_BYTES,
  TRACE_ID_BYTES,
  checkEnd,
  expectWireType,
  nested,
  readAnyValue as readAnyValueCommon,
  readId as readIdCommon,
  readResourceInto,
  readScopeInto,
  decodeRequest,
  readEnvelope,
  readString as readStringCommon,
  skipField,
} from '../common/decode-common-protobuf.js';
import {
  LogBatch,
  emptyLogResource,
  type LogRecord,
  type LogScope,
} from '../../../model/index.js';

/**
 * Decodes an OTLP/HTTP protobuf logs body. An empty body is an empty
 * request. The returned batch does not reference `body`.
 *
 * `limits` caps attributes per resource, scope and log record and log
 * records per request, checked as they are read (log attribute values do
 * not become labels: their bytes are bounded by the body caps only).
 *
 * @throws InvalidPayloadError (`cannot decode OTLP logs: …`) for malformed
 *   input; RequestLimitError (400 or 413) over a cap.
 */
export function decodeLogsProtobuf(
  body: Uint8Array,
  limits: RequestLimits = DEFAULT_REQUEST_LIMITS
): LogBatch {
  const caps = decodeCaps(
    limits,
    false,
    'maxLogRecordsPerRequest',
    'log records'
  );
  const batch = new LogBatch();
  decodeRequest(body, 'logs', readResourceLogs, batch, caps);
  return batch;
}

/**
 * ResourceLogs. Its scopes are appended as they come, but the resource
 * message may arrive after them on the wire (field order is free), so the
 * resource object is added first and filled in place.
 */
function readResourceLogs(
  r: ProtobufReader,
  end: number,
  batch: LogBatch,
  caps: DecodeCaps
): void {
  const resource = emptyLogResource();
  const context: ScopeContext = { batch, owner: batch.addResource(resource) };
  resource.schemaUrl = readEnvelope(
    r,
    end,
    resource,
    readResourceInto,
    readScopeLogs,
    context,
    true,
    caps
  );
}

/** Where a ScopeLogs or LogRecord goes: the batch, and the index of its resource or scope. */
interface ScopeContext {
  readonly batch: LogBatch;
  readonly owner: number;
}

function readScopeLogs(
  r: ProtobufReader,
  end: number,
  parent: ScopeContext,
  caps: DecodeCaps
): void {
  const scope: LogScope = {
    resource: parent.owner,
    name: '',
    version: '',
    attributes: [],
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
  const context: ScopeContext = {
    batch: parent.batch,
    owner: parent.batch.addScope(scope),
  };
  scope.schemaUrl = readEnvelope(
    r,
    end,
    scope,
    readScopeInto,
    addLogRecord,
    context,
    true,
    caps
  );
}

function addLogRecord(
  r: ProtobufReader,
  end: number,
  context: ScopeContext,
  caps: DecodeCaps
): void {
  caps.items.add(1);
  context.batch.addRecord(readLogRecord(r, end, context.owner, caps));
}

function readLogRecord(
  r: ProtobufReader,
  end: number,
  scope: number,
  caps: DecodeCaps
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
        out.body = readAnyValueCommon(
          r,
          nested(r, tag, end),
          0,
          true,
          undefined,
          caps.attributes
        );
        break;
      case 6:
        addAttribute(
          r,
          tag,
          end,
          true,
          caps,
          out.attributes,
          'maxAttributesPerLogRecord',
          'log record'
        );
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
