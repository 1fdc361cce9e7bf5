/**
 * Decodes one native histogram message, shared by remote write 1.0
 * (`prometheus.Histogram`) and 2.0 (`io.prometheus.write.v2.Histogram`),
 * which agree on fields 1-16; 2.0 (rc.4) adds `start_timestamp` = 17.
 *
 * | field | name              | type              | wire type            |
 * |-------|-------------------|-------------------|----------------------|
 * | 1     | count_int         | uint64 (oneof)    | 0 varint             |
 * | 2     | count_float       | double (oneof)    | 1 fixed64            |
 * | 3     | sum               | double            | 1                    |
 * | 4     | schema            | sint32            | 0                    |
 * | 5     | zero_threshold    | double            | 1                    |
 * | 6     | zero_count_int    | uint64 (oneof)    | 0                    |
 * | 7     | zero_count_float  | double (oneof)    | 1                    |
 * | 8     | negative_spans    | BucketSpan        | 2 length-delimited   |
 * | 9     | negative_deltas   | repeated sint64   | 2 packed, or 0       |
 * | 10    | negative_counts   | repeated double   | 2 packed, or 1       |
 * | 11-13 | positive_…        | as 8-10           |                      |
 * | 14    | reset_hint        | enum              | 0                    |
 * | 15    | timestamp         | int64 (ms)        | 0                    |
 * | 16    | custom_values     | repeated double   | 2 packed, or 1       |
 * | 17    | start_timestamp   | int64 (ms), 2.0   | 0                    |
 * BucketSpan: offset = 1 (sint32, wire 0), length = 2 (uint32, wire 0).
 */
import { type ProtobufReader } from '../wire/protobuf-reader.js';
import type { BucketSpan, NativeHistogram } from '../../model/index.js';
import { expectEnd, fieldMask, skipField } from './wire-guards.js';

const COUNT_INT = (1 << 3) | 0;
const COUNT_FLOAT = (2 << 3) | 1;
const SUM = (3 << 3) | 1;
const SCHEMA = (4 << 3) | 0;
const ZERO_THRESHOLD = (5 << 3) | 1;
const ZERO_COUNT_INT = (6 << 3) | 0;
const ZERO_COUNT_FLOAT = (7 << 3) | 1;
const NEGATIVE_SPANS = (8 << 3) | 2;
const NEGATIVE_DELTAS_PACKED = (9 << 3) | 2;
const NEGATIVE_DELTAS = (9 << 3) | 0;
const NEGATIVE_COUNTS_PACKED = (10 << 3) | 2;
const NEGATIVE_COUNTS = (10 << 3) | 1;
const POSITIVE_SPANS = (11 << 3) | 2;
const POSITIVE_DELTAS_PACKED = (12 << 3) | 2;
const POSITIVE_DELTAS = (12 << 3) | 0;
const POSITIVE_COUNTS_PACKED = (13 << 3) | 2;
const POSITIVE_COUNTS = (13 << 3) | 1;
const RESET_HINT = (14 << 3) | 0;
const TIMESTAMP = (15 << 3) | 0;
const CUSTOM_VALUES_PACKED = (16 << 3) | 2;
const CUSTOM_VALUES = (16 << 3) | 1;
const START_TIMESTAMP = (17 << 3) | 0;

const HISTOGRAM_FIELDS_V1 = fieldMask(
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  12,
  13,
  14,
  15,
  16
);
const HISTOGRAM_FIELDS_V2 = HISTOGRAM_FIELDS_V1 | fieldMask(17);

const SPAN_OFFSET = (1 << 3) | 0;
const SPAN_LENGTH = (2 << 3) | 0;
const SPAN_FIELDS = fieldMask(1, 2);

/**
 * Reads the histogram whose body is [reader.pos, end). `hasStartTimestamp`
 * is true for 2.0, where field 17 is defined; 1.0 skips it as unknown.
 * A float histogram (count_float on the wire) has `countInt` undefined; the
 * same holds for the zero bucket.
 */
export function decodeHistogram(
  reader: ProtobufReader,
  end: number,
  hasStartTimestamp: boolean
): NativeHistogram {
  const histogram: NativeHistogram = {
    countInt: 0,
    countFloat: 0,
    sum: 0,
    schema: 0,
    zeroThreshold: 0,
    zeroCountInt: 0,
    zeroCountFloat: 0,
    negativeSpans: [],
    negativeDeltas: [],
    negativeCounts: [],
    positiveSpans: [],
    positiveDeltas: [],
    positiveCounts: [],
    resetHint: 0,
    timestampMs: 0,
    customValues: [],
    startTimestampMs: 0,
  };
  const known = hasStartTimestamp ? HISTOGRAM_FIELDS_V2 : HISTOGRAM_FIELDS_V1;
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case COUNT_INT:
        histogram.countInt = reader.uint64();
        break;
      case COUNT_FLOAT:
        histogram.countFloat = reader.double();
        histogram.countInt = undefined;
        break;
      case SUM:
        histogram.sum = reader.double();
        break;
      case SCHEMA:
        histogram.schema = reader.sint32();
        break;
      case ZERO_THRESHOLD:
        histogram.zeroThreshold = reader.double();
        break;
      case ZERO_COUNT_INT:
        histogram.zeroCountInt = reader.uint64();
        break;
      case ZERO_COUNT_FLOAT:
        histogram.zeroCountFloat = reader.double();
        histogram.zeroCountInt = undefined;
        break;
      case NEGATIVE_SPANS:
        histogram.negativeSpans.push(decodeSpan(reader, reader.delimitedEnd()));
        break;
      case NEGATIVE_DELTAS_PACKED:
        readPackedSint64(reader, histogram.negativeDeltas);
        break;
      case NEGATIVE_DELTAS:
        histogram.negativeDeltas.push(reader.sint64());
        break;
      case NEGATIVE_COUNTS_PACKED:
        readPackedDouble(reader, histogram.negativeCounts);
        break;
      case NEGATIVE_COUNTS:
        histogram.negativeCounts.push(reader.double());
        break;
      case POSITIVE_SPANS:
        histogram.positiveSpans.push(decodeSpan(reader, reader.delimitedEnd()));
        break;
      case POSITIVE_DELTAS_PACKED:
        readPackedSint64(reader, histogram.positiveDeltas);
        break;
      case POSITIVE_DELTAS:
        histogram.positiveDeltas.push(reader.sint64());
        break;
      case POSITIVE_COUNTS_PACKED:
        readPackedDouble(reader, histogram.positiveCounts);
        break;
      case POSITIVE_COUNTS:
        histogram.positiveCounts.push(reader.double());
        break;
      case RESET_HINT:
        histogram.resetHint = reader.uint32();
        break;
      case TIMESTAMP:
        histogram.timestampMs = reader.int64();
        break;
      case CUSTOM_VALUES_PACKED:
        readPackedDouble(reader, histogram.customValues);
        break;
      case CUSTOM_VALUES:
        histogram.customValues.push(reader.double());
        break;
      case START_TIMESTAMP:
        if (hasStartTimestamp) {
          histogram.startTimestampMs = reader.int64();
          break;
        }
        skipField(reader, tag, known, 'Histogram');
        break;
      default:
        skipField(reader, tag, known, 'Histogram');
    }
  }
  expectEnd(reader, end, 'Histogram');
  return histogram;
}

function decodeSpan(reader: ProtobufReader, end: number): BucketSpan {
  const span: BucketSpan = { offset: 0, length: 0 };
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === SPAN_OFFSET) span.offset = reader.sint32();
    else if (tag === SPAN_LENGTH) span.length = reader.uint32();
    else skipField(reader, tag, SPAN_FIELDS, 'BucketSpan');
  }
  expectEnd(reader, end, 'BucketSpan');
  return span;
}

function readPackedSint64(reader: ProtobufReader, into: number[]): void {
  const end = reader.delimitedEnd();
  while (reader.pos < end) into.push(reader.sint64());
  expectEnd(reader, end, 'Histogram (packed sint64)');
}

function readPackedDouble(reader: ProtobufReader, into: number[]): void {
  const end = reader.delimitedEnd();
  while (reader.pos < end) into.push(reader.double());
  expectEnd(reader, end, 'Histogram (packed double)');
}
