/**
 * One cluster's metric names interned to small ids, with the number of
 * active series of each. The active-series table stores the id (16 bits)
 * per series instead of the name.
 *
 * The set is bounded: past `maxMetrics` names, new names share the overflow
 * id, so a sender inventing metric names cannot grow it without limit (their
 * series still count, together, under OVERFLOW_METRIC_NAME). An id is freed
 * when its last series goes, so churn of names does not fill it either.
 *
 * Fleet-wide counts by name are kept in a map shared by every cluster's
 * dictionary, updated on the same add/remove (new and expired series only,
 * never per sample).
 */

/** Id of the shared bucket for names past the cap. */
export const OVERFLOW_METRIC_ID = 0;
/** Name reported for the overflow bucket. */
export const OVERFLOW_METRIC_NAME = '__overflow__';
/** Largest cap: ids are stored in a Uint16Array and 0 is the overflow id. */
export const MAX_METRIC_IDS = 0xffff;

export class MetricDictionary {
  private readonly _ids = new Map<string, number>();
  /** Id → name; OVERFLOW_METRIC_NAME at 0, '' for a free id. */
  private readonly _names: string[] = [OVERFLOW_METRIC_NAME];
  /** Id → active series. */
  private _counts = new Uint32Array(64);
  private readonly _free: number[] = [];
  private readonly _maxMetrics: number;
  private readonly _fleetCounts: Map<string, number>;

  /**
   * @param maxMetrics distinct names tracked by id (at most MAX_METRIC_IDS - 1).
   * @param fleetCounts name → active series over all clusters, shared by every dictionary.
   */
  constructor(maxMetrics: number, fleetCounts: Map<string, number>) {
    this._maxMetrics = Math.max(1, Math.min(maxMetrics, MAX_METRIC_IDS - 1));
    this._fleetCounts = fleetCounts;
  }

  /** Names with an id (the overflow bucket excluded). */
  get size(): number {
    return this._ids.size;
  }

  /**
   * The id of `name` without allocating: its id, the overflow id when the
   * dictionary is full and `name` is not in it, or -1 (a new name with room).
   */
  lookup(name: string): number {
    const id = this._ids.get(name);
    if (id !== undefined) return id;
    return this._ids.size >= this._maxMetrics ? OVERFLOW_METRIC_ID : -1;
  }

  /** Active series of an id (lookup's -1 has none). */
  countOf(id: number): number {
    return id < 0 ? 0 : this._counts[id]!;
  }

  /** The name of an id. */
  nameOf(id: number): string {
    return this._names[id]!;
  }

  /** Adds one series of `name`; returns its id (allocated if needed, or the overflow id). */
  addSeries(name: string): number {
    let id = this._ids.get(name);
    if (id === undefined) {
      if (this._ids.size >= this._maxMetrics) id = OVERFLOW_METRIC_ID;
      else {
        id = this._free.pop() ?? this._names.length;
        if (id === this._names.length) this._names.push(name);
        else this._names[id] = name;
        if (id >= this._counts.length) {
          const grown = new Uint32Array(this._counts.length * 2);
          grown.set(this._counts);
          this._counts = grown;
        }
        this._ids.set(name, id);
      }
    }
    this._counts[id]!++;
    const fleetName = this._names[id]!;
    this._fleetCounts.set(
      fleetName,
      (this._fleetCounts.get(fleetName) ?? 0) + 1
    );
    return id;
  }

  /** Removes one series of an id; frees the id with its last series. */
  removeSeries(id: number): void {
    const name = this._names[id]!;
    const left = this._counts[id]! - 1;
    this._counts[id] = left;
    const fleet = (this._fleetCounts.get(name) ?? 1) - 1;
    if (fleet <= 0) this._fleetCounts.delete(name);
    else this._fleetCounts.set(name, fleet);
    if (left === 0 && id !== OVERFLOW_METRIC_ID) {
      this._ids.delete(name);
      this._names[id] = '';
      this._free.push(id);
    }
  }

  /** Calls `fn` for every name with active series (the overflow bucket included when used). */
  forEach(fn: (name: string, series: number, id: number) => void): void {
    for (let id = 0; id < this._names.length; id++) {
      const count = this._counts[id]!;
      if (count > 0) fn(this._names[id]!, count, id);
    }
  }
}
