/**
 * Forwarding to one OTLP/HTTP logs endpoint (`forward.otlp`, the full URL,
 * e.g. `http://collector:4318/v1/logs`): the normalized records, with their
 * resources and scopes, as `ExportLogsServiceRequest.resource_logs`
 * fragments, sent as `application/x-protobuf`, gzip-compressed unless
 * `logs.forward.otlp_compression` is `none`, with `X-Scope-OrgID` when the
 * target has a tenant (Loki's own OTLP endpoint reads it). Queueing,
 * retries and setting aside refused batches are LogQueueForwarder's.
 *
 * Retries follow the gateway's rule (every 5xx, 429, network), which is
 * broader than OTLP's (429/502/503/504): a store answering 500 for a
 * failed commit must not lose acknowledged data. A 200 with
 * `partial_success` counts as delivered: the downstream has decided.
 */
import { gzipSync } from 'node:zlib';
import type { LogsConfig } from '../../config/index.js';
import { encodeResourceLogs } from '../../protocol/index.js';
import {
  LogQueueForwarder,
  type LogForwarderDeps,
  type LogTargetConfig,
} from './log-queue-forwarder.js';

export class OtlpLogsForwarder extends LogQueueForwarder {
  /** `logs`: the `logs` config section (queue, backoff, compression). */
  constructor(
    target: LogTargetConfig,
    logs: Pick<LogsConfig, 'forward'>,
    deps: LogForwarderDeps
  ) {
    const isGzip = logs.forward.otlp_compression === 'gzip';
    super(
      target,
      logs.forward,
      {
        kind: 'otlp',
        encode: encodeResourceLogs,
        contentHeaders: isGzip
          ? {
              'Content-Type': 'application/x-protobuf',
              'Content-Encoding': 'gzip',
            }
          : { 'Content-Type': 'application/x-protobuf' },
        compress: isGzip ? body => gzipSync(body) : body => body,
      },
      deps
    );
  }
}
