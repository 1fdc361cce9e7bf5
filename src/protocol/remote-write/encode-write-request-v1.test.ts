import { describe, expect, it } from 'vitest';
import { ProtobufWriter } from '../wire/protobuf-writer.js';
import { labelsFromRecord } from '../../model/index.js';
import {
  DropReason,
  MetricType,
  SeriesBatch,
  type NativeHistogram,
} from '../../model/index.js';
import {
  STALE_NAN,
  batchToV1Object,
  decodeV1Request,
  encodeV1Request,
  encodeV2Request,
  randomV1Request,
  randomV2Request,
  seededRandom,
} from '../../../test/helpers/remote-write-reference.js';
import { decodeWriteRequestV1 } from './decode-write-request-v1.js';
import { decodeWriteRequestV2 } from './decode-write-request-v2.js';
import {
  encodeMetadataV1,
  encodeSeriesV1,
  encodeWriteRequestV1,
} from './encode-write-request-v1.js';

function histogram(overrides: Partial<NativeHistogram>): NativeHistogram {
  return {
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
    ...overrides,
  };
}

/** Offsets of every 8-byte little-endian occurrence of `bits` in `bytes`. */
function offsetsOfDouble(bytes: Uint8Array, bits: bigint): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: number[] = [];
  for (let i = 0; i + 8 <= bytes.length; i++)
    if (view.getBigUint64(i, true) === bits) found.push(i);
  return found;
}

describe('encodeWriteRequestV1()', () => {
  it('encodes what protobufjs decodes back to the same request (300 random requests)', () => {
    const random = seededRandom(0x5eed_0003);
    for (let round = 0; round < 300; round++) {
      const request = randomV1Request(random);
      const batch = new SeriesBatch();
      decodeWriteRequestV1(encodeV1Request(request), batch);
      const ours = encodeWriteRequestV1(batch);
      expect(decodeV1Request(ours)).toEqual(request);
      // And our own decoder agrees.
      const again = new SeriesBatch();
      decodeWriteRequestV1(ours, again);
      expect(batchToV1Object(again)).toEqual(request);
    }
  });

  it('writes the stale marker and -0 bit-exact', () => {
    const batch = new SeriesBatch();
    batch.addSeries(['__name__', 'up']);
    batch.addSample(STALE_NAN, 1);
    batch.addSample(-0, 2);
    batch.addHistogram(
      histogram({ countFloat: 1, countInt: undefined, sum: STALE_NAN })
    );
    batch.addHistogram(histogram({ sum: -0 }));
    const bytes = encodeWriteRequestV1(batch);
    const staleAt = offsetsOfDouble(bytes, 0x7ff0000000000002n);
    expect(staleAt).toHaveLength(2);
    // Each preceded by its field tag: Sample.value (1, fixed64) and Histogram.sum (3, fixed64).
    expect(staleAt.map(at => bytes[at - 1])).toEqual([0x09, 0x19]);
    expect(
      offsetsOfDouble(bytes, 0x8000000000000000n).map(at => bytes[at - 1])
    ).toEqual([0x09, 0x19]);
    const decoded = decodeV1Request(bytes).timeseries![0]!;
    expect(Object.is(decoded.samples![1]!.value, -0)).toBe(true);
    expect(Object.is(decoded.histograms![1]!.sum, -0)).toBe(true);
  });

  it('writes only live series, and each distinct metadata once', () => {
    const batch = new SeriesBatch();
    const counter = {
      type: MetricType.COUNTER,
      familyName: 'a_total',
      help: 'A.',
      unit: '',
    } as const;
    batch.addSeries(labelsFromRecord({ __name__: 'a_total', i: '0' }), counter);
    batch.addSample(1, 1);
    batch.addSeries(labelsFromRecord({ __name__: 'a_total', i: '1' }), counter);
    batch.addSample(2, 1);
    batch.addSeries(labelsFromRecord({ __name__: 'b', i: '2' }), {
      type: MetricType.GAUGE,
      familyName: 'b',
      help: '',
      unit: '',
    });
    batch.addSample(3, 1);
    batch.addSeries(labelsFromRecord({ __name__: 'c', i: '3' }), {
      type: MetricType.GAUGE,
      familyName: 'c',
      help: '',
      unit: '',
    });
    batch.addSample(4, 1);
    batch.familyMetadata.push(
      { ...counter },
      { type: MetricType.INFO, familyName: 'd_info', help: '', unit: '' }
    );
    batch.dropped[2] = DropReason.CARDINALITY;
    const decoded = decodeV1Request(encodeWriteRequestV1(batch));
    expect(decoded.timeseries!.map(s => s.samples![0]!.value)).toEqual([
      1, 2, 4,
    ]);
    expect(decoded.metadata).toEqual([
      {
        type: MetricType.COUNTER,
        metricFamilyName: 'a_total',
        help: 'A.',
        unit: '',
      },
      { type: MetricType.INFO, metricFamilyName: 'd_info', help: '', unit: '' },
      { type: MetricType.GAUGE, metricFamilyName: 'c', help: '', unit: '' },
    ]);
  });

  it('encodes a request decoded from remote write 2.0 (start timestamps have no 1.0 field)', () => {
    const random = seededRandom(0x5eed_0004);
    for (let round = 0; round < 50; round++) {
      const batch = new SeriesBatch();
      decodeWriteRequestV2(encodeV2Request(randomV2Request(random)), batch);
      const expected = batchToV1Object(batch);
      const decoded = decodeV1Request(encodeWriteRequestV1(batch));
      expect(decoded.timeseries).toEqual(expected.timeseries);
      // Metadata: one per distinct family metadata.
      const distinct = new Set(
        batch.metadata.filter(m => m !== undefined).map(m => JSON.stringify(m))
      );
      expect(decoded.metadata).toHaveLength(distinct.size);
    }
  });

  it('encodes an empty batch as an empty request', () => {
    expect(encodeWriteRequestV1(new SeriesBatch())).toHaveLength(0);
  });
});

describe('encodeSeriesV1() and encodeMetadataV1()', () => {
  it('write entries that concatenate into one request', () => {
    const random = seededRandom(0x5eed_0005);
    const request = randomV1Request(random, 20);
    const batch = new SeriesBatch();
    decodeWriteRequestV1(encodeV1Request(request), batch);
    // Each entry written alone, then the pieces concatenated in another order of writers.
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < batch.seriesCount; i++) {
      const writer = new ProtobufWriter(8);
      encodeSeriesV1(batch, i, writer);
      pieces.push(writer.finish().slice());
    }
    for (const meta of batch.familyMetadata) {
      const writer = new ProtobufWriter(8);
      encodeMetadataV1(meta, writer);
      pieces.push(writer.finish().slice());
    }
    const body = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const piece of pieces) {
      body.set(piece, at);
      at += piece.length;
    }
    expect(decodeV1Request(body)).toEqual(request);
  });

  it('writes into a reused writer after reset', () => {
    const batch = new SeriesBatch();
    batch.addSeries(['__name__', 'x']);
    batch.addSample(1, 1);
    const writer = new ProtobufWriter(4);
    encodeSeriesV1(batch, 0, writer);
    const first = writer.finish().slice();
    writer.reset();
    encodeSeriesV1(batch, 0, writer);
    expect(writer.finish()).toEqual(first);
  });

  it('writes series and labels longer than 16 KiB', () => {
    const batch = new SeriesBatch();
    const long = 'v'.repeat(20_000);
    const multibyte = 'ü'.repeat(9_000);
    batch.addSeries(['__name__', 'big', 'a', long, 'b', multibyte]);
    for (let i = 0; i < 3000; i++) batch.addSample(i, 1_700_000_000_000 + i);
    const decoded = decodeV1Request(encodeWriteRequestV1(batch))
      .timeseries![0]!;
    expect(decoded.labels).toEqual([
      { name: '__name__', value: 'big' },
      { name: 'a', value: long },
      { name: 'b', value: multibyte },
    ]);
    expect(decoded.samples).toHaveLength(3000);
    expect(decoded.samples![2999]).toEqual({
      value: 2999,
      timestamp: 1_700_000_002_999,
    });
  });

  it('writes metadata with default fields omitted', () => {
    const writer = new ProtobufWriter(8);
    encodeMetadataV1(
      { type: MetricType.UNKNOWN, familyName: '', help: '', unit: '' },
      writer
    );
    expect([...writer.finish()]).toEqual([0x1a, 0x00]);
  });
});
