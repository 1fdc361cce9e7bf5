/**
 * Pooled Uint32 storage of each active series' label pair ids, so the
 * active-series index can give a series' pairs back on expiry (keeping the
 * label statistics exact) without one JS array per series.
 *
 * A chunk is `[n, id0, …, id(n-1)]` at a 32-bit offset: page `offset >>> 16`,
 * word `offset & 0xffff`. Pages of 64 Ki words are allocated as needed and
 * never copied, so growing costs no transient double buffer and wastes at
 * most the tail of the current page; a chunk never straddles two pages.
 * Freed chunks go on a free list per length n (a cluster's series churn
 * within the same shapes, so exact-size reuse is the common case); a free
 * chunk's second word links to the next. Offset 0 is never handed out, so 0
 * can mean "no chunk". `wastedWords` tells the owner when compacting pays.
 */

const PAGE_BITS = 16;
/** Words per page. */
export const PAIR_POOL_PAGE_WORDS = 1 << PAGE_BITS;
const PAGE_MASK = PAIR_POOL_PAGE_WORDS - 1;
const NONE = 0;

export class PairPool {
  private readonly _pages: Uint32Array[] = [];
  /** Next never-used word, as an offset. */
  private _top = 1;
  /** Length n → head of its free list (0 = empty). */
  private readonly _freeHeads: number[] = [];
  private _freeWords = 0;
  private _liveWords = 0;

  /** Words in freed chunks not yet reused. */
  get wastedWords(): number {
    return this._freeWords;
  }

  /** Words in live chunks. */
  get liveWords(): number {
    return this._liveWords;
  }

  /** Bytes of the pages. */
  get byteLength(): number {
    return this._pages.length * PAIR_POOL_PAGE_WORDS * 4;
  }

  /** The page holding the chunk at `offset`; index it with `offset & 0xffff` onwards. */
  pageOf(offset: number): Uint32Array {
    return this._pages[offset >>> PAGE_BITS]!;
  }

  /** A chunk for n ids (its first word set to n); fill the n words after it. */
  alloc(n: number): number {
    const words = chunkWords(n);
    if (words > PAIR_POOL_PAGE_WORDS)
      throw new RangeError(`cannot store ${n} label pairs in one chunk`);
    this._liveWords += words;
    const head = this._freeHeads[n];
    if (head !== undefined && head !== NONE) {
      this._freeHeads[n] = this.pageOf(head)[(head & PAGE_MASK) + 1]!;
      this._freeWords -= words;
      return head;
    }
    let offset = this._top;
    // Start a new page when the chunk would straddle the page end (or no page exists).
    if (
      offset >>> PAGE_BITS >= this._pages.length ||
      (offset & PAGE_MASK) + words > PAIR_POOL_PAGE_WORDS
    ) {
      offset = this._pages.length << PAGE_BITS;
      if (offset === 0) offset = 1;
      this._pages.push(new Uint32Array(PAIR_POOL_PAGE_WORDS));
    }
    this._top = offset + words;
    this.pageOf(offset)[offset & PAGE_MASK] = n;
    return offset;
  }

  /** Returns a chunk to its free list. */
  free(offset: number): void {
    const page = this.pageOf(offset);
    const at = offset & PAGE_MASK;
    const n = page[at]!;
    page[at + 1] = this._freeHeads[n] ?? NONE;
    this._freeHeads[n] = offset;
    const words = chunkWords(n);
    this._freeWords += words;
    this._liveWords -= words;
  }

  /** Copies a chunk of `from` into this pool; returns its new offset. */
  copyFrom(from: PairPool, offset: number): number {
    const source = from.pageOf(offset);
    const at = offset & PAGE_MASK;
    const n = source[at]!;
    const to = this.alloc(n);
    this.pageOf(to).set(
      source.subarray(at + 1, at + 1 + n),
      (to & PAGE_MASK) + 1
    );
    return to;
  }
}

/** Words of a chunk of n ids: the count plus the ids, at least 2 (a free chunk's link). */
function chunkWords(n: number): number {
  return n < 1 ? 2 : n + 1;
}
