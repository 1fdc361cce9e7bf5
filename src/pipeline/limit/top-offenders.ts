/**
 * The metrics whose new series were dropped most, per cluster, in bounded
 * memory: the Space-Saving algorithm (Metwally et al., 2005) with K
 * counters per cluster. A metric dropped more than 1/K of a cluster's drops
 * is always among them; a reported count over-estimates by at most its
 * `error` (the count it inherited when it took over an evicted entry).
 *
 * Counts are series drops since the process started (a series refused on
 * every scrape counts each time), which ranks the metrics that keep pushing
 * against a budget.
 */

export const DEFAULT_TOP_OFFENDERS = 50;

/** One tracked offender. */
export interface Offender {
  readonly metric: string;
  /** Series drops (upper bound). */
  readonly dropped: number;
  /** Maximum over-estimate of `dropped`. */
  readonly error: number;
}

interface Counter {
  count: number;
  error: number;
}

export class TopOffenders {
  private readonly _k: number;
  private readonly _maxClusters: number;
  private readonly _byCluster = new Map<string, Map<string, Counter>>();

  /**
   * @param k counters per cluster.
   * @param maxClusters clusters tracked (the index caps clusters the same way).
   */
  constructor(k = DEFAULT_TOP_OFFENDERS, maxClusters = 1_000) {
    this._k = Math.max(1, k);
    this._maxClusters = maxClusters;
  }

  /** Counts `drops` series drops of `metric` in `cluster`. */
  offer(cluster: string, metric: string, drops = 1): void {
    let counters = this._byCluster.get(cluster);
    if (counters === undefined) {
      if (this._byCluster.size >= this._maxClusters) return;
      counters = new Map();
      this._byCluster.set(cluster, counters);
    }
    const counter = counters.get(metric);
    if (counter !== undefined) {
      counter.count += drops;
      return;
    }
    if (counters.size < this._k) {
      counters.set(metric, { count: drops, error: 0 });
      return;
    }
    // Evict the smallest; the newcomer inherits its count as error (K is small: a scan is cheapest).
    let minMetric = '';
    let min: Counter | undefined;
    for (const [name, c] of counters) {
      if (min === undefined || c.count < min.count) {
        min = c;
        minMetric = name;
      }
    }
    counters.delete(minMetric);
    counters.set(metric, { count: min!.count + drops, error: min!.count });
  }

  /** Drops counted for `metric` in `cluster` (0 when not among the top). */
  droppedOf(cluster: string, metric: string): number {
    return this._byCluster.get(cluster)?.get(metric)?.count ?? 0;
  }

  /** The offenders of `cluster`, most dropped first (ties by name). */
  top(cluster: string): Offender[] {
    const counters = this._byCluster.get(cluster);
    if (counters === undefined) return [];
    const out: Offender[] = [];
    for (const [metric, c] of counters)
      out.push({ metric, dropped: c.count, error: c.error });
    out.sort(
      (a, b) =>
        b.dropped - a.dropped ||
        (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0)
    );
    return out;
  }

  /** Clusters with offenders. */
  clusters(): IterableIterator<string> {
    return this._byCluster.keys();
  }
}
