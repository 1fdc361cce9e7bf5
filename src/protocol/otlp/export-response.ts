/**
 * OTLP/HTTP response bodies (PROTOCOLS.md §2.6, §2.7), in the encoding of the
 * request:
 *
 * | message                          | fields                                           |
 * |----------------------------------|--------------------------------------------------|
 * | ExportMetricsServiceResponse     | 1 partial_success (LEN)                          |
 * | ExportMetricsPartialSuccess      | 1 rejected_data_points (int64), 2 error_message  |
 * | ExportLogsServiceResponse        | 1 partial_success (LEN)                          |
 * | ExportLogsPartialSuccess         | 1 rejected_log_records (int64), 2 error_message  |
 * | google.rpc.Status                | 1 code (int32), 2 message, 3 details (unused)    |
 *
 * Full success leaves `partial_success` unset (an empty protobuf body, `{}`
 * in JSON); `rejected=0` with a message is a warning. Zero-valued fields are
 * omitted in both encodings, as proto3 serializers do, and JSON int64 values
 * are decimal strings (OTLP/JSON).
 */
import { ProtobufWriter } from '../wire/protobuf-writer.js';
import { WireType } from '../wire/protobuf-reader.js';

/** Body encoding of an OTLP/HTTP exchange. */
export type OtlpFormat = 'protobuf' | 'json';

const encoder = new TextEncoder();
const RESPONSE_INITIAL_BYTES = 256;

/** `ExportMetricsServiceResponse` with `partial_success.rejected_data_points`. */
export function encodeExportMetricsResponse(
  rejected: number,
  message: string,
  format: OtlpFormat
): Uint8Array {
  return encodePartialSuccess(rejected, message, format, 'rejectedDataPoints');
}

/** `ExportLogsServiceResponse` with `partial_success.rejected_log_records`. */
export function encodeExportLogsResponse(
  rejected: number,
  message: string,
  format: OtlpFormat
): Uint8Array {
  return encodePartialSuccess(rejected, message, format, 'rejectedLogRecords');
}

/** A `google.rpc.Status` error body (clients ignore `code`; the HTTP status carries the meaning). */
export function encodeRpcStatus(
  code: number,
  message: string,
  format: OtlpFormat
): Uint8Array {
  if (format === 'json') {
    const body: { code?: number; message?: string } = {};
    if (code !== 0) body.code = code;
    if (message !== '') body.message = message;
    return encoder.encode(JSON.stringify(body));
  }
  const writer = new ProtobufWriter(RESPONSE_INITIAL_BYTES);
  if (code !== 0) {
    writer.tag(1, WireType.VARINT);
    writer.int64(code);
  }
  if (message !== '') {
    writer.tag(2, WireType.LENGTH_DELIMITED);
    writer.string(message);
  }
  return writer.finish().slice();
}

function encodePartialSuccess(
  rejected: number,
  message: string,
  format: OtlpFormat,
  rejectedKey: 'rejectedDataPoints' | 'rejectedLogRecords'
): Uint8Array {
  const hasPartialSuccess = rejected !== 0 || message !== '';
  if (format === 'json') {
    if (!hasPartialSuccess) return encoder.encode('{}');
    const partialSuccess: Record<string, string> = {};
    if (rejected !== 0) partialSuccess[rejectedKey] = String(rejected);
    if (message !== '') partialSuccess['errorMessage'] = message;
    return encoder.encode(JSON.stringify({ partialSuccess }));
  }
  if (!hasPartialSuccess) return new Uint8Array(0);
  const writer = new ProtobufWriter(
    RESPONSE_INITIAL_BYTES + message.length * 3
  );
  writer.tag(1, WireType.LENGTH_DELIMITED);
  writer.fork();
  if (rejected !== 0) {
    writer.tag(1, WireType.VARINT);
    writer.int64(rejected);
  }
  if (message !== '') {
    writer.tag(2, WireType.LENGTH_DELIMITED);
    writer.string(message);
  }
  writer.join();
  return writer.finish().slice();
}
