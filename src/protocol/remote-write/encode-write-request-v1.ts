/**
 * Encodes SeriesBatch content as remote write 1.0 (`prometheus.WriteRequest`),
 * for forwarding to 1.0 receivers. Field numbers are those in the table of
 * decode-write-request-v1.ts and decode-histogram.ts. Default-valued scalars
 * are omitted as proto3 does, except float sample values (always written, so
 * -0 and NaN payloads such as the stale marker go out bit-exact) and the
 * histogram count oneofs (written whenever set: presence picks int or float).
 */
import { ProtobufWriter } from '../wire/protobuf-writer.js';
import type {
  BucketSpan,
  MetricMetadata,
  NativeHistogram,
  SeriesBatch,
} from '../../model/index.js';

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;

const REQUEST_TIMESERIES = 1;
const REQUEST_METADATA = 3;
const SERIES_LABELS = 1;
const SERIES_SAMPLES = 2;
const SERIES_EXEMPLARS = 3;
const SERIES_HISTOGRAMS = 4;
const SAMPLES_TAG = (SERIES_SAMPLES << 3) | LENGTH_DELIMITED;
const LABEL_NAME_TAG = (1 << 3) | LENGTH_DELIMITED;
const LABEL_VALUE_TAG = (2 << 3) | LENGTH_DELIMITED;
const SAMPLE_VALUE_TAG = (1 << 3) | FIXED64;
const SAMPLE_TIMESTAMP_TAG = (2 << 3) | VARINT;

/**
 * Writes series `series` of `batch` as one `timeseries` (field 1) entry of a
 * WriteRequest: tag, length and the TimeSeries body. Entries written one
 * after another (and metadata entries from encodeMetadataV1) concatenate
 * into a valid WriteRequest body. Writes the series whether or not it is
 * dropped; the caller chooses.
 */
export function encodeSeriesV1(
  batch: SeriesBatch,
  series: number,
  writer: ProtobufWriter,
  labelFields?: Uint8Array
): void {
  writer.tag(REQUEST_TIMESERIES, LENGTH_DELIMITED);
  // A series body is nearly always under 16 KiB: a 2-byte length.
  writer.fork(2);
  if (labelFields === undefined)
    encodeLabelFieldsV1(batch.labels[series]!, writer);
  else writer.raw(labelFields);
  const values = batch.values;
  const timestamps = batch.timestamps;
  const sampleEnd = batch.sampleStart[series + 1]!;
  for (let i = batch.sampleStart[series]!; i < sampleEnd; i++) {
    writer.uint32(SAMPLES_TAG);
    // A Sample body is at most 20 bytes (9 + 11), so its length takes one
    // byte, written once the body is: no fork/join per sample.
    const lengthAt = writer.pos;
    writer.uint32(0);
    writer.uint32(SAMPLE_VALUE_TAG);
    writer.double(values[i]!);
    const timestampMs = timestamps[i]!;
    if (timestampMs !== 0) {
      writer.uint32(SAMPLE_TIMESTAMP_TAG);
      writer.int64(timestampMs);
    }
    writer.buf[lengthAt] = writer.pos - lengthAt - 1;
  }
  const exemplarEnd = batch.exemplarStart[series + 1]!;
  for (let i = batch.exemplarStart[series]!; i < exemplarEnd; i++) {
    const exemplar = batch.exemplars[i]!;
    writer.tag(SERIES_EXEMPLARS, LENGTH_DELIMITED);
    writer.fork();
    const exemplarLabels = exemplar.labels;
    for (let j = 0; j < exemplarLabels.length; j += 2) {
      writer.tag(1, LENGTH_DELIMITED);
      writeLabel(writer, exemplarLabels[j]!, exemplarLabels[j + 1]!);
    }
    writer.tag(2, FIXED64);
    writer.double(exemplar.value);
    if (exemplar.timestampMs !== 0) {
      writer.tag(3, VARINT);
      writer.int64(exemplar.timestampMs);
    }
    writer.join();
  }
  const histogramEnd = batch.histogramStart[series + 1]!;
  for (let i = batch.histogramStart[series]!; i < histogramEnd; i++) {
    writer.tag(SERIES_HISTOGRAMS, LENGTH_DELIMITED);
    writeHistogram(writer, batch.histograms[i]!);
  }
  writer.join();
}

/** Writes one `metadata` (field 3) entry of a WriteRequest. */
export function encodeMetadataV1(
  meta: MetricMetadata,
  writer: ProtobufWriter
): void {
  writer.tag(REQUEST_METADATA, LENGTH_DELIMITED);
  writer.fork();
  if (meta.type !== 0) {
    writer.tag(1, VARINT);
    writer.uint32(meta.type);
  }
  writeString(writer, 2, meta.familyName);
  writeString(writer, 4, meta.help);
  writeString(writer, 5, meta.unit);
  writer.join();
}

/**
 * A whole WriteRequest: every live series (`dropped[i] === 0`), then each
 * distinct metadata once, from `familyMetadata` and the live series'
 * metadata. Uncompressed; the result is a view into a fresh buffer.
 */
export function encodeWriteRequestV1(batch: SeriesBatch): Uint8Array {
  const writer = new ProtobufWriter();
  const seen = new Set<string>();
  for (let i = 0; i < batch.seriesCount; i++) {
    if (batch.dropped[i] === 0) encodeSeriesV1(batch, i, writer);
  }
  for (const meta of batch.familyMetadata)
    writeDistinctMetadata(meta, seen, writer);
  for (let i = 0; i < batch.seriesCount; i++) {
    const meta = batch.metadata[i];
    if (meta !== undefined && batch.dropped[i] === 0)
      writeDistinctMetadata(meta, seen, writer);
  }
  return writer.finish();
}

function writeDistinctMetadata(
  meta: MetricMetadata,
  seen: Set<string>,
  writer: ProtobufWriter
): void {
  const key = `${meta.type}\u0000${meta.familyName}\u0000${meta.help}\u0000${meta.unit}`;
  if (seen.has(key)) return;
  seen.add(key);
  encodeMetadataV1(meta, writer);
}

/** A Label message body with its length (the caller wrote the tag). */
/**
 * Writes the `TimeSeries.labels` fields (field 1, one per pair) of a flat
 * label array. Separate from encodeSeriesV1 so a forwarder can encode a
 * known series' labels once and pass the bytes as `labelFields`.
 */
export function encodeLabelFieldsV1(
  labels: readonly string[],
  writer: ProtobufWriter
): void {
  for (let i = 0; i < labels.length; i += 2) {
    writer.tag(SERIES_LABELS, LENGTH_DELIMITED);
    writeLabel(writer, labels[i]!, labels[i + 1]!);
  }
}

function writeLabel(writer: ProtobufWriter, name: string, value: string): void {
  // Fast path: ASCII name and value whose Label body fits a one-byte length
  // (the common case): tag, length and both strings in one go, no fork/join.
  const bodyLength =
    (name === '' ? 0 : name.length + 2) + (value === '' ? 0 : value.length + 2);
  if (bodyLength < 128) {
    const start = writer.pos;
    writer.uint32(bodyLength);
    if (
      (name === '' ||
        (writer.uint32(LABEL_NAME_TAG), writer.asciiString(name))) &&
      (value === '' ||
        (writer.uint32(LABEL_VALUE_TAG), writer.asciiString(value)))
    ) {
      return;
    }
    writer.pos = start;
  }
  writer.fork();
  writeString(writer, 1, name);
  writeString(writer, 2, value);
  writer.join();
}

function writeString(
  writer: ProtobufWriter,
  field: number,
  value: string
): void {
  if (value === '') return;
  writer.tag(field, LENGTH_DELIMITED);
  writer.string(value);
}

/** A Histogram message body with its length (the caller wrote the tag). */
function writeHistogram(writer: ProtobufWriter, h: NativeHistogram): void {
  writer.fork();
  if (h.countInt !== undefined) {
    writer.tag(1, VARINT);
    writer.int64(h.countInt);
  } else {
    writer.tag(2, FIXED64);
    writer.double(h.countFloat);
  }
  writeDouble(writer, 3, h.sum);
  if (h.schema !== 0) {
    writer.tag(4, VARINT);
    writer.sint32(h.schema);
  }
  writeDouble(writer, 5, h.zeroThreshold);
  if (h.zeroCountInt !== undefined) {
    writer.tag(6, VARINT);
    writer.int64(h.zeroCountInt);
  } else {
    writer.tag(7, FIXED64);
    writer.double(h.zeroCountFloat);
  }
  writeSpans(writer, 8, h.negativeSpans);
  writePackedSint64(writer, 9, h.negativeDeltas);
  writePackedDouble(writer, 10, h.negativeCounts);
  writeSpans(writer, 11, h.positiveSpans);
  writePackedSint64(writer, 12, h.positiveDeltas);
  writePackedDouble(writer, 13, h.positiveCounts);
  if (h.resetHint !== 0) {
    writer.tag(14, VARINT);
    writer.uint32(h.resetHint);
  }
  if (h.timestampMs !== 0) {
    writer.tag(15, VARINT);
    writer.int64(h.timestampMs);
  }
  writePackedDouble(writer, 16, h.customValues);
  writer.join();
}

/** A double field unless it is +0 (the proto3 default); -0 and NaN are written. */
function writeDouble(
  writer: ProtobufWriter,
  field: number,
  value: number
): void {
  if (value === 0 && 1 / value > 0) return;
  writer.tag(field, FIXED64);
  writer.double(value);
}

function writeSpans(
  writer: ProtobufWriter,
  field: number,
  spans: readonly BucketSpan[]
): void {
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    writer.tag(field, LENGTH_DELIMITED);
    writer.fork();
    if (span.offset !== 0) {
      writer.tag(1, VARINT);
      writer.sint32(span.offset);
    }
    if (span.length !== 0) {
      writer.tag(2, VARINT);
      writer.uint32(span.length);
    }
    writer.join();
  }
}

function writePackedSint64(
  writer: ProtobufWriter,
  field: number,
  values: readonly number[]
): void {
  if (values.length === 0) return;
  writer.tag(field, LENGTH_DELIMITED);
  writer.fork();
  for (let i = 0; i < values.length; i++) writer.sint64(values[i]!);
  writer.join();
}

function writePackedDouble(
  writer: ProtobufWriter,
  field: number,
  values: readonly number[]
): void {
  if (values.length === 0) return;
  writer.tag(field, LENGTH_DELIMITED);
  writer.uint32(values.length * 8);
  for (let i = 0; i < values.length; i++) writer.double(values[i]!);
}
