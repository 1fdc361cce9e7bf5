/**
 * Answers of the cardinality API, computed from the active-series index in
 * Mimir's shapes (PROTOCOLS.md §2.15):
 * - label names: `{label_values_count_total, label_names_count,
 *   cardinality: [{label_name, label_values_count}]}`, names sorted by
 *   values count desc, then name asc;
 * - label values: `{series_count_total, labels: [{label_name,
 *   label_values_count, series_count, cardinality: [{label_value,
 *   series_count}]}]}`, labels by series count desc then name asc, values by
 *   series count desc then value asc; requested names without values are
 *   left out (as Mimir's ingesters do);
 * plus the top metrics by active series with their budget use.
 *
 * Sources:
 * - One replica (store not shared): exact, from the local index. Without a
 *   selector, counts come straight from the pair dictionaries; with one, the
 *   cluster tables are scanned (tens of ms per million series).
 * - Several replicas (shared store), no selector: this replica's live
 *   summary merged with the other replicas' published summaries
 *   (cardinality-summary.ts), summed per cluster. That is exact when each
 *   series is seen by one replica (the load balancer routes a cluster to one
 *   replica, docs/architecture.md "Replicas and routing"); a series seen by two replicas
 *   (e.g. for one active window after a failover) counts twice. Every
 *   replica computes the same answer from the same summaries, up to one
 *   publish interval of staleness. Value lists are truncated to the top
 *   SUMMARY_VALUES_PER_NAME per label and cluster; the distinct counts stay
 *   exact per cluster and are summed across clusters where lists are truncated.
 * - Several replicas with a selector: summaries cannot answer it, so the
 *   answer covers this replica's series only (`isReplicaScoped` tells the
 *   handler, which says so in a response header).
 */
import type { ActiveSeriesIndex } from './active-series-index.js';
import type { SnapshotExchange } from '../../state/snapshot/index.js';
import {
  mergeCardinalitySummaries,
  summarizeIndex,
  type ClusterSummary,
} from './cardinality-summary.js';
import type { EffectiveLimits } from './cluster-limits.js';
import type { LabelMatcher } from './series-selector.js';
import type { SeriesTable } from './series-table.js';
import type { TopOffenders } from './top-offenders.js';

/** Largest `limit` accepted (Mimir's). */
export const MAX_QUERY_LIMIT = 500;
/** `limit` when none is given (Mimir's). */
export const DEFAULT_QUERY_LIMIT = 20;
/** Label names per label_values request at most (Mimir's default). */
export const MAX_LABEL_NAMES_PER_QUERY = 100;

export interface LabelNamesCardinality {
  label_values_count_total: number;
  label_names_count: number;
  cardinality: { label_name: string; label_values_count: number }[];
}

export interface LabelValuesCardinality {
  series_count_total: number;
  labels: {
    label_name: string;
    label_values_count: number;
    series_count: number;
    cardinality: { label_value: string; series_count: number }[];
  }[];
}

export interface MetricCardinality {
  metric: string;
  series: number;
  /** The metric's budget: per cluster `max_series_per_metric`, fleet-wide `max_series_per_metric_fleet` (0 = unlimited). */
  limit: number;
  /** series / limit, rounded to 4 decimals; null when unlimited. */
  utilization: number | null;
  /** New series dropped by a budget (top-K offenders; 0 when not among them). */
  dropped_series: number;
}

export interface MetricsCardinality {
  /** The cluster asked for, or null for the fleet. */
  cluster: string | null;
  metrics: MetricCardinality[];
}

export interface CardinalityQuery {
  /** Only this cluster (undefined: the fleet). */
  readonly cluster?: string | undefined;
  readonly matchers: readonly LabelMatcher[];
  readonly limit: number;
}

export interface MetricsQuery {
  readonly cluster?: string | undefined;
  readonly limit: number;
  /** Order: by active series (default) or by dropped series. */
  readonly sort: 'series' | 'dropped';
}

/** What the queries read; CardinalityLimiter provides it. */
export interface CardinalitySource {
  readonly index: ActiveSeriesIndex;
  readonly offenders: TopOffenders;
  /** The summaries exchanged with other replicas; undefined when not shared. */
  readonly summaries:
    SnapshotExchange<ReadonlyMap<string, ClusterSummary>> | undefined;
  readonly defaultLimits: EffectiveLimits;
  limitsOf(cluster: string): EffectiveLimits;
}

/** Per label name: value → series, plus distinct values beyond the listed ones (truncated summaries). */
interface NameStats {
  values: Map<string, number>;
  unlisted: number;
  series: number;
}

export class CardinalityQueries {
  private readonly _source: CardinalitySource;
  private readonly _now: () => number;

  constructor(source: CardinalitySource, now: () => number = Date.now) {
    this._source = source;
    this._now = now;
  }

  /** Whether an answer covers only this replica's series (shared store and a selector). */
  isReplicaScoped(matchers: readonly LabelMatcher[]): boolean {
    return this._isShared() && matchers.length > 0;
  }

  async labelNames(query: CardinalityQuery): Promise<LabelNamesCardinality> {
    const { stats } = await this._collect(query, undefined);
    const items: { label_name: string; label_values_count: number }[] = [];
    let total = 0;
    for (const [name, s] of stats) {
      const count = s.values.size + s.unlisted;
      if (count === 0) continue;
      items.push({ label_name: name, label_values_count: count });
      total += count;
    }
    items.sort(
      (a, b) =>
        b.label_values_count - a.label_values_count ||
        compareText(a.label_name, b.label_name)
    );
    return {
      label_values_count_total: total,
      label_names_count: items.length,
      cardinality: items.slice(0, query.limit),
    };
  }

  async labelValues(
    query: CardinalityQuery & { readonly labelNames: readonly string[] }
  ): Promise<LabelValuesCardinality> {
    const { stats, seriesTotal } = await this._collect(
      query,
      new Set(query.labelNames)
    );
    const labels: LabelValuesCardinality['labels'] = [];
    for (const [name, s] of stats) {
      if (s.values.size + s.unlisted === 0) continue;
      const values: { label_value: string; series_count: number }[] = [];
      for (const [value, series] of s.values)
        values.push({ label_value: value, series_count: series });
      values.sort(
        (a, b) =>
          b.series_count - a.series_count ||
          compareText(a.label_value, b.label_value)
      );
      labels.push({
        label_name: name,
        label_values_count: s.values.size + s.unlisted,
        series_count: s.series,
        cardinality: values.slice(0, query.limit),
      });
    }
    labels.sort(
      (a, b) =>
        b.series_count - a.series_count ||
        compareText(a.label_name, b.label_name)
    );
    return { series_count_total: seriesTotal, labels };
  }

  async metrics(query: MetricsQuery): Promise<MetricsCardinality> {
    const byMetric = new Map<string, [number, number]>();
    const add = (metric: string, series: number, dropped: number): void => {
      const entry = byMetric.get(metric);
      if (entry === undefined) byMetric.set(metric, [series, dropped]);
      else {
        entry[0] += series;
        entry[1] += dropped;
      }
    };
    if (this._isShared()) {
      for (const [cluster, summaries] of await this._summaries()) {
        if (query.cluster !== undefined && cluster !== query.cluster) continue;
        for (const summary of summaries)
          for (const [metric, series, dropped] of summary.metrics)
            add(metric, series, dropped);
      }
    } else {
      const { index, offenders } = this._source;
      for (const [cluster, table] of index.entries()) {
        if (query.cluster !== undefined && cluster !== query.cluster) continue;
        table.metrics.forEach((metric, series) => add(metric, series, 0));
      }
      for (const cluster of offenders.clusters()) {
        if (query.cluster !== undefined && cluster !== query.cluster) continue;
        for (const offender of offenders.top(cluster))
          add(offender.metric, 0, offender.dropped);
      }
    }
    const limit =
      query.cluster === undefined
        ? this._source.defaultLimits.maxSeriesPerMetricFleet
        : this._source.limitsOf(query.cluster).maxSeriesPerMetric;
    const metrics: MetricCardinality[] = [];
    for (const [metric, [series, dropped]] of byMetric) {
      metrics.push({
        metric,
        series,
        limit,
        utilization:
          limit === 0 ? null : Math.round((series / limit) * 10_000) / 10_000,
        dropped_series: dropped,
      });
    }
    const bySeries = (a: MetricCardinality, b: MetricCardinality): number =>
      b.series - a.series ||
      b.dropped_series - a.dropped_series ||
      compareText(a.metric, b.metric);
    const byDropped = (a: MetricCardinality, b: MetricCardinality): number =>
      b.dropped_series - a.dropped_series ||
      b.series - a.series ||
      compareText(a.metric, b.metric);
    metrics.sort(query.sort === 'dropped' ? byDropped : bySeries);
    return {
      cluster: query.cluster ?? null,
      metrics: metrics.slice(0, query.limit),
    };
  }

  private _isShared(): boolean {
    return this._source.summaries !== undefined;
  }

  /** Label statistics of the series selected by `query`, restricted to `names` when given. */
  private async _collect(
    query: CardinalityQuery,
    names: ReadonlySet<string> | undefined
  ): Promise<{ stats: Map<string, NameStats>; seriesTotal: number }> {
    const stats = new Map<string, NameStats>();
    let seriesTotal = 0;
    if (this._isShared() && query.matchers.length === 0) {
      for (const [cluster, summaries] of await this._summaries()) {
        if (query.cluster !== undefined && cluster !== query.cluster) continue;
        for (const summary of summaries) {
          seriesTotal += summary.series;
          for (const [name, label] of summary.labels) {
            if (names !== undefined && !names.has(name)) continue;
            const s = statsOf(stats, name);
            for (const [value, series] of label.top)
              s.values.set(value, (s.values.get(value) ?? 0) + series);
            s.unlisted += label.values - label.top.length;
            s.series += label.series;
          }
        }
      }
      return { stats, seriesTotal };
    }
    for (const [cluster, table] of this._source.index.entries()) {
      if (query.cluster !== undefined && cluster !== query.cluster) continue;
      seriesTotal += collectTable(table, query.matchers, names, stats);
    }
    return { stats, seriesTotal };
  }

  /** Cluster → summaries: this replica's live one and every other replica's published one. */
  private async _summaries(): Promise<Map<string, ClusterSummary[]>> {
    const { index, offenders, summaries } = this._source;
    const peers = await summaries!.readPeers(this._now());
    return mergeCardinalitySummaries(
      summarizeIndex(index, offenders),
      peers.map(p => p.snapshot)
    );
  }
}

function statsOf(stats: Map<string, NameStats>, name: string): NameStats {
  let s = stats.get(name);
  if (s === undefined) {
    s = { values: new Map(), unlisted: 0, series: 0 };
    stats.set(name, s);
  }
  return s;
}

/**
 * Adds one cluster's label statistics of the series matching `matchers`
 * into `stats`; returns the number of matching series.
 */
function collectTable(
  table: SeriesTable,
  matchers: readonly LabelMatcher[],
  names: ReadonlySet<string> | undefined,
  stats: Map<string, NameStats>
): number {
  const dictionary = table.labels;
  if (dictionary === undefined) return 0;
  if (matchers.length === 0) {
    const add = (name: string, value: string, series: number): void => {
      const s = statsOf(stats, name);
      s.values.set(value, (s.values.get(value) ?? 0) + series);
      s.series += series;
    };
    if (names === undefined) dictionary.forEachPair(undefined, add);
    else for (const name of names) dictionary.forEachPair(name, add);
    return table.size;
  }
  // Resolve matchers to pair ids once: a series matches when it has every
  // required pair and no pair of a name matched against "".
  const required: number[] = [];
  const absent: number[] = [];
  for (const m of matchers) {
    if (m.value === '') {
      const nameId = dictionary.nameIdOf(m.name);
      if (nameId >= 0) absent.push(nameId);
      continue;
    }
    const pair = dictionary.pairIdOf(m.name, m.value);
    if (pair < 0) return 0;
    required.push(pair);
  }
  const counts = new Uint32Array(dictionary.pairIdLimit);
  let wantedName: Uint8Array | undefined;
  if (names !== undefined) {
    wantedName = new Uint8Array(dictionary.pairIdLimit);
    for (let pair = 0; pair < dictionary.pairIdLimit; pair++) {
      if (
        dictionary.refsOf(pair) !== 0 &&
        names.has(dictionary.nameOf(dictionary.nameIdOfPair(pair)))
      )
        wantedName[pair] = 1;
    }
  }
  let matched = 0;
  table.forEachSlot(slot => {
    const page = table.pairPageAt(slot);
    const base = table.pairBaseAt(slot);
    const end = base + page[base]!;
    for (const pair of required) {
      let found = false;
      for (let k = base + 1; k <= end; k++) {
        if (page[k] === pair) {
          found = true;
          break;
        }
      }
      if (!found) return;
    }
    for (const nameId of absent) {
      for (let k = base + 1; k <= end; k++)
        if (dictionary.nameIdOfPair(page[k]!) === nameId) return;
    }
    matched++;
    for (let k = base + 1; k <= end; k++) {
      const pair = page[k]!;
      if (wantedName === undefined || wantedName[pair] === 1) counts[pair]!++;
    }
  });
  for (let pair = 0; pair < counts.length; pair++) {
    const series = counts[pair]!;
    if (series === 0) continue;
    const s = statsOf(stats, dictionary.nameOf(dictionary.nameIdOfPair(pair)));
    const value = dictionary.valueOf(pair);
    s.values.set(value, (s.values.get(value) ?? 0) + series);
    s.series += series;
  }
  return matched;
}

/** UTF-16 code-unit order; Go's (Mimir's) byte order differs only between U+E000–U+FFFF and astral characters. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
