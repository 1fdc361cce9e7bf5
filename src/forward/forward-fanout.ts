/**
 * The remote write fan-out: one RemoteWriteForwarder per
 * `forward.remote_write` target, all or nothing across them
 * (batch-fanout.ts).
 */
import type { RemoteWriteTargetConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { SeriesBatch } from '../model/index.js';
import { AppendLedger } from './append-ledger.js';
import { BatchFanout } from './batch-fanout.js';
import { EncodedLabelsCache } from './encoded-labels-cache.js';
import {
  RemoteWriteForwarder,
  type RemoteWriteForwarderDeps,
} from './remote-write-forwarder.js';

export class ForwardFanout extends BatchFanout<SeriesBatch> {
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
    super(
      forwarders,
      appendLedger,
      forwarder =>
        new ConfigError(
          `cannot forward to ${forwarder.name} twice: give each forward target a distinct name`,
          ['forward.remote_write.name']
        )
    );
  }
}
