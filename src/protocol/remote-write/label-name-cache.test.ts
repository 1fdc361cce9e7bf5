import { describe, expect, it } from 'vitest';
import { ProtobufReader } from '../wire/protobuf-reader.js';
import { ProtobufWriter } from '../wire/protobuf-writer.js';
import { InvalidPayloadError } from '../../errors.js';
import { DEFAULT_REQUEST_LIMITS } from '../request-limits.js';
import { readLabelName } from './label-name-cache.js';

function field(content: string | Uint8Array): ProtobufReader {
  const writer = new ProtobufWriter(8);
  if (typeof content === 'string') writer.string(content);
  else writer.bytes(content);
  return new ProtobufReader(writer.finish().slice());
}

function read(content: string | Uint8Array): string {
  const reader = field(content);
  const name = readLabelName(reader, DEFAULT_REQUEST_LIMITS);
  expect(reader.pos).toBe(reader.buf.length);
  return name;
}

describe('readLabelName()', () => {
  it('reads names the same from the cache as on first sight', () => {
    const names = [
      '__name__',
      'job',
      'instance',
      'ñame',
      '名前',
      '',
      'x'.repeat(32),
      'y'.repeat(33),
    ];
    for (let pass = 0; pass < 3; pass++) {
      for (const name of names) expect(read(name)).toBe(name);
    }
  });

  it('tells apart names that collide in the table', () => {
    // 5000 distinct names of the same length overflow the 1024 slots many times.
    const names = Array.from(
      { length: 5000 },
      (_, i) => `label_${String(i).padStart(5, '0')}`
    );
    for (let pass = 0; pass < 2; pass++) {
      for (const name of names) expect(read(name)).toBe(name);
    }
  });

  it('refuses invalid UTF-8 every time (it is never cached)', () => {
    const invalid = Uint8Array.of(0x6a, 0xff, 0x62);
    for (let pass = 0; pass < 2; pass++) {
      expect(() =>
        readLabelName(field(invalid), DEFAULT_REQUEST_LIMITS)
      ).toThrow(InvalidPayloadError);
    }
  });

  it('refuses a length past the end', () => {
    expect(() =>
      readLabelName(
        new ProtobufReader(Uint8Array.of(0x04, 0x61)),
        DEFAULT_REQUEST_LIMITS
      )
    ).toThrow(/overruns/);
  });
});
