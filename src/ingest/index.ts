/**
 * The ingest room's door: converters from decoded protocol data to the
 * batch (OTLP metrics to series, delta to cumulative temporality). The wire
 * decoders themselves live in src/protocol. See docs/architecture.md.
 */
export {
  OtlpMetricsConverter,
  MAX_CONVERT_ERRORS,
  type ConvertResult,
  type OtlpMetricsConverterOptions,
  DeltaToCumulative,
  DEFAULT_DELTA_IDLE_MS,
  DEFAULT_DELTA_MAX_ENTRIES,
  type DeltaToCumulativeOptions,
  STALE_NAN,
  isStaleNaN,
} from './otlp/index.js';
