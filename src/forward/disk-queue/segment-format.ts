/**
 * The on-disk format of a queue segment, and its scanner.
 *
 * A segment is `<16-digit id>.seg`: an 8-byte header, then records back to
 * back. Every integer is little-endian.
 *
 * | bytes | field                                                       |
 * | ----- | ----------------------------------------------------------- |
 * | 0–3   | magic `FGQS`                                                |
 * | 4–7   | u32 format version (1)                                      |
 *
 * Record (20-byte header, then the fragment):
 *
 * | bytes  | field                                                      |
 * | ------ | ---------------------------------------------------------- |
 * | 0–3    | u32 fragment length `n`                                    |
 * | 4–7    | u32 CRC-32 (IEEE) of bytes 8 .. 20+n                       |
 * | 8–11   | u32 points (samples plus histograms) in the fragment       |
 * | 12–19  | f64 append time, Unix ms (for the age limit)               |
 * | 20–    | the fragment: encoded WriteRequest fields 1 and 3          |
 *
 * The CRC covers everything after itself, so a torn write, a zero-filled
 * tail (what some filesystems leave after a crash) or appended garbage is
 * caught: the scanner stops at the first record that does not verify.
 */
import { readSync } from 'node:fs';
import { crc32 } from './crc32.js';

export const SEGMENT_MAGIC = 0x53514746; // 'FGQS' read as a little-endian u32
export const SEGMENT_FORMAT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 8;
export const RECORD_HEADER_BYTES = 20;
/** Bigger length fields are corruption, not records (a send body is at most a few MiB). */
export const MAX_RECORD_FRAGMENT_BYTES = 1024 * 1024 * 1024;
/** Read size while scanning a segment on open. */
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;
const SEGMENT_NAME_RE = /^(\d{16})\.seg$/;

/** The file name of segment `id`. */
export function segmentFileName(id: number): string {
  return `${String(id).padStart(16, '0')}.seg`;
}

/** The id of a segment file name, or undefined for any other file. */
export function parseSegmentFileName(name: string): number | undefined {
  const match = SEGMENT_NAME_RE.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** The 8 bytes every segment starts with. */
export function encodeSegmentHeader(): Buffer {
  const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
  header.writeUInt32LE(SEGMENT_MAGIC, 0);
  header.writeUInt32LE(SEGMENT_FORMAT_VERSION, 4);
  return header;
}

/** Fills `header` (RECORD_HEADER_BYTES, reused by the caller) for `fragment`. */
export function encodeRecordHeader(
  header: Buffer,
  fragment: Uint8Array,
  points: number,
  appendedAtMs: number
): void {
  header.writeUInt32LE(fragment.byteLength, 0);
  header.writeUInt32LE(points, 8);
  header.writeDoubleLE(appendedAtMs, 12);
  const crc = crc32(fragment, crc32(header.subarray(8, RECORD_HEADER_BYTES)));
  header.writeUInt32LE(crc, 4);
}

/**
 * Why the record at `at` in `bytes` (header then fragment, `fragmentBytes`
 * long) does not verify, or undefined when it does.
 */
export function checkRecord(
  bytes: Uint8Array,
  at: number,
  fragmentBytes: number
): string | undefined {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.readUInt32LE(at);
  if (length !== fragmentBytes) {
    return `length field says ${length} bytes, want ${fragmentBytes}`;
  }
  const want = view.readUInt32LE(at + 4);
  const got = crc32(
    view.subarray(at + 8, at + RECORD_HEADER_BYTES + fragmentBytes)
  );
  return got === want
    ? undefined
    : `crc32 mismatch (stored ${want.toString(16)}, computed ${got.toString(16)})`;
}

/** A record found by `scanSegmentSync`. */
export interface ScannedRecord {
  /** Offset of the record header in the segment. */
  readonly offset: number;
  /** Fragment bytes. */
  readonly length: number;
  readonly points: number;
  readonly appendedAtMs: number;
}

export interface SegmentScan {
  /** Bytes of the segment that hold a good header and good records. */
  readonly validBytes: number;
  /** What is wrong at `validBytes`; undefined when the whole file is good. */
  readonly problem: string | undefined;
}

/**
 * Reads and verifies the segment open as `fd` (`fileBytes` long) from the
 * start, calling `onRecord` for each good record in order, and stops at the
 * first bad one. Synchronous: it runs on open, before the queue serves.
 */
export function scanSegmentSync(
  fd: number,
  fileBytes: number,
  onRecord: (record: ScannedRecord) => void
): SegmentScan {
  if (fileBytes < SEGMENT_HEADER_BYTES) {
    return {
      validBytes: 0,
      problem: `torn segment header (${fileBytes} of ${SEGMENT_HEADER_BYTES} bytes)`,
    };
  }
  const reader = new ChunkReader(fd, fileBytes);
  const header = reader.view(0, SEGMENT_HEADER_BYTES);
  const magic = header.readUInt32LE(0);
  const version = header.readUInt32LE(4);
  if (magic !== SEGMENT_MAGIC || version !== SEGMENT_FORMAT_VERSION) {
    return {
      validBytes: 0,
      problem: `bad segment header (magic ${magic.toString(16)}, version ${version})`,
    };
  }
  let at = SEGMENT_HEADER_BYTES;
  while (at < fileBytes) {
    const left = fileBytes - at;
    if (left < RECORD_HEADER_BYTES) {
      return {
        validBytes: at,
        problem: `torn record header (${left} of ${RECORD_HEADER_BYTES} bytes)`,
      };
    }
    const length = reader.view(at, RECORD_HEADER_BYTES).readUInt32LE(0);
    if (length > MAX_RECORD_FRAGMENT_BYTES) {
      return {
        validBytes: at,
        problem: `implausible record length ${length}`,
      };
    }
    if (RECORD_HEADER_BYTES + length > left) {
      return {
        validBytes: at,
        problem: `torn record (${left} of ${RECORD_HEADER_BYTES + length} bytes)`,
      };
    }
    const record = reader.view(at, RECORD_HEADER_BYTES + length);
    const problem = checkRecord(record, 0, length);
    if (problem !== undefined) return { validBytes: at, problem };
    onRecord({
      offset: at,
      length,
      points: record.readUInt32LE(8),
      appendedAtMs: record.readDoubleLE(12),
    });
    at += RECORD_HEADER_BYTES + length;
  }
  return { validBytes: at, problem: undefined };
}

/** Sequential reads of a file in big chunks, so small records cost no syscall each. */
class ChunkReader {
  private _buffer = Buffer.allocUnsafe(0);
  private _start = 0;
  private _end = 0;

  constructor(
    private readonly _fd: number,
    private readonly _fileBytes: number
  ) {}

  /** Bytes [at, at+length) of the file (within it); a view valid until the next call. */
  view(at: number, length: number): Buffer {
    if (at < this._start || at + length > this._end) this._fill(at, length);
    return this._buffer.subarray(at - this._start, at - this._start + length);
  }

  private _fill(at: number, length: number): void {
    const size = Math.min(
      Math.max(SCAN_CHUNK_BYTES, length),
      this._fileBytes - at
    );
    if (this._buffer.length < size) this._buffer = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const n = readSync(this._fd, this._buffer, done, size - done, at + done);
      if (n === 0) {
        throw new Error(
          `cannot read segment: end of file at ${at + done}, want ${at + size}`
        );
      }
      done += n;
    }
    this._start = at;
    this._end = at + size;
  }
}
