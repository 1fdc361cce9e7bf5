/**
 * Prometheus rule generation for SLOs (`fleetgate slo rules`): the public
 * door of src/slo/rules.
 */
export {
  generateSloRules,
  errorBudgetOf,
  SLO_RULE_BASE_WINDOWS,
  DEFAULT_SLO_RULE_GROUP_INTERVAL,
  type GenerateSloRulesOptions,
} from './generate-slo-rules.js';
export {
  sloAlertAnnotations,
  sloAlertLabels,
  DEFAULT_SLO_RUNBOOK_URL,
  type SloAlertSubject,
  type SloAlertTextOptions,
} from './slo-alert-content.js';
export {
  DEFAULT_SLO_ALERT_WINDOWS,
  resolveAlertWindows,
  severitiesOf,
  type BurnRateWindowPair,
  type ResolvedWindowPair,
} from './alert-windows.js';
export {
  SLO_RECORD_NAMES,
  SLO_ALERT_NAMES,
  SLO_CLUSTER_LABELS,
  sloRecordName,
  type SloRecordKind,
  type SloScope,
} from './slo-rule-names.js';
export { formatLeMatcher, leSpellings } from './le-matcher.js';
export {
  buildSliRateExpressions,
  checkSliSelectors,
  SLO_CLUSTER_GROUPING,
  type SliRateExpressions,
} from './sli-expressions.js';
export {
  runSloRulesCommand,
  SLO_RULES_USAGE,
  type CommandIo,
} from './slo-rules-command.js';
