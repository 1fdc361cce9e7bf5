import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import {
  MemorySnapshotTransport,
  MemoryStateStore,
  PortSnapshotTransport,
  SnapshotHub,
} from '../state/index.js';
import {
  AVAILABILITY,
  Checkout,
  clusterOf,
  engine,
  fleet,
  forgetEngine,
  LATENCY,
  ratio,
  run,
  scrape,
  STEP_MS,
  useEngineHarness,
} from '../../test/helpers/slo-engine-harness.js';
import {
  HOUR_MS,
  SECOND_MS,
  SeriesFeed,
  T0,
} from '../../test/helpers/slo-fixtures.js';

useEngineHarness();

describe('SloEngine replication (SloReplication)', () => {
  it('merges per-worker engines over MessagePorts as it merges replicas', async () => {
    const hub = new SnapshotHub(new MemorySnapshotTransport());
    const ports: MessagePort[] = [];
    const workerTransport = (): PortSnapshotTransport => {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1, port2);
      hub.connect(port1);
      return new PortSnapshotTransport(port2);
    };
    try {
      const w0 = engine([AVAILABILITY], {
        store: workerTransport(),
        replicaId: 'w0',
      });
      const w1 = engine([AVAILABILITY], {
        store: workerTransport(),
        replicaId: 'w1',
      });
      const alone = engine([AVAILABILITY]);
      const [feed0, feed1, feedAlone] = [
        new SeriesFeed(),
        new SeriesFeed(),
        new SeriesFeed(),
      ];
      const x = [new Checkout('x'), new Checkout('x')];
      const y = [new Checkout('y'), new Checkout('y')];
      for (let i = 1; i <= 10; i++) {
        for (const s of [...x, ...y]) {
          s.ok += 50;
          s.bad += i % 2;
        }
        scrape(w0, feed0, T0 + i * STEP_MS, [x[0]!]);
        scrape(w1, feed1, T0 + i * STEP_MS, [y[0]!]);
        scrape(alone, feedAlone, T0 + i * STEP_MS, [x[1]!, y[1]!]);
      }
      await w0.publish();
      await w1.publish();
      expect(await w0.reports()).toEqual(await alone.reports());
      expect(await w1.reports()).toEqual(await alone.reports());
    } finally {
      for (const port of ports) port.close();
    }
  });

  describe('with a shared store', () => {
    it('gives the same answer on two replicas: the sum of both', async () => {
      const store = new MemorySnapshotTransport();
      const a = engine([AVAILABILITY, LATENCY], { store, replicaId: 'a' });
      const b = engine([AVAILABILITY, LATENCY], { store, replicaId: 'b' });
      const alone = engine([AVAILABILITY, LATENCY]);
      const [feedA, feedB, feedAlone] = [
        new SeriesFeed(),
        new SeriesFeed(),
        new SeriesFeed(),
      ];
      const x = [new Checkout('x'), new Checkout('x')];
      const y = [new Checkout('y'), new Checkout('y')];
      for (let i = 1; i <= 20; i++) {
        for (const s of [...x, ...y]) {
          s.ok += 90 + i;
          s.bad += i % 3;
        }
        scrape(a, feedA, T0 + i * STEP_MS, [x[0]!]);
        scrape(b, feedB, T0 + i * STEP_MS, [y[0]!]);
        scrape(alone, feedAlone, T0 + i * STEP_MS, [x[1]!, y[1]!]);
      }
      await a.publish();
      await b.publish();
      const fromA = await a.reports();
      const fromB = await b.reports();
      expect(fromB).toEqual(fromA);
      expect(fromA).toEqual(await alone.reports());
      expect(
        clusterOf(fromA[0]!, 'y').windows['5m']!.error_ratio
      ).not.toBeNull();
      // Each replica published only its own events.
      expect(
        (await a.report(AVAILABILITY.name, { cluster: 'x' }))!.windows['5m']
      ).toEqual(
        (await alone.report(AVAILABILITY.name, { cluster: 'x' }))!.windows['5m']
      );
    });

    it('publishes on its timer and answers from the published sums', async () => {
      const store = new MemorySnapshotTransport();
      const a = engine([AVAILABILITY], { store, replicaId: 'a' });
      await a.start();
      const feed = new SeriesFeed();
      const x = new Checkout('x');
      run(a, feed, T0, T0 + 4 * STEP_MS, [x], 9, 1);
      // Not yet published: the answer lags by at most the publish interval.
      expect(ratio(await fleet(a), '5m')).toBeNull();
      await vi.advanceTimersByTimeAsync(6 * SECOND_MS);
      expect(ratio(await fleet(a), '5m')).toBe(0.1);
    });

    it('reloads its own state when it restarts with the same replica id', async () => {
      const store = new MemorySnapshotTransport();
      const first = engine([AVAILABILITY], { store, replicaId: 'gw-0' });
      await first.start();
      const feed = new SeriesFeed();
      const x = new Checkout('x');
      run(first, feed, T0, T0 + HOUR_MS, [x], 99, 1);
      await first.publish();
      const before = await fleet(first);
      await first.stop();

      vi.setSystemTime(T0 + HOUR_MS + 30 * SECOND_MS);
      const second = engine([AVAILABILITY], { store, replicaId: 'gw-0' });
      await second.start();
      expect(second.stats().counters).toBe(1);
      const after = await fleet(second);
      expect(after.windows['30d']).toEqual(before.windows['30d']);
      expect(after.windows['1h']!.error_ratio).toBeCloseTo(0.01, 12);
      // Its series start over (first samples add nothing): the restart counts nothing twice.
      run(
        second,
        new SeriesFeed(),
        T0 + HOUR_MS + 30 * SECOND_MS,
        T0 + HOUR_MS + 90 * SECOND_MS,
        [x],
        100,
        0
      );
      await second.publish();
      const later = await fleet(second);
      // The first run's first scrape was its baseline: 239 steps; the second adds 3 clean steps.
      expect(later.windows['6h']!.error_ratio).toBeCloseTo(
        239 / (239 * 100 + 3 * 100),
        12
      );
    });

    it('keeps counting a replica that is gone, from its last bucket state', async () => {
      const store = new MemorySnapshotTransport();
      const a = engine([AVAILABILITY], { store, replicaId: 'a' });
      const b = engine([AVAILABILITY], { store, replicaId: 'b' });
      await a.start();
      await b.start();
      const x = new Checkout('x');
      const y = new Checkout('y');
      const [feedA, feedB] = [new SeriesFeed(), new SeriesFeed()];
      for (let i = 1; i <= 8; i++) {
        x.ok += 10;
        y.ok += 8;
        y.bad += 2;
        scrape(a, feedA, T0 + i * STEP_MS, [x]);
        scrape(b, feedB, T0 + i * STEP_MS, [y]);
      }
      await a.publish();
      await b.publish();
      // 7 steps each after the baseline: x 70 good, y 56 good and 14 bad.
      const both = await fleet(a);
      expect(ratio(both, '1h')).toBe(14 / 140);
      await b.stop(); // publishes its bucket state; then it is gone for good
      forgetEngine(b);
      await vi.advanceTimersByTimeAsync(20 * SECOND_MS); // b's window sums lapse
      const after = await fleet(a);
      expect(after.clusters.map(c => c.cluster).sort()).toEqual(['x', 'y']);
      expect(ratio(after, '1h')).toBeCloseTo(14 / 140, 12);
    });

    it('answers from local state with a store that is not shared, publishing nothing', async () => {
      const store = new MemoryStateStore();
      const a = engine([AVAILABILITY], { store, replicaId: 'a' });
      await a.start();
      run(a, new SeriesFeed(), T0, T0 + 4 * STEP_MS, [new Checkout('x')], 9, 1);
      await vi.advanceTimersByTimeAsync(10 * SECOND_MS);
      expect(ratio(await fleet(a), '5m')).toBe(0.1);
      expect(await store.readSnapshots('slo-windows', Date.now())).toEqual([]);
    });
  });
});
