/**
 * A compact, mergeable summary of one replica's cardinality per cluster:
 * what it publishes to the state store every few seconds so any replica can
 * answer the cardinality API for the whole fleet.
 *
 * Per cluster: active series; the top SUMMARY_METRICS metrics by active
 * series plus every tracked offender, with drops; per label name its exact
 * distinct value count and series count, and its top SUMMARY_VALUES_PER_NAME
 * values. Truncation keeps a snapshot around a few tens of KB per cluster
 * (a full value list can be megabytes: pod names, uids).
 *
 * Wire format (JSON, arrays so no key is ever "__proto__"):
 *   {"v":1,"clusters":[[cluster, series, metrics, labels], …]}
 *   metrics: [[metric, series, dropped], …]
 *   labels:  [[name, distinctValues, series, [[value, series], …]], …]
 */
import {
  collectByKey,
  type SnapshotCodec,
} from '../../state/snapshot/index.js';
import type { ActiveSeriesIndex } from './active-series-index.js';
import type { SeriesTable } from './series-table.js';
import type { TopOffenders } from './top-offenders.js';
import { TopEntries } from './top-entries.js';

/** Snapshot kind in the state store. */
export const CARDINALITY_SNAPSHOT_KIND = 'cardinality';
export const SNAPSHOT_VERSION = 1;
/** Values kept per label name in a summary. */
export const SUMMARY_VALUES_PER_NAME = 100;
/** Metrics kept per cluster in a summary (offenders are kept in addition). */
export const SUMMARY_METRICS = 500;

export interface LabelSummary {
  /** Distinct values (exact, may exceed `top.length`). */
  readonly values: number;
  /** Series carrying the label. */
  readonly series: number;
  /** The most common values, series desc then value asc. */
  readonly top: readonly (readonly [value: string, series: number])[];
}

export interface ClusterSummary {
  readonly series: number;
  readonly metrics: readonly (readonly [
    metric: string,
    series: number,
    dropped: number,
  ])[];
  readonly labels: ReadonlyMap<string, LabelSummary>;
}

/** Summarizes one cluster's table (and its offenders). */
export function summarizeCluster(
  cluster: string,
  table: SeriesTable,
  offenders: TopOffenders
): ClusterSummary {
  const topMetrics = new TopEntries(SUMMARY_METRICS);
  table.metrics.forEach((name, series) => topMetrics.offer(name, series));
  const metrics: [string, number, number][] = [];
  const listed = new Set<string>();
  for (const [name, series] of topMetrics.entries) {
    metrics.push([name, series, offenders.droppedOf(cluster, name)]);
    listed.add(name);
  }
  for (const offender of offenders.top(cluster)) {
    if (listed.has(offender.metric)) continue;
    const id = table.metrics.lookup(offender.metric);
    const series = id > 0 ? table.metrics.countOf(id) : 0;
    metrics.push([offender.metric, series, offender.dropped]);
  }
  const labels = new Map<string, LabelSummary>();
  const dictionary = table.labels;
  if (dictionary !== undefined) {
    const tops = new Map<
      string,
      { top: TopEntries; values: number; series: number }
    >();
    dictionary.forEachPair(undefined, (name, value, series) => {
      let entry = tops.get(name);
      if (entry === undefined) {
        entry = {
          top: new TopEntries(SUMMARY_VALUES_PER_NAME),
          values: 0,
          series: 0,
        };
        tops.set(name, entry);
      }
      entry.top.offer(value, series);
      entry.values++;
      entry.series += series;
    });
    for (const [name, entry] of tops)
      labels.set(name, {
        values: entry.values,
        series: entry.series,
        top: entry.top.entries,
      });
  }
  return { series: table.size, metrics, labels };
}

/** Summaries of every cluster in the index. */
export function summarizeIndex(
  index: ActiveSeriesIndex,
  offenders: TopOffenders
): Map<string, ClusterSummary> {
  const out = new Map<string, ClusterSummary>();
  for (const [cluster, table] of index.entries())
    out.set(cluster, summarizeCluster(cluster, table, offenders));
  // A cluster whose every new series was refused may have no table left, but its offenders count.
  for (const cluster of offenders.clusters()) {
    if (out.has(cluster)) continue;
    const metrics = offenders
      .top(cluster)
      .map(o => [o.metric, 0, o.dropped] as const);
    out.set(cluster, { series: 0, metrics, labels: new Map() });
  }
  return out;
}

/** This replica's summaries out, another replica's in (a payload it cannot read throws). */
export const CARDINALITY_SNAPSHOT_CODEC: SnapshotCodec<
  ReadonlyMap<string, ClusterSummary>
> = {
  encode: encodeCardinalitySnapshot,
  decode: payload => {
    const summaries = decodeCardinalitySnapshot(payload);
    if (summaries === undefined)
      throw new SyntaxError(
        `want a version ${SNAPSHOT_VERSION} cardinality snapshot`
      );
    return summaries;
  },
};

/**
 * The cardinality view's merge, pure: cluster → its summaries, this
 * replica's first, then every peer's in order (the queries sum them).
 */
export function mergeCardinalitySummaries(
  own: ReadonlyMap<string, ClusterSummary>,
  peers: readonly ReadonlyMap<string, ClusterSummary>[]
): Map<string, ClusterSummary[]> {
  return collectByKey([own, ...peers]);
}

/** The snapshot payload of a set of summaries. */
export function encodeCardinalitySnapshot(
  summaries: ReadonlyMap<string, ClusterSummary>
): string {
  const clusters: unknown[] = [];
  for (const [cluster, summary] of summaries) {
    const labels: unknown[] = [];
    for (const [name, label] of summary.labels)
      labels.push([name, label.values, label.series, label.top]);
    clusters.push([cluster, summary.series, summary.metrics, labels]);
  }
  return JSON.stringify({ v: SNAPSHOT_VERSION, clusters });
}

/**
 * Reads a snapshot payload; returns undefined for one this version cannot
 * read (another gateway version, or corrupt), which the caller skips.
 */
export function decodeCardinalitySnapshot(
  payload: string
): Map<string, ClusterSummary> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (
    !isRecord(parsed) ||
    parsed['v'] !== SNAPSHOT_VERSION ||
    !Array.isArray(parsed['clusters'])
  )
    return undefined;
  const out = new Map<string, ClusterSummary>();
  for (const raw of parsed['clusters'] as unknown[]) {
    if (!Array.isArray(raw) || raw.length !== 4) return undefined;
    const [cluster, series, metrics, labels] = raw as unknown[];
    if (
      typeof cluster !== 'string' ||
      typeof series !== 'number' ||
      !Array.isArray(metrics) ||
      !Array.isArray(labels)
    ) {
      return undefined;
    }
    const metricList: [string, number, number][] = [];
    for (const m of metrics as unknown[]) {
      if (!isTriple(m)) return undefined;
      metricList.push(m);
    }
    const labelMap = new Map<string, LabelSummary>();
    for (const l of labels as unknown[]) {
      if (!Array.isArray(l) || l.length !== 4) return undefined;
      const [name, values, labelSeries, top] = l as unknown[];
      if (
        typeof name !== 'string' ||
        typeof values !== 'number' ||
        typeof labelSeries !== 'number' ||
        !Array.isArray(top)
      ) {
        return undefined;
      }
      const topList: [string, number][] = [];
      for (const t of top as unknown[]) {
        if (
          !Array.isArray(t) ||
          typeof t[0] !== 'string' ||
          typeof t[1] !== 'number'
        )
          return undefined;
        topList.push([t[0], t[1]]);
      }
      labelMap.set(name, { values, series: labelSeries, top: topList });
    }
    out.set(cluster, { series, metrics: metricList, labels: labelMap });
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTriple(value: unknown): value is [string, number, number] {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'number' &&
    typeof value[2] === 'number'
  );
}
