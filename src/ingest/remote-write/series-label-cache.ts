/**
 * Remembers the decoded, validated label array of each series by the raw
 * bytes of its Label fields. The same series arrives every scrape interval
 * with byte-identical labels, so a hit skips string decoding and validation
 * and hands back the *same* array object, which later stages use as a key to
 * memoize their own per-series work (normalize, relabel, hashing, encoding).
 *
 * Correctness does not rest on the hash: a hit compares every byte.
 *
 * Generational, so memory follows the active series: entries live in the
 * current generation; when it fills up or ages out it becomes the previous
 * one, and a hit there moves the entry back. A series unseen for two
 * generations is forgotten (and its memoized work with it, through WeakMaps).
 */

interface CacheEntry {
  readonly key: Buffer;
  readonly labels: string[];
  next: CacheEntry | undefined;
}

export interface SeriesLabelCacheOptions {
  /** Series kept per generation before it rotates. */
  maxEntriesPerGeneration?: number;
  /** Age after which the current generation rotates even if not full. */
  generationMs?: number;
  now?: () => number;
}

const DEFAULT_MAX_ENTRIES_PER_GENERATION = 500_000;
const DEFAULT_GENERATION_MS = 10 * 60_000;

/** 32-bit FNV-1a over bytes [start, end). */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
  return hash >>> 0;
}

export class SeriesLabelCache {
  private _current = new Map<number, CacheEntry>();
  private _previous = new Map<number, CacheEntry>();
  private _currentSize = 0;
  private _generationStartMs: number;
  private readonly _maxEntries: number;
  private readonly _generationMs: number;
  private readonly _now: () => number;
  hits = 0;
  misses = 0;

  constructor(options: SeriesLabelCacheOptions = {}) {
    this._maxEntries = options.maxEntriesPerGeneration ?? DEFAULT_MAX_ENTRIES_PER_GENERATION;
    this._generationMs = options.generationMs ?? DEFAULT_GENERATION_MS;
    this._now = options.now ?? Date.now;
    this._generationStartMs = this._now();
  }

  /** Series in the current and previous generations (an entry may be in one only). */
  get size(): number {
    return this._currentSize + this._previous.size;
  }

  /**
   * The labels cached for bytes [start, end) of `body` (whose hash is
   * `hash`), or undefined. `body` must be a Buffer view of the request.
   */
  get(body: Buffer, start: number, end: number, hash: number): string[] | undefined {
    const length = end - start;
    for (let entry = this._current.get(hash); entry !== undefined; entry = entry.next) {
      if (entry.key.length === length && entry.key.compare(body, start, end) === 0) {
        this.hits++;
        return entry.labels;
      }
    }
    for (let entry = this._previous.get(hash); entry !== undefined; entry = entry.next) {
      if (entry.key.length === length && entry.key.compare(body, start, end) === 0) {
        this.hits++;
        // Still active: carry it into the current generation.
        this._insert(hash, entry.key, entry.labels);
        return entry.labels;
      }
    }
    this.misses++;
    return undefined;
  }

  /** Caches validated labels for bytes [start, end) of `body`. */
  set(body: Buffer, start: number, end: number, hash: number, labels: string[]): void {
    this._insert(hash, Buffer.from(body.subarray(start, end)), labels);
  }

  /** Rotates generations when the current one is full or old; call once per request. */
  maintain(): void {
    if (this._currentSize >= this._maxEntries || this._now() - this._generationStartMs >= this._generationMs) {
      this._previous = this._current;
      this._current = new Map();
      this._currentSize = 0;
      this._generationStartMs = this._now();
    }
  }

  private _insert(hash: number, key: Buffer, labels: string[]): void {
    this._current.set(hash, { key, labels, next: this._current.get(hash) });
    this._currentSize++;
  }
}
