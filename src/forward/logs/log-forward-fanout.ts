/**
 * Every configured log downstream (`forward.loki`, then `forward.otlp`)
 * gets every accepted record. An enqueue is all or nothing across them:
 * each forwarder admits the batch (encodes it, checks room) before any
 * appends it, so a full queue anywhere refuses the whole request (429) and
 * the sender's retry cannot duplicate records into the downstreams that had
 * room. The Loki downstreams share one stream mapping per batch.
 */
import type { Config } from '../../config/index.js';
import type { LogsConfig } from '../../config/index.js';
import { ConfigError } from '../../errors.js';
import type { LogBatch } from '../../model/index.js';
import { LokiStreamMapper } from '../../protocol/index.js';
import { AppendLedger, type LedgerShard } from '../append-ledger.js';
import type { ForwarderStats, ForwarderStopReport } from '../forwarder.js';
import type { LogForwarder, LogForwarderDeps } from './log-queue-forwarder.js';
import { LokiForwarder } from './loki-forwarder.js';
import { OtlpLogsForwarder } from './otlp-logs-forwarder.js';

// Satisfies pipeline's LogBatchForwarder structurally (checked where main.ts
// wires it): forward/ imports nothing of pipeline/ (docs/architecture.md).
export class LogForwardFanout {
  private readonly _forwarders: readonly LogForwarder[];
  private readonly _ledger: AppendLedger;
  private readonly _shards: readonly LedgerShard[];

  /**
   * One LokiForwarder per `forward.loki` target and one OtlpLogsForwarder
   * per `forward.otlp` target, sharing `deps`. Names (config `name`, else the
   * URL's host and path) must be unique among them: they are the
   * `downstream` metric label. Loops start on `start()`.
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
    const names = new Set<string>();
    for (const forwarder of forwarders) {
      if (names.has(forwarder.name)) {
        throw new ConfigError(
          `cannot forward logs to ${forwarder.name} twice: give each forward.loki and forward.otlp target a distinct name`,
          [`forward.${forwarder.kind}.name`]
        );
      }
      names.add(forwarder.name);
    }
    this._forwarders = forwarders;
    this._ledger = appendLedger;
    this._shards = forwarders.flatMap(f => f.ledgerShards);
  }

  /** Whether there is no log downstream (then enqueue does nothing). */
  get isEmpty(): boolean {
    return this._forwarders.length === 0;
  }

  /**
   * Hands the live records of `batch` to every downstream, or to none:
   * throws the first refusal (OverloadedError 429, UnavailableError) before
   * anything is appended. The batch is encoded by the time this returns.
   */
  enqueue(batch: LogBatch): Promise<void> | undefined {
    const forwarders = this._forwarders;
    if (forwarders.length === 0) return undefined;
    for (let i = 0; i < forwarders.length; i++) {
      const error = forwarders[i]!.admit(batch);
      if (error !== undefined) throw error;
    }
    // Acknowledged only once durable (disk queues with fsync `always`);
    // an append or fsync failure anywhere rolls the request back everywhere.
    return this._ledger.append(
      this._shards,
      () => {
        for (let i = 0; i < forwarders.length; i++)
          forwarders[i]!.append(batch);
      },
      () => Promise.all(forwarders.map(f => f.sync())).then(() => undefined)
    );
  }

  /** Starts every downstream's sender loop. */
  start(): void {
    for (const forwarder of this._forwarders) forwarder.start();
  }

  /** Stops all downstreams in parallel, each with the same drain timeout. */
  stop(drainTimeoutMs: number): Promise<ForwarderStopReport[]> {
    return Promise.all(
      this._forwarders.map(forwarder => forwarder.stop(drainTimeoutMs))
    );
  }

  /** Queue state per downstream (Loki ones first, in configuration order); points are records. */
  stats(): ForwarderStats[] {
    return this._forwarders.map(forwarder => forwarder.stats());
  }
}
