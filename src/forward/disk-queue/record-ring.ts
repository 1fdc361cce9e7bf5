/**
 * The in-memory index of a disk queue: where each queued record lives
 * (segment id, byte offset) and what it holds (fragment length, points,
 * append time), never the bytes themselves. A ring of typed-array columns
 * (STYLE rule 18) that starts small and doubles; its size is bounded by the
 * queue's byte capacity over the 20-byte record header, and it costs 40
 * bytes per record (a 1 GiB queue of 150 KB fragments indexes in ~300 KB).
 */

const INITIAL_SLOTS = 64;

export class RecordRing {
  private _segment = new Float64Array(INITIAL_SLOTS);
  private _offset = new Float64Array(INITIAL_SLOTS);
  private _length = new Float64Array(INITIAL_SLOTS);
  private _points = new Float64Array(INITIAL_SLOTS);
  private _appendedAtMs = new Float64Array(INITIAL_SLOTS);
  private _head = 0;
  private _count = 0;

  /** Records indexed. */
  get count(): number {
    return this._count;
  }

  /** Adds a record at the tail. */
  push(
    segment: number,
    offset: number,
    length: number,
    points: number,
    appendedAtMs: number
  ): void {
    if (this._count === this._segment.length) this._grow();
    const at = (this._head + this._count) % this._segment.length;
    this._segment[at] = segment;
    this._offset[at] = offset;
    this._length[at] = length;
    this._points[at] = points;
    this._appendedAtMs[at] = appendedAtMs;
    this._count++;
  }

  /** Removes `n` records from the head (at most `count`). */
  shift(n: number): void {
    const k = Math.min(n, this._count);
    this._head = (this._head + k) % this._segment.length;
    this._count -= k;
    if (this._count === 0) this._head = 0;
  }

  /** Removes `n` records from the tail (at most `count`): appends rolled back. */
  pop(n: number): void {
    this._count -= Math.min(n, this._count);
    if (this._count === 0) this._head = 0;
  }

  /** Segment id of the `i`-th record from the head (i < count). */
  segment(i: number): number {
    return this._segment[this._slot(i)]!;
  }

  /** Byte offset of the record's header in its segment. */
  offset(i: number): number {
    return this._offset[this._slot(i)]!;
  }

  /** Fragment bytes (the record's payload, header excluded). */
  length(i: number): number {
    return this._length[this._slot(i)]!;
  }

  points(i: number): number {
    return this._points[this._slot(i)]!;
  }

  /** Unix time in ms when the record was appended. */
  appendedAtMs(i: number): number {
    return this._appendedAtMs[this._slot(i)]!;
  }

  private _slot(i: number): number {
    return (this._head + i) % this._segment.length;
  }

  private _grow(): void {
    const size = this._segment.length * 2;
    this._segment = this._unwrap(this._segment, size);
    this._offset = this._unwrap(this._offset, size);
    this._length = this._unwrap(this._length, size);
    this._points = this._unwrap(this._points, size);
    this._appendedAtMs = this._unwrap(this._appendedAtMs, size);
    this._head = 0;
  }

  /** A column copied into a new array of `size`, head first. */
  private _unwrap(
    column: Float64Array<ArrayBuffer>,
    size: number
  ): Float64Array<ArrayBuffer> {
    const out = new Float64Array(size);
    const tail = Math.min(this._count, column.length - this._head);
    out.set(column.subarray(this._head, this._head + tail), 0);
    out.set(column.subarray(0, this._count - tail), tail);
    return out;
  }
}
