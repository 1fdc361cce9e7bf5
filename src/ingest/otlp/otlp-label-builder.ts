/**
 * Builds one Prometheus label set from OTLP attributes plus fixed labels,
 * with the precedence Prometheus' OTLP translator uses (weakest first):
 * attributes → `setIfAbsent` labels (promoted resource attributes) → `set`
 * labels (scope labels, job/instance) → names the caller adds last
 * (`__name__`, `le`, `quantile`).
 *
 * Attribute keys that collide after sanitizing have their values joined with
 * `;` in the lexicographic order of the original keys (spec "Metric
 * Attributes"). Sorting costs, and collisions are rare, so attributes are
 * first added in wire order and only re-added in key order (one sort) when a
 * collision shows up.
 *
 * Linear in the labels (#11: `indexOf` per label and insertion sorts made a
 * point with 10^5 attributes cost minutes): a name is found through a Map of
 * slots, one per distinct name and stamped with the label set it belongs to,
 * so starting a set clears nothing and a point allocates no slot for names
 * seen before. One builder is reused for every point (conversion is
 * synchronous).
 */
import { sortLabels } from '../../model/index.js';
import { formatAnyValue } from '../../protocol/index.js';
import type { OtlpKeyValue } from '../../protocol/index.js';
import { sanitizeLabelName } from '../../protocol/index.js';

/** Label-name cache size; names are a small set, values are never cached. */
const MAX_CACHED_LABEL_NAMES = 4096;

/**
 * Up to this many labels, `build` sorts pairs in place by insertion (fastest
 * for the usual ten or twenty); above it, it sorts an index once.
 */
const MAX_INSERTION_SORT_LABELS = 32;

/** Where a name sits in the current label set; stale when `generation` is an older set's. */
interface NameSlot {
  generation: number;
  index: number;
}

export class OtlpLabelBuilder {
  private readonly _names: string[] = [];
  private readonly _values: string[] = [];
  private readonly _order: number[] = [];
  private readonly _nameCache = new Map<string, string>();
  private readonly _slots = new Map<string, NameSlot>();
  private _generation = 0;
  /** The attributes being sorted by key (set only during a sort). */
  private _sorting: readonly OtlpKeyValue[] = [];
  private readonly _byKey = (a: number, b: number): number => {
    const ka = this._sorting[a]!.key;
    const kb = this._sorting[b]!.key;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
  private readonly _byName = (a: number, b: number): number => {
    const na = this._names[a]!;
    const nb = this._names[b]!;
    return na < nb ? -1 : na > nb ? 1 : 0;
  };

  /** Starts a new label set. */
  reset(): void {
    this._names.length = 0;
    this._values.length = 0;
    this._generation++;
    // Bounded: slots of names no longer sent go when the map is refilled.
    if (this._slots.size > MAX_CACHED_LABEL_NAMES) this._slots.clear();
  }

  /** The Prometheus label name for an attribute key (cached). */
  labelName(key: string): string {
    let name = this._nameCache.get(key);
    if (name === undefined) {
      name = sanitizeLabelName(key);
      // Bounded by clearing: keys are few, so a refill is cheap and rare.
      if (this._nameCache.size >= MAX_CACHED_LABEL_NAMES)
        this._nameCache.clear();
      this._nameCache.set(key, name);
    }
    return name;
  }

  /** Adds attributes (empty keys and values are skipped), joining collisions. */
  addAttributes(attributes: readonly OtlpKeyValue[]): void {
    const start = this._names.length;
    if (this._addInWireOrder(attributes, start)) return;
    // Undo the wire-order pass: its names were stamped at or after `start`.
    for (let i = start; i < this._names.length; i++)
      this._slotOf(this._names[i]!).generation = -1;
    this._names.length = start;
    this._values.length = start;
    this._addInKeyOrder(attributes, start);
  }

  /** Sets a label, replacing an attribute of the same name. Empty values are ignored. */
  set(name: string, value: string): void {
    if (value === '') return;
    const slot = this._slotOf(name);
    if (slot.generation === this._generation) this._values[slot.index] = value;
    else this._push(slot, name, value);
  }

  /** Sets a label unless one of that name is already present. */
  setIfAbsent(name: string, value: string): void {
    if (value === '') return;
    const slot = this._slotOf(name);
    if (slot.generation !== this._generation) this._push(slot, name, value);
  }

  /** Adds flat `[name, value, …]` pairs with `set`. */
  setAll(pairs: readonly string[]): void {
    for (let i = 0; i < pairs.length; i += 2)
      this.set(pairs[i]!, pairs[i + 1]!);
  }

  /** Adds flat `[name, value, …]` pairs with `setIfAbsent`. */
  setAllIfAbsent(pairs: readonly string[]): void {
    for (let i = 0; i < pairs.length; i += 2)
      this.setIfAbsent(pairs[i]!, pairs[i + 1]!);
  }

  /** The labels as a new flat array sorted by name. */
  build(): string[] {
    const names = this._names;
    const values = this._values;
    const count = names.length;
    const out: string[] = new Array<string>(count * 2);
    if (count <= MAX_INSERTION_SORT_LABELS) {
      for (let i = 0; i < count; i++) {
        out[2 * i] = names[i]!;
        out[2 * i + 1] = values[i]!;
      }
      return sortLabels(out);
    }
    const order = this._order;
    order.length = count;
    for (let i = 0; i < count; i++) order[i] = i;
    order.sort(this._byName);
    for (let i = 0; i < count; i++) {
      const at = order[i]!;
      out[2 * i] = names[at]!;
      out[2 * i + 1] = values[at]!;
    }
    return out;
  }

  /** The slot of `name`, created (stale) on first sight. */
  private _slotOf(name: string): NameSlot {
    let slot = this._slots.get(name);
    if (slot === undefined) {
      slot = { generation: -1, index: 0 };
      this._slots.set(name, slot);
    }
    return slot;
  }

  private _push(slot: NameSlot, name: string, value: string): void {
    slot.generation = this._generation;
    slot.index = this._names.length;
    this._names.push(name);
    this._values.push(value);
  }

  /** Returns false, having added a prefix, when two keys collide. */
  private _addInWireOrder(
    attributes: readonly OtlpKeyValue[],
    start: number
  ): boolean {
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes[i]!;
      const name = this.labelName(attribute.key);
      if (name === '') continue;
      const value = formatAnyValue(attribute.value);
      if (value === '') continue;
      const slot = this._slotOf(name);
      if (slot.generation === this._generation) {
        if (slot.index >= start) return false;
        // Added before this call: replaced, as `set` would.
        this._values[slot.index] = value;
        continue;
      }
      this._push(slot, name, value);
    }
    return true;
  }

  private _addInKeyOrder(
    attributes: readonly OtlpKeyValue[],
    start: number
  ): void {
    const order = this._order;
    order.length = attributes.length;
    for (let i = 0; i < attributes.length; i++) order[i] = i;
    // One stable sort of indices by key (equal keys keep wire order).
    this._sorting = attributes;
    order.sort(this._byKey);
    this._sorting = [];
    for (let k = 0; k < order.length; k++) {
      const attribute = attributes[order[k]!]!;
      const name = this.labelName(attribute.key);
      if (name === '') continue;
      const value = formatAnyValue(attribute.value);
      if (value === '') continue;
      const slot = this._slotOf(name);
      if (slot.generation !== this._generation) this._push(slot, name, value);
      else if (slot.index >= start)
        this._values[slot.index] = `${this._values[slot.index]!};${value}`;
      else this._values[slot.index] = value;
    }
  }
}

/**
 * A new sorted flat label array: `base` plus `name=value` and, when given,
 * `extraName=extraValue`, each replacing a label of the same name. One pass,
 * array sized up front: it runs for every series a point produces (a
 * histogram point makes one per bucket), where slice + splice cost 3x more in
 * otlp-metrics.bench.ts.
 */
export function withLabels(
  base: readonly string[],
  name: string,
  value: string,
  extraName?: string,
  extraValue?: string
): string[] {
  // Order the (at most two) added pairs so one merge pass suffices.
  let firstName = name;
  let firstValue = value;
  let secondName = extraName;
  let secondValue = extraValue;
  if (secondName !== undefined && secondName < firstName) {
    firstName = secondName;
    firstValue = secondValue!;
    secondName = name;
    secondValue = value;
  }
  const out = new Array<string>(
    base.length + (secondName === undefined ? 2 : 4)
  );
  let n = 0;
  let pending = secondName === undefined ? 1 : 2;
  for (let i = 0; i < base.length; i += 2) {
    const label = base[i]!;
    if (pending > 0 && firstName <= label) {
      out[n++] = firstName;
      out[n++] = firstValue;
      const replaced = firstName === label;
      pending--;
      firstName = secondName!;
      firstValue = secondValue!;
      if (pending > 0 && firstName <= label) {
        out[n++] = firstName;
        out[n++] = firstValue;
        pending--;
        if (firstName === label) continue;
      }
      if (replaced) continue;
    }
    out[n++] = label;
    out[n++] = base[i + 1]!;
  }
  if (pending > 0) {
    out[n++] = firstName;
    out[n++] = firstValue;
    if (pending > 1) {
      out[n++] = secondName!;
      out[n++] = secondValue!;
    }
  }
  out.length = n;
  return out;
}
