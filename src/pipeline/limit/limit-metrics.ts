/**
 * The cardinality limiter's own metrics, read from its state at scrape time
 * (collect callbacks), so the hot path updates no gauge:
 * - `fleetgate_active_series{cluster}`: series active within the cluster's window;
 * - `fleetgate_series_limit{cluster,limit}`: the configured budgets
 *   (`max_series_per_cluster`, `max_series_per_metric`,
 *   `max_series_per_metric_fleet`; 0 = unlimited);
 * - `fleetgate_cardinality_top_offender_dropped_series{cluster,metric}`:
 *   series drops of the top-K offending metrics per cluster (bounded: K
 *   metrics per tracked cluster; an evicted metric's series disappears).
 * Drop counts are `fleetgate_series_dropped_total{cluster,reason}`, fed by
 * the stage tally; they are not repeated here.
 */
import { Gauge, type Registry } from 'prom-client';

export const ACTIVE_SERIES_METRIC = 'fleetgate_active_series';
export const SERIES_LIMIT_METRIC = 'fleetgate_series_limit';
export const TOP_OFFENDER_METRIC =
  'fleetgate_cardinality_top_offender_dropped_series';

/** What the gauges read; the limiter implements it. */
export interface LimitMetricsSource {
  /** Calls `fn` per tracked cluster with its active series. */
  forEachActiveSeries(fn: (cluster: string, series: number) => void): void;
  /** Calls `fn` per cluster and budget with the configured value. */
  forEachSeriesLimit(
    fn: (cluster: string, limit: string, value: number) => void
  ): void;
  /** Calls `fn` per tracked offender. */
  forEachTopOffender(
    fn: (cluster: string, metric: string, dropped: number) => void
  ): void;
}

/**
 * Registers the gauges on `registry`. A later instance (a rebuilt limiter)
 * replaces the earlier one's gauges, so the registry always reads the live
 * limiter.
 */
export class LimitMetrics {
  constructor(registry: Registry, source: LimitMetricsSource) {
    for (const name of [
      ACTIVE_SERIES_METRIC,
      SERIES_LIMIT_METRIC,
      TOP_OFFENDER_METRIC,
    ]) {
      if (registry.getSingleMetric(name) !== undefined)
        registry.removeSingleMetric(name);
    }
    const active: Gauge<'cluster'> = new Gauge({
      name: ACTIVE_SERIES_METRIC,
      help: 'Series active within the active window, by cluster, on this replica (idle series leave within one sweep pass, at most a minute, after the window).',
      labelNames: ['cluster'],
      registers: [registry],
      collect: () => {
        active.reset();
        source.forEachActiveSeries((cluster, series) =>
          active.set({ cluster }, series)
        );
      },
    });
    const limits: Gauge<'cluster' | 'limit'> = new Gauge({
      name: SERIES_LIMIT_METRIC,
      help: 'Configured series budgets by cluster and limit (max_series_per_cluster, max_series_per_metric, max_series_per_metric_fleet); 0 means unlimited.',
      labelNames: ['cluster', 'limit'],
      registers: [registry],
      collect: () => {
        limits.reset();
        source.forEachSeriesLimit((cluster, limit, value) =>
          limits.set({ cluster, limit }, value)
        );
      },
    });
    const offenders: Gauge<'cluster' | 'metric'> = new Gauge({
      name: TOP_OFFENDER_METRIC,
      help: 'New series dropped by a series budget since start, for the top offending metrics of each cluster (space-saving top-K; an upper bound).',
      labelNames: ['cluster', 'metric'],
      registers: [registry],
      collect: () => {
        offenders.reset();
        source.forEachTopOffender((cluster, metric, dropped) =>
          offenders.set({ cluster, metric }, dropped)
        );
      },
    });
  }
}
