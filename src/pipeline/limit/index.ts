export {
  CardinalityLimiter,
  SERIES_LIMIT_CLUSTER_REASON,
  SERIES_LIMIT_METRIC_REASON,
  SERIES_LIMIT_METRIC_FLEET_REASON,
  TICK_INTERVAL_MS,
  SNAPSHOT_INTERVAL_MS,
  type CardinalityLimiterOptions,
} from './cardinality-limiter.js';
export {
  CardinalityQueries,
  DEFAULT_QUERY_LIMIT,
  MAX_QUERY_LIMIT,
  MAX_LABEL_NAMES_PER_QUERY,
  type CardinalitySource,
  type CardinalityQuery,
  type MetricsQuery,
  type LabelNamesCardinality,
  type LabelValuesCardinality,
  type MetricsCardinality,
  type MetricCardinality,
} from './cardinality-queries.js';
export type {
  CardinalityStore,
  CardinalitySketchAdd,
} from './cardinality-store.js';
export { CARDINALITY_SNAPSHOT_KIND } from './cardinality-summary.js';
export { ClusterLimits, type EffectiveLimits } from './cluster-limits.js';
export {
  LabelLimits,
  TOO_MANY_LABELS_REASON,
  LABEL_NAME_TOO_LONG_REASON,
  LABEL_VALUE_TOO_LONG_REASON,
} from './label-limits.js';
export {
  ActiveSeriesIndex,
  type ActiveSeriesIndexOptions,
} from './active-series-index.js';
export {
  LimitMetrics,
  ACTIVE_SERIES_METRIC,
  SERIES_LIMIT_METRIC,
  TOP_OFFENDER_METRIC,
} from './limit-metrics.js';
export { parseSeriesSelector, type LabelMatcher } from './series-selector.js';
export { TopOffenders, type Offender } from './top-offenders.js';
export type { SharedBudgetStats } from './shared-budget.js';
