export { LogForwardFanout } from './log-forward-fanout.js';
export { LokiForwarder } from './loki-forwarder.js';
export { OtlpLogsForwarder } from './otlp-logs-forwarder.js';
export {
  LogQueueForwarder,
  LOG_QUEUE_BYTES_PER_RECORD,
  MAX_LOG_SEND_BYTES,
  type LogForwarder,
  type LogForwarderDeps,
  type LogQueueFactory,
  type LogDownstreamKind,
  type LogTargetConfig,
  type LogEncoding,
} from './log-queue-forwarder.js';
export {
  LogForwardInstruments,
  FORWARDED_LOG_RECORDS_METRIC,
  SET_ASIDE_LOG_RECORDS_METRIC,
  QUEUED_LOG_RECORDS_METRIC,
  LOG_QUEUE_CAPACITY_METRIC,
} from './log-forward-instruments.js';
