import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RemoteWriteTargetConfig } from '../config/index.js';
import { ConfigError, OverloadedError } from '../errors.js';
import type { ForwardQueue } from './forward-queue.js';
import { MemoryForwardQueue } from './memory-forward-queue.js';
import { SelfMetrics, silentLogger } from '../telemetry/index.js';
import { ForwardFanout } from './forward-fanout.js';
import {
  buildRound,
  testTarget,
  unwritableWhile,
} from './testing/forward-fixtures.js';
import { RemoteWriteSink } from './testing/remote-write-sink.js';

describe('ForwardFanout', () => {
  let sinks: RemoteWriteSink[];
  const fanouts: ForwardFanout[] = [];

  function fanout(
    targets: RemoteWriteTargetConfig[],
    createQueue?: (
      shard: number,
      capacity: { capacityPoints: number; capacityBytes: number },
      target: { downstream: string }
    ) => ForwardQueue
  ): ForwardFanout {
    const created = new ForwardFanout(targets, {
      logger: silentLogger(),
      metrics: new SelfMetrics({ collectProcessMetrics: false }),
      version: 'test',
      ...(createQueue === undefined ? {} : { createQueue }),
    });
    fanouts.push(created);
    return created;
  }

  beforeEach(async () => {
    sinks = await Promise.all([
      RemoteWriteSink.start(),
      RemoteWriteSink.start(),
    ]);
  });

  afterEach(async () => {
    await Promise.all(fanouts.splice(0).map(f => f.stop(0)));
    await Promise.all(sinks.map(s => s.close()));
  });

  describe('enqueue()', () => {
    it('sends every sample to every downstream', async () => {
      const f = fanout(sinks.map(s => testTarget(s.url)));
      f.start();
      for (let round = 0; round < 3; round++)
        await f.enqueue(buildRound(round, 40));
      for (const sink of sinks)
        await sink.waitFor(() => sink.acceptedSampleCount() === 120);
      for (const sink of sinks) {
        for (const samples of sink.acceptedSamples().values())
          expect(samples.map(s => s.value)).toEqual([0, 1, 2]);
      }
    });

    it('leaves nothing of a request in any downstream when a queue cannot write it', async () => {
      // The second downstream's queue fails its writes while `isDiskFull`, as a disk queue does on ENOSPC.
      let isDiskFull = false;
      const createQueue = (
        _shard: number,
        capacity: { capacityPoints: number; capacityBytes: number },
        target: { downstream: string }
      ): ForwardQueue =>
        target.downstream === 'd1'
          ? unwritableWhile(capacity, () => isDiskFull)
          : new MemoryForwardQueue(capacity);
      const f = fanout(
        sinks.map((s, i) => testTarget(s.url, { name: `d${i}`, shards: 2 })),
        createQueue
      );
      f.start();
      await f.enqueue(buildRound(0, 20));
      isDiskFull = true;
      expect(() => f.enqueue(buildRound(1, 20))).toThrow(/ENOSPC/);
      isDiskFull = false;
      await f.enqueue(buildRound(2, 20));
      for (const sink of sinks)
        await sink.waitFor(() => sink.acceptedSampleCount() === 40);
      for (const sink of sinks)
        for (const samples of sink.acceptedSamples().values())
          expect(samples.map(s => s.value)).toEqual([0, 2]);
      await vi.waitFor(() =>
        expect(f.stats().map(s => s.queuedPoints)).toEqual([0, 0])
      );
    });

    it('appends to no downstream when one of them is full', async () => {
      const f = fanout([
        testTarget(sinks[0]!.url, { capacity: 1000 }),
        testTarget(sinks[1]!.url, { shards: 1, capacity: 50 }),
      ]);
      await f.enqueue(buildRound(0, 40));
      const before = f.stats();
      expect(before.map(s => s.queuedPoints)).toEqual([40, 40]);
      expect(() => f.enqueue(buildRound(1, 20))).toThrow(OverloadedError);
      expect(f.stats()).toEqual(before);
      await f.enqueue(buildRound(1, 10));
      expect(f.stats().map(s => s.queuedPoints)).toEqual([50, 50]);
    });

    it('does nothing without downstreams', () => {
      const f = fanout([]);
      expect(f.isEmpty).toBe(true);
      expect(() => f.enqueue(buildRound(0, 10))).not.toThrow();
      expect(f.stats()).toEqual([]);
    });
  });

  it('refuses two targets with the same name', () => {
    expect(() =>
      fanout([testTarget(sinks[0]!.url), testTarget(sinks[0]!.url)])
    ).toThrow(ConfigError);
    expect(() =>
      fanout([
        testTarget(sinks[0]!.url, { name: 'a' }),
        testTarget(sinks[0]!.url, { name: 'b' }),
      ])
    ).not.toThrow();
  });

  describe('stop()', () => {
    it('drains every downstream and reports each', async () => {
      const f = fanout(
        sinks.map((s, i) =>
          testTarget(s.url, { name: `d${i}`, batch_send_deadline: 60_000 })
        )
      );
      f.start();
      await f.enqueue(buildRound(0, 25));
      expect(await f.stop(2000)).toEqual([
        { downstream: 'd0', leftPoints: 0, isDrained: true },
        { downstream: 'd1', leftPoints: 0, isDrained: true },
      ]);
      for (const sink of sinks) expect(sink.acceptedSampleCount()).toBe(25);
      await vi.waitFor(() =>
        expect(f.stats().map(s => s.queuedPoints)).toEqual([0, 0])
      );
    });
  });
});
