/**
 * The n largest `[key, count]` entries of a stream, in one pass and O(n)
 * memory: what a summary keeps of a label's values or a cluster's metrics
 * when the full list would be megabytes. Ordered count desc, then key asc
 * (the cardinality API's order), so truncation is deterministic.
 */

/** Keeps the n largest [key, count] entries, count desc then key asc, in one pass. */
export class TopEntries {
  private readonly _n: number;
  readonly entries: [string, number][] = [];

  constructor(n: number) {
    this._n = n;
  }

  offer(key: string, count: number): void {
    const entries = this.entries;
    if (this._n === 0) return;
    if (entries.length === this._n) {
      const last = entries[entries.length - 1]!;
      if (!isBefore(key, count, last[0], last[1])) return;
      entries.pop();
    }
    let at = entries.length;
    while (
      at > 0 &&
      isBefore(key, count, entries[at - 1]![0], entries[at - 1]![1])
    )
      at--;
    entries.splice(at, 0, [key, count]);
  }
}

function isBefore(
  key: string,
  count: number,
  otherKey: string,
  otherCount: number
): boolean {
  return count > otherCount || (count === otherCount && key < otherKey);
}
