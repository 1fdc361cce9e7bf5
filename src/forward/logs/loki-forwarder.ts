/**
 * Forwarding to one Loki push endpoint (`forward.loki`): records become
 * streams (LokiStreamMapper: labels, line, structured metadata) encoded as
 * `logproto.PushRequest` fragments, sent snappy-compressed with
 * `Content-Type: application/x-protobuf` (Loki reads protobuf bodies as raw
 * snappy whatever the Content-Encoding, so none is sent, like promtail) and
 * `X-Scope-OrgID` from the target's `tenant`. Queueing, retries and setting
 * aside refused batches are LogQueueForwarder's.
 *
 * Loki answers a push with some invalid entries (too old, line too long,
 * too much metadata) with 400 after storing the valid ones: setting the
 * batch aside then loses only what Loki itself refused.
 */
import { snappyCompress } from '../../protocol/index.js';
import type { LogsConfig } from '../../config/index.js';
import { LokiStreamMapper } from '../../protocol/index.js';
import { encodeLokiStreams } from '../../protocol/index.js';
import {
  LogQueueForwarder,
  type LogForwarderDeps,
  type LogTargetConfig,
} from './log-queue-forwarder.js';

export class LokiForwarder extends LogQueueForwarder {
  /**
   * `logs`: the `logs` config section (stream labels, line format, queue).
   * `mapper`: share one across the Loki downstreams of a fan-out, so a batch
   * is mapped to streams once.
   */
  constructor(
    target: LogTargetConfig,
    logs: Pick<LogsConfig, 'loki' | 'forward'>,
    deps: LogForwarderDeps,
    mapper: LokiStreamMapper = new LokiStreamMapper(logs.loki)
  ) {
    super(
      target,
      logs.forward,
      {
        kind: 'loki',
        encode: (batch, writer) => encodeLokiStreams(mapper.map(batch), writer),
        contentHeaders: { 'Content-Type': 'application/x-protobuf' },
        compress: snappyCompress,
      },
      deps
    );
  }
}
