/**
 * Test-only reference codec for OTLP logs: protobufjs built from the schema
 * below, written by hand from the field numbers of PROTOCOLS.md §2.7
 * (opentelemetry-proto @ac2c4b5), independent of the gateway's codecs. It
 * turns an OTLP/JSON request object into protobuf bytes (so one fixture
 * yields both encodings) and protobuf bytes back into a plain object.
 */
import protobuf from 'protobufjs';

const OTLP_LOGS_PROTO = `
syntax = "proto3";
package opentelemetry.proto;

message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ResourceLogs {
  Resource resource = 1;
  repeated ScopeLogs scope_logs = 2;
  string schema_url = 3;
}
message Resource {
  repeated KeyValue attributes = 1;
  uint32 dropped_attributes_count = 2;
}
message ScopeLogs {
  InstrumentationScope scope = 1;
  repeated LogRecord log_records = 2;
  string schema_url = 3;
}
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
message LogRecord {
  reserved 4;
  fixed64 time_unix_nano = 1;
  fixed64 observed_time_unix_nano = 11;
  int32 severity_number = 2;
  string severity_text = 3;
  AnyValue body = 5;
  repeated KeyValue attributes = 6;
  uint32 dropped_attributes_count = 7;
  fixed32 flags = 8;
  bytes trace_id = 9;
  bytes span_id = 10;
  string event_name = 12;
}
message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue {
  string key = 1;
  AnyValue value = 2;
}
`;

const root = protobuf.parse(OTLP_LOGS_PROTO, { keepCase: false }).root;
root.resolveAll();

export const ExportLogsServiceRequest = root.lookupType(
  'opentelemetry.proto.ExportLogsServiceRequest'
);

/** OTLP/JSON object → protobuf bytes (ids are hex in OTLP/JSON, bytes in protobufjs' object form). */
export function encodeOtlpLogsJsonAsProtobuf(json: unknown): Uint8Array {
  const message = ExportLogsServiceRequest.fromObject(
    convertIds(json) as Record<string, unknown>
  );
  return ExportLogsServiceRequest.encode(message).finish();
}

/** Protobuf bytes → a plain object (int64/fixed64 as decimal strings, bytes as hex for ids). */
export function referenceDecodeOtlpLogs(
  bytes: Uint8Array
): Record<string, unknown> {
  return ExportLogsServiceRequest.toObject(
    ExportLogsServiceRequest.decode(bytes),
    {
      longs: String,
      bytes: String,
      defaults: false,
      oneofs: false,
    }
  );
}

function convertIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(convertIds);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if ((key === 'traceId' || key === 'spanId') && typeof v === 'string')
      out[key] = Buffer.from(v, 'hex');
    else out[key] = convertIds(v);
  }
  return out;
}
