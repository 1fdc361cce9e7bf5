/**
 * Prometheus rule generation for SLOs (`fleetgate slo rules`): the public
 * door of src/slo/rules.
 */
export {
  generateSloRules,
  errorBudgetOf,
  SLO_RULE_BASE_WINDOWS,
  DEFAULT_SLO_RULE_GROUP_INTERVAL,
  DEFAULT_SLO_RUNBOOK_URL,
  type GenerateSloRulesOptions,
} from './generate-slo-rules.js';
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
  sloRecordName,
  type SloRecordKind,
  type SloScope,
} from './slo-rule-names.js';
export {
  formatLeMatcher,
  formatGoFloat,
  formatFixedFloat,
  leSpellings,
} from './le-matcher.js';
export {
  buildSliRateExpressions,
  checkSliSelectors,
  type SliRateExpressions,
} from './sli-expressions.js';
export {
  runSloRulesCommand,
  SLO_RULES_USAGE,
  type CommandIo,
} from './slo-rules-command.js';
