/**
 * The in-memory ForwardQueue: a bounded ring buffer of fragments (STYLE
 * rule 18, like undici's `fixed-queue.js`). The ring starts small and doubles
 * up to `maxFragments`, so an idle downstream costs little and a full one
 * never grows past its bound.
 */
import type { ForwardQueue, QueuedBatch } from './forward-queue.js';

const INITIAL_SLOTS = 64;

export interface MemoryForwardQueueOptions {
  /** Points (samples plus histograms) held before appends are refused. */
  readonly capacityPoints: number;
  /** Bytes held before appends are refused (bounds metadata-only fragments too). */
  readonly capacityBytes: number;
  /** Ring slots; defaults to `capacityPoints` (a fragment holds at least one point, or metadata). */
  readonly maxFragments?: number;
}

export class MemoryForwardQueue implements ForwardQueue {
  readonly capacityPoints: number;
  readonly capacityBytes: number;
  private readonly _maxFragments: number;
  private _slots: (Uint8Array | undefined)[];
  private _slotPoints: Float64Array;
  private _head = 0;
  private _count = 0;
  private _points = 0;
  private _bytes = 0;
  /** Sequence number of the head fragment (fragments are numbered in append order). */
  private _headSeq = 0;
  private _releasedSeq = 0;

  constructor(options: MemoryForwardQueueOptions) {
    this.capacityPoints = options.capacityPoints;
    this.capacityBytes = options.capacityBytes;
    this._maxFragments = Math.max(
      1,
      options.maxFragments ?? options.capacityPoints
    );
    const slots = Math.min(INITIAL_SLOTS, this._maxFragments);
    this._slots = new Array<Uint8Array | undefined>(slots).fill(undefined);
    this._slotPoints = new Float64Array(slots);
  }

  get points(): number {
    return this._points;
  }

  get bytes(): number {
    return this._bytes;
  }

  get fragmentCount(): number {
    return this._count;
  }

  get readyCount(): number {
    return this._releasedSeq - this._headSeq;
  }

  get tailSeq(): number {
    return this._headSeq + this._count;
  }

  release(seq: number): void {
    if (seq > this._releasedSeq) {
      this._releasedSeq = Math.min(seq, this.tailSeq);
    }
  }

  rollbackTo(seq: number): number {
    const from = Math.max(seq, this._releasedSeq, this._headSeq);
    const size = this._slots.length;
    let points = 0;
    while (this.tailSeq > from) {
      const at = (this._head + this._count - 1) % size;
      points += this._slotPoints[at]!;
      this._points -= this._slotPoints[at]!;
      this._bytes -= this._slots[at]!.byteLength;
      this._slots[at] = undefined;
      this._count--;
    }
    if (this._count === 0) this._head = 0;
    return points;
  }

  hasRoom(points: number, bytes: number): boolean {
    if (this._count >= this._maxFragments) return false;
    // An empty queue takes one fragment whatever its size: otherwise a
    // request bigger than a shard's capacity would be refused forever and
    // wedge its sender. The bound becomes capacity + one request.
    if (this._count === 0) return true;
    return (
      this._points + points <= this.capacityPoints &&
      this._bytes + bytes <= this.capacityBytes
    );
  }

  tryAppend(fragment: Uint8Array, points: number): boolean {
    if (!this.hasRoom(points, fragment.byteLength)) return false;
    if (this._count === this._slots.length) this._grow();
    const at = (this._head + this._count) % this._slots.length;
    this._slots[at] = fragment;
    this._slotPoints[at] = points;
    this._count++;
    this._points += points;
    this._bytes += fragment.byteLength;
    return true;
  }

  peek(maxPoints: number, maxBytes: number): Promise<QueuedBatch | undefined> {
    const ready = this._releasedSeq - this._headSeq;
    if (ready <= 0) return Promise.resolve(undefined);
    const fragments: Uint8Array[] = [];
    let points = 0;
    let bytes = 0;
    const size = this._slots.length;
    for (let k = 0; k < ready; k++) {
      const at = (this._head + k) % size;
      const fragment = this._slots[at]!;
      const fragmentPoints = this._slotPoints[at]!;
      const isFirst = k === 0;
      if (
        !isFirst &&
        (points + fragmentPoints > maxPoints ||
          bytes + fragment.byteLength > maxBytes)
      ) {
        break;
      }
      fragments.push(fragment);
      points += fragmentPoints;
      bytes += fragment.byteLength;
    }
    return Promise.resolve({ fragments, points, bytes });
  }

  commit(batch: QueuedBatch): Promise<number> {
    const count = batch.fragments.length;
    if (count > this._count || this._slots[this._head] !== batch.fragments[0]) {
      return Promise.reject(
        new Error(
          `cannot commit ${count} fragments: they are not the head of the queue (${this._count} queued)`
        )
      );
    }
    const size = this._slots.length;
    let points = 0;
    for (let k = 0; k < count; k++) {
      const at = this._head;
      points += this._slotPoints[at]!;
      this._points -= this._slotPoints[at]!;
      this._bytes -= this._slots[at]!.byteLength;
      // Let the fragment be collected now, not when the slot is reused.
      this._slots[at] = undefined;
      this._head = (at + 1) % size;
    }
    this._count -= count;
    this._headSeq += count;
    if (this._count === 0) this._head = 0;
    return Promise.resolve(points);
  }

  private _grow(): void {
    const oldSize = this._slots.length;
    const size = Math.min(this._maxFragments, oldSize * 2);
    const slots = new Array<Uint8Array | undefined>(size).fill(undefined);
    const slotPoints = new Float64Array(size);
    for (let k = 0; k < this._count; k++) {
      const from = (this._head + k) % oldSize;
      slots[k] = this._slots[from];
      slotPoints[k] = this._slotPoints[from]!;
    }
    this._slots = slots;
    this._slotPoints = slotPoints;
    this._head = 0;
  }
}
