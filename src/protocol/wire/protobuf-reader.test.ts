import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { InvalidPayloadError } from '../../errors.js';
import {
  ProtobufReader,
  RepeatedScalar,
  WireType,
  decodeUtf8,
  readRepeatedScalar,
} from './protobuf-reader.js';
import { ProtobufWriter } from './protobuf-writer.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

function written(write: (writer: ProtobufWriter) => void): Uint8Array {
  const writer = new ProtobufWriter(8);
  write(writer);
  return writer.finish().slice();
}

function reference(
  write: (writer: protobuf.Writer) => protobuf.Writer
): Uint8Array {
  return Uint8Array.from(write(protobuf.Writer.create()).finish());
}

function refused(read: () => unknown, message: RegExp): void {
  expect(read).toThrow(InvalidPayloadError);
  expect(read).toThrow(message);
}

// Values where varint encodings change length, plus ms timestamps and 2^53 limits.
const INT64_VALUES = [
  0,
  1,
  127,
  128,
  300,
  16383,
  16384,
  2 ** 21,
  2 ** 28 - 1,
  2 ** 28,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 35,
  2 ** 42,
  2 ** 49,
  2 ** 52,
  2 ** 53 - 1,
  1_700_000_000_123,
  -1,
  -2,
  -127,
  -128,
  -(2 ** 31),
  -(2 ** 31) - 1,
  -(2 ** 32),
  -(2 ** 32) - 1,
  -(2 ** 52),
  -(2 ** 53 - 1),
  -1_700_000_000_123,
];

describe('ProtobufReader', () => {
  describe('uint32()', () => {
    it.each<[number[], number]>([
      [[0x00], 0],
      [[0x01], 1],
      [[0x7f], 127],
      [[0x80, 0x01], 128],
      [[0xac, 0x02], 300],
      [[0xff, 0xff, 0xff, 0xff, 0x0f], 0xffffffff],
      // A negative int32 is sent as 10 bytes; the low 32 bits are kept.
      [
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        0xffffffff,
      ],
      [
        [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        0xfffffffe,
      ],
      // Non-minimal encodings are legal.
      [[0x81, 0x80, 0x80, 0x00], 1],
    ])('reads %j as %d', (encoded, value) => {
      const reader = new ProtobufReader(Uint8Array.from(encoded));
      expect(reader.uint32()).toBe(value);
      expect(reader.pos).toBe(encoded.length);
    });

    it('refuses a truncated varint', () => {
      refused(
        () => new ProtobufReader(bytes(0x80, 0x80)).uint32(),
        /truncated varint at offset 0/
      );
      refused(() => new ProtobufReader(bytes()).uint32(), /truncated varint/);
      refused(
        () =>
          new ProtobufReader(
            bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
          ).uint32(),
        /truncated varint/
      );
    });

    it('refuses a varint longer than 10 bytes', () => {
      refused(
        () => new ProtobufReader(new Uint8Array(11).fill(0x80)).uint32(),
        /varint longer than 10 bytes/
      );
    });
  });

  describe('int64()', () => {
    it.each(INT64_VALUES)(
      'reads %d as protobufjs wrote it, and our writer writes the same bytes',
      value => {
        const expected = reference(w => w.int64(value));
        expect(written(w => w.int64(value))).toEqual(expected);
        const reader = new ProtobufReader(expected);
        expect(reader.int64()).toBe(value);
        expect(reader.pos).toBe(expected.length);
      }
    );

    it('writes and reads negative values as 10 bytes', () => {
      expect(written(w => w.int64(-1))).toEqual(
        bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)
      );
      expect(written(w => w.int64(-(2 ** 53 - 1)))).toHaveLength(10);
    });

    it('reads the int64 extremes as the nearest doubles', () => {
      const max = bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f); // 2^63 - 1
      const min = bytes(
        0x80,
        0x80,
        0x80,
        0x80,
        0x80,
        0x80,
        0x80,
        0x80,
        0x80,
        0x01
      ); // -2^63
      expect(new ProtobufReader(max).int64()).toBe(2 ** 63);
      expect(new ProtobufReader(min).int64()).toBe(-(2 ** 63));
    });

    it('refuses a truncated or over-long varint', () => {
      refused(
        () =>
          new ProtobufReader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)).int64(),
        /truncated varint/
      );
      refused(
        () => new ProtobufReader(new Uint8Array(11).fill(0xff)).int64(),
        /varint longer than 10 bytes/
      );
    });
  });

  describe('uint64()', () => {
    it.each([0, 1, 2 ** 32, 2 ** 53 - 1])('reads %d', value => {
      expect(new ProtobufReader(reference(w => w.uint64(value))).uint64()).toBe(
        value
      );
    });

    it('reads values with the top bit set as positive', () => {
      const max = bytes(
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0x01
      ); // 2^64 - 1
      expect(new ProtobufReader(max).uint64()).toBe(2 ** 64);
    });
  });

  describe('sint32() and sint64()', () => {
    it.each([0, 1, -1, 63, -64, 64, -65, 2 ** 31 - 1, -(2 ** 31)])(
      'round trips sint32 %d against protobufjs',
      value => {
        const expected = reference(w => w.sint32(value));
        expect(written(w => w.sint32(value))).toEqual(expected);
        expect(new ProtobufReader(expected).sint32()).toBe(value);
      }
    );

    it.each([
      0,
      1,
      -1,
      2,
      -2,
      2 ** 31,
      -(2 ** 31) - 1,
      2 ** 40,
      -(2 ** 40),
      2 ** 52 - 1,
      -(2 ** 52),
    ])('round trips sint64 %d against protobufjs', value => {
      const expected = reference(w => w.sint64(value));
      expect(written(w => w.sint64(value))).toEqual(expected);
      expect(new ProtobufReader(expected).sint64()).toBe(value);
    });
  });

  describe('fixed-width fields', () => {
    it('reads double, float, fixed32 and fixed64 little-endian', () => {
      const body = reference(w =>
        w
          .double(-1.5)
          .float(0.25)
          .fixed32(0xdeadbeef)
          .fixed64(2 ** 40 + 7)
          .sfixed64(-3)
      );
      const reader = new ProtobufReader(body);
      expect(reader.double()).toBe(-1.5);
      expect(reader.float()).toBe(0.25);
      expect(reader.fixed32()).toBe(0xdeadbeef);
      expect(reader.fixed64()).toBe(2 ** 40 + 7);
      expect(reader.fixed64(true)).toBe(-3);
      expect(reader.pos).toBe(body.length);
    });

    it('keeps NaN payloads of doubles', () => {
      const body = new Uint8Array(8);
      new DataView(body.buffer).setBigUint64(0, 0x7ff0000000000002n, true);
      const value = new ProtobufReader(body).double();
      const out = new DataView(new ArrayBuffer(8));
      out.setFloat64(0, value, true);
      expect(out.getBigUint64(0, true)).toBe(0x7ff0000000000002n);
    });

    it('reads fixed64 as a bigint', () => {
      expect(
        new ProtobufReader(
          written(w => w.fixed64(2n ** 64n - 1n))
        ).fixed64BigInt()
      ).toBe(2n ** 64n - 1n);
    });

    it.each<[string, (r: ProtobufReader) => unknown]>([
      ['double', r => r.double()],
      ['fixed64', r => r.fixed64()],
      ['fixed64', r => r.fixed64BigInt()],
      ['fixed32', r => r.fixed32()],
      ['float', r => r.float()],
    ])('refuses a truncated %s', (what, read) => {
      refused(
        () => read(new ProtobufReader(bytes(1, 2, 3))),
        new RegExp(`truncated ${what} at offset 0`)
      );
    });

    it('reads within a subarray view of a larger buffer', () => {
      const backing = new Uint8Array(32);
      new DataView(backing.buffer).setFloat64(9, 42.5, true);
      expect(new ProtobufReader(backing.subarray(9, 17)).double()).toBe(42.5);
    });
  });

  describe('string()', () => {
    it.each([
      '',
      'a',
      '__name__',
      'x'.repeat(32),
      'y'.repeat(33),
      'z'.repeat(5000),
      'ünïcödé',
      '日本語のラベル値',
      '🚀 emoji 𝄞',
      '\ufeffleading byte order mark',
      'mixed ascii then ü at the end of a long string................',
      '\u0000nul\u0001',
    ])('round trips %j against protobufjs', text => {
      const expected = reference(w => w.string(text));
      expect(written(w => w.string(text))).toEqual(expected);
      const reader = new ProtobufReader(expected);
      expect(reader.string()).toBe(text);
      expect(reader.pos).toBe(expected.length);
    });

    it.each([
      ['a lone continuation byte', [0x80]],
      ['a truncated two-byte sequence', [0x61, 0xc3]],
      ['a truncated three-byte sequence', [0xe6, 0x97]],
      ['an overlong encoding', [0xc0, 0x80]],
      ['an encoded surrogate', [0xed, 0xa0, 0x80]],
      ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
      ['0xff', [0xff]],
    ])('refuses %s, short or long', (_, invalid) => {
      for (const prefix of [[], new Array<number>(40).fill(0x61)]) {
        const content = [...prefix, ...invalid];
        const body = Uint8Array.from([content.length, ...content]);
        refused(
          () => new ProtobufReader(body).string(),
          /cannot decode string at offset 1: invalid UTF-8/
        );
      }
    });

    it('refuses a length past the end of the buffer', () => {
      refused(
        () => new ProtobufReader(bytes(0x05, 0x61)).string(),
        /field of 5 bytes at offset 1 overruns the 2-byte message/
      );
    });

    it('decodes ranges of a buffer', () => {
      const buf = new TextEncoder().encode('abcüdef');
      expect(decodeUtf8(buf, 2, 5)).toBe('cü');
      expect(decodeUtf8(buf, 3, 3)).toBe('');
    });
  });

  describe('bytes()', () => {
    it('returns a view of the field', () => {
      const reader = new ProtobufReader(bytes(0x02, 0xaa, 0xbb, 0xcc));
      expect([...reader.bytes()]).toEqual([0xaa, 0xbb]);
      expect(reader.pos).toBe(3);
    });
  });

  describe('skip()', () => {
    it('skips each supported wire type', () => {
      const body = reference(w =>
        w
          .int64(-1)
          .fixed64(1)
          .bytes(Uint8Array.of(1, 2, 3))
          .fixed32(1)
          .uint32(7)
      );
      const reader = new ProtobufReader(body);
      reader.skip(WireType.VARINT);
      reader.skip(WireType.FIXED64);
      reader.skip(WireType.LENGTH_DELIMITED);
      reader.skip(WireType.FIXED32);
      expect(reader.uint32()).toBe(7);
    });

    it.each([WireType.START_GROUP, WireType.END_GROUP, 6, 7])(
      'refuses wire type %d',
      wireType => {
        refused(
          () =>
            new ProtobufReader(bytes(0, 0, 0, 0, 0, 0, 0, 0)).skip(wireType),
          new RegExp(`unsupported wire type ${wireType}`)
        );
      }
    );

    it.each([WireType.FIXED64, WireType.FIXED32, WireType.LENGTH_DELIMITED])(
      'refuses to skip past the end (wire type %d)',
      wireType => {
        refused(
          () => new ProtobufReader(bytes(0x03)).skip(wireType),
          /truncated|overruns/
        );
      }
    );
  });
});

describe('readRepeatedScalar()', () => {
  /** Reads every occurrence of field 1 in `buf` into one array. */
  function readAll(buf: Uint8Array, kind: RepeatedScalar): number[] {
    const r = new ProtobufReader(buf);
    const into: number[] = [];
    while (r.pos < buf.length) {
      readRepeatedScalar(r, r.tag(), buf.length, kind, into);
    }
    return into;
  }

  it.each([
    ['uint64', RepeatedScalar.UINT64, [0, 1, 300, 2 ** 40]],
    ['fixed64', RepeatedScalar.FIXED64, [0, 7, 2 ** 40]],
    ['double', RepeatedScalar.DOUBLE, [0.5, -1, 1e300]],
  ] as const)(
    'reads %s values packed, unpacked and mixed, like protobufjs writes them',
    (_name, kind, values) => {
      const one = (w: protobuf.Writer, v: number): protobuf.Writer =>
        kind === RepeatedScalar.UINT64
          ? w.uint64(v)
          : kind === RepeatedScalar.FIXED64
            ? w.fixed64(v)
            : w.double(v);
      const packed = reference(w => {
        w.uint32((1 << 3) | WireType.LENGTH_DELIMITED).fork();
        for (const v of values) one(w, v);
        return w.ldelim();
      });
      const unpackedType =
        kind === RepeatedScalar.UINT64 ? WireType.VARINT : WireType.FIXED64;
      const unpacked = reference(w => {
        for (const v of values) one(w.uint32((1 << 3) | unpackedType), v);
        return w;
      });
      expect(readAll(packed, kind)).toEqual(values);
      expect(readAll(unpacked, kind)).toEqual(values);
      const mixed = new Uint8Array(packed.length + unpacked.length);
      mixed.set(packed);
      mixed.set(unpacked, packed.length);
      expect(readAll(mixed, kind)).toEqual([...values, ...values]);
    }
  );

  it.each([
    [
      'a fixed64 run that is not whole elements',
      bytes(0x0a, 3, 1, 2, 3),
      RepeatedScalar.FIXED64,
      'packed fixed64 field 1 of 3 bytes at offset 2 is not a multiple of 8',
    ],
    [
      'a double run that is not whole elements',
      bytes(0x0a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0),
      RepeatedScalar.DOUBLE,
      'packed double field 1 of 9 bytes at offset 2 is not a multiple of 8',
    ],
    [
      'a varint that runs past its packed run',
      bytes(0x0a, 1, 0x80, 0x01),
      RepeatedScalar.UINT64,
      'packed varint field 1 overruns its length at offset 4',
    ],
    [
      'a wire type that is neither the element nor packed',
      bytes(0x0d, 0, 0, 0, 0),
      RepeatedScalar.DOUBLE,
      'field 1 has wire type 5, want 1 or 2 (packed) (before offset 1)',
    ],
  ])('refuses %s', (_name, buf, kind, message) => {
    expect(() => readAll(buf, kind)).toThrow(InvalidPayloadError);
    expect(() => readAll(buf, kind)).toThrow(message);
  });

  it('refuses a run longer than its enclosing message', () => {
    const r = new ProtobufReader(bytes(0x0a, 2, 1, 2));
    expect(() =>
      readRepeatedScalar(r, r.tag(), 3, RepeatedScalar.UINT64, [])
    ).toThrow('field 1 of 2 bytes at offset 2 overruns its enclosing message');
  });
});
