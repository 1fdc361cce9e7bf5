/**
 * The fleet view on /metrics, read from one evaluation per scrape (collect
 * callbacks share it), so ingestion updates no gauge:
 * - `fleetgate_cluster_state{cluster,state}`: 1 for the cluster's state, 0 for the others;
 * - `fleetgate_cluster_degraded_reason{cluster,reason}`: 1 per reason held;
 * - `fleetgate_cluster_last_seen_timestamp_seconds{cluster,signal}`;
 * - `fleetgate_cluster_clock_skew_seconds{cluster}` (when it can be told);
 * - `fleetgate_cluster_samples_per_second{cluster}`, `…_log_lines_per_second`, `…_events_per_second`;
 * - `fleetgate_cluster_series_budget_use_ratio{cluster}` (when the budget is limited);
 * - `fleetgate_cluster_collector_info{cluster,kind,version}`: 1 per collector seen;
 * - `fleetgate_fleet_clusters{state}`: clusters per state, unregistered senders included.
 *
 * Per-cluster series cover registered clusters only: label values stay
 * bounded by the registry (unregistered senders are only counted). Values
 * are fleet-wide (all replicas merged), so every replica exposes the same
 * numbers: aggregate across replicas with max, not sum.
 */
import { Gauge, type Registry } from 'prom-client';
import { CLUSTER_STATES, SIGNALS } from './cluster-health.js';
import type { FleetEvaluation } from './fleet-health-queries.js';

export const CLUSTER_STATE_METRIC = 'fleetgate_cluster_state';
export const CLUSTER_REASON_METRIC = 'fleetgate_cluster_degraded_reason';
export const CLUSTER_LAST_SEEN_METRIC =
  'fleetgate_cluster_last_seen_timestamp_seconds';
export const CLUSTER_SKEW_METRIC = 'fleetgate_cluster_clock_skew_seconds';
export const CLUSTER_SAMPLES_RATE_METRIC =
  'fleetgate_cluster_samples_per_second';
export const CLUSTER_LOG_LINES_RATE_METRIC =
  'fleetgate_cluster_log_lines_per_second';
export const CLUSTER_EVENTS_RATE_METRIC = 'fleetgate_cluster_events_per_second';
export const CLUSTER_BUDGET_USE_METRIC =
  'fleetgate_cluster_series_budget_use_ratio';
export const CLUSTER_COLLECTOR_METRIC = 'fleetgate_cluster_collector_info';
export const FLEET_CLUSTERS_METRIC = 'fleetgate_fleet_clusters';

/** What the gauges read; FleetTracker fits. */
export interface FleetEvaluationSource {
  evaluate(): Promise<FleetEvaluation>;
}

/**
 * Registers the gauges on `registry`. A later instance replaces the earlier
 * one's gauges, so the registry always reads the live tracker.
 */
export class FleetMetrics {
  private readonly _source: FleetEvaluationSource;
  private _pending: Promise<FleetEvaluation> | undefined;

  constructor(registry: Registry, source: FleetEvaluationSource) {
    this._source = source;
    const register = <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      fill: (gauge: Gauge<L>, evaluation: FleetEvaluation) => void
    ): void => {
      if (registry.getSingleMetric(name) !== undefined)
        registry.removeSingleMetric(name);
      const gauge: Gauge<L> = new Gauge<L>({
        name,
        help,
        labelNames,
        registers: [registry],
        collect: async () => {
          const evaluation = await this._evaluation();
          gauge.reset();
          fill(gauge, evaluation);
        },
      });
    };

    register(
      CLUSTER_STATE_METRIC,
      'Fleet health state of each registered cluster: 1 for its state (unknown, healthy, degraded, stale, down), 0 for the others.',
      ['cluster', 'state'],
      (gauge, e) => {
        for (const c of e.clusters)
          for (const state of CLUSTER_STATES)
            if (state !== 'unregistered')
              gauge.set(
                { cluster: c.cluster, state },
                c.state === state ? 1 : 0
              );
      }
    );
    register(
      CLUSTER_REASON_METRIC,
      'Degraded reasons held per registered cluster (slo_fast_burn, cardinality_budget_exceeded, ingestion_refusals, warning_events_spike, clock_skew).',
      ['cluster', 'reason'],
      (gauge, e) => {
        for (const c of e.clusters)
          for (const r of c.reasons)
            if (r.code !== 'no_data')
              gauge.set({ cluster: c.cluster, reason: r.code }, 1);
      }
    );
    register(
      CLUSTER_LAST_SEEN_METRIC,
      'Unix time of the last request of each registered cluster, per signal (metrics, logs, events).',
      ['cluster', 'signal'],
      (gauge, e) => {
        for (const c of e.clusters)
          for (const signal of SIGNALS) {
            const at = c.lastSeenMs[signal];
            if (at !== undefined)
              gauge.set({ cluster: c.cluster, signal }, at / 1000);
          }
      }
    );
    register(
      CLUSTER_SKEW_METRIC,
      "Estimated clock skew of each registered cluster in seconds (positive: ahead of the gateway's clock; behind includes the send delay).",
      ['cluster'],
      (gauge, e) => {
        for (const c of e.clusters)
          if (c.clockSkewMs !== undefined)
            gauge.set({ cluster: c.cluster }, c.clockSkewMs / 1000);
      }
    );
    const rate = (
      name: string,
      what: string,
      pick: (c: FleetEvaluation['clusters'][number]) => number
    ): void =>
      register(
        name,
        `${what} per second received from each registered cluster over the last minute, all replicas.`,
        ['cluster'],
        (gauge, e) => {
          for (const c of e.clusters)
            if (c.state !== 'unknown')
              gauge.set({ cluster: c.cluster }, pick(c));
        }
      );
    rate(CLUSTER_SAMPLES_RATE_METRIC, 'Samples', c => c.samplesPerSecond);
    rate(CLUSTER_LOG_LINES_RATE_METRIC, 'Log lines', c => c.logLinesPerSecond);
    rate(
      CLUSTER_EVENTS_RATE_METRIC,
      'Kubernetes events',
      c => c.eventsPerSecond
    );
    register(
      CLUSTER_BUDGET_USE_METRIC,
      'Active series of each registered cluster as a ratio of its max_series_per_cluster (absent when unlimited).',
      ['cluster'],
      (gauge, e) => {
        for (const c of e.clusters)
          if (c.budgetUse !== undefined)
            gauge.set({ cluster: c.cluster }, c.budgetUse);
      }
    );
    register(
      CLUSTER_COLLECTOR_METRIC,
      'Collectors seen sending for each registered cluster, by kind and version (from User-Agent and OTLP resource attributes).',
      ['cluster', 'kind', 'version'],
      (gauge, e) => {
        for (const c of e.clusters)
          for (const s of c.collectors)
            gauge.set(
              { cluster: c.cluster, kind: s.kind, version: s.version },
              1
            );
      }
    );
    register(
      FLEET_CLUSTERS_METRIC,
      'Clusters per fleet health state; unregistered counts the senders outside the registry.',
      ['state'],
      (gauge, e) => {
        for (const state of CLUSTER_STATES)
          gauge.set({ state }, e.summary.byState[state]);
      }
    );
  }

  /** One evaluation per scrape: the collect callbacks of one scrape start together and share it. */
  private _evaluation(): Promise<FleetEvaluation> {
    this._pending ??= this._source.evaluate().finally(() => {
      this._pending = undefined;
    });
    return this._pending;
  }
}
