export {
  LokiStreamMapper,
  MAX_LOKI_LABEL_VALUE_BYTES,
  quoteLabelValue,
  type LokiStream,
  type LokiEntry,
} from './loki-stream-mapper.js';
export { levelOf, type LogLevel } from './severity-level.js';
export {
  encodeLokiStreams,
  encodeLokiPushRequest,
} from './encode-loki-push.js';
