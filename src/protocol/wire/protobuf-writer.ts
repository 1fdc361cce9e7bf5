/**
 * A protobuf wire-format writer into one growable buffer, reused across
 * messages. Nested messages are written with a reserved length slot that is
 * back-filled (`fork`/`join`), so nothing is encoded twice.
 */

const encoder = new TextEncoder();
// Nested length prefixes get this many bytes up front; a message over
// 2^28 bytes would need a fifth, and then the body is moved once.
const RESERVED_LENGTH_BYTES = 4;

export class ProtobufWriter {
  buf: Uint8Array;
  pos = 0;
  private _view: DataView;
  // Open nested messages: slot offset and reserved prefix bytes, in pairs.
  private readonly _forks: number[] = [];

  constructor(initialBytes = 64 * 1024) {
    this.buf = new Uint8Array(initialBytes);
    this._view = new DataView(this.buf.buffer);
  }

  reset(): void {
    this.pos = 0;
    this._forks.length = 0;
  }

  /** The bytes written so far (a view; valid until the next write or reset). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  tag(fieldNumber: number, wireType: number): void {
    this.uint32((fieldNumber << 3) | wireType);
  }

  uint32(value: number): void {
    this._ensure(5);
    const buf = this.buf;
    let v = value >>> 0;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  /** int64 varint from a JS number (negative numbers take 10 bytes). */
  int64(value: number): void {
    if (value >= 0 && value <= 0xffffffff) {
      this.uint32(value);
      return;
    }
    this._ensure(10);
    let low: number;
    let high: number;
    if (value >= 0) {
      low = (value % 4294967296) >>> 0;
      high = Math.floor(value / 4294967296) >>> 0;
    } else {
      const abs = -value;
      low = (abs % 4294967296) >>> 0;
      high = Math.floor(abs / 4294967296) >>> 0;
      // two's complement of (high, low)
      low = ~low + 1;
      high = ~high + (low === 0 ? 1 : 0);
      low >>>= 0;
      high >>>= 0;
    }
    const buf = this.buf;
    while (high > 0 || low > 0x7f) {
      buf[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[this.pos++] = low;
  }

  sint32(value: number): void {
    this.uint32(((value << 1) ^ (value >> 31)) >>> 0);
  }

  sint64(value: number): void {
    this.int64(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  bool(value: boolean): void {
    this._ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
  }

  double(value: number): void {
    this._ensure(8);
    this._view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  fixed64(value: number | bigint): void {
    this._ensure(8);
    this._view.setBigUint64(this.pos, BigInt.asUintN(64, BigInt(value)), true);
    this.pos += 8;
  }

  fixed32(value: number): void {
    this._ensure(4);
    this._view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
  }

  /** A length-delimited UTF-8 string. */
  string(value: string): void {
    if (this.asciiString(value)) return;
    const length = value.length;
    this._ensure(length * 3 + 5);
    const start = this.pos + 5;
    const { written } = encoder.encodeInto(value, this.buf.subarray(start));
    this._placeLength(start, written);
  }

  /**
   * Writes a length-delimited string if it is ASCII and under 128 chars (one
   * length byte), checking and copying in one pass; returns false, having
   * written nothing, otherwise. Label names and values nearly always are.
   */
  asciiString(value: string): boolean {
    const length = value.length;
    if (length >= 128) return false;
    this._ensure(length + 1);
    const buf = this.buf;
    const start = this.pos + 1;
    for (let i = 0; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) return false;
      buf[start + i] = code;
    }
    buf[this.pos] = length;
    this.pos = start + length;
    return true;
  }

  /** Appends already-encoded protobuf bytes as they are (no length prefix). */
  raw(value: Uint8Array): void {
    this._ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  bytes(value: Uint8Array): void {
    this.uint32(value.length);
    this._ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /**
   * Starts a nested message, reserving `reserveBytes` for its length. Reserve
   * what the body's length usually needs (2 bytes: under 16 KiB) and `join`
   * moves the body only when the guess was wrong.
   */
  fork(reserveBytes = RESERVED_LENGTH_BYTES): void {
    this._ensure(reserveBytes);
    this._forks.push(this.pos, reserveBytes);
    this.pos += reserveBytes;
  }

  /** Ends the innermost nested message and writes its length. */
  join(): void {
    const reserved = this._forks.pop();
    const slot = this._forks.pop();
    if (slot === undefined || reserved === undefined)
      throw new Error('cannot join: no open nested message');
    const bodyStart = slot + reserved;
    const length = this.pos - bodyStart;
    const prefix = varintSize(length);
    if (prefix !== reserved) {
      if (prefix > reserved) this._ensure(prefix - reserved);
      this.buf.copyWithin(slot + prefix, bodyStart, this.pos);
      this.pos += prefix - reserved;
    }
    let v = length;
    let at = slot;
    while (v > 0x7f) {
      this.buf[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[at] = v;
  }

  /** Moves `written` bytes encoded at `start` to right after their length prefix. */
  private _placeLength(start: number, written: number): void {
    const prefix = varintSize(written);
    const lengthAt = this.pos;
    this.uint32(written);
    if (this.pos !== start)
      this.buf.copyWithin(this.pos, start, start + written);
    this.pos = lengthAt + prefix + written;
  }

  private _ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    // max(…, 64): a writer built with 0 initial bytes must still grow.
    let size = Math.max(this.buf.length * 2, 64);
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this._view = new DataView(next.buffer);
  }
}

function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}
