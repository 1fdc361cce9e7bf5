import { describe, expect, it } from 'vitest';
import {
  MemoryStateStore,
  RedisStateStore,
  createStateStore,
} from '../../../src/state/index.js';

describe('createStateStore()', () => {
  it('returns a memory store when no redis is configured', async () => {
    const store = createStateStore({ keyPrefix: 'fleetgate' });
    expect(store).toBeInstanceOf(MemoryStateStore);
    expect(store.kind).toBe('memory');
    await store.close();
  });

  it('returns a memory store for an empty list of cluster nodes', async () => {
    const store = createStateStore({
      keyPrefix: 'fleetgate',
      redisClusterNodes: [],
    });
    expect(store.kind).toBe('memory');
    await store.close();
  });
});

describe('RedisStateStore', () => {
  it('refuses to start without a url or cluster nodes', () => {
    expect(() => new RedisStateStore({ keyPrefix: 'fleetgate' })).toThrow(
      'cannot create the redis state store: give a url or cluster nodes'
    );
  });

  it('refuses a key prefix with a hash-tag brace before connecting', () => {
    expect(
      () =>
        new RedisStateStore({ url: 'redis://127.0.0.1:1', keyPrefix: 'a{b}' })
    ).toThrow(RangeError);
  });
});
