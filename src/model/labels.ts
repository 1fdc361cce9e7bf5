/**
 * Helpers over flat label arrays `[name0, value0, name1, value1, …]`.
 * Arrays are kept sorted by name, as remote write requires.
 */

export const METRIC_NAME_LABEL = '__name__';

/** Value of `name`, or undefined. */
export function getLabel(
  labels: readonly string[],
  name: string
): string | undefined {
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] === name) return labels[i + 1];
  }
  return undefined;
}

/** The metric name (`__name__`), or '' when missing. */
export function metricNameOf(labels: readonly string[]): string {
  return getLabel(labels, METRIC_NAME_LABEL) ?? '';
}

/** Above this many pairs, sortLabels sorts an index once instead of by insertion. */
const MAX_INSERTION_SORT_PAIRS = 32;

/**
 * Sorts pairs by name in place, stable. Insertion sort for the usual small,
 * nearly sorted sets; one O(n log n) sort above MAX_INSERTION_SORT_PAIRS, so
 * a hostile set of thousands of labels is not quadratic (#11).
 */
export function sortLabels(labels: string[]): string[] {
  if (labels.length > 2 * MAX_INSERTION_SORT_PAIRS)
    return sortManyLabels(labels);
  for (let i = 2; i < labels.length; i += 2) {
    const name = labels[i]!;
    const value = labels[i + 1]!;
    let j = i - 2;
    while (j >= 0 && labels[j]! > name) {
      labels[j + 2] = labels[j]!;
      labels[j + 3] = labels[j + 1]!;
      j -= 2;
    }
    labels[j + 2] = name;
    labels[j + 3] = value;
  }
  return labels;
}

function sortManyLabels(labels: string[]): string[] {
  const count = labels.length / 2;
  const order = new Array<number>(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((a, b) => {
    const na = labels[2 * a]!;
    const nb = labels[2 * b]!;
    return na < nb ? -1 : na > nb ? 1 : a - b;
  });
  const copy = labels.slice();
  for (let i = 0; i < count; i++) {
    labels[2 * i] = copy[2 * order[i]!]!;
    labels[2 * i + 1] = copy[2 * order[i]! + 1]!;
  }
  return labels;
}

/** Builds a flat sorted label array from a record (tests and tools; not for hot paths). */
export function labelsFromRecord(
  record: Readonly<Record<string, string>>
): string[] {
  const out: string[] = [];
  for (const name of Object.keys(record).sort()) out.push(name, record[name]!);
  return out;
}

/** The inverse of labelsFromRecord. */
export function labelsToRecord(
  labels: readonly string[]
): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < labels.length; i += 2) out[labels[i]!] = labels[i + 1]!;
  return out;
}

/**
 * A canonical key for a sorted label set: unique per set, computed once per
 * series. The separators cannot occur in valid UTF-8 label text.
 */
export function seriesKeyOf(labels: readonly string[]): string {
  let key = '';
  for (let i = 0; i < labels.length; i++) {
    key += labels[i]!;
    key += i % 2 === 0 ? '\xfe' : '\xff';
  }
  return key;
}

/** Prometheus text rendering `name{a="b",…}` for messages and logs. */
export function formatSeries(labels: readonly string[]): string {
  let name = '';
  const parts: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] === METRIC_NAME_LABEL) name = labels[i + 1]!;
    else parts.push(`${labels[i]!}=${JSON.stringify(labels[i + 1]!)}`);
  }
  return `${name}{${parts.join(',')}}`;
}
