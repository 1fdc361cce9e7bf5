/**
 * Every configured downstream of one signal gets all the data (fan-out,
 * not sharding by URL), for any batch type: ForwardFanout (remote write,
 * SeriesBatch) and LogForwardFanout (Loki and OTLP, LogBatch) are this
 * with their own forwarders. An enqueue is all or nothing across
 * downstreams: every forwarder admits the batch before any appends it, so
 * a full queue anywhere refuses the whole request and the sender's retry
 * cannot duplicate data into the downstreams that had room. An append or
 * fsync that fails in any downstream's queue rolls back the request in all
 * of them (one AppendLedger for the whole fan-out), so no downstream
 * sends it.
 */
import type { ConfigError } from '../errors.js';
import type { AppendLedger, LedgerShard } from './append-ledger.js';
import type {
  Forwarder,
  ForwarderStats,
  ForwarderStopReport,
} from './forwarder.js';

export class BatchFanout<B, F extends Forwarder<B> = Forwarder<B>> {
  protected readonly _forwarders: readonly F[];
  private readonly _ledger: AppendLedger;
  private readonly _shards: readonly LedgerShard[];

  /**
   * @param forwarders one per downstream, sharing `ledger`; their names are
   *   the `downstream` metric label and must be unique.
   * @param duplicateName the error for a name given twice (it names the config key).
   * @throws ConfigError when two forwarders have the same name.
   */
  constructor(
    forwarders: readonly F[],
    ledger: AppendLedger,
    duplicateName: (forwarder: F) => ConfigError
  ) {
    const names = new Set<string>();
    for (const forwarder of forwarders) {
      if (names.has(forwarder.name)) throw duplicateName(forwarder);
      names.add(forwarder.name);
    }
    this._forwarders = forwarders;
    this._ledger = ledger;
    this._shards = forwarders.flatMap(f => f.ledgerShards);
  }

  /** Whether there is no downstream (then enqueue does nothing). */
  get isEmpty(): boolean {
    return this._forwarders.length === 0;
  }

  /**
   * Hands `batch` to every downstream, or to none: throws the first refusal
   * (OverloadedError, UnavailableError) before anything is appended, or,
   * after rolling every queue back, the append error of a queue that cannot
   * write. The batch may be reused by the caller once this returns: data is
   * encoded by then. The promise resolves when the data is durable (disk
   * queues with fsync `always`) and released to the senders: only then may
   * the request be acknowledged; it rejects (and nothing of the request is
   * sent) when a queue could not make it durable.
   */
  enqueue(batch: B): Promise<void> | undefined {
    const forwarders = this._forwarders;
    if (forwarders.length === 0) return undefined;
    for (let i = 0; i < forwarders.length; i++) {
      const error = forwarders[i]!.admit(batch);
      if (error !== undefined) throw error;
    }
    return this._ledger.append(
      this._shards,
      () => {
        for (let i = 0; i < forwarders.length; i++)
          forwarders[i]!.append(batch);
      },
      () => this._sync()
    );
  }

  private async _sync(): Promise<void> {
    const forwarders = this._forwarders;
    if (forwarders.length === 1) return forwarders[0]!.sync();
    await Promise.all(forwarders.map(f => f.sync()));
  }

  /** Starts every downstream's sender loops. */
  start(): void {
    for (const forwarder of this._forwarders) forwarder.start();
  }

  /** Stops all downstreams in parallel, each with the same drain timeout. */
  stop(drainTimeoutMs: number): Promise<ForwarderStopReport[]> {
    return Promise.all(
      this._forwarders.map(forwarder => forwarder.stop(drainTimeoutMs))
    );
  }

  /** Queue state per downstream, in configuration order. */
  stats(): ForwarderStats[] {
    return this._forwarders.map(forwarder => forwarder.stats());
  }
}
