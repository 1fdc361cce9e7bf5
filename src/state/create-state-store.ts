/**
 * Picks the StateStore for a configuration: Redis (standalone or cluster)
 * when a URL or cluster nodes are given, memory otherwise.
 */
import { MemoryStateStore } from './memory-state-store.js';
import { RedisStateStore } from './redis-state-store.js';
import type { StateStore, StoreHealth } from './state-store.js';

export interface CreateStateStoreOptions {
  /** `state.redis`: `redis://host:port/db` (or `rediss://`) of a standalone server. */
  readonly redisUrl?: string;
  /** Seed nodes (`host:port`) of a Redis Cluster; win over `redisUrl`. */
  readonly redisClusterNodes?: string[];
  /** `state.key_prefix` (default `fleetgate` in the config). */
  readonly keyPrefix: string;
  /** Told once per change of `health().degraded` (Redis only). */
  readonly onHealthChange?: (health: StoreHealth) => void;
}

/**
 * The store for `options`. A Redis store connects in the background and
 * answers locally until it is ready (see RedisStateStore); the caller owns
 * it and must `close()` it.
 */
export function createStateStore(options: CreateStateStoreOptions): StateStore {
  const clusterNodes = options.redisClusterNodes ?? [];
  if (options.redisUrl === undefined && clusterNodes.length === 0) {
    return new MemoryStateStore();
  }
  return new RedisStateStore({
    keyPrefix: options.keyPrefix,
    clusterNodes,
    ...(options.redisUrl === undefined ? {} : { url: options.redisUrl }),
    ...(options.onHealthChange === undefined
      ? {}
      : { onHealthChange: options.onHealthChange }),
  });
}
