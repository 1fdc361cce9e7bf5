/**
 * The fleet view's replication: every sync a replica publishes its records
 * (fleet-snapshot.ts; TTL three intervals) and reads the others'. Answers
 * merge them all (mergeClusterRecords). Everything but the counts is also
 * absorbed into the local records, so a cluster's last contact and held
 * reasons outlive the replica that saw them; counts stay per replica
 * (absorbing them would count them twice) and leave with their replica's
 * snapshot.
 */
import { SnapshotExchange, type SnapshotTransport } from '../../state/index.js';
import type { ClusterRecord } from './cluster-record.js';
import {
  FLEET_SNAPSHOT_CODEC,
  FLEET_SNAPSHOT_KIND,
  type EncodedFleetRecords,
} from './fleet-snapshot.js';

const SNAPSHOT_TTL_INTERVALS = 3;

export interface FleetReplicationOptions {
  readonly transport: SnapshotTransport;
  readonly replicaId: string;
  readonly syncIntervalMs: number;
  /** Reason memories quiet this long are finished episodes, not absorbed. */
  readonly clearAfterMs: number;
  readonly onError: (err: unknown) => void;
}

interface PeerRecords {
  readonly publishedAtMs: number;
  readonly records: ReadonlyMap<string, ClusterRecord>;
}

export class FleetReplication {
  private readonly _exchange: SnapshotExchange<
    EncodedFleetRecords,
    Map<string, ClusterRecord>
  >;
  private readonly _ttlMs: number;
  private readonly _clearAfterMs: number;
  private readonly _onError: (err: unknown) => void;
  /** Peers' records from the last sync, by replica. */
  private _peers: readonly PeerRecords[] = [];

  constructor(options: FleetReplicationOptions) {
    this._exchange = new SnapshotExchange({
      transport: options.transport,
      kind: FLEET_SNAPSHOT_KIND,
      replicaId: options.replicaId,
      codec: FLEET_SNAPSHOT_CODEC,
      what: 'fleet',
      onError: options.onError,
    });
    this._ttlMs = SNAPSHOT_TTL_INTERVALS * options.syncIntervalMs;
    this._clearAfterMs = options.clearAfterMs;
    this._onError = options.onError;
  }

  /**
   * Publishes `own`, reads the peers' and hands every peer record to
   * `absorb`. Never rejects: failures go to `onError` and the last peers'
   * view is kept until their snapshots would have expired.
   */
  async sync(
    own: EncodedFleetRecords,
    absorb: (cluster: string, record: ClusterRecord) => void,
    nowMs: number
  ): Promise<void> {
    try {
      await this._exchange.publish(own, this._ttlMs, nowMs);
      const peers: PeerRecords[] = [];
      for (const peer of await this._exchange.readPeers(nowMs)) {
        for (const [name, record] of peer.snapshot) {
          // An expired memory is a finished episode: it must not lend its start to a new one.
          for (const [code, memory] of record.reasons)
            if (nowMs - memory.lastActiveMs >= this._clearAfterMs)
              record.reasons.delete(code);
          absorb(name, record);
        }
        peers.push({
          publishedAtMs: peer.publishedAtMs,
          records: peer.snapshot,
        });
      }
      this._peers = peers;
    } catch (err) {
      this._onError(err);
    }
  }

  /** The peers' records as of the last sync, without those whose snapshot has expired since. */
  livePeers(nowMs: number): ReadonlyMap<string, ClusterRecord>[] {
    const liveFromMs = nowMs - this._ttlMs;
    const live: ReadonlyMap<string, ClusterRecord>[] = [];
    for (const peer of this._peers)
      if (peer.publishedAtMs > liveFromMs) live.push(peer.records);
    return live;
  }
}
