/**
 * The top-level `request_limits` section: decode-time caps on one write
 * request, checked before any per-item work (#11). Defaults come from
 * config/request-limits.ts; the protocol decoders apply them; each
 * is explained in docs/request-limits.md.
 *
 * ```yaml
 * request_limits:
 *   max_attributes_per_resource: 1024
 *   max_attributes_per_scope: 64
 *   max_attributes_per_point: 256
 *   max_attributes_per_log_record: 256
 *   max_label_pairs_per_series: 256
 *   max_label_name_bytes: 4096
 *   max_label_value_bytes: 65536
 *   max_labels_per_request: 200000
 *   max_series_per_request: 10000
 *   max_points_per_request: 50000
 *   max_log_records_per_request: 20000
 *   max_json_bytes: 4194304
 * ```
 */
import { z } from 'zod';
import {
  DEFAULT_REQUEST_LIMITS,
  type RequestLimits,
} from './request-limits.js';

const cap = z.number().int().positive();
const d = DEFAULT_REQUEST_LIMITS;

export const requestLimitsSchema = z
  .object({
    max_attributes_per_resource: cap.default(d.maxAttributesPerResource),
    max_attributes_per_scope: cap.default(d.maxAttributesPerScope),
    max_attributes_per_point: cap.default(d.maxAttributesPerPoint),
    max_attributes_per_log_record: cap.default(d.maxAttributesPerLogRecord),
    max_label_pairs_per_series: cap.default(d.maxLabelPairsPerSeries),
    max_label_name_bytes: cap.default(d.maxLabelNameBytes),
    max_label_value_bytes: cap.default(d.maxLabelValueBytes),
    max_labels_per_request: cap.default(d.maxLabelsPerRequest),
    max_series_per_request: cap.default(d.maxSeriesPerRequest),
    max_points_per_request: cap.default(d.maxPointsPerRequest),
    max_log_records_per_request: cap.default(d.maxLogRecordsPerRequest),
    max_json_bytes: cap.default(d.maxJsonBytes),
  })
  .strict()
  .prefault({});

export type RequestLimitsConfig = z.output<typeof requestLimitsSchema>;

const converted = new WeakMap<RequestLimitsConfig, RequestLimits>();

/**
 * The section in the shape the decoders take; the same object for the same
 * section, so routes convert once per configuration, not per request.
 */
export function toRequestLimits(config: RequestLimitsConfig): RequestLimits {
  let limits = converted.get(config);
  if (limits === undefined) {
    limits = convert(config);
    converted.set(config, limits);
  }
  return limits;
}

function convert(config: RequestLimitsConfig): RequestLimits {
  return Object.freeze({
    maxAttributesPerResource: config.max_attributes_per_resource,
    maxAttributesPerScope: config.max_attributes_per_scope,
    maxAttributesPerPoint: config.max_attributes_per_point,
    maxAttributesPerLogRecord: config.max_attributes_per_log_record,
    maxLabelPairsPerSeries: config.max_label_pairs_per_series,
    maxLabelNameBytes: config.max_label_name_bytes,
    maxLabelValueBytes: config.max_label_value_bytes,
    maxLabelsPerRequest: config.max_labels_per_request,
    maxSeriesPerRequest: config.max_series_per_request,
    maxPointsPerRequest: config.max_points_per_request,
    maxLogRecordsPerRequest: config.max_log_records_per_request,
    maxJsonBytes: config.max_json_bytes,
  });
}
