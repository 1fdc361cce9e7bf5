/**
 * Remembers the decoded, validated label array of each series by a key: for
 * remote write 1.0 the raw bytes of its Label fields; for 2.0, whose label
 * bytes sit in a per-request symbol table, the ids `symbols` gives its label
 * symbols, in the order sent (see decode-write-request-v2.ts). The two kinds
 * of key live in separate maps, so both versions may share one cache.
 * The same series arrives every scrape interval
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
import { hashBytes } from './hash-bytes.js';
import { SymbolIdTable } from './symbol-id-table.js';

export { hashBytes };

interface CacheEntry {
  readonly key: Buffer;
  readonly labels: string[];
  next: CacheEntry | undefined;
}

interface IdsEntry {
  readonly ids: number[];
  readonly labels: string[];
  next: IdsEntry | undefined;
}

export interface SeriesLabelCacheOptions {
  /** Series (and 2.0 symbols) kept per generation before it rotates. */
  maxEntriesPerGeneration?: number;
  /** Age after which the current generation rotates even if not full. */
  generationMs?: number;
  /**
   * New series one request may add; the rest of a request's new series are
   * decoded uncached. Bounds what one extreme request pins (issue #11,
   * finding 5), while a sender whose requests are merely large still gets
   * every series cached within a few requests.
   */
  maxNewEntriesPerRequest?: number;
  now?: () => number;
}

const DEFAULT_MAX_ENTRIES_PER_GENERATION = 500_000;
const DEFAULT_GENERATION_MS = 10 * 60_000;
// Five times Prometheus' default max_samples_per_send, vmagent's block size.
const DEFAULT_MAX_NEW_ENTRIES_PER_REQUEST = 10_000;

export class SeriesLabelCache {
  private _current = new Map<number, CacheEntry>();
  private _previous = new Map<number, CacheEntry>();
  private _currentByIds = new Map<number, IdsEntry>();
  private _previousByIds = new Map<number, IdsEntry>();
  private _currentSize = 0;
  private _newThisRequest = 0;
  private _generationStartMs: number;
  private readonly _maxEntries: number;
  private readonly _maxNewPerRequest: number;
  private readonly _generationMs: number;
  private readonly _now: () => number;
  /** Ids of remote write 2.0 symbols, rotated with the series. */
  readonly symbols = new SymbolIdTable();
  hits = 0;
  misses = 0;

  constructor(options: SeriesLabelCacheOptions = {}) {
    this._maxEntries =
      options.maxEntriesPerGeneration ?? DEFAULT_MAX_ENTRIES_PER_GENERATION;
    this._generationMs = options.generationMs ?? DEFAULT_GENERATION_MS;
    this._maxNewPerRequest =
      options.maxNewEntriesPerRequest ?? DEFAULT_MAX_NEW_ENTRIES_PER_REQUEST;
    this._now = options.now ?? Date.now;
    this._generationStartMs = this._now();
  }

  /** Series in the current and previous generations (an entry may be in one only). */
  get size(): number {
    return this._currentSize + this._previous.size + this._previousByIds.size;
  }

  /**
   * The labels cached for bytes [start, end) of `body` (whose hash is
   * `hash`), or undefined. `body` is a Buffer: a view of the request, or
   * scratch space a key was written to.
   */
  get(
    body: Buffer,
    start: number,
    end: number,
    hash: number
  ): string[] | undefined {
    const length = end - start;
    for (
      let entry = this._current.get(hash);
      entry !== undefined;
      entry = entry.next
    ) {
      if (
        entry.key.length === length &&
        entry.key.compare(body, start, end) === 0
      ) {
        this.hits++;
        return entry.labels;
      }
    }
    for (
      let entry = this._previous.get(hash);
      entry !== undefined;
      entry = entry.next
    ) {
      if (
        entry.key.length === length &&
        entry.key.compare(body, start, end) === 0
      ) {
        this.hits++;
        // Still active: carry it into the current generation.
        this._insert(hash, entry.key, entry.labels);
        return entry.labels;
      }
    }
    this.misses++;
    return undefined;
  }

  /**
   * Caches validated labels for bytes [start, end) of `body` (copied: `body`
   * may be reused), unless this request has added its share of new series.
   */
  set(
    body: Buffer,
    start: number,
    end: number,
    hash: number,
    labels: string[]
  ): void {
    if (this._newThisRequest >= this._maxNewPerRequest) return;
    this._newThisRequest++;
    this._insert(hash, Buffer.from(body.subarray(start, end)), labels);
  }

  /**
   * The labels cached for the remote write 2.0 key `ids[0, count)`, symbol
   * ids from `symbols` (whose hash is `hash`), or undefined.
   */
  getByIds(
    ids: readonly number[],
    count: number,
    hash: number
  ): string[] | undefined {
    // Compared here, not natively: a key is ~20 numbers, and a call into
    // Buffer#compare would cost more than the whole loop.
    for (
      let entry = this._currentByIds.get(hash);
      entry !== undefined;
      entry = entry.next
    ) {
      if (isSameIds(entry.ids, ids, count)) {
        this.hits++;
        return entry.labels;
      }
    }
    for (
      let entry = this._previousByIds.get(hash);
      entry !== undefined;
      entry = entry.next
    ) {
      if (isSameIds(entry.ids, ids, count)) {
        this.hits++;
        this._insertByIds(hash, entry.ids, entry.labels);
        return entry.labels;
      }
    }
    this.misses++;
    return undefined;
  }

  /** Caches validated labels for the 2.0 key `ids[0, count)` (copied: `ids` may be reused), as `set` does. */
  setByIds(
    ids: readonly number[],
    count: number,
    hash: number,
    labels: string[]
  ): void {
    if (this._newThisRequest >= this._maxNewPerRequest) return;
    this._newThisRequest++;
    this._insertByIds(hash, ids.slice(0, count), labels);
  }

  /**
   * Starts a request: rotates generations when the current one is full or
   * old, and renews the request's share of new series. Call once per request.
   */
  maintain(): void {
    this._newThisRequest = 0;
    if (
      this._currentSize >= this._maxEntries ||
      this.symbols.currentSize >= this._maxEntries ||
      this._now() - this._generationStartMs >= this._generationMs
    ) {
      this._previous = this._current;
      this._current = new Map();
      this._previousByIds = this._currentByIds;
      this._currentByIds = new Map();
      this._currentSize = 0;
      this._generationStartMs = this._now();
      this.symbols.rotate();
    }
  }

  private _insert(hash: number, key: Buffer, labels: string[]): void {
    this._current.set(hash, { key, labels, next: this._current.get(hash) });
    this._currentSize++;
  }

  private _insertByIds(hash: number, ids: number[], labels: string[]): void {
    this._currentByIds.set(hash, {
      ids,
      labels,
      next: this._currentByIds.get(hash),
    });
    this._currentSize++;
  }
}

function isSameIds(
  key: readonly number[],
  ids: readonly number[],
  count: number
): boolean {
  if (key.length !== count) return false;
  for (let i = 0; i < count; i++) if (key[i] !== ids[i]) return false;
  return true;
}
