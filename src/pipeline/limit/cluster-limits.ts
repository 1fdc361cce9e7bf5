/**
 * The limits that apply to one cluster: the fleet-wide `limits` defaults with
 * the cluster's `limits.per_cluster` overrides on top. Resolved once per
 * cluster and cached, so stages pay one Map lookup per request, not a merge.
 * Every limit uses 0 for "unlimited".
 */
import type { LimitsConfig } from '../../config/index.js';

/** One cluster's effective limits (0 = unlimited). */
export interface EffectiveLimits {
  readonly maxSeriesPerCluster: number;
  readonly maxSeriesPerMetric: number;
  /**
   * Fleet-wide per-metric budget that this cluster's new series are checked
   * against (an override makes one cluster stricter or laxer about the same
   * fleet count).
   */
  readonly maxSeriesPerMetricFleet: number;
  readonly maxLabelNamesPerSeries: number;
  readonly maxLabelNameLength: number;
  readonly maxLabelValueLength: number;
  /** How long a series stays active after its last sample, in ms. */
  readonly activeWindowMs: number;
}

/** Resolves and caches each cluster's effective limits. */
export class ClusterLimits {
  private readonly _defaults: EffectiveLimits;
  private readonly _perCluster = new Map<string, EffectiveLimits>();

  constructor(limits: LimitsConfig) {
    this._defaults = {
      maxSeriesPerCluster: limits.max_series_per_cluster,
      maxSeriesPerMetric: limits.max_series_per_metric,
      maxSeriesPerMetricFleet: limits.max_series_per_metric_fleet,
      maxLabelNamesPerSeries: limits.max_label_names_per_series,
      maxLabelNameLength: limits.max_label_name_length,
      maxLabelValueLength: limits.max_label_value_length,
      activeWindowMs: limits.active_window,
    };
    for (const name of Object.keys(limits.per_cluster)) {
      const o = limits.per_cluster[name]!;
      const d = this._defaults;
      this._perCluster.set(name, {
        maxSeriesPerCluster: o.max_series_per_cluster ?? d.maxSeriesPerCluster,
        maxSeriesPerMetric: o.max_series_per_metric ?? d.maxSeriesPerMetric,
        maxSeriesPerMetricFleet:
          o.max_series_per_metric_fleet ?? d.maxSeriesPerMetricFleet,
        maxLabelNamesPerSeries:
          o.max_label_names_per_series ?? d.maxLabelNamesPerSeries,
        maxLabelNameLength: o.max_label_name_length ?? d.maxLabelNameLength,
        maxLabelValueLength: o.max_label_value_length ?? d.maxLabelValueLength,
        activeWindowMs: o.active_window ?? d.activeWindowMs,
      });
    }
  }

  /** The fleet-wide defaults (also what unlisted and unregistered clusters get). */
  get defaults(): EffectiveLimits {
    return this._defaults;
  }

  /** The limits of `cluster`. */
  of(cluster: string): EffectiveLimits {
    return this._perCluster.get(cluster) ?? this._defaults;
  }

  /** Clusters with overrides. */
  overriddenClusters(): IterableIterator<string> {
    return this._perCluster.keys();
  }
}
