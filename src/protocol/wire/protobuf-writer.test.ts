import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ProtobufReader } from './protobuf-reader.js';
import { ProtobufWriter } from './protobuf-writer.js';

/** Writes field 1 = a message holding field 2 = a message holding `inner` bytes as field 3, and a trailer. */
function nested(writer: ProtobufWriter, inner: Uint8Array): void {
  writer.tag(1, 2);
  writer.fork();
  writer.tag(2, 2);
  writer.fork();
  writer.tag(3, 2);
  writer.bytes(inner);
  writer.join();
  writer.tag(4, 0);
  writer.uint32(99);
  writer.join();
  writer.tag(5, 0);
  writer.uint32(7);
}

describe('ProtobufWriter', () => {
  describe('fork() and join()', () => {
    it.each([
      0,
      1,
      100,
      120,
      127,
      128,
      200,
      16_370,
      16_384,
      20_000,
      2 ** 21 + 5,
    ])(
      'nests messages around a %d-byte body, as protobufjs reads them',
      size => {
        const inner = new Uint8Array(size);
        for (let i = 0; i < size; i++) inner[i] = i & 0xff;
        const writer = new ProtobufWriter(16);
        nested(writer, inner);
        const body = writer.finish();
        // protobufjs reads the lengths we back-filled.
        const reader = protobuf.Reader.create(body);
        expect(reader.uint32()).toBe((1 << 3) | 2);
        const outerEnd = reader.uint32() + reader.pos;
        expect(reader.uint32()).toBe((2 << 3) | 2);
        const middleEnd = reader.uint32() + reader.pos;
        expect(reader.uint32()).toBe((3 << 3) | 2);
        // Buffer.equals: toEqual walks megabytes element by element.
        expect(Buffer.from(reader.bytes()).equals(inner)).toBe(true);
        expect(reader.pos).toBe(middleEnd);
        expect(reader.uint32()).toBe((4 << 3) | 0);
        expect(reader.uint32()).toBe(99);
        expect(reader.pos).toBe(outerEnd);
        expect(reader.uint32()).toBe((5 << 3) | 0);
        expect(reader.uint32()).toBe(7);
        expect(reader.pos).toBe(body.length);
      }
    );

    it('matches protobufjs byte for byte on nested messages', () => {
      for (const size of [5, 300, 17_000]) {
        const text = 'é'.repeat(size);
        const ours = new ProtobufWriter(1);
        ours.tag(1, 2);
        ours.fork();
        ours.tag(1, 2);
        ours.string(text);
        ours.tag(2, 0);
        ours.int64(-5);
        ours.join();
        const theirs = protobuf.Writer.create();
        theirs
          .uint32(10)
          .fork()
          .uint32(10)
          .string(text)
          .uint32(16)
          .int64(-5)
          .ldelim();
        expect(ours.finish()).toEqual(Uint8Array.from(theirs.finish()));
      }
    });

    it('refuses a join without a fork', () => {
      expect(() => new ProtobufWriter().join()).toThrow(
        /no open nested message/
      );
    });
  });

  describe('string()', () => {
    it.each([0, 1, 127, 128, 300])(
      'writes an ASCII string of %d chars',
      length => {
        const text = 'a'.repeat(length);
        const writer = new ProtobufWriter(4);
        writer.string(text);
        expect(writer.finish()).toEqual(
          Uint8Array.from(protobuf.Writer.create().string(text).finish())
        );
      }
    );

    it('writes a lone surrogate as U+FFFD, which reads back valid', () => {
      const writer = new ProtobufWriter(4);
      writer.string('a\ud800b');
      expect(new ProtobufReader(writer.finish()).string()).toBe('a\ufffdb');
    });
  });

  describe('growth', () => {
    it('grows from a zero-byte initial buffer', () => {
      const writer = new ProtobufWriter(0);
      writer.tag(1, 2);
      writer.string('hello');
      writer.double(1);
      expect(writer.finish()).toHaveLength(1 + 1 + 5 + 8);
    });

    it('keeps earlier bytes when a double or fixed field grows the buffer', () => {
      const writer = new ProtobufWriter(2);
      writer.uint32(1);
      writer.double(2.5);
      writer.fixed32(3);
      writer.fixed64(4n);
      const reader = new ProtobufReader(writer.finish());
      expect([
        reader.uint32(),
        reader.double(),
        reader.fixed32(),
        reader.fixed64(),
      ]).toEqual([1, 2.5, 3, 4]);
    });

    it('starts over after reset()', () => {
      const writer = new ProtobufWriter(8);
      writer.fork();
      writer.uint32(1);
      writer.reset();
      writer.uint32(2);
      expect([...writer.finish()]).toEqual([2]);
      expect(() => writer.join()).toThrow(/no open nested message/);
    });
  });

  it('writes bool and bytes', () => {
    const writer = new ProtobufWriter(1);
    writer.bool(true);
    writer.bool(false);
    writer.bytes(Uint8Array.of(9, 8));
    expect([...writer.finish()]).toEqual([1, 0, 2, 9, 8]);
  });
});
