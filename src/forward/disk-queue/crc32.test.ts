import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Table } from './crc32.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32()', () => {
  it.each([
    ['', 0],
    ['a', 0xe8b7be43],
    ['123456789', 0xcbf43926],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ])('gives the IEEE CRC-32 of %j', (input, want) => {
    expect(crc32(text(input))).toBe(want);
    expect(crc32Table(text(input))).toBe(want);
  });

  it('continues from a previous value like one pass over the concatenation', () => {
    const whole = randomBytes(10_000);
    const first = crc32(whole.subarray(0, 3333));
    expect(crc32(whole.subarray(3333), first)).toBe(crc32(whole));
    expect(
      crc32Table(whole.subarray(3333), crc32Table(whole.subarray(0, 3333)))
    ).toBe(crc32(whole));
  });

  it('the table fallback agrees with zlib on random data', () => {
    for (let i = 0; i < 50; i++) {
      const data = randomBytes(1 + i * 97);
      expect(crc32Table(data)).toBe(crc32(data));
    }
  });
});
