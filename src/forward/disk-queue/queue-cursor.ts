/**
 * The consumer's committed position in a disk queue: every record before
 * (`segment`, `offset`) was sent or dropped, everything from there on is
 * still queued.
 *
 * Stored in `cursor`, a file of fixed size allocated when the queue is
 * created and then only overwritten in place (pwrite at a fixed offset,
 * then fdatasync), never replaced: overwriting allocated blocks needs no
 * free space, so the cursor still moves when the disk is full, which is
 * when the queue most needs to delete what it sent (issue 11, finding 2:
 * a write-then-rename cursor stayed at a 0-byte `cursor.tmp` on a full disk
 * and the queue never freed a byte).
 *
 * Two slots of SLOT_BYTES, written alternately, each with a sequence number
 * and a CRC-32: a torn write spoils only the slot being written, and the
 * other still holds the previous position. The reader takes the valid slot
 * with the higher sequence number.
 *
 * | bytes | slot field                                     |
 * | ----- | ---------------------------------------------- |
 * | 0–3   | magic `FGQC`                                   |
 * | 4–7   | u32 CRC-32 (IEEE) of bytes 8 .. SLOT_BYTES     |
 * | 8–11  | u32 format version (1)                         |
 * | 12–15 | reserved, zero                                 |
 * | 16–23 | f64 write sequence number                      |
 * | 24–31 | f64 segment id                                 |
 * | 32–39 | f64 byte offset in the segment                 |
 *
 * A stale cursor only ever means records are sent again (at least once):
 * segments are deleted only once the consumer is past them, so replaying
 * from an older cursor starts at or before the first unsent record.
 */
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  write,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from './crc32.js';

export const CURSOR_FILE = 'cursor';
/** Left by the write-then-rename cursor of earlier versions; removed on open. */
export const LEGACY_CURSOR_TEMP_FILE = 'cursor.tmp';
export const CURSOR_SLOT_BYTES = 40;
export const CURSOR_FILE_BYTES = 2 * CURSOR_SLOT_BYTES;
const CURSOR_MAGIC = 0x43514746; // 'FGQC' read as a little-endian u32
const CURSOR_FORMAT_VERSION = 1;
const LEGACY_FORMAT_VERSION = 1;

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

/** A position in a queue: a segment id and a byte offset in it. */
export interface QueuePosition {
  readonly segment: number;
  readonly offset: number;
}

export interface CursorRead {
  /** undefined when the queue is new, or no slot is usable (see `problem`). */
  readonly cursor: QueuePosition | undefined;
  readonly problem: string | undefined;
}

/** The open cursor file of one queue; one writer at a time (the queue coalesces writes). */
export class QueueCursorFile {
  private readonly _fd: number;
  private readonly _slot = Buffer.alloc(CURSOR_SLOT_BYTES);
  private _sequence: number;
  private _isClosed = false;

  private constructor(fd: number, sequence: number) {
    this._fd = fd;
    this._sequence = sequence;
  }

  /**
   * Opens `dir`'s cursor file, creating and allocating it for a new queue
   * (a legacy JSON cursor is converted), and reads the position in it.
   * Throws when the file cannot be opened or allocated.
   */
  static openSync(dir: string): { file: QueueCursorFile; read: CursorRead } {
    rmSync(join(dir, LEGACY_CURSOR_TEMP_FILE), { force: true });
    const path = join(dir, CURSOR_FILE);
    const fd = openSync(path, 'a+');
    closeSync(fd);
    const rw = openSync(path, 'r+');
    try {
      const size = fstatSync(rw).size;
      const bytes = Buffer.alloc(Math.min(size, 4096));
      readFully(rw, bytes);
      const legacy = size > 0 && bytes[0] === 0x7b; // '{': a JSON cursor
      const read = legacy ? parseLegacyCursor(bytes) : parseCursorSlots(bytes);
      const file = new QueueCursorFile(rw, read.sequence);
      if (legacy || size !== CURSOR_FILE_BYTES) {
        // Allocate both slots now, while there may still be room.
        file._allocateSync(read.cursor);
      }
      return {
        file,
        read: { cursor: read.cursor, problem: read.problem },
      };
    } catch (err) {
      closeSync(rw);
      throw new Error(`cannot open the queue cursor in ${dir}`, { cause: err });
    }
  }

  /**
   * Overwrites the older slot with `position`; with `isDurable`, resolves
   * after an fdatasync. Rejects on an I/O error (the previous position
   * stays readable in the other slot).
   */
  async write(position: QueuePosition, isDurable: boolean): Promise<void> {
    if (this._isClosed) {
      throw new Error('cannot write the queue cursor: the file is closed');
    }
    const sequence = this._sequence + 1;
    encodeSlot(this._slot, sequence, position);
    const at = (sequence % 2) * CURSOR_SLOT_BYTES;
    const { bytesWritten } = await writeAsync(
      this._fd,
      this._slot,
      0,
      CURSOR_SLOT_BYTES,
      at
    );
    if (bytesWritten !== CURSOR_SLOT_BYTES) {
      throw new Error(
        `cannot write the queue cursor: short write (${bytesWritten} of ${CURSOR_SLOT_BYTES} bytes)`
      );
    }
    this._sequence = sequence;
    if (isDurable) await fdatasyncAsync(this._fd);
  }

  closeSync(): void {
    if (this._isClosed) return;
    this._isClosed = true;
    closeSync(this._fd);
  }

  /** Writes the whole file: zeros (a new queue), or `position` in slot 1. */
  private _allocateSync(position: QueuePosition | undefined): void {
    const bytes = Buffer.alloc(CURSOR_FILE_BYTES);
    if (position !== undefined) {
      this._sequence = 1;
      encodeSlot(this._slot, 1, position);
      this._slot.copy(bytes, CURSOR_SLOT_BYTES);
    }
    let done = 0;
    while (done < bytes.length) {
      done += writeSync(this._fd, bytes, done, bytes.length - done, done);
    }
    ftruncateSync(this._fd, CURSOR_FILE_BYTES);
    fdatasyncSync(this._fd);
  }
}

/** Reads `dir`'s cursor without opening it for writes (tests, tools). */
export function readCursorSync(dir: string): CursorRead {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, CURSOR_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { cursor: undefined, problem: undefined };
    }
    throw new Error(`cannot read the queue cursor in ${dir}`, { cause: err });
  }
  const read =
    bytes.length > 0 && bytes[0] === 0x7b
      ? parseLegacyCursor(bytes)
      : parseCursorSlots(bytes);
  return { cursor: read.cursor, problem: read.problem };
}

/** fsync of a directory, so entries created or removed in it survive a power loss. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

interface ParsedCursor extends CursorRead {
  readonly sequence: number;
}

function encodeSlot(
  slot: Buffer,
  sequence: number,
  position: QueuePosition
): void {
  slot.fill(0);
  slot.writeUInt32LE(CURSOR_MAGIC, 0);
  slot.writeUInt32LE(CURSOR_FORMAT_VERSION, 8);
  slot.writeDoubleLE(sequence, 16);
  slot.writeDoubleLE(position.segment, 24);
  slot.writeDoubleLE(position.offset, 32);
  slot.writeUInt32LE(crc32(slot.subarray(8, CURSOR_SLOT_BYTES)), 4);
}

/** The newest valid slot; an all-zero file (allocated, never written) is a new queue. */
function parseCursorSlots(bytes: Buffer): ParsedCursor {
  if (bytes.every(b => b === 0)) {
    return { cursor: undefined, problem: undefined, sequence: 0 };
  }
  let best: ParsedCursor | undefined;
  const problems: string[] = [];
  for (let slot = 0; slot < 2; slot++) {
    const at = slot * CURSOR_SLOT_BYTES;
    const problem = checkSlot(bytes, at);
    if (problem !== undefined) {
      problems.push(`slot ${slot}: ${problem}`);
      continue;
    }
    const sequence = bytes.readDoubleLE(at + 16);
    if (best === undefined || sequence > best.sequence) {
      best = {
        cursor: {
          segment: bytes.readDoubleLE(at + 24),
          offset: bytes.readDoubleLE(at + 32),
        },
        problem: undefined,
        sequence,
      };
    }
  }
  return (
    best ?? {
      cursor: undefined,
      problem: `cursor file (${bytes.length} bytes) has no valid slot: ${problems.join('; ')}`,
      sequence: 0,
    }
  );
}

function checkSlot(bytes: Buffer, at: number): string | undefined {
  if (bytes.length < at + CURSOR_SLOT_BYTES) {
    return `torn (file ends at ${bytes.length})`;
  }
  if (bytes.readUInt32LE(at) !== CURSOR_MAGIC) return 'bad magic';
  const want = bytes.readUInt32LE(at + 4);
  const got = crc32(bytes.subarray(at + 8, at + CURSOR_SLOT_BYTES));
  if (want !== got) {
    return `crc32 mismatch (stored ${want.toString(16)}, computed ${got.toString(16)})`;
  }
  if (bytes.readUInt32LE(at + 8) !== CURSOR_FORMAT_VERSION) {
    return `unknown version ${bytes.readUInt32LE(at + 8)}`;
  }
  const sequence = bytes.readDoubleLE(at + 16);
  const segment = bytes.readDoubleLE(at + 24);
  const offset = bytes.readDoubleLE(at + 32);
  if (!isCount(sequence) || !isCount(segment) || !isCount(offset)) {
    return 'sequence, segment or offset is not a count';
  }
  return undefined;
}

/** The JSON cursor of earlier versions: `{"version":1,"segment":N,"offset":N}`. */
function parseLegacyCursor(bytes: Buffer): ParsedCursor {
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {
      cursor: undefined,
      problem: `legacy cursor file is not JSON (${text.length} bytes)`,
      sequence: 0,
    };
  }
  const record = (value ?? {}) as Record<string, unknown>;
  const segment = record['segment'];
  const offset = record['offset'];
  if (
    record['version'] !== LEGACY_FORMAT_VERSION ||
    !isCount(segment) ||
    !isCount(offset)
  ) {
    return {
      cursor: undefined,
      problem: `legacy cursor file has no valid version, segment and offset: ${text.slice(0, 200)}`,
      sequence: 0,
    };
  }
  return { cursor: { segment, offset }, problem: undefined, sequence: 0 };
}

function readFully(fd: number, buffer: Buffer): void {
  let done = 0;
  while (done < buffer.length) {
    const n = readSync(fd, buffer, done, buffer.length - done, done);
    if (n === 0) break;
    done += n;
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
