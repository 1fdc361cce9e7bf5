export {
  OtlpMetricsConverter,
  MAX_CONVERT_ERRORS,
  type ConvertResult,
  type OtlpMetricsConverterOptions,
} from './otlp-metrics-converter.js';
export {
  DeltaToCumulative,
  DEFAULT_DELTA_IDLE_MS,
  DEFAULT_DELTA_MAX_ENTRIES,
  type DeltaToCumulativeOptions,
} from './delta-to-cumulative.js';
export { STALE_NAN, isStaleNaN } from './stale-nan.js';
