/**
 * The logs fan-out: every configured log downstream (`forward.loki`, then
 * `forward.otlp`) gets every accepted record, all or nothing across them
 * (../batch-fanout.ts), so a full queue anywhere refuses the whole request
 * (429). The Loki downstreams share one stream mapping per batch.
 */
import type { Config } from '../../config/index.js';
import type { LogsConfig } from '../../config/index.js';
import { ConfigError } from '../../errors.js';
import type { LogBatch } from '../../model/index.js';
import { LokiStreamMapper } from '../../protocol/index.js';
import { AppendLedger } from '../append-ledger.js';
import { BatchFanout } from '../batch-fanout.js';
import type { LogForwarder, LogForwarderDeps } from './log-queue-forwarder.js';
import { LokiForwarder } from './loki-forwarder.js';
import { OtlpLogsForwarder } from './otlp-logs-forwarder.js';

// Satisfies pipeline's LogBatchForwarder structurally (checked where main.ts
// wires it): forward/ imports nothing of pipeline/ (docs/architecture.md).
export class LogForwardFanout extends BatchFanout<LogBatch, LogForwarder> {
  /**
   * One LokiForwarder per `forward.loki` target and one OtlpLogsForwarder
   * per `forward.otlp` target, sharing `deps`. Names (config `name`, else the
   * URL's host and path) must be unique among them: they are the
   * `downstream` metric label. Loops start on `start()`. Stats list the
   * Loki downstreams first, in configuration order; their points are records.
   *
   * @throws ConfigError when two log targets have the same name.
   */
  constructor(
    forward: Pick<Config['forward'], 'loki' | 'otlp'>,
    logs: Pick<LogsConfig, 'loki' | 'forward'>,
    deps: LogForwarderDeps
  ) {
    const mapper = new LokiStreamMapper(logs.loki);
    // One ledger: a request refused by one downstream's queue leaves nothing in another's.
    const appendLedger = deps.appendLedger ?? new AppendLedger();
    const shared = { ...deps, appendLedger };
    const forwarders: LogForwarder[] = [
      ...forward.loki.map(
        target => new LokiForwarder(target, logs, shared, mapper)
      ),
      ...forward.otlp.map(
        target => new OtlpLogsForwarder(target, logs, shared)
      ),
    ];
    super(
      forwarders,
      appendLedger,
      forwarder =>
        new ConfigError(
          `cannot forward logs to ${forwarder.name} twice: give each forward.loki and forward.otlp target a distinct name`,
          [`forward.${forwarder.kind}.name`]
        )
    );
  }
}
