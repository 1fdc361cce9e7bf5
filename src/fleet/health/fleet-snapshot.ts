/**
 * The fleet view of the snapshot-and-merge component (state/snapshot/):
 * what a replica publishes (its cluster records, JSON, kind `fleet-health`)
 * and the pure merge of every replica's records into one per cluster:
 * - last-seen: max; first-seen: min;
 * - counts (samples, log lines, events, requests, refusals, drops): summed
 *   bucket by bucket, so rates are the sum of the replicas' rates;
 * - skew observations: union (one per sample slot), then the estimate;
 * - collectors: max last-seen; active series: max (routing is sticky per
 *   cluster, so one replica holds its series; max does not double count
 *   after a failover);
 * - reason memories (hysteresis): earliest since, latest activity.
 * (ClusterRecord.merge implements the rules per cluster.)
 */
import { collectByKey, type SnapshotCodec } from '../../state/index.js';
import { ClusterRecord, type EncodedClusterRecord } from './cluster-record.js';

/** Snapshot kind in the state store. */
export const FLEET_SNAPSHOT_KIND = 'fleet-health';
const SNAPSHOT_VERSION = 1;

/** A replica's records as published: cluster → its encoded record. */
export type EncodedFleetRecords = Readonly<
  Record<string, EncodedClusterRecord>
>;

/** Publishes encoded records; reads back live ones. */
export const FLEET_SNAPSHOT_CODEC: SnapshotCodec<
  EncodedFleetRecords,
  Map<string, ClusterRecord>
> = {
  encode: clusters => JSON.stringify({ v: SNAPSHOT_VERSION, clusters }),
  decode: decodeFleetSnapshot,
};

/** Decodes a replica snapshot; throws on a malformed or newer-version one. */
export function decodeFleetSnapshot(
  payload: string
): Map<string, ClusterRecord> {
  const raw: unknown = JSON.parse(payload);
  if (
    typeof raw !== 'object' ||
    raw === null ||
    (raw as { v?: unknown }).v !== SNAPSHOT_VERSION
  )
    throw new TypeError(`want a version ${SNAPSHOT_VERSION} fleet snapshot`);
  const clusters = (raw as { clusters?: unknown }).clusters;
  if (typeof clusters !== 'object' || clusters === null)
    throw new TypeError('clusters: want an object');
  const records = new Map<string, ClusterRecord>();
  for (const [name, encoded] of Object.entries(
    clusters as Record<string, unknown>
  ))
    records.set(name, ClusterRecord.decode(encoded));
  return records;
}

/**
 * Local records merged with the peers' (every cluster, or `only`): one new
 * record per cluster; the inputs are left as they are.
 */
export function mergeClusterRecords(
  local: ReadonlyMap<string, ClusterRecord>,
  peers: readonly ReadonlyMap<string, ClusterRecord>[],
  only?: string
): Map<string, ClusterRecord> {
  const merged = new Map<string, ClusterRecord>();
  for (const [name, parts] of collectByKey([local, ...peers], only))
    merged.set(name, ClusterRecord.merge(parts));
  return merged;
}
