/**
 * Issue 11, item 4 ("gauges reconcile"): `fleetgate_forward_queue_samples`
 * went wrong when the age limit dropped records under a batch being
 * retried. The drop already took them off the gauge (onDropped), and the
 * commit after the retry took the whole batch off again, so the gauge ended
 * below the truth (0 or negative while samples were queued). A commit now
 * reports the points it removed, and only those leave the gauge.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DiskQueuePool } from '../../src/forward/disk-queue/index.js';
import { RemoteWriteForwarder } from '../../src/forward/index.js';
import {
  buildRound,
  metricValue,
  testTarget,
} from '../../src/forward/testing/forward-fixtures.js';
import { RemoteWriteSink } from '../../src/forward/testing/remote-write-sink.js';
import { SelfMetrics, silentLogger } from '../../src/telemetry/index.js';

const MAX_AGE_MS = 60_000;

describe('the queued-samples gauge after the age limit drops a batch being retried', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('ends at 0 once everything is sent, never below the truth', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fleetgate-gauge-'));
    cleanups.push(() =>
      Promise.resolve(rmSync(root, { recursive: true, force: true }))
    );
    const sink = await RemoteWriteSink.start();
    cleanups.push(() => sink.close());
    sink.replyByDefault({ status: 500 });
    // Real time plus a jump the test makes (the sender's batching needs time to pass).
    let jumpMs = 0;
    const now = (): number => Date.now() + jumpMs;
    const metrics = new SelfMetrics({ collectProcessMetrics: false });
    const pool = new DiskQueuePool({
      queueDir: root,
      fsync: 'never',
      fsyncIntervalMs: 100,
      maxBytes: 1024 * 1024,
      maxAgeMs: MAX_AGE_MS,
      segmentBytes: 64 * 1024,
      registry: metrics.registry,
      now,
      // As main.ts wires it.
      onDropped: (downstream, drop) =>
        metrics.forwardQueueSamples.dec({ downstream }, drop.points),
    });
    const forwarder = new RemoteWriteForwarder(
      testTarget(sink.url, { name: 'central', shards: 1 }),
      {
        logger: silentLogger(),
        metrics,
        version: 'test',
        now,
        createQueue: pool.createQueue,
      }
    );
    cleanups.push(async () => {
      await forwarder.stop(0);
      await pool.close();
    });
    const queued = (): Promise<number> =>
      metricValue(metrics, 'forwardQueueSamples', { downstream: 'central' });
    forwarder.start();
    await forwarder.enqueue(buildRound(0, 3));
    await sink.waitFor(() => sink.requests.length > 0);
    // The batch being retried grows too old; a new request asks for room.
    jumpMs += MAX_AGE_MS + 1;
    await forwarder.enqueue(buildRound(1, 4));
    expect(await queued()).toBe(4);
    sink.replyByDefault({ status: 204 });
    await sink.waitFor(() => sink.acceptedSampleCount() === 3 + 4, 5000);
    await sink.waitFor(() => forwarder.stats().queuedPoints === 0, 5000);
    // The gauge moves once the commit's cursor write is done.
    await vi.waitFor(async () => expect(await queued()).toBe(0));
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(await queued()).toBe(0);
  });
});
