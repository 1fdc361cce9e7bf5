/**
 * Every configured downstream gets all the data (remote write fans out, it
 * does not shard by URL). An enqueue is all or nothing across downstreams
 * too: every forwarder admits the batch before any appends it, so a full
 * queue anywhere refuses the whole request and the sender's retry cannot
 * duplicate data into the downstreams that had room. An append or fsync that
 * fails in any downstream's queue rolls back the request in all of them
 * (one AppendLedger for the whole fan-out), so no downstream sends it.
 */
import type { RemoteWriteTargetConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { SeriesBatch } from '../model/index.js';
import type {
  Forwarder,
  ForwarderStats,
  ForwarderStopReport,
} from './forwarder.js';
import { AppendLedger, type LedgerShard } from './append-ledger.js';
import { EncodedLabelsCache } from './encoded-labels-cache.js';
import {
  RemoteWriteForwarder,
  type RemoteWriteForwarderDeps,
} from './remote-write-forwarder.js';

export class ForwardFanout {
  private readonly _forwarders: readonly Forwarder[];
  private readonly _ledger: AppendLedger;
  private readonly _shards: readonly LedgerShard[];

  /**
   * One RemoteWriteForwarder per target (`forward.remote_write`), sharing
   * `deps`. Target names (config `name`, else URL host and path) must be
   * unique: they are the `downstream` metric label. Loops start on `start()`.
   */
  constructor(
    remoteWrite: readonly RemoteWriteTargetConfig[],
    deps: RemoteWriteForwarderDeps
  ) {
    // One encoding of a known series' labels serves every downstream.
    const labelsCache = deps.labelsCache ?? new EncodedLabelsCache();
    const appendLedger = deps.appendLedger ?? new AppendLedger();
    const forwarders = remoteWrite.map(
      target =>
        new RemoteWriteForwarder(target, { ...deps, labelsCache, appendLedger })
    );
    const names = new Set<string>();
    for (const forwarder of forwarders) {
      if (names.has(forwarder.name)) {
        throw new ConfigError(
          `cannot forward to ${forwarder.name} twice: give each forward target a distinct name`,
          ['forward.remote_write.name']
        );
      }
      names.add(forwarder.name);
    }
    this._forwarders = forwarders;
    this._ledger = appendLedger;
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
  enqueue(batch: SeriesBatch): Promise<void> | undefined {
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
