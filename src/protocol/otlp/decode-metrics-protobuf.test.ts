import { describe, expect, it } from 'vitest';
import { ProtobufWriter } from '../wire/protobuf-writer.js';
import { GatewayError, InvalidPayloadError } from '../../errors.js';
import {
  createRandom,
  encodeOtlpJsonAsProtobuf,
  exampleMetricsJson,
  randomOtlpJsonRequest,
  referenceDecodeMetrics,
} from '../../../test/helpers/otlp-reference.js';
import { decodeMetricsProtobuf } from './decode-metrics-protobuf.js';
import type {
  OtlpHistogramDataPoint,
  OtlpNumberDataPoint,
} from './otlp-metrics-model.js';

const LEN = 2;
const VARINT = 0;
const I64 = 1;

/** Writes a message through `body` and returns its bytes (a copy). */
function message(body: (w: ProtobufWriter) => void): Uint8Array {
  const w = new ProtobufWriter(256);
  body(w);
  return w.finish().slice();
}

/** A request with one gauge point whose NumberDataPoint body is written by `point`. */
function gaugeRequest(
  point: (w: ProtobufWriter) => void,
  metricName = 'g'
): Uint8Array {
  return message(w => {
    w.tag(1, LEN); // resource_metrics
    w.fork();
    w.tag(2, LEN); // scope_metrics
    w.fork();
    w.tag(2, LEN); // metrics
    w.fork();
    w.tag(1, LEN);
    w.string(metricName);
    w.tag(5, LEN); // gauge
    w.fork();
    w.tag(1, LEN); // data_points
    w.fork();
    point(w);
    w.join();
    w.join();
    w.join();
    w.join();
    w.join();
  });
}

function firstGaugePoint(body: Uint8Array): OtlpNumberDataPoint {
  const data =
    decodeMetricsProtobuf(body).resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!
      .data!;
  if (data.type !== 'gauge') throw new Error('want gauge');
  return data.dataPoints[0]!;
}

function decodeError(body: Uint8Array): InvalidPayloadError {
  try {
    decodeMetricsProtobuf(body);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPayloadError);
    return err as InvalidPayloadError;
  }
  throw new Error('decode succeeded');
}

describe('decodeMetricsProtobuf()', () => {
  it('decodes an empty body as an empty request', () => {
    expect(decodeMetricsProtobuf(new Uint8Array(0))).toEqual({
      resourceMetrics: [],
    });
  });

  it('decodes the example request (sum, gauge, histogram, exponential histogram)', () => {
    const request = decodeMetricsProtobuf(
      encodeOtlpJsonAsProtobuf(exampleMetricsJson())
    );
    const rm = request.resourceMetrics[0]!;
    expect(rm.resource.attributes[0]).toEqual({
      key: 'service.name',
      value: 'my.service',
    });
    expect(rm.resource.attributes[4]).toEqual({
      key: 'host.cpu.count',
      value: 8n,
    });
    const sm = rm.scopeMetrics[0]!;
    expect(sm.scope).toEqual({
      name: 'my.library',
      version: '1.0.0',
      attributes: [
        { key: 'my.scope.attribute', value: 'some scope attribute' },
      ],
      droppedAttributesCount: 0,
    });
    expect(sm.metrics.map(m => [m.name, m.unit, m.data?.type])).toEqual([
      ['my.counter', '1', 'sum'],
      ['my.gauge', '1', 'gauge'],
      ['my.histogram', 'ms', 'histogram'],
      ['my.exponential.histogram', 's', 'exponentialHistogram'],
    ]);
    expect(sm.metrics[0]!.data).toEqual({
      type: 'sum',
      aggregationTemporality: 2,
      isMonotonic: true,
      dataPoints: [
        {
          attributes: [{ key: 'my.attr', value: 'some value' }],
          startTimeUnixMs: 1544712600300,
          timeUnixMs: 1544712660300,
          value: 5,
          isInt: false,
          flags: 0,
          exemplars: [
            {
              filteredAttributes: [],
              timeUnixMs: 1544712660300,
              value: 1.5,
              isInt: false,
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b174',
            },
          ],
        },
      ],
    });
    const histogram = sm.metrics[2]!.data!
      .dataPoints[0] as OtlpHistogramDataPoint;
    expect(histogram).toMatchObject({
      count: 3,
      sum: 7,
      bucketCounts: [1, 1, 1],
      explicitBounds: [1, 5],
      min: 0,
      max: 6,
    });
    expect(sm.metrics[3]!.data!.dataPoints[0]).toMatchObject({
      count: 3,
      sum: 10,
      scale: 0,
      zeroCount: 1,
      positive: { offset: 1, bucketCounts: [0, 2] },
      negative: { offset: 0, bucketCounts: [] },
    });
  });

  it('matches the protobufjs reference decoder on 300 random requests', () => {
    const random = createRandom(20240501);
    for (let i = 0; i < 300; i++) {
      const bytes = encodeOtlpJsonAsProtobuf(randomOtlpJsonRequest(random));
      expect(decodeMetricsProtobuf(bytes), `request ${i}`).toEqual(
        referenceDecodeMetrics(bytes)
      );
    }
  });

  it.each([
    ['0', 0],
    ['999999', 0],
    ['1000000', 1],
    ['1700000000000999999', 1700000000000],
    ['1700000000001000000', 1700000000001],
    ['9007199254740993000', 9007199254740],
    ['18446744073709551615', 18446744073709],
  ])('converts time_unix_nano %s to %i ms exactly', (nanos, ms) => {
    const point = firstGaugePoint(
      gaugeRequest(w => {
        w.tag(3, I64);
        w.fixed64(BigInt(nanos));
        w.tag(4, I64);
        w.double(1);
      })
    );
    expect(point.timeUnixMs).toBe(ms);
  });

  it('reads as_int as a signed 64-bit value', () => {
    const point = firstGaugePoint(
      gaugeRequest(w => {
        w.tag(6, I64);
        w.fixed64(-5n);
      })
    );
    expect(point).toMatchObject({ value: -5, isInt: true });
  });

  it('keeps all 64 bits of int attributes', () => {
    const request = encodeOtlpJsonAsProtobuf({
      resourceMetrics: [
        {
          resource: {
            attributes: [
              { key: 'max', value: { intValue: '9223372036854775807' } },
              { key: 'min', value: { intValue: '-9223372036854775808' } },
            ],
          },
        },
      ],
    });
    expect(
      decodeMetricsProtobuf(request).resourceMetrics[0]!.resource.attributes
    ).toEqual([
      { key: 'max', value: 9223372036854775807n },
      { key: 'min', value: -9223372036854775808n },
    ]);
  });

  it('takes the last value of a oneof seen on the wire', () => {
    const point = firstGaugePoint(
      gaugeRequest(w => {
        w.tag(4, I64);
        w.double(1.5);
        w.tag(6, I64);
        w.fixed64(7n);
      })
    );
    expect(point).toMatchObject({ value: 7, isInt: true });
  });

  it('reads bucket_counts and explicit_bounds packed and unpacked alike', () => {
    const histogram = (packed: boolean) =>
      message(w => {
        w.tag(1, LEN);
        w.fork();
        w.tag(2, LEN);
        w.fork();
        w.tag(2, LEN);
        w.fork();
        w.tag(9, LEN); // histogram
        w.fork();
        w.tag(1, LEN);
        w.fork();
        if (packed) {
          w.tag(6, LEN);
          w.uint32(16);
          w.fixed64(3n);
          w.fixed64(4n);
          w.tag(7, LEN);
          w.uint32(8);
          w.double(0.5);
        } else {
          w.tag(6, I64);
          w.fixed64(3n);
          w.tag(6, I64);
          w.fixed64(4n);
          w.tag(7, I64);
          w.double(0.5);
        }
        w.join();
        w.join();
        w.join();
        w.join();
        w.join();
      });
    const points = (body: Uint8Array) =>
      decodeMetricsProtobuf(body).resourceMetrics[0]!.scopeMetrics[0]!
        .metrics[0]!.data!.dataPoints[0];
    expect(points(histogram(true))).toMatchObject({
      bucketCounts: [3, 4],
      explicitBounds: [0.5],
    });
    expect(points(histogram(false))).toEqual(points(histogram(true)));
  });

  it('skips unknown fields of every wire type', () => {
    const plain = gaugeRequest(w => {
      w.tag(4, I64);
      w.double(2);
    });
    const withUnknown = gaugeRequest(w => {
      w.tag(99, VARINT);
      w.uint32(300);
      w.tag(98, I64);
      w.fixed64(1n);
      w.tag(97, LEN);
      w.string('future');
      w.tag(96, 5);
      w.fixed32(9);
      w.tag(4, I64);
      w.double(2);
    });
    expect(decodeMetricsProtobuf(withUnknown)).toEqual(
      decodeMetricsProtobuf(plain)
    );
  });

  it('does not keep a view of the request body', () => {
    const body = encodeOtlpJsonAsProtobuf({
      resourceMetrics: [
        {
          resource: {
            attributes: [{ key: 'b', value: { bytesValue: 'AQID' } }],
          },
        },
      ],
    });
    const request = decodeMetricsProtobuf(body);
    body.fill(0);
    expect(request.resourceMetrics[0]!.resource.attributes[0]!.value).toEqual(
      new Uint8Array([1, 2, 3])
    );
  });

  describe('malformed input', () => {
    it('throws InvalidPayloadError or decodes for every truncation of a valid body', () => {
      const body = encodeOtlpJsonAsProtobuf(exampleMetricsJson());
      for (let cut = 1; cut < body.length; cut++) {
        let error: unknown;
        try {
          decodeMetricsProtobuf(body.subarray(0, cut));
        } catch (err) {
          error = err;
        }
        // One top-level field: every cut lands inside it.
        expect(error, `cut at ${cut}`).toBeInstanceOf(InvalidPayloadError);
        expect((error as Error).message).toMatch(
          /^cannot decode OTLP metrics: /
        );
      }
    });

    it.each([
      [
        'a known field with the wrong wire type',
        [0x08, 0x01],
        /field 1 has wire type varint, want length-delimited/,
      ],
      ['a truncated varint', [0x0a, 0x80], /truncated varint/],
      ['a length past the end', [0x0a, 0x05, 0x00], /overruns/],
      [
        'a nested field overrunning its parent',
        [0x0a, 0x02, 0x12, 0x05, 0, 0, 0, 0, 0],
        /overruns its enclosing message/,
      ],
      ['a start-group wire type', [0x13], /unsupported wire type 3/],
      ['wire type 7', [0x17], /unsupported wire type 7/],
      ['field number 0', [0x00, 0x00], /invalid field number 0/],
      [
        'a varint longer than 10 bytes',
        [
          0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
          0x01,
        ],
        /varint longer than 10 bytes/,
      ],
    ])('rejects %s', (_name, bytes, want) => {
      const error = decodeError(new Uint8Array(bytes));
      expect(error.message).toMatch(/^cannot decode OTLP metrics: /);
      expect(error.message).toMatch(want);
      expect(error.httpStatus).toBe(400);
    });

    it('rejects a time_unix_nano sent as a varint', () => {
      const error = decodeError(
        gaugeRequest(w => {
          w.tag(3, VARINT);
          w.uint32(5);
        })
      );
      expect(error.message).toMatch(
        /field 3 has wire type varint, want fixed64/
      );
    });

    it('rejects invalid UTF-8 in a string with 400', () => {
      const body = gaugeRequest(() => undefined, 'ok');
      const at = body.indexOf(0x6f); // 'o' of "ok"
      body[at] = 0xff;
      const error = decodeError(body);
      expect(error.message).toMatch(/invalid UTF-8/);
      expect(error.httpStatus).toBe(400);
    });

    it('rejects an exemplar trace_id that is not 16 bytes', () => {
      const error = decodeError(
        gaugeRequest(w => {
          w.tag(5, LEN);
          w.fork();
          w.tag(5, LEN);
          w.bytes(new Uint8Array(5));
          w.join();
        })
      );
      expect(error.message).toMatch(/trace_id of 5 bytes .* want 16/);
    });

    it('rejects a packed fixed64 field whose length is not a multiple of 8', () => {
      const error = decodeError(
        message(w => {
          w.tag(1, LEN);
          w.fork();
          w.tag(2, LEN);
          w.fork();
          w.tag(2, LEN);
          w.fork();
          w.tag(9, LEN);
          w.fork();
          w.tag(1, LEN);
          w.fork();
          w.tag(6, LEN);
          w.uint32(3);
          w.uint32(1);
          w.uint32(2);
          w.uint32(3);
          w.join();
          w.join();
          w.join();
          w.join();
          w.join();
        })
      );
      expect(error.message).toMatch(/not a multiple of 8/);
    });

    it('rejects AnyValue nesting deeper than 32 levels', () => {
      let value: Record<string, unknown> = { stringValue: 'leaf' };
      for (let i = 0; i < 40; i++) value = { arrayValue: { values: [value] } };
      const body = encodeOtlpJsonAsProtobuf({
        resourceMetrics: [
          { resource: { attributes: [{ key: 'deep', value }] } },
        ],
      });
      expect(decodeError(body).message).toMatch(/nested deeper than 32/);
    });

    it('only ever throws GatewayError subclasses', () => {
      expect(() =>
        decodeMetricsProtobuf(new Uint8Array([0x0a, 0x01, 0x0b]))
      ).toThrow(GatewayError);
    });
  });
});
