export {
  createLogger,
  silentLogger,
  type Logger,
  type LoggerOptions,
} from './logger.js';
export { SelfMetrics } from './self-metrics.js';
export { LogThrottle } from './log-throttle.js';
export {
  BufferPoolMetrics,
  type BufferPoolSource,
} from './buffer-pool-metrics.js';
export {
  startTracing,
  gatewayTracer,
  isTracingConfigured,
  TRACER_NAME,
} from './tracing.js';
