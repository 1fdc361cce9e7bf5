export { createLogger, silentLogger, type Logger, type LoggerOptions } from './logger.js';
export { SelfMetrics } from './self-metrics.js';
