export { decodeWriteRequestV1 } from './decode-write-request-v1.js';
export { decodeWriteRequestV2 } from './decode-write-request-v2.js';
export type { DecodeStats } from './decode-stats.js';
export {
  remoteWriteVersionOf,
  REMOTE_WRITE_CONTENT_TYPES,
  type RemoteWriteVersion,
} from './content-type.js';
export {
  encodeSeriesV1,
  encodeLabelFieldsV1,
  encodeMetadataV1,
  encodeWriteRequestV1,
} from './encode-write-request-v1.js';
export {
  SeriesLabelCache,
  hashBytes,
  type SeriesLabelCacheOptions,
} from './series-label-cache.js';
export {
  DEFAULT_REQUEST_LIMITS,
  REQUEST_LIMIT_KEYS,
  type RequestLimits,
} from '../request-limits.js';
