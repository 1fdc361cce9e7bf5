export {
  parseConfig,
  loadConfig,
  defaultConfig,
  expandEnv,
  formatPath,
  type Environment,
} from './load-config.js';
export {
  configSchema,
  RELABEL_ACTIONS,
  type Config,
  type ClusterConfig,
  type RelabelRuleConfig,
  type SloConfig,
  type RemoteWriteTargetConfig,
  type LimitsConfig,
} from './schema.js';
export { parseDuration, formatDuration } from './duration.js';
export {
  toRequestLimits,
  type RequestLimitsConfig,
} from './request-limits-schema.js';
export {
  type LogForwardConfig,
  type LogLimitsConfig,
  type LogsConfig,
  type LokiMappingConfig,
  logsSchema,
} from './logs-schema.js';
export {
  withConfigChecks,
  type ConfigChecks,
  type ConfigCheckProblem,
} from './config-checks.js';
export { objectiveProblem, type SloSpecConfig } from './slo-schema.js';
export {
  DEFAULT_REQUEST_LIMITS,
  REQUEST_LIMIT_KEYS,
  type RequestLimits,
  type RequestLimitName,
} from './request-limits.js';
export {
  FLEETGATE_RUNBOOKS_URL,
  DEFAULT_RUNBOOK_URL_TEMPLATE,
  runbookUrlOf,
  type RunbookUrlTemplate,
} from './runbook-url.js';
