/**
 * Remote write 1.0 request bodies for the bench, encoded once and re-stamped
 * per send. Encoding 2000 series of protobuf is the expensive part, so it
 * happens up front; each send only overwrites the sample timestamps in place
 * (so no receiver sees the same sample twice) and snappy-compresses.
 *
 * Wire layout written (prompb/remote.proto, types.proto; PROTOCOLS.md §2.3):
 *   WriteRequest.timeseries  field 1, length-delimited
 *     TimeSeries.labels      field 1, length-delimited  → Label{name=1, value=2}
 *     TimeSeries.samples     field 2, length-delimited  → Sample{value=1 double, timestamp=2 int64}
 *
 * Timestamps are patched in place, which works because an int64 varint of
 * any millisecond timestamp in [2^35, 2^42) — years 1971 to 2109 — is
 * exactly 6 bytes long.
 */
import {
  ProtobufReader,
  ProtobufWriter,
  snappyCompress,
} from '../src/protocol/wire/index.js';
import type { BenchSeries } from './k8s-corpus.js';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const TIMESTAMP_VARINT_BYTES = 6;
const MIN_PATCHABLE_TS_MS = 2 ** 35;
const MAX_PATCHABLE_TS_MS = 2 ** 42 - 1;

/** One uncompressed WriteRequest plus where its sample timestamps live. */
export interface WriteRequestTemplate {
  /** Uncompressed protobuf; its timestamps are overwritten by `stamp`. */
  readonly body: Uint8Array;
  /** Byte offset of each sample's 6-byte timestamp varint. */
  readonly timestampOffsets: Uint32Array;
  readonly samples: number;
  /** Index of the cluster the series belong to. */
  readonly clusterIndex: number;
  /** Last timestamp stamped, so a template never goes back in time. */
  lastTimestampMs: number;
}

/** Encodes one WriteRequest with one sample per series, timestamped `timestampMs`. */
export function encodeWriteRequest(
  series: readonly BenchSeries[],
  timestampMs: number,
  writer = new ProtobufWriter()
): Uint8Array {
  writer.reset();
  for (const s of series) {
    writer.tag(1, WIRE_LENGTH_DELIMITED);
    writer.fork();
    const labels = s.labels;
    for (let i = 0; i < labels.length; i += 2) {
      writer.tag(1, WIRE_LENGTH_DELIMITED);
      writer.fork();
      writer.tag(1, WIRE_LENGTH_DELIMITED);
      writer.string(labels[i]!);
      writer.tag(2, WIRE_LENGTH_DELIMITED);
      writer.string(labels[i + 1]!);
      writer.join();
    }
    writer.tag(2, WIRE_LENGTH_DELIMITED);
    writer.fork();
    writer.tag(1, WIRE_FIXED64);
    writer.double(s.value);
    writer.tag(2, WIRE_VARINT);
    writer.int64(timestampMs);
    writer.join();
    writer.join();
  }
  return writer.finish().slice();
}

/** Finds the byte offset of every Sample.timestamp in an encoded WriteRequest. */
export function findTimestampOffsets(body: Uint8Array): Uint32Array {
  const offsets: number[] = [];
  const r = new ProtobufReader(body);
  while (r.pos < body.length) {
    const tag = r.tag();
    if (tag >>> 3 !== 1 || (tag & 7) !== WIRE_LENGTH_DELIMITED) {
      r.skip(tag & 7);
      continue;
    }
    const seriesEnd = r.delimitedEnd();
    while (r.pos < seriesEnd) {
      const t = r.tag();
      if (t >>> 3 !== 2 || (t & 7) !== WIRE_LENGTH_DELIMITED) {
        r.skip(t & 7);
        continue;
      }
      const sampleEnd = r.delimitedEnd();
      while (r.pos < sampleEnd) {
        const st = r.tag();
        if (st >>> 3 === 2 && (st & 7) === WIRE_VARINT) {
          const at = r.pos;
          r.int64();
          if (r.pos - at !== TIMESTAMP_VARINT_BYTES) {
            throw new Error(
              `cannot template the body: timestamp at ${at} is ${r.pos - at} bytes, want ${TIMESTAMP_VARINT_BYTES}`
            );
          }
          offsets.push(at);
        } else {
          r.skip(st & 7);
        }
      }
    }
  }
  return Uint32Array.from(offsets);
}

/** Encodes `series` into a re-stampable template. */
export function makeTemplate(
  series: readonly BenchSeries[],
  clusterIndex: number,
  nowMs: number,
  writer?: ProtobufWriter
): WriteRequestTemplate {
  const body = encodeWriteRequest(series, nowMs, writer);
  const timestampOffsets = findTimestampOffsets(body);
  if (timestampOffsets.length !== series.length) {
    throw new Error(
      `cannot template the body: found ${timestampOffsets.length} timestamps for ${series.length} series`
    );
  }
  return {
    body,
    timestampOffsets,
    samples: series.length,
    clusterIndex,
    lastTimestampMs: nowMs,
  };
}

/** Writes `ts` as a 6-byte varint at `at` (ts within the patchable range). */
function writeTimestamp(buf: Uint8Array, at: number, ts: number): void {
  // Split into 7-bit groups with arithmetic: ts exceeds 32 bits.
  let v = ts;
  for (let i = 0; i < TIMESTAMP_VARINT_BYTES - 1; i++) {
    buf[at + i] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[at + TIMESTAMP_VARINT_BYTES - 1] = v;
}

/**
 * Re-stamps every sample with a timestamp after the template's last one
 * (now, or last + 1 ms) and returns the snappy-compressed body.
 */
export function stampAndCompress(
  template: WriteRequestTemplate,
  nowMs: number
): Uint8Array {
  const ts = Math.max(nowMs, template.lastTimestampMs + 1);
  if (ts < MIN_PATCHABLE_TS_MS || ts > MAX_PATCHABLE_TS_MS) {
    throw new Error(`cannot stamp ${ts}: outside the 6-byte varint range`);
  }
  template.lastTimestampMs = ts;
  const { body, timestampOffsets } = template;
  for (let i = 0; i < timestampOffsets.length; i++)
    writeTimestamp(body, timestampOffsets[i]!, ts);
  return snappyCompress(body);
}
