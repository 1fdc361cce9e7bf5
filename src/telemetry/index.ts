export {
  createLogger,
  silentLogger,
  type Logger,
  type LoggerOptions,
} from './logger.js';
export { SelfMetrics } from './self-metrics.js';
export { LogThrottle } from './log-throttle.js';
export {
  startTracing,
  gatewayTracer,
  isTracingConfigured,
  TRACER_NAME,
} from './tracing.js';
