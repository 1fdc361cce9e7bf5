/**
 * The Redis key scheme. Every key starts with the configured prefix
 * (`state.key_prefix`, default `fleetgate`) and carries a Redis Cluster
 * hash tag (`{…}`), so keys spread over the cluster while the keys that one
 * multi-key command or one Lua script reads stay in one slot:
 *
 * | key                                        | type | what |
 * | ------------------------------------------ | ---- | ---- |
 * | `P:{c:CLUSTER}:hll:series:T`               | HLL  | a cluster's active series, bucket starting at T |
 * | `P:{c:CLUSTER}:hll:metric:METRIC:T`        | HLL  | a metric's active series in a cluster |
 * | `P:{m:METRIC}:hll:T`                       | HLL  | a metric's active series fleet-wide |
 * | `P:{fleet}:hll:series:T`                   | HLL  | every active series fleet-wide (one slot) |
 * | `P:{b:BUCKET}:tokens`                      | hash | token bucket: `t` tokens, `ts` last refill ms |
 * | `P:{c:CLUSTER}:ha`                         | hash | HA election: `leader`, `seen` ms |
 * | `P:{s:KIND}:snapshots`                     | hash | replicaId → JSON `{p, t, e}` |
 *
 * T is the bucket start in whole seconds since the epoch. All buckets of one
 * set share its tag, so `PFCOUNT` over a window's buckets is one slot.
 * Names are escaped (`%` → `%25`, `{` → `%7B`, `}` → `%7D`) so a name can
 * neither end a tag early nor open a second one.
 */

import { bucketStartMs } from './active-series-buckets.js';

/** A key and the hash tag that decides its Redis Cluster slot. */
export interface TaggedKey {
  readonly key: string;
  /** The text between the braces; keys with equal tags share a slot. */
  readonly tag: string;
}

/** Builds fleetgate's Redis keys under one prefix. */
export class StateKeys {
  readonly prefix: string;

  /**
   * @throws RangeError when `prefix` is empty or holds `{` or `}` (a brace
   *   in the prefix would become the hash tag of every key).
   */
  constructor(prefix: string) {
    if (prefix.length === 0 || /[{}]/.test(prefix)) {
      throw new RangeError(
        `cannot use redis key prefix ${JSON.stringify(prefix)}: want a non-empty string without { or }`
      );
    }
    this.prefix = prefix;
  }

  /** The tag shared by every bucket of one active-series set. */
  activeSeriesTag(
    cluster: string | undefined,
    metric: string | undefined
  ): string {
    if (cluster !== undefined) return `c:${escapeKeyPart(cluster)}`;
    if (metric !== undefined) return `m:${escapeKeyPart(metric)}`;
    return 'fleet';
  }

  /** The HyperLogLog of one set's bucket that contains `timeMs`. */
  activeSeries(
    cluster: string | undefined,
    metric: string | undefined,
    timeMs: number
  ): TaggedKey {
    const tag = this.activeSeriesTag(cluster, metric);
    const seconds = Math.floor(bucketStartMs(timeMs) / 1000);
    let key: string;
    if (cluster !== undefined && metric !== undefined) {
      key = `${this.prefix}:{${tag}}:hll:metric:${escapeKeyPart(metric)}:${seconds}`;
    } else if (cluster === undefined && metric !== undefined) {
      key = `${this.prefix}:{${tag}}:hll:${seconds}`;
    } else {
      key = `${this.prefix}:{${tag}}:hll:series:${seconds}`;
    }
    return { key, tag };
  }

  /** A token bucket's hash. */
  tokenBucket(bucket: string): TaggedKey {
    const tag = `b:${escapeKeyPart(bucket)}`;
    return { key: `${this.prefix}:{${tag}}:tokens`, tag };
  }

  /** A cluster's HA election hash (same tag as its active series). */
  haElection(cluster: string): TaggedKey {
    const tag = `c:${escapeKeyPart(cluster)}`;
    return { key: `${this.prefix}:{${tag}}:ha`, tag };
  }

  /** The snapshots hash of one kind. */
  snapshots(kind: string): TaggedKey {
    const tag = `s:${escapeKeyPart(kind)}`;
    return { key: `${this.prefix}:{${tag}}:snapshots`, tag };
  }

  /** `SCAN MATCH` pattern of every key under this prefix (glob chars escaped). */
  matchPattern(): string {
    return `${this.prefix.replace(/[*?[\]\\]/g, c => `\\${c}`)}:*`;
  }
}

/** Escapes `%`, `{` and `}` so a name is inert inside a key and its tag. */
export function escapeKeyPart(name: string): string {
  return name.replace(/[%{}]/g, c =>
    c === '%' ? '%25' : c === '{' ? '%7B' : '%7D'
  );
}
