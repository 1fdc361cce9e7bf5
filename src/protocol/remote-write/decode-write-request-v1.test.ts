/**
 * Why this file is long: one case per wire rule of the 1.0 decoder, and the malformed inputs it must refuse.
 */
import { describe, expect, it } from 'vitest';
import { ProtobufWriter } from '../wire/protobuf-writer.js';
import { InvalidPayloadError } from '../../errors.js';
import { labelsFromRecord } from '../../model/index.js';
import { MetricType, SeriesBatch } from '../../model/index.js';
import {
  STALE_NAN,
  batchToV1Object,
  encodeV1Request,
  float64Bits,
  randomV1Request,
  seededRandom,
  type LabelObject,
  type WriteRequestV1Object,
} from '../../../test/helpers/remote-write-reference.js';
import { decodeWriteRequestV1 } from './decode-write-request-v1.js';

function decode(request: WriteRequestV1Object): SeriesBatch {
  const batch = new SeriesBatch();
  decodeWriteRequestV1(encodeV1Request(request), batch);
  return batch;
}

function labelsOf(record: Record<string, string>): LabelObject[] {
  return Object.entries(record).map(([name, value]) => ({ name, value }));
}

function refusal(body: Uint8Array): InvalidPayloadError {
  try {
    decodeWriteRequestV1(body, new SeriesBatch());
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPayloadError);
    const refused = err as InvalidPayloadError;
    expect(refused.httpStatus).toBe(400);
    expect(refused.message).toMatch(/^cannot decode write request: /);
    return refused;
  }
  throw new Error('expected the request to be refused');
}

function refusalOf(request: WriteRequestV1Object): string {
  return refusal(encodeV1Request(request)).message;
}

/** Raw bytes: a tag per field number/wire type, then the given payload bytes. */
function raw(build: (writer: ProtobufWriter) => void): Uint8Array {
  const writer = new ProtobufWriter(16);
  build(writer);
  return writer.finish().slice();
}

describe('decodeWriteRequestV1()', () => {
  describe('valid requests', () => {
    it('decodes series, samples and stats', () => {
      const batch = new SeriesBatch();
      const stats = decodeWriteRequestV1(
        encodeV1Request({
          timeseries: [
            {
              labels: labelsOf({
                __name__: 'up',
                instance: 'a:9100',
                job: 'node',
              }),
              samples: [
                { value: 1, timestamp: 1000 },
                { value: 0, timestamp: 2000 },
              ],
            },
            {
              labels: labelsOf({ __name__: 'load', job: 'node' }),
              samples: [{ value: 0.5, timestamp: 1000 }],
            },
          ],
        }),
        batch
      );
      expect(stats).toEqual({
        series: 2,
        samples: 3,
        histograms: 0,
        exemplars: 0,
      });
      expect(batch.seriesCount).toBe(2);
      expect(batch.labels[0]).toEqual([
        '__name__',
        'up',
        'instance',
        'a:9100',
        'job',
        'node',
      ]);
      expect([...batch.values.subarray(0, 3)]).toEqual([1, 0, 0.5]);
      expect([...batch.timestamps.subarray(0, 3)]).toEqual([1000, 2000, 1000]);
      expect([...batch.sampleStart.subarray(0, 3)]).toEqual([0, 2, 3]);
      expect(batch.metadata[0]).toBeUndefined();
    });

    it('decodes an empty body as an empty request', () => {
      const batch = new SeriesBatch();
      expect(decodeWriteRequestV1(new Uint8Array(0), batch)).toEqual({
        series: 0,
        samples: 0,
        histograms: 0,
        exemplars: 0,
      });
      expect(batch.seriesCount).toBe(0);
    });

    it('sorts unsorted labels', () => {
      const batch = decode({
        timeseries: [
          { labels: labelsOf({ zone: 'b', job: 'x', __name__: 'up', a: '1' }) },
        ],
      });
      expect(batch.labels[0]).toEqual(
        labelsFromRecord({ __name__: 'up', a: '1', job: 'x', zone: 'b' })
      );
    });

    it('drops labels with an empty value', () => {
      const batch = decode({
        timeseries: [
          { labels: labelsOf({ __name__: 'up', empty: '', job: 'x' }) },
        ],
      });
      expect(batch.labels[0]).toEqual(['__name__', 'up', 'job', 'x']);
    });

    it('keeps multibyte UTF-8 and a leading byte order mark in values', () => {
      const batch = decode({
        timeseries: [
          {
            labels: labelsOf({
              __name__: 'up',
              a: '\ufeffbom',
              b: '日本語 🚀',
            }),
          },
        ],
      });
      expect(batch.labels[0]).toEqual([
        '__name__',
        'up',
        'a',
        '\ufeffbom',
        'b',
        '日本語 🚀',
      ]);
    });

    it('keeps the stale marker NaN bit-exact', () => {
      const batch = decode({
        timeseries: [
          {
            labels: labelsOf({ __name__: 'up' }),
            samples: [{ value: STALE_NAN, timestamp: 1 }],
          },
        ],
      });
      const bits = new DataView(batch.values.buffer).getBigUint64(0, true);
      expect(bits).toBe(0x7ff0000000000002n);
    });

    it.each([
      [0],
      [-1],
      [-(2 ** 53 - 1)],
      [2 ** 53 - 1],
      [2 ** 32],
      [-(2 ** 31)],
      [1_700_000_000_123],
    ])('decodes timestamp %d exactly', timestamp => {
      const batch = decode({
        timeseries: [
          {
            labels: labelsOf({ __name__: 'up' }),
            samples: [{ value: 1, timestamp }],
          },
        ],
      });
      expect(batch.timestamps[0]).toBe(timestamp);
    });

    it('decodes exemplars and native histograms', () => {
      const batch = new SeriesBatch();
      const stats = decodeWriteRequestV1(
        encodeV1Request({
          timeseries: [
            {
              labels: labelsOf({ __name__: 'rpc_duration_seconds' }),
              exemplars: [
                {
                  labels: [{ name: 'trace_id', value: 'abc' }],
                  value: 0.25,
                  timestamp: 7,
                },
              ],
              histograms: [
                {
                  countInt: 10,
                  sum: 3.5,
                  schema: -2,
                  zeroThreshold: 1e-9,
                  zeroCountInt: 1,
                  negativeSpans: [{ offset: -3, length: 2 }],
                  negativeDeltas: [2, -1],
                  positiveSpans: [{ offset: 0, length: 1 }],
                  positiveDeltas: [6],
                  resetHint: 2,
                  timestamp: 9,
                },
                {
                  countFloat: 2.5,
                  sum: STALE_NAN,
                  zeroCountFloat: 0.5,
                  positiveCounts: [1.5, 1],
                  customValues: [0.1, 1],
                },
              ],
            },
          ],
        }),
        batch
      );
      expect(stats).toEqual({
        series: 1,
        samples: 0,
        histograms: 2,
        exemplars: 1,
      });
      expect(batch.exemplars[0]).toEqual({
        labels: ['trace_id', 'abc'],
        value: 0.25,
        timestampMs: 7,
      });
      expect(batch.histograms[0]).toEqual({
        countInt: 10,
        countFloat: 0,
        sum: 3.5,
        schema: -2,
        zeroThreshold: 1e-9,
        zeroCountInt: 1,
        zeroCountFloat: 0,
        negativeSpans: [{ offset: -3, length: 2 }],
        negativeDeltas: [2, -1],
        negativeCounts: [],
        positiveSpans: [{ offset: 0, length: 1 }],
        positiveDeltas: [6],
        positiveCounts: [],
        resetHint: 2,
        timestampMs: 9,
        customValues: [],
        startTimestampMs: 0,
      });
      const float = batch.histograms[1]!;
      expect(float.countInt).toBeUndefined();
      expect(float.countFloat).toBe(2.5);
      expect(float.zeroCountInt).toBeUndefined();
      expect(float.zeroCountFloat).toBe(0.5);
      expect(float.customValues).toEqual([0.1, 1]);
      expect(float64Bits(float.sum)).toBe(0x7ff0000000000002n);
      expect(batch.pointsOf(0)).toBe(2);
    });

    it('puts metadata in familyMetadata, with an unknown type read as UNKNOWN', () => {
      const batch = decode({
        metadata: [
          {
            type: MetricType.COUNTER,
            metricFamilyName: 'http_requests_total',
            help: 'Requests.',
            unit: '',
          },
          { type: 42, metricFamilyName: 'future', help: '', unit: 'bytes' },
        ],
      });
      expect(batch.familyMetadata).toEqual([
        {
          type: MetricType.COUNTER,
          familyName: 'http_requests_total',
          help: 'Requests.',
          unit: '',
        },
        {
          type: MetricType.UNKNOWN,
          familyName: 'future',
          help: '',
          unit: 'bytes',
        },
      ]);
    });

    it('reads samples that come before the labels', () => {
      const body = raw(w => {
        w.tag(1, 2);
        w.fork();
        w.tag(2, 2); // sample first
        w.fork();
        w.tag(1, 1);
        w.double(4);
        w.tag(2, 0);
        w.int64(-5);
        w.join();
        w.tag(1, 2);
        w.fork();
        w.tag(2, 2);
        w.string('up');
        w.tag(1, 2);
        w.string('__name__'); // value before name, too
        w.join();
        w.join();
      });
      const batch = new SeriesBatch();
      expect(decodeWriteRequestV1(body, batch).samples).toBe(1);
      expect(batch.labels[0]).toEqual(['__name__', 'up']);
      expect(batch.values[0]).toBe(4);
      expect(batch.timestamps[0]).toBe(-5);
    });

    it('reads samples as unknown-field-tolerant messages', () => {
      // Unknown fields of every valid wire type, at every level (forward compatibility),
      // and Cortex's `Source` in the reserved field 2.
      const unknowns = (w: ProtobufWriter): void => {
        w.tag(20, 0);
        w.int64(-1);
        w.tag(21, 1);
        w.double(1);
        w.tag(22, 2);
        w.string('x');
        w.tag(23, 5);
        w.fixed32(7);
      };
      const body = raw(w => {
        w.tag(2, 0);
        w.uint32(1);
        unknowns(w);
        w.tag(1, 2);
        w.fork();
        unknowns(w);
        w.tag(1, 2);
        w.fork();
        w.tag(1, 2);
        w.string('__name__');
        unknowns(w);
        w.tag(2, 2);
        w.string('up');
        w.join();
        w.tag(2, 2);
        w.fork();
        unknowns(w);
        w.tag(1, 1);
        w.double(2);
        w.join();
        w.join();
      });
      const batch = new SeriesBatch();
      expect(decodeWriteRequestV1(body, batch)).toEqual({
        series: 1,
        samples: 1,
        histograms: 0,
        exemplars: 0,
      });
      expect(batch.values[0]).toBe(2);
    });

    it('appends to a batch that already holds series', () => {
      const batch = decode({
        timeseries: [
          {
            labels: labelsOf({ __name__: 'a' }),
            samples: [{ value: 1, timestamp: 1 }],
          },
        ],
      });
      decodeWriteRequestV1(
        encodeV1Request({
          timeseries: [
            {
              labels: labelsOf({ __name__: 'b' }),
              samples: [{ value: 2, timestamp: 2 }],
            },
          ],
        }),
        batch
      );
      expect(batch.seriesCount).toBe(2);
      expect(batch.labels[1]).toEqual(['__name__', 'b']);
      expect([...batch.values.subarray(0, 2)]).toEqual([1, 2]);
    });

    it('grows the batch past its initial capacity', () => {
      const timeseries = Array.from({ length: 700 }, (_, i) => ({
        labels: labelsOf({ __name__: 'm', i: String(i) }),
        samples: [
          { value: i, timestamp: i },
          { value: -i, timestamp: i + 1 },
        ],
      }));
      const batch = decode({ timeseries });
      expect(batch.seriesCount).toBe(700);
      expect(batch.sampleCount).toBe(1400);
      expect(batch.values[1399]).toBe(-699);
      expect(batch.sampleStart[700]).toBe(1400);
    });
  });

  describe('malformed requests', () => {
    it.each([
      [
        'an empty label name',
        { '': 'x', __name__: 'up' },
        /series 0 \(up\{="x"\}\): label 0 has an empty name/,
      ],
      [
        'an empty label name with an empty value',
        { __name__: 'up', '': '' },
        /label 1 has an empty name/,
      ],
      [
        'no metric name',
        { job: 'x' },
        /series 0 \(\{job="x"\}\): no metric name/,
      ],
      [
        'an empty metric name',
        { __name__: '', job: 'x' },
        /no metric name \(label __name__ is missing or empty\)/,
      ],
    ])('refuses %s', (_, labels, message) => {
      expect(refusalOf({ timeseries: [{ labels: labelsOf(labels) }] })).toMatch(
        message
      );
    });

    it('refuses a duplicate label name and names the series', () => {
      const message = refusalOf({
        timeseries: [
          { labels: labelsOf({ __name__: 'ok' }) },
          {
            labels: [
              { name: '__name__', value: 'up' },
              { name: 'job', value: 'a' },
              { name: 'job', value: 'b' },
            ],
          },
        ],
      });
      expect(message).toBe(
        'cannot decode write request: series 1 (up{job="a",job="b"}): duplicate label name "job"'
      );
    });

    it('refuses a duplicate that an unsorted set hides', () => {
      expect(
        refusalOf({
          timeseries: [
            {
              labels: [
                { name: 'job', value: 'a' },
                { name: '__name__', value: 'up' },
                { name: 'job', value: 'b' },
              ],
            },
          ],
        })
      ).toMatch(/duplicate label name "job"/);
    });

    it('shortens a long series rendering in the message', () => {
      const message = refusalOf({
        timeseries: [{ labels: labelsOf({ job: 'x'.repeat(5000) }) }],
      });
      expect(message.length).toBeLessThan(400);
      expect(message).toMatch(/…\): no metric name/);
    });

    it('refuses invalid UTF-8 in a label value', () => {
      const body = raw(w => {
        w.tag(1, 2);
        w.fork();
        w.tag(1, 2);
        w.fork();
        w.tag(1, 2);
        w.string('__name__');
        w.tag(2, 2);
        w.bytes(new Uint8Array([0x75, 0xff, 0xfe]));
        w.join();
        w.join();
      });
      expect(refusal(body).message).toMatch(
        /series 0: cannot decode string at offset \d+: invalid UTF-8/
      );
    });

    it('refuses a body truncated anywhere', () => {
      const body = encodeV1Request({
        timeseries: [
          {
            labels: labelsOf({ __name__: 'a', job: 'x' }),
            samples: [{ value: 1, timestamp: -1 }],
            exemplars: [
              {
                labels: [{ name: 'trace_id', value: 't' }],
                value: 1,
                timestamp: 1,
              },
            ],
            histograms: [
              {
                countInt: 1,
                positiveSpans: [{ offset: 1, length: 1 }],
                positiveDeltas: [1],
              },
            ],
          },
        ],
        metadata: [{ type: 1, metricFamilyName: 'a', help: 'h', unit: 'u' }],
      });
      const metadataStart = body.lastIndexOf(0x1a);
      for (let cut = 1; cut < body.length; cut++) {
        if (cut === metadataStart) continue; // a whole series and no metadata is a valid request
        const error = refusal(body.subarray(0, cut));
        expect(error.message).toMatch(
          /cannot decode protobuf: (truncated|field of)/
        );
        expect(error.cause).toBeInstanceOf(InvalidPayloadError);
      }
    });

    it('names the series a truncation hit', () => {
      const body = encodeV1Request({
        timeseries: [
          {
            labels: labelsOf({ __name__: 'a' }),
            samples: [{ value: 1, timestamp: 1 }],
          },
          {
            labels: labelsOf({ __name__: 'b' }),
            samples: [{ value: 2, timestamp: 2 }],
          },
        ],
      });
      expect(refusal(body.subarray(0, body.length - 3)).message).toMatch(
        /^cannot decode write request: series 1: cannot decode protobuf: field of \d+ bytes at offset \d+ overruns/
      );
    });

    it.each([
      ['a group wire type', [0x0b]],
      ['wire type 6', [0x0e, 0x00]],
      ['wire type 7', [0x0f, 0x00]],
      ['field number 0', [0x02, 0x00]],
      [
        'an over-long varint',
        [
          0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
          0x01,
        ],
      ],
      ['a length past the end', [0x0a, 0x05, 0x00]],
      ['timeseries with the wrong wire type', [0x08, 0x01]],
    ])('refuses %s', (_, bytes) => {
      refusal(new Uint8Array(bytes));
    });

    it('refuses a nested field that overruns its message', () => {
      // TimeSeries of 4 bytes whose Label claims 5.
      const body = new Uint8Array([
        0x0a, 0x04, 0x0a, 0x05, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x62,
      ]);
      expect(refusal(body).message).toMatch(/overruns/);
    });

    it('refuses a sample whose value has the wrong wire type', () => {
      const body = raw(w => {
        w.tag(1, 2);
        w.fork();
        w.tag(1, 2);
        w.fork();
        w.tag(1, 2);
        w.string('__name__');
        w.tag(2, 2);
        w.string('up');
        w.join();
        w.tag(2, 2);
        w.fork();
        w.tag(1, 0); // value as a varint
        w.uint32(1);
        w.join();
        w.join();
      });
      expect(refusal(body).message).toMatch(
        /series 0: .*Sample field 1 has wire type 0/
      );
    });

    it('leaves the batch as it was when it refuses a request', () => {
      const batch = decode({
        timeseries: [
          {
            labels: labelsOf({ __name__: 'kept' }),
            samples: [{ value: 1, timestamp: 1 }],
          },
        ],
        metadata: [{ type: 1, metricFamilyName: 'kept', help: '', unit: '' }],
      });
      const bad = encodeV1Request({
        timeseries: [
          {
            labels: labelsOf({ __name__: 'partial' }),
            samples: [{ value: 2, timestamp: 2 }],
            histograms: [{ countInt: 1 }],
            exemplars: [{ value: 1 }],
          },
          { labels: labelsOf({ job: 'no-name' }) },
        ],
        metadata: [
          { type: 1, metricFamilyName: 'partial', help: '', unit: '' },
        ],
      });
      expect(() => decodeWriteRequestV1(bad, batch)).toThrow(
        InvalidPayloadError
      );
      expect(batch.seriesCount).toBe(1);
      expect(batch.sampleCount).toBe(1);
      expect(batch.histograms).toHaveLength(0);
      expect(batch.exemplars).toHaveLength(0);
      expect(batch.familyMetadata).toHaveLength(1);
      expect(batch.labels).toHaveLength(1);
      decodeWriteRequestV1(
        encodeV1Request({
          timeseries: [
            {
              labels: labelsOf({ __name__: 'next' }),
              samples: [{ value: 3, timestamp: 3 }],
            },
          ],
        }),
        batch
      );
      expect(batchToV1Object(batch).timeseries!.map(s => s.samples)).toEqual([
        [{ value: 1, timestamp: 1 }],
        [{ value: 3, timestamp: 3 }],
      ]);
    });
  });

  describe('against the protobufjs reference', () => {
    it('decodes 300 random requests as protobufjs encoded them', () => {
      const random = seededRandom(0x5eed_0001);
      for (let round = 0; round < 300; round++) {
        const request = randomV1Request(random);
        const batch = new SeriesBatch();
        const stats = decodeWriteRequestV1(encodeV1Request(request), batch);
        expect(batchToV1Object(batch)).toEqual(request);
        const series = request.timeseries!;
        expect(stats).toEqual({
          series: series.length,
          samples: series.reduce((n, s) => n + s.samples!.length, 0),
          histograms: series.reduce((n, s) => n + s.histograms!.length, 0),
          exemplars: series.reduce((n, s) => n + s.exemplars!.length, 0),
        });
      }
    });
  });
});
