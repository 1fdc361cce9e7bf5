import {
  closeSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  checkRecord,
  encodeRecordHeader,
  encodeSegmentHeader,
  parseSegmentFileName,
  scanSegmentSync,
  segmentFileName,
  type ScannedRecord,
} from './segment-format.js';

function record(fragment: Uint8Array, points: number, atMs: number): Buffer {
  const header = Buffer.alloc(RECORD_HEADER_BYTES);
  encodeRecordHeader(header, fragment, points, atMs);
  return Buffer.concat([header, fragment]);
}

describe('segment format', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetgate-segment-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function scan(bytes: Buffer): {
    records: ScannedRecord[];
    validBytes: number;
    problem: string | undefined;
  } {
    const file = join(dir, segmentFileName(1));
    writeFileSync(file, bytes);
    const fd = openSync(file, 'r');
    try {
      const records: ScannedRecord[] = [];
      const result = scanSegmentSync(fd, bytes.length, r => records.push(r));
      return { records, ...result };
    } finally {
      closeSync(fd);
    }
  }

  it('names segments so that name order is id order', () => {
    expect(segmentFileName(12)).toBe('0000000000000012.seg');
    expect(parseSegmentFileName('0000000000000012.seg')).toBe(12);
    expect(parseSegmentFileName('cursor')).toBeUndefined();
    expect(parseSegmentFileName('12.seg')).toBeUndefined();
  });

  it('scans back the records it encoded', () => {
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array(0);
    const bytes = Buffer.concat([
      encodeSegmentHeader(),
      record(a, 7, 1000.5),
      record(b, 0, 2000),
    ]);
    const got = scan(bytes);
    expect(got.problem).toBeUndefined();
    expect(got.validBytes).toBe(bytes.length);
    expect(got.records).toEqual([
      {
        offset: SEGMENT_HEADER_BYTES,
        length: 3,
        points: 7,
        appendedAtMs: 1000.5,
      },
      {
        offset: SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES + 3,
        length: 0,
        points: 0,
        appendedAtMs: 2000,
      },
    ]);
  });

  it.each([
    ['a torn segment header', (good: Buffer) => good.subarray(0, 5), 0],
    [
      'a bad magic',
      (good: Buffer) => Buffer.concat([Buffer.from('NOPE'), good.subarray(4)]),
      0,
    ],
    [
      'a torn record header',
      (good: Buffer) => good.subarray(0, good.length - 3 - 10),
      SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES + 3,
    ],
    [
      'a torn record',
      (good: Buffer) => good.subarray(0, good.length - 1),
      SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES + 3,
    ],
    [
      'a zero-filled tail',
      (good: Buffer) => Buffer.concat([good, Buffer.alloc(4096)]),
      2 * (RECORD_HEADER_BYTES + 3) + SEGMENT_HEADER_BYTES,
    ],
    [
      'an implausible length',
      (good: Buffer) =>
        Buffer.concat([
          good,
          Buffer.from([255, 255, 255, 255]),
          Buffer.alloc(30),
        ]),
      2 * (RECORD_HEADER_BYTES + 3) + SEGMENT_HEADER_BYTES,
    ],
  ])('stops at %s', (_name, damage, validBytes) => {
    const good = Buffer.concat([
      encodeSegmentHeader(),
      record(new Uint8Array([1, 2, 3]), 1, 1),
      record(new Uint8Array([4, 5, 6]), 1, 2),
    ]);
    const got = scan(damage(good));
    expect(got.validBytes).toBe(validBytes);
    expect(got.problem).toBeTypeOf('string');
  });

  it('checkRecord() catches a flipped payload bit and a wrong length', () => {
    const bytes = record(new Uint8Array([9, 9, 9, 9]), 2, 5);
    expect(checkRecord(bytes, 0, 4)).toBeUndefined();
    expect(checkRecord(bytes, 0, 5)).toMatch(/length field/);
    bytes[RECORD_HEADER_BYTES + 1]! ^= 0x10;
    expect(checkRecord(bytes, 0, 4)).toMatch(/crc32 mismatch/);
  });
});
