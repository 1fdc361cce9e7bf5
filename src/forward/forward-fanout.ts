/**
 * Every configured downstream gets all the data (remote write fans out, it
 * does not shard by URL). An enqueue is all or nothing across downstreams
 * too: every forwarder admits the batch before any appends it, so a full
 * queue anywhere refuses the whole request and the sender's retry cannot
 * duplicate data into the downstreams that had room.
 */
import type { RemoteWriteTargetConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { SeriesBatch } from '../model/index.js';
import type {
  Forwarder,
  ForwarderStats,
  ForwarderStopReport,
} from './forwarder.js';
import { EncodedLabelsCache } from './encoded-labels-cache.js';
import {
  RemoteWriteForwarder,
  type RemoteWriteForwarderDeps,
} from './remote-write-forwarder.js';

export class ForwardFanout {
  private readonly _forwarders: readonly Forwarder[];

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
    const forwarders = remoteWrite.map(
      target => new RemoteWriteForwarder(target, { ...deps, labelsCache })
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
  }

  /** Whether there is no downstream (then enqueue does nothing). */
  get isEmpty(): boolean {
    return this._forwarders.length === 0;
  }

  /**
   * Hands `batch` to every downstream, or to none: throws the first refusal
   * (OverloadedError, UnavailableError) before anything is appended. The batch
   * may be reused by the caller once this returns: data is encoded by then.
   * The promise resolves when the data is durable (disk queues with fsync
   * `always`): only then may the request be acknowledged.
   */
  enqueue(batch: SeriesBatch): Promise<void> | undefined {
    const forwarders = this._forwarders;
    if (forwarders.length === 0) return undefined;
    for (let i = 0; i < forwarders.length; i++) {
      const error = forwarders[i]!.admit(batch);
      if (error !== undefined) throw error;
    }
    for (let i = 0; i < forwarders.length; i++) forwarders[i]!.append(batch);
    if (forwarders.length === 1) return forwarders[0]!.sync();
    return Promise.all(forwarders.map(f => f.sync())).then(() => undefined);
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
