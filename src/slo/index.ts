export {
  SloEngine,
  DEFAULT_SLO_PUBLISH_INTERVAL_MS,
  DEFAULT_SLO_STATE_INTERVAL_MS,
  DEFAULT_SLO_MAX_SERIES,
  DEFAULT_SLO_SERIES_TTL_MS,
  DEFAULT_SLO_MAX_GAP_MS,
  DEFAULT_SLO_MAX_CLUSTERS,
  type SloEngineOptions,
} from './slo-engine.js';
export { SLO_OVERFLOW_CLUSTER } from './slo-set.js';
export type { SloQuery, SloQueries } from './slo-queries.js';
export {
  compileSlo,
  validateSloSpec,
  formatSloProblem,
  SloDefinition,
  SloSpecError,
  STANDARD_WINDOWS_MS,
  MIN_SLO_WINDOW_MS,
  type SloSpec,
  type SloProblem,
  type SloInput,
  type AlertWindowConfig,
  type RatioSliSpec,
  type LatencySliSpec,
} from './slo-definition.js';
export {
  DEFAULT_ALERT_WINDOWS,
  resolveAlertPairs,
  evaluateAlerts,
  type AlertPair,
  type AlertWindowSpec,
} from './alert-policy.js';
export {
  SloCounters,
  FIXED_TIERS,
  MAX_COUNTERS_BYTES,
  SLO_TIER_BUCKETS,
  sloTierResolutionMs,
  retainedWindowMs,
} from './slo-counters.js';
export {
  parseSloSelector,
  matchesSloSelector,
  SelectorSyntaxError,
  type SloSelector,
  type LabelMatcher,
  type MatchOp,
} from './slo-selector.js';
export {
  buildSloReport,
  type SloReport,
  type SloClusterReport,
  type SloFigures,
  type SloWindowFigures,
  type SloErrorBudget,
} from './slo-report.js';
export {
  SloMetrics,
  FLEET_CLUSTER_LABEL,
  SLO_METRIC_NAMES,
  type SloEngineStats,
} from './slo-metrics.js';
export {
  SLO_WINDOWS_SNAPSHOT_KIND,
  sloStateSnapshotKind,
} from './slo-snapshot.js';
export { SloFleetView, type SloFleetStatus } from './slo-fleet-view.js';
export { generateSloRules } from './rules/generate-slo-rules.js';
export {
  sloAlertAnnotations,
  sloAlertLabels,
} from './rules/slo-alert-content.js';
export { SLO_ALERT_NAMES, type SloScope } from './rules/slo-rule-names.js';
export { runSloRulesCommand } from './rules/slo-rules-command.js';
