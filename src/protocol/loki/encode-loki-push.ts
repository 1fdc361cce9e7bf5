/**
 * Encodes Loki streams as `logproto.PushRequest` protobuf (PROTOCOLS.md
 * §2.18; field numbers checked against grafana/loki `pkg/push/push.proto`).
 * Pure. The body Loki takes is this message snappy-compressed (block
 * format), which the sender loop does.
 *
 * | message            | field                                                         |
 * |--------------------|---------------------------------------------------------------|
 * | PushRequest        | 1 streams LEN (StreamAdapter), 2 format (unused by clients)    |
 * | StreamAdapter      | 1 labels LEN (string), 2 entries LEN, 3 hash V (server-side)   |
 * | EntryAdapter       | 1 timestamp LEN (google.protobuf.Timestamp), 2 line LEN,      |
 * |                    | 3 structuredMetadata LEN (LabelPairAdapter), 4 parsed (query) |
 * | Timestamp          | 1 seconds V (int64), 2 nanos V (int32)                        |
 * | LabelPairAdapter   | 1 name LEN, 2 value LEN                                       |
 *
 * Each stream is one `streams` entry, so any concatenation of encoded runs
 * is a valid PushRequest: the forward queue keeps them as byte fragments.
 */
import { ProtobufWriter } from '../wire/protobuf-writer.js';
import { WireType } from '../wire/protobuf-reader.js';
import type { LokiEntry, LokiStream } from './loki-stream-mapper.js';

const LEN = WireType.LENGTH_DELIMITED;
const NANOS_PER_SECOND = 1_000_000_000n;
const INITIAL_REQUEST_BYTES = 16 * 1024;

/** Appends each stream as a `PushRequest.streams` entry; returns the number of entries written. */
export function encodeLokiStreams(
  streams: readonly LokiStream[],
  writer: ProtobufWriter
): number {
  let entries = 0;
  for (let s = 0; s < streams.length; s++) {
    const stream = streams[s]!;
    writer.tag(1, LEN);
    writer.fork();
    writer.tag(1, LEN);
    writer.string(stream.labels);
    for (let e = 0; e < stream.entries.length; e++) {
      writer.tag(2, LEN);
      writer.fork();
      writeEntry(writer, stream.entries[e]!);
      writer.join();
    }
    writer.join();
    entries += stream.entries.length;
  }
  return entries;
}

/** A whole PushRequest (uncompressed; a copy). */
export function encodeLokiPushRequest(
  streams: readonly LokiStream[]
): Uint8Array {
  const writer = new ProtobufWriter(INITIAL_REQUEST_BYTES);
  encodeLokiStreams(streams, writer);
  return writer.finish().slice();
}

function writeEntry(writer: ProtobufWriter, entry: LokiEntry): void {
  // gogoproto non-nullable: the timestamp is always written, even at the epoch.
  writer.tag(1, LEN);
  writer.fork(1);
  let seconds = entry.timeUnixNano / NANOS_PER_SECOND;
  let nanos = entry.timeUnixNano % NANOS_PER_SECOND;
  if (nanos < 0n) {
    // Timestamp.nanos must be in [0, 1e9) even before the epoch.
    seconds -= 1n;
    nanos += NANOS_PER_SECOND;
  }
  if (seconds !== 0n) {
    writer.tag(1, WireType.VARINT);
    writer.int64(Number(seconds));
  }
  if (nanos !== 0n) {
    writer.tag(2, WireType.VARINT);
    writer.uint32(Number(nanos));
  }
  writer.join();
  if (entry.line !== '') {
    writer.tag(2, LEN);
    writer.string(entry.line);
  }
  const metadata = entry.structuredMetadata;
  for (let i = 0; i < metadata.length; i += 2) {
    writer.tag(3, LEN);
    writer.fork(2);
    writer.tag(1, LEN);
    writer.string(metadata[i]!);
    writer.tag(2, LEN);
    writer.string(metadata[i + 1]!);
    writer.join();
  }
}
