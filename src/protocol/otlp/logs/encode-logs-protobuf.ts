/**
 * Encodes the live records of a LogBatch as OTLP protobuf: the inverse of
 * decode-logs-protobuf.ts, with the same field table (PROTOCOLS.md §2.7).
 * Used to forward logs to OTLP/HTTP downstreams, so it writes entries of
 * `ExportLogsServiceRequest.resource_logs` (field 1): any concatenation of
 * such runs is itself a valid request body, which is what a ForwardQueue of
 * byte fragments needs.
 *
 * Proto3 defaults (0, '', empty) are left out, as every proto3 serializer
 * does, except inside an AnyValue, where an empty string or 0 is the set
 * case of the oneof and must be written. Resources and scopes without a live
 * record are left out (OTLP allows dropping empty envelopes, §2.6).
 */
import { ProtobufWriter } from '../../wire/protobuf-writer.js';
import { WireType } from '../../wire/protobuf-reader.js';
import {
  LogDropReason,
  type LogAnyValue,
  type LogBatch,
  type LogKeyValue,
  type LogRecord,
  type LogResource,
  type LogScope,
} from '../../../model/index.js';

const LEN = WireType.LENGTH_DELIMITED;
const INITIAL_REQUEST_BYTES = 16 * 1024;

/**
 * Appends one `resource_logs` entry (field 1 of ExportLogsServiceRequest)
 * per resource that has live records, in batch order. Returns the number of
 * records written.
 */
export function encodeResourceLogs(
  batch: LogBatch,
  writer: ProtobufWriter
): number {
  const { records, scopes, resources, dropped } = batch;
  let openResource = -1;
  let openScope = -1;
  let written = 0;
  for (let i = 0; i < records.length; i++) {
    if (dropped[i] !== LogDropReason.NONE) continue;
    const record = records[i]!;
    const scopeIndex = record.scope;
    if (scopeIndex !== openScope) {
      const scope = scopes[scopeIndex]!;
      if (openScope !== -1) closeScopeLogs(writer, scopes[openScope]!);
      if (scope.resource !== openResource) {
        if (openResource !== -1)
          closeResourceLogs(writer, resources[openResource]!);
        openResource = scope.resource;
        openResourceLogs(writer, resources[openResource]!);
      }
      openScope = scopeIndex;
      openScopeLogs(writer, scope);
    }
    writer.tag(2, LEN);
    writer.fork();
    writeLogRecord(writer, record);
    writer.join();
    written++;
  }
  if (openScope !== -1) closeScopeLogs(writer, scopes[openScope]!);
  if (openResource !== -1) closeResourceLogs(writer, resources[openResource]!);
  return written;
}

/** A whole `ExportLogsServiceRequest` body of the live records (a copy). */
export function encodeExportLogsRequest(batch: LogBatch): Uint8Array {
  const writer = new ProtobufWriter(INITIAL_REQUEST_BYTES);
  encodeResourceLogs(batch, writer);
  return writer.finish().slice();
}

// ResourceLogs{1 resource, 2 scope_logs, 3 schema_url}: open writes field 1,
// close writes field 3 after the scope_logs (any field order is valid).
function openResourceLogs(writer: ProtobufWriter, resource: LogResource): void {
  writer.tag(1, LEN);
  writer.fork();
  if (resource.attributes.length > 0 || resource.droppedAttributesCount !== 0) {
    writer.tag(1, LEN);
    writer.fork();
    writeKeyValues(writer, 1, resource.attributes);
    writeUint32Field(writer, 2, resource.droppedAttributesCount);
    writer.join();
  }
}

function closeResourceLogs(
  writer: ProtobufWriter,
  resource: LogResource
): void {
  writeStringField(writer, 3, resource.schemaUrl);
  writer.join();
}

// ScopeLogs{1 scope, 2 log_records, 3 schema_url}.
function openScopeLogs(writer: ProtobufWriter, scope: LogScope): void {
  writer.tag(2, LEN);
  writer.fork();
  if (
    scope.name !== '' ||
    scope.version !== '' ||
    scope.attributes.length > 0 ||
    scope.droppedAttributesCount !== 0
  ) {
    writer.tag(1, LEN);
    writer.fork();
    writeStringField(writer, 1, scope.name);
    writeStringField(writer, 2, scope.version);
    writeKeyValues(writer, 3, scope.attributes);
    writeUint32Field(writer, 4, scope.droppedAttributesCount);
    writer.join();
  }
}

function closeScopeLogs(writer: ProtobufWriter, scope: LogScope): void {
  writeStringField(writer, 3, scope.schemaUrl);
  writer.join();
}

function writeLogRecord(writer: ProtobufWriter, record: LogRecord): void {
  if (record.timeUnixNano !== 0n) {
    writer.tag(1, WireType.FIXED64);
    writer.fixed64(record.timeUnixNano);
  }
  if (record.severityNumber !== 0) {
    writer.tag(2, WireType.VARINT);
    writer.int64(record.severityNumber);
  }
  writeStringField(writer, 3, record.severityText);
  if (record.body !== null) {
    writer.tag(5, LEN);
    writer.fork();
    writeAnyValue(writer, record.body);
    writer.join();
  }
  writeKeyValues(writer, 6, record.attributes);
  writeUint32Field(writer, 7, record.droppedAttributesCount);
  if (record.flags !== 0) {
    writer.tag(8, WireType.FIXED32);
    writer.fixed32(record.flags);
  }
  writeHexField(writer, 9, record.traceId);
  writeHexField(writer, 10, record.spanId);
  if (record.observedTimeUnixNano !== 0n) {
    writer.tag(11, WireType.FIXED64);
    writer.fixed64(record.observedTimeUnixNano);
  }
  writeStringField(writer, 12, record.eventName);
}

function writeKeyValues(
  writer: ProtobufWriter,
  field: number,
  attributes: readonly LogKeyValue[]
): void {
  for (let i = 0; i < attributes.length; i++) {
    const kv = attributes[i]!;
    writer.tag(field, LEN);
    writer.fork();
    writeStringField(writer, 1, kv.key);
    writer.tag(2, LEN);
    writer.fork();
    writeAnyValue(writer, kv.value);
    writer.join();
    writer.join();
  }
}

/** The fields of one AnyValue message (its body, without tag or length). */
function writeAnyValue(writer: ProtobufWriter, value: LogAnyValue): void {
  switch (typeof value) {
    case 'string':
      writer.tag(1, LEN);
      writer.string(value);
      return;
    case 'boolean':
      writer.tag(2, WireType.VARINT);
      writer.bool(value);
      return;
    case 'bigint':
      writer.tag(3, WireType.VARINT);
      writeInt64BigInt(writer, value);
      return;
    case 'number':
      writer.tag(4, WireType.FIXED64);
      writer.double(value);
      return;
    default:
      break;
  }
  if (value === null) return;
  if (value instanceof Uint8Array) {
    writer.tag(7, LEN);
    writer.bytes(value);
    return;
  }
  if (Array.isArray(value)) {
    writer.tag(5, LEN);
    writer.fork();
    for (let i = 0; i < value.length; i++) {
      writer.tag(1, LEN);
      writer.fork();
      writeAnyValue(writer, value[i]!);
      writer.join();
    }
    writer.join();
    return;
  }
  writer.tag(6, LEN);
  writer.fork();
  writeKeyValues(writer, 1, value.kvlist);
  writer.join();
}

/** int64 varint of any 64-bit value (ProtobufWriter.int64 is exact only to 2^53). */
function writeInt64BigInt(writer: ProtobufWriter, value: bigint): void {
  if (value >= -9007199254740991n && value <= 9007199254740991n) {
    writer.int64(Number(value));
    return;
  }
  let v = BigInt.asUintN(64, value);
  const bytes: number[] = [];
  while (v > 0x7fn) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  writer.raw(Uint8Array.from(bytes));
}

function writeStringField(
  writer: ProtobufWriter,
  field: number,
  value: string
): void {
  if (value === '') return;
  writer.tag(field, LEN);
  writer.string(value);
}

function writeUint32Field(
  writer: ProtobufWriter,
  field: number,
  value: number
): void {
  if (value === 0) return;
  writer.tag(field, WireType.VARINT);
  writer.uint32(value);
}

function writeHexField(
  writer: ProtobufWriter,
  field: number,
  hex: string
): void {
  if (hex === '') return;
  writer.tag(field, LEN);
  writer.bytes(Buffer.from(hex, 'hex'));
}
