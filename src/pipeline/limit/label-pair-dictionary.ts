/**
 * One cluster's distinct label pairs (`name="value"`) among its active
 * series, each with a reference count = the number of active series that
 * carry it. That count is exactly what the cardinality API reports per label
 * value, so queries without a selector read it directly; series store pair
 * ids (4 bytes each) instead of strings.
 *
 * Names and pairs are freed with their last series, so the dictionary holds
 * only what the active series hold. Label values are never interned beyond
 * the life of the series that carry them (STYLE rule 16).
 */

const INITIAL_PAIRS = 256;

export class LabelPairDictionary {
  private readonly _nameIds = new Map<string, number>();
  private readonly _names: string[] = [];
  /** Name id → value → pair id; undefined for a free name id. */
  private readonly _valueIds: (Map<string, number> | undefined)[] = [];
  private readonly _freeNames: number[] = [];
  /** Pair id → name id. */
  private _pairName = new Uint32Array(INITIAL_PAIRS);
  /** Pair id → active series carrying it; 0 for a free pair id. */
  private _pairRefs = new Uint32Array(INITIAL_PAIRS);
  private readonly _pairValue: string[] = [];
  private readonly _freePairs: number[] = [];
  private _live = 0;

  /** Pair ids are below this (the high-water mark, for arrays indexed by pair id). */
  get pairIdLimit(): number {
    return this._pairValue.length;
  }

  /** Distinct live pairs. */
  get size(): number {
    return this._live;
  }

  /** Adds one reference to `name="value"`; returns its pair id. */
  acquire(name: string, value: string): number {
    let nameId = this._nameIds.get(name);
    let values: Map<string, number>;
    if (nameId === undefined) {
      nameId = this._freeNames.pop() ?? this._names.length;
      values = new Map();
      this._names[nameId] = name;
      this._valueIds[nameId] = values;
      this._nameIds.set(name, nameId);
    } else values = this._valueIds[nameId]!;
    let pair = values.get(value);
    if (pair === undefined) {
      pair = this._freePairs.pop() ?? this._newPairId();
      this._pairName[pair] = nameId;
      this._pairValue[pair] = value;
      values.set(value, pair);
      this._live++;
    }
    this._pairRefs[pair]!++;
    return pair;
  }

  /** Drops one reference; frees the pair (and its name) with the last one. */
  release(pair: number): void {
    const refs = this._pairRefs[pair]! - 1;
    this._pairRefs[pair] = refs;
    if (refs !== 0) return;
    const nameId = this._pairName[pair]!;
    const values = this._valueIds[nameId]!;
    values.delete(this._pairValue[pair]!);
    this._pairValue[pair] = '';
    this._freePairs.push(pair);
    this._live--;
    if (values.size === 0) {
      this._nameIds.delete(this._names[nameId]!);
      this._names[nameId] = '';
      this._valueIds[nameId] = undefined;
      this._freeNames.push(nameId);
    }
  }

  /** The pair id of `name="value"`, or -1. */
  pairIdOf(name: string, value: string): number {
    const nameId = this._nameIds.get(name);
    if (nameId === undefined) return -1;
    return this._valueIds[nameId]!.get(value) ?? -1;
  }

  /** The name id of `name`, or -1. */
  nameIdOf(name: string): number {
    return this._nameIds.get(name) ?? -1;
  }

  nameIdOfPair(pair: number): number {
    return this._pairName[pair]!;
  }

  nameOf(nameId: number): string {
    return this._names[nameId]!;
  }

  valueOf(pair: number): string {
    return this._pairValue[pair]!;
  }

  /** Active series carrying the pair (0 for a free id). */
  refsOf(pair: number): number {
    return this._pairRefs[pair]!;
  }

  /** Calls `fn` for each live pair of `name` (all names when undefined). */
  forEachPair(
    name: string | undefined,
    fn: (name: string, value: string, series: number) => void
  ): void {
    if (name !== undefined) {
      const nameId = this._nameIds.get(name);
      if (nameId === undefined) return;
      for (const [value, pair] of this._valueIds[nameId]!)
        fn(name, value, this._pairRefs[pair]!);
      return;
    }
    for (const [label, nameId] of this._nameIds) {
      for (const [value, pair] of this._valueIds[nameId]!)
        fn(label, value, this._pairRefs[pair]!);
    }
  }

  /** Live label names with their distinct value counts. */
  forEachName(fn: (name: string, values: number) => void): void {
    for (const [label, nameId] of this._nameIds)
      fn(label, this._valueIds[nameId]!.size);
  }

  private _newPairId(): number {
    const id = this._pairValue.length;
    this._pairValue.push('');
    if (id >= this._pairRefs.length) {
      const size = this._pairRefs.length * 2;
      const refs = new Uint32Array(size);
      refs.set(this._pairRefs);
      this._pairRefs = refs;
      const names = new Uint32Array(size);
      names.set(this._pairName);
      this._pairName = names;
    }
    return id;
  }
}
