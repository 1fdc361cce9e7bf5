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
 * first added in wire order and only re-added in key order when a collision
 * shows up.
 *
 * One builder is reused for every point (conversion is synchronous).
 */
import { sortLabels } from '../../model/labels.js';
import { formatAnyValue } from './format-any-value.js';
import type { OtlpKeyValue } from './otlp-metrics-model.js';
import { sanitizeLabelName } from './prometheus-naming.js';

/** Label-name cache size; names are a small set, values are never cached. */
const MAX_CACHED_LABEL_NAMES = 4096;

export class OtlpLabelBuilder {
  private readonly _names: string[] = [];
  private readonly _values: string[] = [];
  private readonly _order: number[] = [];
  private readonly _nameCache = new Map<string, string>();

  /** Starts a new label set. */
  reset(): void {
    this._names.length = 0;
    this._values.length = 0;
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
    this._names.length = start;
    this._values.length = start;
    this._addInKeyOrder(attributes);
  }

  /** Sets a label, replacing an attribute of the same name. Empty values are ignored. */
  set(name: string, value: string): void {
    if (value === '') return;
    const at = this._names.indexOf(name);
    if (at === -1) {
      this._names.push(name);
      this._values.push(value);
    } else {
      this._values[at] = value;
    }
  }

  /** Sets a label unless one of that name is already present. */
  setIfAbsent(name: string, value: string): void {
    if (value === '' || this._names.includes(name)) return;
    this._names.push(name);
    this._values.push(value);
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
    const out: string[] = new Array<string>(this._names.length * 2);
    for (let i = 0; i < this._names.length; i++) {
      out[2 * i] = this._names[i]!;
      out[2 * i + 1] = this._values[i]!;
    }
    return sortLabels(out);
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
      if (this._names.indexOf(name, start) !== -1) return false;
      this._names.push(name);
      this._values.push(value);
    }
    return true;
  }

  private _addInKeyOrder(attributes: readonly OtlpKeyValue[]): void {
    const order = this._order;
    order.length = 0;
    // Insertion sort of indices by key: attribute lists are short.
    for (let i = 0; i < attributes.length; i++) {
      const key = attributes[i]!.key;
      let j = order.length - 1;
      while (j >= 0 && attributes[order[j]!]!.key > key) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = i;
    }
    const start = this._names.length;
    for (let k = 0; k < order.length; k++) {
      const attribute = attributes[order[k]!]!;
      const name = this.labelName(attribute.key);
      if (name === '') continue;
      const value = formatAnyValue(attribute.value);
      if (value === '') continue;
      const at = this._names.indexOf(name, start);
      if (at === -1) {
        this._names.push(name);
        this._values.push(value);
      } else {
        this._values[at] = `${this._values[at]!};${value}`;
      }
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
