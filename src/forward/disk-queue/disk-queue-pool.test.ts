import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskQueuePool } from './disk-queue-pool.js';
import { queueDirName } from './queue-dir-name.js';

const CAPACITY = { capacityPoints: 1000, capacityBytes: 2_048_000 };

describe('DiskQueuePool', () => {
  let root: string;
  let logs: string[];
  let pool: DiskQueuePool;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fleetgate-pool-'));
    logs = [];
    pool = new DiskQueuePool({
      queueDir: root,
      fsync: 'never',
      fsyncIntervalMs: 100,
      maxBytes: 4 * 1024 * 1024,
      maxAgeMs: undefined,
      segmentBytes: 1024 * 1024,
      registry: new Registry(),
      log: (_level, message) => logs.push(message),
    });
  });

  afterEach(async () => {
    await pool.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('opens one directory per shard of each downstream and splits max_bytes across the shards', () => {
    const target = { downstream: 'central:9090/api/v1/write', shards: 4 };
    const queues = [0, 1, 2, 3].map(s => pool.createQueue(s, CAPACITY, target));
    const base = join(root, queueDirName(target.downstream));
    for (let s = 0; s < 4; s++)
      expect(existsSync(join(base, `shard-${s}`))).toBe(true);
    expect(queues.map(q => q.capacityBytes)).toEqual(
      [1, 1, 1, 1].map(() => 1024 * 1024)
    );
    // Bytes bind a disk queue, not the forwarder's point capacity.
    expect(queues[0]!.capacityPoints).toBe(Number.POSITIVE_INFINITY);
  });

  it('closes every queue, so the directories can be opened again', async () => {
    const target = { downstream: 'a', shards: 1 };
    pool.createQueue(0, CAPACITY, target).tryAppend(new Uint8Array(10), 1);
    expect(() => pool.createQueue(0, CAPACITY, target)).toThrow(/already open/);
    await pool.close();
    const again = pool.createQueue(0, CAPACITY, target);
    expect(again.fragmentCount).toBe(1);
  });

  it('warns about queued data in shard directories past the shard count', () => {
    const base = join(root, queueDirName('b'));
    mkdirSync(join(base, 'shard-3'), { recursive: true });
    writeFileSync(join(base, 'shard-3', '0000000000000001.seg'), 'x');
    pool.createQueue(0, CAPACITY, { downstream: 'b', shards: 2 });
    expect(
      logs.some(m => m.includes('beyond the configured shard count'))
    ).toBe(true);
  });
});
