/**
 * Why this file is long: one suite per behaviour of the queue (append, fsync policies, replay, torn tails, full disk, rollback), all over one temporary-directory fixture.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
  appendFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { QueuedBatch } from '../forward-queue.js';
import {
  DiskForwardQueue,
  type DiskForwardQueueOptions,
  type QueueDrop,
} from './disk-forward-queue.js';
import { LOCK_FILE } from './dir-lock.js';
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from './segment-format.js';
import { appendReleased } from '../../../test/helpers/forward-fixtures.js';

const DOWNSTREAM = 'central:9090/api/v1/write';

/** A fragment that says which one it is: `#<id>` padded with `id % 251`. */
function fragment(id: number, length = 100): Uint8Array {
  const out = new Uint8Array(length).fill(id % 251);
  out.set(new TextEncoder().encode(`#${id};`).subarray(0, length));
  return out;
}

function idOf(bytes: Uint8Array): number {
  const text = new TextDecoder().decode(bytes.subarray(0, 12));
  return Number(/^#(\d+);/.exec(text)?.[1] ?? NaN);
}

function ids(batch: QueuedBatch | undefined): number[] {
  return batch === undefined ? [] : batch.fragments.map(idOf);
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter(name => name.endsWith('.seg'))
    .sort();
}

async function counterValue(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  let total = 0;
  for (const v of values) {
    if (v.labels['downstream'] === DOWNSTREAM) total += v.value;
  }
  return total;
}

describe('DiskForwardQueue', () => {
  let root: string;
  let dir: string;
  let registry: Registry;
  let clock: number;
  let logs: {
    level: string;
    message: string;
    fields: Readonly<Record<string, unknown>>;
  }[];
  let drops: QueueDrop[];
  const open: DiskForwardQueue[] = [];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fleetgate-disk-queue-'));
    dir = join(root, 'shard-0');
    registry = new Registry();
    clock = 1_700_000_000_000;
    logs = [];
    drops = [];
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map(q => q.close()));
    rmSync(root, { recursive: true, force: true });
  });

  function openQueue(
    overrides: Partial<DiskForwardQueueOptions> = {}
  ): DiskForwardQueue {
    const queue = DiskForwardQueue.open({
      dir,
      downstream: DOWNSTREAM,
      capacityBytes: 1024 * 1024,
      fsync: 'never',
      registry,
      now: () => clock,
      log: (level, message, fields) => logs.push({ level, message, fields }),
      onDropped: drop => drops.push(drop),
      ...overrides,
    });
    open.push(queue);
    return queue;
  }

  /** Closes `queue` (a clean stop) and opens the directory again. */
  async function reopen(
    queue: DiskForwardQueue,
    overrides: Partial<DiskForwardQueueOptions> = {}
  ): Promise<DiskForwardQueue> {
    await queue.close();
    open.splice(open.indexOf(queue), 1);
    return openQueue(overrides);
  }

  /**
   * Opens a copy of the directory as it is on disk now, which is what a
   * SIGKILL leaves: appends are written synchronously, nothing is buffered
   * in the process.
   */
  function openCrashCopy(
    overrides: Partial<DiskForwardQueueOptions> = {}
  ): DiskForwardQueue {
    const copy = join(root, `crash-${open.length}`);
    cpSync(dir, copy, { recursive: true });
    return openQueue({ dir: copy, ...overrides });
  }

  describe('tryAppend() and peek()', () => {
    it('round-trips fragments, points and bytes in order', async () => {
      const q = openQueue();
      expect(appendReleased(q, fragment(1, 50), 3)).toBe(true);
      expect(appendReleased(q, fragment(2, 70), 0)).toBe(true);
      expect(appendReleased(q, fragment(3, 30), 5)).toBe(true);
      expect([q.points, q.bytes, q.fragmentCount]).toEqual([8, 150, 3]);

      const batch = await q.peek(100, 10_000);
      expect(ids(batch)).toEqual([1, 2, 3]);
      expect(batch?.fragments.map(f => f.byteLength)).toEqual([50, 70, 30]);
      expect(Buffer.from(batch!.fragments[1]!)).toEqual(
        Buffer.from(fragment(2, 70))
      );
      expect([batch?.points, batch?.bytes]).toEqual([8, 150]);
    });

    it('keeps no reference to the appended buffer (the bytes come from disk)', async () => {
      const q = openQueue();
      const original = fragment(1);
      appendReleased(q, original, 1);
      original.fill(0);
      expect(ids(await q.peek(10, 10_000))).toEqual([1]);
    });

    it('takes whole fragments up to the points and bytes limits; a big head comes alone', async () => {
      const q = openQueue();
      appendReleased(q, fragment(1, 100), 4);
      appendReleased(q, fragment(2, 100), 4);
      appendReleased(q, fragment(3, 100), 4);
      expect(ids(await q.peek(8, 10_000))).toEqual([1, 2]);
      expect(ids(await q.peek(7, 10_000))).toEqual([1]);
      expect(ids(await q.peek(100, 250))).toEqual([1, 2]);
      expect(ids(await q.peek(1, 10))).toEqual([1]);
    });

    it('resolves undefined when empty', async () => {
      const q = openQueue();
      expect(await q.peek(10, 10)).toBeUndefined();
    });

    it('spans segments in one batch after a rollover', async () => {
      const q = openQueue({ segmentBytes: 4096 });
      for (let i = 1; i <= 10; i++) appendReleased(q, fragment(i, 1000), 1);
      expect(segmentFiles(dir).length).toBeGreaterThan(2);
      expect(ids(await q.peek(100, 100_000))).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
      ]);
    });
  });

  describe('commit()', () => {
    it('removes the peeked batch; peeking again before it returns the same head', async () => {
      const q = openQueue();
      for (let i = 1; i <= 4; i++) appendReleased(q, fragment(i), 1);
      const first = await q.peek(2, 10_000);
      const again = await q.peek(2, 10_000);
      expect(ids(again)).toEqual(ids(first));
      await q.commit(first!);
      expect(q.fragmentCount).toBe(2);
      expect(ids(await q.peek(10, 10_000))).toEqual([3, 4]);
    });

    it('leaves fragments appended during a peek for the next one', async () => {
      const q = openQueue();
      appendReleased(q, fragment(1), 1);
      const peeking = q.peek(10, 10_000);
      appendReleased(q, fragment(2), 1);
      const batch = await peeking;
      expect(ids(batch)).toEqual([1]);
      await q.commit(batch!);
      expect(ids(await q.peek(10, 10_000))).toEqual([2]);
    });

    it('commits an earlier peek, then the rest of a later, larger one', async () => {
      const q = openQueue();
      for (let i = 1; i <= 5; i++) appendReleased(q, fragment(i), 1);
      const small = await q.peek(2, 10_000);
      const large = await q.peek(4, 10_000);
      await q.commit(small!);
      await q.commit(large!);
      expect(ids(await q.peek(10, 10_000))).toEqual([5]);
      expect([q.points, q.fragmentCount]).toEqual([1, 1]);
    });

    it('rejects a batch it did not peek, and a second commit of one', async () => {
      const q = openQueue();
      appendReleased(q, fragment(1), 1);
      appendReleased(q, fragment(2), 1);
      await expect(
        q.commit({ fragments: [fragment(1)], points: 1, bytes: 100 })
      ).rejects.toThrow(/did not peek/);
      const batch = await q.peek(1, 10_000);
      await q.commit(batch!);
      await expect(q.commit(batch!)).rejects.toThrow(/already committed/);
      expect(q.fragmentCount).toBe(1);
    });
  });

  describe('capacity', () => {
    it('refuses appends once the segment files would pass capacityBytes, and changes nothing', () => {
      const q = openQueue({ capacityBytes: 64 * 1024 });
      let appended = 0;
      while (appendReleased(q, fragment(appended, 1000), 1)) appended++;
      expect(appended).toBeGreaterThan(50);
      expect(q.diskBytes).toBeLessThanOrEqual(64 * 1024);
      expect(q.hasRoom(1, 1000)).toBe(false);
      const before = [q.points, q.bytes, q.fragmentCount, q.diskBytes];
      expect(appendReleased(q, fragment(999, 1000), 1)).toBe(false);
      expect([q.points, q.bytes, q.fragmentCount, q.diskBytes]).toEqual(before);
    });

    it('refuses past capacityPoints when given one', () => {
      const q = openQueue({ capacityPoints: 10 });
      expect(appendReleased(q, fragment(1), 8)).toBe(true);
      expect(q.hasRoom(3, 100)).toBe(false);
      expect(q.hasRoom(2, 100)).toBe(true);
    });

    it('takes one oversized fragment when empty, so a big request never wedges', () => {
      const q = openQueue({ capacityBytes: 64 * 1024 });
      expect(appendReleased(q, fragment(1, 200_000), 1)).toBe(true);
      expect(appendReleased(q, fragment(2, 10), 1)).toBe(false);
    });

    it('has room again once sent segments are deleted', async () => {
      const q = openQueue({ capacityBytes: 64 * 1024 });
      let next = 0;
      while (appendReleased(q, fragment(next, 1000), 1)) next++;
      const batch = await q.peek(next / 2, 1e9);
      await q.commit(batch!);
      expect(q.hasRoom(1, 1000)).toBe(true);
      expect(appendReleased(q, fragment(next, 1000), 1)).toBe(true);
    });
  });

  describe('segments', () => {
    it('rolls over at segmentBytes and deletes a segment once the cursor passed it', async () => {
      const q = openQueue({ segmentBytes: 4096 });
      for (let i = 0; i < 12; i++) appendReleased(q, fragment(i, 1000), 1);
      const before = segmentFiles(dir);
      // 4 records of 1020 bytes and the 8-byte header fit in 4096.
      expect(before.length).toBe(3);
      await q.commit((await q.peek(5, 1e9))!);
      expect(segmentFiles(dir)).toEqual(before.slice(1));
      expect(q.diskBytes).toBe(
        2 * (SEGMENT_HEADER_BYTES + 4 * (RECORD_HEADER_BYTES + 1000))
      );
      await q.commit((await q.peek(100, 1e9))!);
      // The segment being written to stays, whatever was sent from it.
      expect(segmentFiles(dir)).toEqual(before.slice(2));
      expect(appendReleased(q, fragment(12, 1000), 1)).toBe(true);
      expect(ids(await q.peek(100, 1e9))).toEqual([12]);
    });

    it('never appends to a segment left by a previous run', async () => {
      let q = openQueue();
      appendReleased(q, fragment(1), 1);
      q = await reopen(q);
      appendReleased(q, fragment(2), 1);
      expect(segmentFiles(dir).length).toBe(2);
      expect(ids(await q.peek(10, 1e9))).toEqual([1, 2]);
    });
  });

  describe('restart', () => {
    it('replays from the cursor what was not committed, in order', async () => {
      let q = openQueue({ segmentBytes: 4096 });
      for (let i = 1; i <= 10; i++) appendReleased(q, fragment(i, 1000), i);
      await q.commit((await q.peek(1 + 2 + 3, 1e9))!);
      q = await reopen(q, { segmentBytes: 4096 });
      expect(q.fragmentCount).toBe(7);
      expect(q.points).toBe(55 - 6);
      expect(ids(await q.peek(1e9, 1e9))).toEqual([4, 5, 6, 7, 8, 9, 10]);
      expect(logs.some(l => l.message.includes('replaying'))).toBe(true);
    });

    it('keeps everything appended when killed (no close), and at least once what was committed last', async () => {
      const q = openQueue({ fsync: 'always' });
      for (let i = 1; i <= 5; i++) appendReleased(q, fragment(i), 1);
      await q.sync();
      await q.commit((await q.peek(2, 1e9))!);
      appendReleased(q, fragment(6), 1);
      const crashed = openCrashCopy();
      expect(ids(await crashed.peek(1e9, 1e9))).toEqual([3, 4, 5, 6]);
    });

    it('replays everything when the cursor file is garbage (duplicates, never loss)', async () => {
      let q = openQueue();
      for (let i = 1; i <= 3; i++) appendReleased(q, fragment(i), 1);
      await q.commit((await q.peek(1, 1e9))!);
      await q.close();
      open.splice(open.indexOf(q), 1);
      writeFileSync(join(dir, 'cursor'), '\u0000\u0000garbage');
      q = openQueue();
      expect(ids(await q.peek(1e9, 1e9))).toEqual([1, 2, 3]);
      expect(
        logs.some(l => l.level === 'warn' && l.message.includes('cursor'))
      ).toBe(true);
    });

    it('starts empty and deletes sent segments when everything was committed', async () => {
      let q = openQueue();
      appendReleased(q, fragment(1), 1);
      await q.commit((await q.peek(1, 1e9))!);
      q = await reopen(q);
      expect(q.fragmentCount).toBe(0);
      appendReleased(q, fragment(2), 1);
      q = await reopen(q);
      expect(ids(await q.peek(1e9, 1e9))).toEqual([2]);
    });
  });

  describe('torn and corrupt tails', () => {
    /** Three 100-byte records in one segment; returns its path and the records' offsets. */
    async function threeRecords(): Promise<{
      file: string;
      offsets: number[];
    }> {
      const q = openQueue();
      for (let i = 1; i <= 3; i++) appendReleased(q, fragment(i), 1);
      await q.close();
      open.splice(open.indexOf(q), 1);
      const [name] = segmentFiles(dir);
      const step = RECORD_HEADER_BYTES + 100;
      return {
        file: join(dir, name!),
        offsets: [0, 1, 2].map(i => SEGMENT_HEADER_BYTES + i * step),
      };
    }

    function flipByte(file: string, at: number): void {
      const fd = openSync(file, 'r+');
      const one = Buffer.alloc(1);
      try {
        readSync(fd, one, 0, 1, at);
        one[0]! ^= 0xff;
        writeSync(fd, one, 0, 1, at);
      } finally {
        closeSync(fd);
      }
    }

    it.each([
      {
        name: 'a record cut mid-payload',
        damage: (file: string, offsets: number[]) =>
          truncateSync(file, offsets[2]! + 50),
        want: [1, 2],
      },
      {
        name: 'a record cut mid-header',
        damage: (file: string, offsets: number[]) =>
          truncateSync(file, offsets[2]! + 7),
        want: [1, 2],
      },
      {
        name: 'a flipped byte in the last CRC',
        damage: (file: string, offsets: number[]) =>
          flipByte(file, offsets[2]! + 5),
        want: [1, 2],
      },
      {
        name: 'a flipped byte in the last payload',
        damage: (file: string, offsets: number[]) =>
          flipByte(file, offsets[2]! + RECORD_HEADER_BYTES + 60),
        want: [1, 2],
      },
      {
        name: 'garbage appended',
        damage: (file: string) =>
          appendFileSync(
            file,
            Buffer.from('this is not a record, but it is long enough to parse')
          ),
        want: [1, 2, 3],
      },
      {
        name: 'a zero-filled tail',
        damage: (file: string) => appendFileSync(file, Buffer.alloc(4096)),
        want: [1, 2, 3],
      },
    ])(
      'cuts off $name, counts it and keeps the records before it',
      async ({ damage, want }) => {
        const { file, offsets } = await threeRecords();
        damage(file, offsets);
        const q = openQueue();
        expect(ids(await q.peek(1e9, 1e9))).toEqual(want);
        expect(
          await counterValue(registry, 'fleetgate_queue_corrupt_records_total')
        ).toBe(1);
        const goodEnd =
          SEGMENT_HEADER_BYTES + want.length * (RECORD_HEADER_BYTES + 100);
        expect(statSync(file).size).toBe(goodEnd);
        expect(
          logs.some(
            l => l.level === 'warn' && l.message.includes('torn or corrupt')
          )
        ).toBe(true);
        expect(drops).toEqual([
          expect.objectContaining({ reason: 'corrupt', records: 1 }),
        ]);
        // Appends after the repair survive another restart.
        appendReleased(q, fragment(9), 1);
        const again = await reopen(q);
        expect(ids(await again.peek(1e9, 1e9))).toEqual([...want, 9]);
        expect(
          await counterValue(registry, 'fleetgate_queue_corrupt_records_total')
        ).toBe(1);
      }
    );

    it('cuts a corrupt middle segment at the bad record and keeps the later segments', async () => {
      let q = openQueue({ segmentBytes: 4096 });
      for (let i = 1; i <= 6; i++) appendReleased(q, fragment(i, 1000), 1);
      await q.close();
      open.splice(open.indexOf(q), 1);
      const [first] = segmentFiles(dir);
      flipByte(
        join(dir, first!),
        SEGMENT_HEADER_BYTES + (RECORD_HEADER_BYTES + 1000) + 30
      );
      q = openQueue({ segmentBytes: 4096 });
      // Records 2–4 shared the first segment with the bad one; 5–6 are in the next.
      expect(ids(await q.peek(1e9, 1e9))).toEqual([1, 5, 6]);
      expect(
        await counterValue(registry, 'fleetgate_queue_corrupt_records_total')
      ).toBe(1);
    });

    it('removes a segment file left empty or with a torn header, without counting it', async () => {
      const { file } = await threeRecords();
      writeFileSync(join(dir, '0000000000000099.seg'), Buffer.alloc(0));
      writeFileSync(join(dir, '0000000000000100.seg'), Buffer.from('FGQ'));
      const q = openQueue();
      expect(ids(await q.peek(1e9, 1e9))).toEqual([1, 2, 3]);
      expect(existsSync(join(dir, '0000000000000099.seg'))).toBe(false);
      expect(existsSync(file)).toBe(true);
      expect(
        await counterValue(registry, 'fleetgate_queue_corrupt_records_total')
      ).toBe(0);
    });

    it('drops a record found corrupt when read, counted, and sends the rest', async () => {
      const q = openQueue();
      for (let i = 1; i <= 3; i++) appendReleased(q, fragment(i), 2);
      const [name] = segmentFiles(dir);
      flipByte(
        join(dir, name!),
        SEGMENT_HEADER_BYTES +
          (RECORD_HEADER_BYTES + 100) +
          RECORD_HEADER_BYTES +
          10
      );
      const before = await q.peek(1e9, 1e9);
      expect(ids(before)).toEqual([1]);
      await q.commit(before!);
      expect(ids(await q.peek(1e9, 1e9))).toEqual([3]);
      expect(
        await counterValue(registry, 'fleetgate_queue_corrupt_records_total')
      ).toBe(1);
      expect(drops).toEqual([
        { reason: 'corrupt', records: 1, points: 2, bytes: 100 },
      ]);
      expect([q.points, q.fragmentCount]).toEqual([2, 1]);
    });
  });

  describe('age limit', () => {
    it('drops head records older than maxAgeMs, counted and reported', async () => {
      const q = openQueue({ maxAgeMs: 1000 });
      appendReleased(q, fragment(1), 3);
      appendReleased(q, fragment(2), 4);
      clock += 600;
      appendReleased(q, fragment(3), 5);
      clock += 600;
      expect(ids(await q.peek(1e9, 1e9))).toEqual([3]);
      expect([q.points, q.fragmentCount]).toEqual([5, 1]);
      expect(
        await counterValue(registry, 'fleetgate_queue_expired_records_total')
      ).toBe(2);
      expect(
        await counterValue(registry, 'fleetgate_queue_expired_samples_total')
      ).toBe(7);
      expect(drops).toEqual([
        { reason: 'expired', records: 2, points: 7, bytes: 200 },
      ]);
      expect(
        logs.some(l => l.level === 'warn' && l.message.includes('max_age'))
      ).toBe(true);
    });

    it('frees room for fresh data when asked for it, even under a batch being retried', async () => {
      const q = openQueue({ maxAgeMs: 1000, capacityBytes: 64 * 1024 });
      let next = 0;
      while (appendReleased(q, fragment(next, 1000), 1)) next++;
      const stuck = await q.peek(5, 1e9);
      clock += 1001;
      expect(q.hasRoom(1, 1000)).toBe(true);
      expect(q.fragmentCount).toBe(0);
      expect(appendReleased(q, fragment(1000, 1000), 1)).toBe(true);
      // The retried batch's records are gone: its commit removes nothing else.
      await q.commit(stuck!);
      expect(ids(await q.peek(1e9, 1e9))).toEqual([1000]);
    });

    it('applies to what a restart replays (append times are on disk)', async () => {
      let q = openQueue();
      appendReleased(q, fragment(1), 1);
      clock += 5000;
      appendReleased(q, fragment(2), 1);
      q = await reopen(q, { maxAgeMs: 3000 });
      expect(ids(await q.peek(1e9, 1e9))).toEqual([2]);
      expect(
        await counterValue(registry, 'fleetgate_queue_expired_records_total')
      ).toBe(1);
    });
  });

  describe('fsync', () => {
    async function fsyncRounds(): Promise<number> {
      const metric = registry.getSingleMetric(
        'fleetgate_queue_fsync_duration_seconds'
      );
      if (metric === undefined) return 0;
      const { values } = await metric.get();
      const count = values.find(
        v =>
          (v as { metricName?: string }).metricName ===
          'fleetgate_queue_fsync_duration_seconds_count'
      );
      return count?.value ?? 0;
    }

    it('always: sync() resolves after an fdatasync that covers the appends; concurrent syncs share rounds', async () => {
      const q = openQueue({ fsync: 'always' });
      const syncs: Promise<void>[] = [];
      for (let i = 0; i < 20; i++) {
        appendReleased(q, fragment(i), 1);
        syncs.push(q.sync());
      }
      await Promise.all(syncs);
      const rounds = await fsyncRounds();
      expect(rounds).toBeGreaterThanOrEqual(1);
      expect(rounds).toBeLessThanOrEqual(3);
    });

    it('interval: fdatasyncs on the timer when something is unsynced; sync() does not wait', async () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        const q = openQueue({ fsync: 'interval', fsyncIntervalMs: 100 });
        appendReleased(q, fragment(1), 1);
        await q.sync();
        expect(await fsyncRounds()).toBe(0);
        vi.advanceTimersByTime(100);
        await vi.waitFor(async () => expect(await fsyncRounds()).toBe(1));
        vi.advanceTimersByTime(500);
        expect(await fsyncRounds()).toBe(1);
      } finally {
        vi.useRealTimers();
      }
    });

    it('never: never fsyncs', async () => {
      const q = openQueue({ fsync: 'never' });
      appendReleased(q, fragment(1), 1);
      await q.sync();
      await q.close();
      expect(await fsyncRounds()).toBe(0);
    });
  });

  describe('ownership of the directory', () => {
    it('refuses a second open in this process until the first is closed', async () => {
      const q = openQueue();
      expect(() => openQueue()).toThrow(/already open in this process/);
      await reopen(q);
    });

    it('refuses a directory locked by a live process', async () => {
      openQueue();
      await open.pop()!.close();
      writeFileSync(join(dir, LOCK_FILE), `${process.ppid}\n`);
      expect(() => openQueue()).toThrow(
        new RegExp(`process ${process.ppid} holds it`)
      );
    });

    it('takes over the lock of a process that is gone (SIGKILL)', async () => {
      openQueue().tryAppend(fragment(1), 1);
      await open.pop()!.close();
      const gone = spawnSync(process.execPath, ['-e', '0']).pid;
      writeFileSync(join(dir, LOCK_FILE), `${gone}\n`);
      expect(ids(await openQueue().peek(1e9, 1e9))).toEqual([1]);
    });
  });

  it('rejects commits and refuses appends after close', async () => {
    const q = openQueue();
    appendReleased(q, fragment(1), 1);
    const batch = await q.peek(1, 1e9);
    await q.close();
    await expect(q.commit(batch!)).rejects.toThrow(/closed/);
    expect(q.hasRoom(1, 1)).toBe(false);
    expect(await q.peek(1, 1e9)).toBeUndefined();
  });

  it('reports the bytes on disk per downstream on the registry', async () => {
    const q = openQueue();
    appendReleased(q, fragment(1), 1);
    expect(await counterValue(registry, 'fleetgate_queue_disk_bytes')).toBe(
      q.diskBytes
    );
    expect(q.diskBytes).toBe(SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES + 100);
  });

  describe('whole or nothing: release() and rollbackTo()', () => {
    it('holds appended records from peek until released', async () => {
      const q = openQueue();
      q.tryAppend(fragment(1), 1);
      q.tryAppend(fragment(2), 1);
      expect(q.fragmentCount).toBe(2);
      expect(q.readyCount).toBe(0);
      expect(await q.peek(1e9, 1e9)).toBeUndefined();
      q.release(q.tailSeq - 1);
      expect(ids(await q.peek(1e9, 1e9))).toEqual([1]);
      q.release(q.tailSeq);
      expect(ids(await q.peek(1e9, 1e9))).toEqual([1, 2]);
    });

    it('cuts rolled-back records off the files, across a rollover, and never touches released ones', async () => {
      const q = openQueue({ segmentBytes: 4096 });
      appendReleased(q, fragment(1, 1000), 10);
      const start = q.tailSeq;
      const diskBefore = q.diskBytes;
      const filesBefore = segmentFiles(dir);
      // Five records of 1000 bytes roll over to a second segment.
      for (let i = 2; i <= 6; i++) q.tryAppend(fragment(i, 1000), 10);
      expect(segmentFiles(dir).length).toBe(2);
      expect(q.rollbackTo(start)).toBe(50);
      expect(q.points).toBe(10);
      expect(q.fragmentCount).toBe(1);
      expect(q.diskBytes).toBe(diskBefore);
      expect(segmentFiles(dir)).toEqual(filesBefore);
      expect(statSync(join(dir, filesBefore[0]!)).size).toBe(diskBefore);
      expect(
        await counterValue(
          registry,
          'fleetgate_queue_rolled_back_records_total'
        )
      ).toBe(5);
      // Rolling back past what was released removes nothing.
      expect(q.rollbackTo(0)).toBe(0);
      // Appends go on; a restart finds exactly what was kept.
      appendReleased(q, fragment(7), 1);
      const reopened = openCrashCopy();
      expect(ids(await reopened.peek(1e9, 1e9))).toEqual([1, 7]);
    });
  });

  describe('space and gauges', () => {
    it('deletes a fully sent segment of 1 MiB or more at once, not at rollover', async () => {
      const q = openQueue({ capacityBytes: 64 * 1024 * 1024 });
      appendReleased(q, fragment(1, 1024 * 1024), 1);
      await q.commit((await q.peek(1e9, 1e9))!);
      expect(segmentFiles(dir)).toEqual([]);
      expect(q.diskBytes).toBe(0);
      appendReleased(q, fragment(2), 1);
      expect(ids(await q.peek(1e9, 1e9))).toEqual([2]);
    });

    it('reconciles its gauges with the files found on open, and takes its share back on close', async () => {
      const first = openQueue({ segmentBytes: 4096 });
      for (let i = 1; i <= 6; i++) appendReleased(first, fragment(i, 1000), 2);
      await first.close();
      open.splice(open.indexOf(first), 1);
      expect(await counterValue(registry, 'fleetgate_queue_segments')).toBe(0);
      expect(await counterValue(registry, 'fleetgate_queue_disk_bytes')).toBe(
        0
      );
      const files = segmentFiles(dir);
      let onDisk = 0;
      for (const file of files) onDisk += statSync(join(dir, file)).size;
      const q = openQueue({ segmentBytes: 4096 });
      expect(q.points).toBe(12);
      expect(q.fragmentCount).toBe(6);
      expect(q.diskBytes).toBe(onDisk);
      expect(await counterValue(registry, 'fleetgate_queue_segments')).toBe(
        files.length
      );
      expect(await counterValue(registry, 'fleetgate_queue_disk_bytes')).toBe(
        onDisk
      );
      expect(
        logs.find(l => l.message.startsWith('queue reopened'))?.fields
      ).toMatchObject({
        records: 6,
        points: 12,
        segments: files.length,
        diskBytes: onDisk,
      });
    });
  });
});
