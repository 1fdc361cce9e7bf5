/**
 * Why this file is long: one case per wire rule of the 2.0 decoder, and the malformed inputs it must refuse.
 */
import { describe, expect, it } from 'vitest';
import { ProtobufWriter } from '../wire/protobuf-writer.js';
import { InvalidPayloadError } from '../../errors.js';
import {
  MetricType,
  SeriesBatch,
  type MetricMetadata,
} from '../../model/index.js';
import {
  STALE_NAN,
  batchToV1Object,
  encodeV1Request,
  encodeV2Request,
  float64Bits,
  randomV2Request,
  seededRandom,
  type RequestV2Object,
  type WriteRequestV1Object,
} from '../../../test/helpers/remote-write-reference.js';
import { decodeWriteRequestV1 } from './decode-write-request-v1.js';
import { decodeWriteRequestV2 } from './decode-write-request-v2.js';
import { SeriesLabelCache } from './series-label-cache.js';

function decode(request: RequestV2Object): SeriesBatch {
  const batch = new SeriesBatch();
  decodeWriteRequestV2(encodeV2Request(request), batch);
  return batch;
}

function refusal(body: Uint8Array, cache?: SeriesLabelCache): string {
  const batch = new SeriesBatch();
  try {
    decodeWriteRequestV2(body, batch, cache);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPayloadError);
    expect((err as InvalidPayloadError).httpStatus).toBe(400);
    expect(batch.seriesCount).toBe(0);
    const { message } = err as InvalidPayloadError;
    expect(message).toMatch(/^cannot decode write request: /);
    return message;
  }
  throw new Error('expected the request to be refused');
}

const refusalOf = (request: RequestV2Object): string =>
  refusal(encodeV2Request(request));

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// symbols: 0 '', 1 __name__, 2 up, 3 job, 4 node, 5 help, 6 seconds, 7 trace_id, 8 abc, 9 instance, 10 a
const SYMBOLS = [
  '',
  '__name__',
  'up',
  'job',
  'node',
  'Whether the target is up.',
  'seconds',
  'trace_id',
  'abc',
  'instance',
  'a',
];

/** What the batch should hold for a request, in batchToV1Object(…, true) form. */
function expectedOf(request: RequestV2Object): WriteRequestV1Object {
  const symbols = request.symbols!;
  const pairs = (refs: number[]): { name: string; value: string }[] => {
    const out = [];
    for (let i = 0; i < refs.length; i += 2)
      out.push({ name: symbols[refs[i]!]!, value: symbols[refs[i + 1]!]! });
    return out;
  };
  return {
    timeseries: request.timeseries!.map(series => ({
      labels: pairs(series.labelsRefs!),
      samples: series.samples!.map(s => ({ ...s })),
      exemplars: series.exemplars!.map(e => ({
        labels: pairs(e.labelsRefs!),
        value: e.value!,
        timestamp: e.timestamp!,
      })),
      histograms: series.histograms!.map(h => ({ ...h })),
    })),
    metadata: [],
  };
}

function expectedMetadataOf(
  request: RequestV2Object
): (MetricMetadata | undefined)[] {
  const symbols = request.symbols!;
  return request.timeseries!.map(series => {
    const { type = 0, helpRef = 0, unitRef = 0 } = series.metadata ?? {};
    if (
      series.metadata === undefined ||
      (type === 0 && helpRef === 0 && unitRef === 0)
    )
      return undefined;
    const nameAt = series.labelsRefs!.findIndex(
      (ref, i) => i % 2 === 0 && symbols[ref] === '__name__'
    );
    return {
      type: type as MetricType,
      familyName: symbols[series.labelsRefs![nameAt + 1]!]!,
      help: symbols[helpRef]!,
      unit: symbols[unitRef]!,
    };
  });
}

describe('decodeWriteRequestV2()', () => {
  describe('valid requests', () => {
    it('resolves labels through the symbol table and keeps start timestamps', () => {
      const batch = new SeriesBatch();
      const stats = decodeWriteRequestV2(
        encodeV2Request({
          symbols: SYMBOLS,
          timeseries: [
            {
              labelsRefs: [1, 2, 3, 4],
              samples: [
                { value: 1, timestamp: 2000, startTimestamp: 1000 },
                { value: STALE_NAN, timestamp: 3000 },
              ],
              exemplars: [{ labelsRefs: [7, 8], value: 1, timestamp: 1500 }],
              metadata: { type: MetricType.GAUGE, helpRef: 5, unitRef: 6 },
            },
          ],
        }),
        batch
      );
      expect(stats).toEqual({
        series: 1,
        samples: 2,
        histograms: 0,
        exemplars: 1,
      });
      expect(batch.labels[0]).toEqual(['__name__', 'up', 'job', 'node']);
      expect([...batch.timestamps.subarray(0, 2)]).toEqual([2000, 3000]);
      expect([...batch.startTimestamps.subarray(0, 2)]).toEqual([1000, 0]);
      expect(float64Bits(batch.values[1]!)).toBe(0x7ff0000000000002n);
      expect(batch.exemplars[0]).toEqual({
        labels: ['trace_id', 'abc'],
        value: 1,
        timestampMs: 1500,
      });
      expect(batch.metadata[0]).toEqual({
        type: MetricType.GAUGE,
        familyName: 'up',
        help: SYMBOLS[5],
        unit: 'seconds',
      });
      expect(batch.familyMetadata).toEqual([]);
    });

    it('decodes histograms with their start timestamp', () => {
      const batch = new SeriesBatch();
      const stats = decodeWriteRequestV2(
        encodeV2Request({
          symbols: SYMBOLS,
          timeseries: [
            {
              labelsRefs: [1, 2],
              histograms: [
                {
                  countInt: 3,
                  sum: 1.5,
                  schema: 3,
                  positiveSpans: [{ offset: 0, length: 2 }],
                  positiveDeltas: [1, 1],
                  timestamp: 10,
                  startTimestamp: -1,
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
        histograms: 1,
        exemplars: 0,
      });
      expect(batch.histograms[0]).toMatchObject({
        countInt: 3,
        sum: 1.5,
        schema: 3,
        positiveDeltas: [1, 1],
        timestampMs: 10,
        startTimestampMs: -1,
      });
    });

    it('shares one metadata object per family within a request', () => {
      const batch = decode({
        symbols: SYMBOLS,
        timeseries: [
          {
            labelsRefs: [1, 2, 3, 4],
            metadata: { type: MetricType.GAUGE, helpRef: 5 },
          },
          {
            labelsRefs: [1, 2, 3, 10],
            metadata: { type: MetricType.GAUGE, helpRef: 5 },
          },
          { labelsRefs: [1, 4], metadata: { type: MetricType.COUNTER } },
          {
            labelsRefs: [1, 2, 9, 10],
            metadata: { type: MetricType.COUNTER, helpRef: 5 },
          },
          { labelsRefs: [1, 10], metadata: {} },
          { labelsRefs: [1, 8] },
        ],
      });
      expect(batch.metadata[0]).toBe(batch.metadata[1]);
      expect(batch.metadata[2]).toEqual({
        type: MetricType.COUNTER,
        familyName: 'node',
        help: '',
        unit: '',
      });
      // Same family, different metadata: its own object, the first stays shared.
      expect(batch.metadata[3]).toEqual({
        type: MetricType.COUNTER,
        familyName: 'up',
        help: SYMBOLS[5],
        unit: '',
      });
      expect(batch.metadata[3]).not.toBe(batch.metadata[0]);
      expect(batch.metadata[4]).toBeUndefined();
      expect(batch.metadata[5]).toBeUndefined();
    });

    it('reads symbols that come after the series', () => {
      const series = encodeV2Request({
        timeseries: [
          { labelsRefs: [1, 2, 3, 4], samples: [{ value: 7, timestamp: 1 }] },
        ],
      });
      const symbols = encodeV2Request({ symbols: SYMBOLS });
      const batch = new SeriesBatch();
      expect(decodeWriteRequestV2(concat(series, symbols), batch).samples).toBe(
        1
      );
      expect(batch.labels[0]).toEqual(['__name__', 'up', 'job', 'node']);
    });

    it('numbers symbols across several symbols fields between series', () => {
      const body = concat(
        encodeV2Request({ symbols: ['', '__name__'] }),
        encodeV2Request({ timeseries: [{ labelsRefs: [1, 2, 3, 4] }] }),
        encodeV2Request({ symbols: ['up', 'job'] }),
        encodeV2Request({ timeseries: [{ labelsRefs: [1, 4] }] }),
        encodeV2Request({ symbols: ['node'] })
      );
      const batch = new SeriesBatch();
      decodeWriteRequestV2(body, batch);
      expect(batch.labels).toEqual([
        ['__name__', 'up', 'job', 'node'],
        ['__name__', 'node'],
      ]);
    });

    it('accepts unpacked labels_refs, and sorts and drops empty values', () => {
      const writer = new ProtobufWriter(16);
      for (const symbol of SYMBOLS) {
        writer.tag(4, 2);
        writer.string(symbol);
      }
      writer.tag(5, 2);
      writer.fork();
      for (const ref of [3, 4, 9, 0, 1, 2]) {
        writer.tag(1, 0);
        writer.uint32(ref);
      }
      writer.join();
      const batch = new SeriesBatch();
      decodeWriteRequestV2(writer.finish(), batch);
      expect(batch.labels[0]).toEqual(['__name__', 'up', 'job', 'node']);
    });

    it('skips unknown fields and the reserved fields 1-3', () => {
      const writer = new ProtobufWriter(16);
      writer.tag(1, 2);
      writer.string('a v1 timeseries would be here');
      writer.tag(4, 2);
      writer.string('');
      writer.tag(99, 0);
      writer.uint32(1);
      const body = concat(
        writer.finish(),
        encodeV2Request({
          symbols: ['__name__', 'up'],
          timeseries: [{ labelsRefs: [1, 2] }],
        })
      );
      const batch = new SeriesBatch();
      expect(decodeWriteRequestV2(body, batch).series).toBe(1);
      expect(batch.labels[0]).toEqual(['__name__', 'up']);
    });

    it('decodes a request without symbols or series', () => {
      expect(
        decodeWriteRequestV2(new Uint8Array(0), new SeriesBatch())
      ).toEqual({ series: 0, samples: 0, histograms: 0, exemplars: 0 });
      expect(decode({ symbols: ['', 'unused'] }).seriesCount).toBe(0);
    });
  });

  describe('malformed requests', () => {
    it.each<[string, RequestV2Object, RegExp]>([
      [
        'symbols[0] that is not empty',
        {
          symbols: ['x', '__name__', 'up'],
          timeseries: [{ labelsRefs: [1, 2] }],
        },
        /symbols\[0\] must be the empty string, got "x"/,
      ],
      [
        'a label ref out of range',
        {
          symbols: SYMBOLS,
          timeseries: [{ labelsRefs: [1, 2] }, { labelsRefs: [1, 11] }],
        },
        /series 1: label ref 11 is out of range \(the request has 11 symbols\)/,
      ],
      [
        'labels refs without symbols',
        { timeseries: [{ labelsRefs: [1, 2] }] },
        /series 0: label ref 1 is out of range \(the request has 0 symbols\)/,
      ],
      [
        'an odd labels_refs length',
        { symbols: SYMBOLS, timeseries: [{ labelsRefs: [1, 2, 3] }] },
        /series 0: labels_refs has an odd length \(3\)/,
      ],
      [
        'an empty label name',
        { symbols: SYMBOLS, timeseries: [{ labelsRefs: [1, 2, 0, 4] }] },
        /series 0 \(up\{="node"\}\): label 1 has an empty name/,
      ],
      [
        'a duplicate label name',
        { symbols: SYMBOLS, timeseries: [{ labelsRefs: [3, 4, 1, 2, 3, 10] }] },
        /series 0 \(up\{job="\w+",job="\w+"\}\): duplicate label name "job"/,
      ],
      [
        'a series without a metric name',
        { symbols: SYMBOLS, timeseries: [{ labelsRefs: [3, 4] }] },
        /series 0 \(\{job="node"\}\): no metric name/,
      ],
      [
        'a series without labels',
        { symbols: SYMBOLS, timeseries: [{ samples: [{ value: 1 }] }] },
        /series 0 \(\{\}\): no metric name/,
      ],
      [
        'a help ref out of range',
        {
          symbols: SYMBOLS,
          timeseries: [
            { labelsRefs: [1, 2], metadata: { type: 1, helpRef: 50 } },
          ],
        },
        /series 0: help ref 50 is out of range/,
      ],
      [
        'a unit ref out of range',
        {
          symbols: SYMBOLS,
          timeseries: [{ labelsRefs: [1, 2], metadata: { unitRef: 50 } }],
        },
        /series 0: unit ref 50 is out of range/,
      ],
      [
        'an exemplar label ref out of range',
        {
          symbols: SYMBOLS,
          timeseries: [
            { labelsRefs: [1, 2], exemplars: [{ labelsRefs: [7, 70] }] },
          ],
        },
        /series 0: exemplar label ref 70 is out of range/,
      ],
      [
        'an odd exemplar labels_refs length',
        {
          symbols: SYMBOLS,
          timeseries: [
            { labelsRefs: [1, 2], exemplars: [{ labelsRefs: [7] }] },
          ],
        },
        /series 0: exemplar labels_refs has an odd length \(1\)/,
      ],
      [
        'a series with samples and histograms',
        {
          symbols: SYMBOLS,
          timeseries: [
            {
              labelsRefs: [1, 2, 3, 4],
              samples: [{ value: 1 }, { value: 2 }],
              histograms: [{ countInt: 1 }],
            },
          ],
        },
        /series 0 \(up\{job="node"\}\): carries both samples \(2\) and histograms \(1\)/,
      ],
    ])('refuses %s', (_, request, message) => {
      expect(refusalOf(request)).toMatch(message);
    });

    it('refuses invalid UTF-8 in a symbol and names it', () => {
      const writer = new ProtobufWriter(16);
      writer.tag(4, 2);
      writer.string('');
      writer.tag(4, 2);
      writer.bytes(new Uint8Array([0xc3, 0x28]));
      expect(refusal(writer.finish())).toMatch(
        /^cannot decode write request: symbol 1: cannot decode string at offset 4: invalid UTF-8/
      );
    });

    it('refuses a body truncated anywhere', () => {
      const body = encodeV2Request({
        symbols: SYMBOLS,
        timeseries: [
          {
            labelsRefs: [1, 2, 3, 4],
            samples: [{ value: 1, timestamp: -1, startTimestamp: 5 }],
            exemplars: [{ labelsRefs: [7, 8], value: 1 }],
            metadata: { type: 1, helpRef: 5 },
          },
        ],
      });
      for (let cut = 1; cut < body.length; cut++) {
        // Cutting between symbols leaves a valid prefix until refs point past it.
        let message: string | undefined;
        try {
          decodeWriteRequestV2(body.subarray(0, cut), new SeriesBatch());
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidPayloadError);
          message = (err as Error).message;
        }
        if (cut > body.length - 40)
          expect(message).toMatch(
            /^cannot decode write request: series 0: cannot decode protobuf: /
          );
      }
    });

    it('refuses a series whose packed labels_refs overrun it', () => {
      // A 3-byte TimeSeries whose packed refs claim 3 bytes, running into the next (empty) series;
      // 50 symbols keep the refs read on the way in range.
      const symbols = ['', ...Array.from({ length: 49 }, (_, i) => `s${i}`)];
      const body = concat(
        encodeV2Request({ symbols }),
        new Uint8Array([0x2a, 0x03, 0x0a, 0x03, 0x01, 0x2a, 0x00])
      );
      expect(refusal(body)).toMatch(
        /series 0: cannot decode protobuf: .*overruns/
      );
    });

    it('refuses a known field with the wrong wire type', () => {
      // timeseries (5) as a varint
      expect(refusal(new Uint8Array([0x28, 0x01]))).toMatch(
        /Request field 5 has wire type 0/
      );
    });
  });

  describe('with a SeriesLabelCache', () => {
    /** `up{job=…, pod=…}` per pod, the symbols in first-use order (or reversed). */
    function podsRequest(
      pods: string[],
      options: { reversedSymbols?: boolean; value?: number; job?: string } = {}
    ): Uint8Array {
      const texts = ['__name__', 'up', 'job', options.job ?? 'api'];
      for (const pod of pods) texts.push('pod', pod);
      const unique = [...new Set(texts)];
      if (options.reversedSymbols === true) unique.reverse();
      const symbols = ['', ...unique];
      const ref = (text: string): number => symbols.indexOf(text);
      return encodeV2Request({
        symbols,
        timeseries: pods.map(pod => ({
          labelsRefs: [
            ref('__name__'),
            ref('up'),
            ref('job'),
            ref(options.job ?? 'api'),
            ref('pod'),
            ref(pod),
          ],
          samples: [{ value: options.value ?? 1, timestamp: 1000 }],
          metadata: { type: MetricType.GAUGE, helpRef: ref('up') },
        })),
      });
    }

    it('hands out the same stable array for a series under another symbol table', () => {
      const cache = new SeriesLabelCache();
      const first = new SeriesBatch();
      decodeWriteRequestV2(podsRequest(['a', 'b']), first, cache);
      const second = new SeriesBatch();
      decodeWriteRequestV2(
        podsRequest(['b', 'a'], { reversedSymbols: true, value: 2 }),
        second,
        cache
      );
      expect(second.labels[0]).toBe(first.labels[1]);
      expect(second.labels[1]).toBe(first.labels[0]);
      expect(second.labels[0]).toEqual([
        '__name__',
        'up',
        'job',
        'api',
        'pod',
        'b',
      ]);
      expect([...first.stable.subarray(0, 2)]).toEqual([1, 1]);
      expect([...second.stable.subarray(0, 2)]).toEqual([1, 1]);
      expect([...second.values.subarray(0, 2)]).toEqual([2, 2]);
      // Metadata is still resolved on a hit.
      expect(second.metadata[0]).toEqual({
        type: MetricType.GAUGE,
        familyName: 'up',
        help: 'up',
        unit: '',
      });
      expect(cache.misses).toBe(2);
      expect(cache.hits).toBe(2);
    });

    it('misses when a label value changes', () => {
      const cache = new SeriesLabelCache();
      const first = new SeriesBatch();
      decodeWriteRequestV2(podsRequest(['a']), first, cache);
      const second = new SeriesBatch();
      decodeWriteRequestV2(podsRequest(['a'], { job: 'apj' }), second, cache);
      expect(second.labels[0]).not.toBe(first.labels[0]);
      expect(second.labels[0]).toEqual([
        '__name__',
        'up',
        'job',
        'apj',
        'pod',
        'a',
      ]);
      expect(second.stable[0]).toBe(1);
      expect(cache.hits).toBe(0);
      expect(cache.misses).toBe(2);
    });

    it('keys by labels, not by how a pair splits into names and values', () => {
      // {a="bc"} and {ab="c"}: the same bytes in a row, different labels.
      const cache = new SeriesLabelCache();
      const symbols = ['', '__name__', 'up', 'a', 'bc', 'ab', 'c'];
      const batch = new SeriesBatch();
      decodeWriteRequestV2(
        encodeV2Request({
          symbols,
          timeseries: [
            { labelsRefs: [1, 2, 3, 4] },
            { labelsRefs: [1, 2, 5, 6] },
          ],
        }),
        batch,
        cache
      );
      expect(batch.labels[1]).toEqual(['__name__', 'up', 'ab', 'c']);
      expect(cache.hits).toBe(0);
    });

    it('shares a cache with the 1.0 decoder, each version under its own keys', () => {
      const v1Body = (): Uint8Array =>
        encodeV1Request({
          timeseries: [
            {
              labels: [
                { name: '__name__', value: 'up' },
                { name: 'job', value: 'api' },
                { name: 'pod', value: 'a' },
              ],
              samples: [{ value: 1, timestamp: 1000 }],
            },
          ],
        });
      const cache = new SeriesLabelCache();
      const batch = new SeriesBatch();
      decodeWriteRequestV1(v1Body(), batch, cache);
      decodeWriteRequestV2(podsRequest(['a']), batch, cache);
      decodeWriteRequestV1(v1Body(), batch, cache);
      decodeWriteRequestV2(
        podsRequest(['a'], { reversedSymbols: true }),
        batch,
        cache
      );
      expect(batch.labels[1]).toEqual(batch.labels[0]);
      expect(batch.labels[2]).toBe(batch.labels[0]);
      expect(batch.labels[3]).toBe(batch.labels[1]);
      expect(cache.misses).toBe(2);
      expect(cache.hits).toBe(2);
    });

    it('forgets series and symbols unseen for two generations', () => {
      let now = 0;
      const cache = new SeriesLabelCache({
        generationMs: 1000,
        now: () => now,
      });
      const old = new SeriesBatch();
      decodeWriteRequestV2(podsRequest(['old']), old, cache);
      now = 1000;
      decodeWriteRequestV2(podsRequest(['new']), new SeriesBatch(), cache);
      const carried = new SeriesBatch();
      decodeWriteRequestV2(podsRequest(['old']), carried, cache);
      // Still known one generation on, and carried into the current one.
      expect(carried.labels[0]).toBe(old.labels[0]);
      now = 2000;
      decodeWriteRequestV2(podsRequest(['new']), new SeriesBatch(), cache);
      now = 3000;
      decodeWriteRequestV2(podsRequest(['new']), new SeriesBatch(), cache);
      const again = new SeriesBatch();
      decodeWriteRequestV2(podsRequest(['old']), again, cache);
      expect(again.labels[0]).not.toBe(old.labels[0]);
      expect(again.labels[0]).toEqual(old.labels[0]);
      expect(again.stable[0]).toBe(1);
    });

    it('caches nothing for labels it refuses', () => {
      const cache = new SeriesLabelCache();
      const body = encodeV2Request({
        symbols: SYMBOLS,
        timeseries: [{ labelsRefs: [3, 4] }],
      });
      expect(refusal(body, cache)).toMatch(
        /series 0 \(\{job="node"\}\): no metric name/
      );
      expect(refusal(body, cache)).toMatch(
        /series 0 \(\{job="node"\}\): no metric name/
      );
      expect(cache.hits).toBe(0);
      expect(cache.size).toBe(0);
    });

    describe.each([
      ['a cold', (): SeriesLabelCache => new SeriesLabelCache()],
      [
        'a warm',
        (): SeriesLabelCache => {
          const cache = new SeriesLabelCache();
          decodeWriteRequestV2(
            encodeV2Request({
              symbols: SYMBOLS,
              timeseries: [{ labelsRefs: [1, 2, 3, 4] }],
            }),
            new SeriesBatch(),
            cache
          );
          return cache;
        },
      ],
    ])('on %s cache', (_, newCache) => {
      it('refuses invalid UTF-8 in a symbol no series uses', () => {
        const writer = new ProtobufWriter(256);
        for (const symbol of SYMBOLS) {
          writer.tag(4, 2);
          writer.string(symbol);
        }
        writer.tag(4, 2);
        writer.bytes(new Uint8Array([0x61, 0xc3, 0x28]));
        const body = concat(
          writer.finish().slice(),
          encodeV2Request({ timeseries: [{ labelsRefs: [1, 2, 3, 4] }] })
        );
        expect(refusal(body, newCache())).toMatch(
          /^cannot decode write request: symbol 11: cannot decode string at offset \d+: invalid UTF-8/
        );
      });

      it('refuses a label ref out of range', () => {
        const body = encodeV2Request({
          symbols: SYMBOLS,
          timeseries: [
            { labelsRefs: [1, 2, 3, 4] },
            { labelsRefs: [1, 2, 3, 11] },
          ],
        });
        expect(refusal(body, newCache())).toMatch(
          /^cannot decode write request: series 1: label ref 11 is out of range \(the request has 11 symbols\)/
        );
      });

      it('refuses a series whose known labels come with samples and histograms', () => {
        const body = encodeV2Request({
          symbols: SYMBOLS,
          timeseries: [
            {
              labelsRefs: [1, 2, 3, 4],
              samples: [{ value: 1 }],
              histograms: [{ countInt: 1 }],
            },
          ],
        });
        expect(refusal(body, newCache())).toMatch(
          /series 0 \(up\{job="node"\}\): carries both samples \(1\) and histograms \(1\)/
        );
      });
    });

    it('accepts exactly the UTF-8 it accepts without a cache', () => {
      // Edge cases of UTF-8, then random bytes biased towards multi-byte forms.
      const cases: number[][] = [
        [0xef, 0xbb, 0xbf, 0x61], // BOM, kept
        [0xc2, 0x80],
        [0xc1, 0xbf], // overlong
        [0xe0, 0x80, 0xaf], // overlong
        [0xed, 0x9f, 0xbf],
        [0xed, 0xa0, 0x80], // surrogate
        [0xf4, 0x8f, 0xbf, 0xbf],
        [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
        [0xf0, 0x9f, 0x98], // truncated
        [0x61, 0x80], // stray continuation
        [0xff],
      ];
      const random = seededRandom(0x07f8);
      const high = [0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5];
      for (let i = 0; i < 500; i++) {
        cases.push(
          Array.from({ length: 1 + Math.floor(random() * 6) }, () =>
            random() < 0.7
              ? high[Math.floor(random() * high.length)]!
              : Math.floor(random() * 256)
          )
        );
      }
      const cache = new SeriesLabelCache();
      const outcome = (
        body: Uint8Array,
        withCache?: SeriesLabelCache
      ): unknown => {
        const batch = new SeriesBatch();
        try {
          decodeWriteRequestV2(body, batch, withCache);
        } catch (err) {
          return (err as Error).message;
        }
        return batch.labels[0];
      };
      let refused = 0;
      for (const bytes of cases) {
        const writer = new ProtobufWriter(64);
        for (const symbol of ['', '__name__', 'up', 'v']) {
          writer.tag(4, 2);
          writer.string(symbol);
        }
        writer.tag(4, 2);
        writer.bytes(new Uint8Array(bytes));
        const body = concat(
          writer.finish().slice(),
          encodeV2Request({ timeseries: [{ labelsRefs: [1, 2, 3, 4] }] })
        );
        const plain = outcome(body);
        if (typeof plain === 'string') refused++;
        expect(outcome(body, cache)).toEqual(plain);
        expect(outcome(body, cache)).toEqual(plain);
      }
      expect(refused).toBeGreaterThan(50);
      expect(refused).toBeLessThan(cases.length - 20);
    });

    it('decodes 300 random requests as it does without a cache', () => {
      const random = seededRandom(0x5eed_0003);
      const cache = new SeriesLabelCache();
      const bodies = Array.from({ length: 150 }, () =>
        encodeV2Request(randomV2Request(random))
      );
      // Each body twice: misses first, hits the second time round.
      for (const body of [...bodies, ...bodies]) {
        const plain = new SeriesBatch();
        decodeWriteRequestV2(body, plain);
        const cached = new SeriesBatch();
        decodeWriteRequestV2(body, cached, cache);
        expect(batchToV1Object(cached, true)).toEqual(
          batchToV1Object(plain, true)
        );
        expect(cached.metadata.slice(0, cached.seriesCount)).toEqual(
          plain.metadata.slice(0, plain.seriesCount)
        );
      }
      expect(cache.hits).toBeGreaterThan(0);
    });
  });

  describe('against the protobufjs reference', () => {
    it('decodes 300 random requests as protobufjs encoded them', () => {
      const random = seededRandom(0x5eed_0002);
      for (let round = 0; round < 300; round++) {
        const request = randomV2Request(random);
        const batch = new SeriesBatch();
        const stats = decodeWriteRequestV2(encodeV2Request(request), batch);
        expect(batchToV1Object(batch, true)).toEqual(expectedOf(request));
        expect(batch.metadata.slice(0, batch.seriesCount)).toEqual(
          expectedMetadataOf(request)
        );
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
