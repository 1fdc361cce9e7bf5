/**
 * Appends per second of realistic fragments (one shard's part of a 2000-series
 * request, ~150 KB) under each fsync policy, with a consumer keeping up (it
 * peeks and commits every 64 fragments, reading them back from the page
 * cache). `always` is measured two ways: one request at a time (every
 * append waits for its own fdatasync) and 8 requests in flight (their
 * fdatasyncs are shared: group commit).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, bench, describe } from 'vitest';
import { DiskForwardQueue, type FsyncPolicy } from './disk-forward-queue.js';

const FRAGMENT_BYTES = 150 * 1024;
const POINTS_PER_FRAGMENT = 500;
const DRAIN_EVERY = 64;
const CONCURRENT_REQUESTS = 8;
// Sustained, not a burst: writeback stalls (dirty page throttling) must show.
const OPTIONS = { time: 5000, warmupTime: 1000 };

const root = mkdtempSync(join(tmpdir(), 'fleetgate-queue-bench-'));
const fragment = new Uint8Array(randomBytes(FRAGMENT_BYTES));
let queueCount = 0;

function openQueue(fsync: FsyncPolicy): DiskForwardQueue {
  return DiskForwardQueue.open({
    dir: join(root, `q${queueCount++}`),
    downstream: 'bench',
    capacityBytes: 8 * 1024 ** 3,
    fsync,
    registry: new Registry(),
  });
}

async function drainIfDue(queue: DiskForwardQueue): Promise<void> {
  if (queue.fragmentCount < DRAIN_EVERY) return;
  const batch = await queue.peek(Number.MAX_SAFE_INTEGER, 16 * 1024 * 1024);
  if (batch !== undefined) await queue.commit(batch);
}

/** What an acknowledged request does through its AppendLedger: append, sync, release. */
async function appendAndAck(queue: DiskForwardQueue): Promise<void> {
  if (!queue.tryAppend(fragment, POINTS_PER_FRAGMENT)) {
    throw new Error('bench queue full');
  }
  const end = queue.tailSeq;
  await queue.sync();
  queue.release(end);
}

const queues: DiskForwardQueue[] = [];
afterAll(async () => {
  await Promise.all(queues.map(q => q.close()));
  rmSync(root, { recursive: true, force: true });
});

describe('DiskForwardQueue append of a 150 KB fragment (ops = appends)', () => {
  for (const fsync of ['never', 'interval', 'always'] as const) {
    const queue = openQueue(fsync);
    queues.push(queue);
    bench(
      `fsync ${fsync}, one request at a time`,
      async () => {
        await appendAndAck(queue);
        await drainIfDue(queue);
      },
      OPTIONS
    );
  }

  const grouped = openQueue('always');
  queues.push(grouped);
  bench(
    `fsync always, ${CONCURRENT_REQUESTS} requests in flight (op = ${CONCURRENT_REQUESTS} appends)`,
    async () => {
      const acks: Promise<void>[] = [];
      for (let i = 0; i < CONCURRENT_REQUESTS; i++)
        acks.push(appendAndAck(grouped));
      await Promise.all(acks);
      await drainIfDue(grouped);
    },
    OPTIONS
  );
});
