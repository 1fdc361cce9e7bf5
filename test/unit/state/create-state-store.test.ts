import { describe, expect, it } from 'vitest';
import {
  MemoryStateStore,
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
