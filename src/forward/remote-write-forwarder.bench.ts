/**
 * enqueue() cost: hashing, encoding and copying a realistic request (2000
 * Kubernetes-like series, one sample each) into 4 shards. The queue discards
 * what it is given, so the bench measures the forwarder, not memory growth.
 */
import { bench, describe } from 'vitest';
import { labelsFromRecord, SeriesBatch } from '../model/index.js';
import { SelfMetrics, silentLogger } from '../telemetry/index.js';
import type { ForwardQueue, QueuedBatch } from './forward-queue.js';
import { RemoteWriteForwarder } from './remote-write-forwarder.js';
import { testTarget } from './testing/forward-fixtures.js';

const SERIES_PER_REQUEST = 2000;

class DiscardingQueue implements ForwardQueue {
  readonly points = 0;
  readonly bytes = 0;
  readonly fragmentCount = 0;
  readonly readyCount = 0;
  readonly capacityPoints = Number.MAX_SAFE_INTEGER;
  readonly capacityBytes = Number.MAX_SAFE_INTEGER;
  tailSeq = 0;
  hasRoom(): boolean {
    return true;
  }
  tryAppend(): boolean {
    this.tailSeq++;
    return true;
  }
  release(): void {}
  rollbackTo(): number {
    return 0;
  }
  peek(): Promise<QueuedBatch | undefined> {
    return Promise.resolve(undefined);
  }
  commit(): Promise<number> {
    return Promise.resolve(0);
  }
}

function buildRequest(): SeriesBatch {
  const batch = new SeriesBatch();
  for (let i = 0; i < SERIES_PER_REQUEST; i++) {
    batch.addSeries(
      labelsFromRecord({
        __name__: 'container_cpu_usage_seconds_total',
        cluster: 'prod-us-east',
        container: `app-${i % 20}`,
        env: 'prod',
        instance: `10.0.${i % 250}.${i % 7}:10250`,
        job: 'kubelet',
        namespace: `team-${i % 12}`,
        pod: `app-${i % 20}-7d9c8b6f5-${i.toString(36)}`,
        region: 'us-east-1',
      })
    );
    batch.addSample(i * 0.5, 1_700_000_000_000 + i);
  }
  return batch;
}

describe('RemoteWriteForwarder.enqueue()', () => {
  const forwarder = new RemoteWriteForwarder(
    testTarget('http://127.0.0.1:9/api/v1/write', { shards: 4 }),
    {
      logger: silentLogger(),
      metrics: new SelfMetrics({ collectProcessMetrics: false }),
      version: 'bench',
      createQueue: () => new DiscardingQueue(),
    }
  );
  const batch = buildRequest();

  // Awaited: the whole-or-nothing bookkeeping (AppendLedger) is part of it.
  bench(`${SERIES_PER_REQUEST} series, 4 shards`, async () => {
    await forwarder.enqueue(batch);
  });
});
