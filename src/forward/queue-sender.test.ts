import { describe, expect, it } from 'vitest';
import { ProtobufWriter } from '../protocol/index.js';
import { UpstreamError } from '../errors.js';
import { encodeSeriesV1 } from '../protocol/index.js';
import { silentLogger } from '../telemetry/index.js';
import { Backoff } from './backoff.js';
import type { ExportResult } from './export-result.js';
import { MemoryForwardQueue } from './memory-forward-queue.js';
import {
  QueueSender,
  type ShardClient,
  type ShardInstruments,
} from './queue-sender.js';
import { splitWriteRequest } from './split-write-request.js';
import { buildBatch } from '../../test/helpers/forward-fixtures.js';
import { decodeWriteRequest } from '../../test/helpers/remote-write-sink.js';

/** One fragment: `padBytes` per series label `pad`, one sample each, valued by index. */
function fragmentOf(padBytes: readonly number[]): Uint8Array {
  const batch = buildBatch(
    padBytes.map((bytes, i) => ({
      labels: { __name__: 'm', i: String(i), pad: 'x'.repeat(bytes) },
      samples: [[i, 1000] as const],
    }))
  );
  const writer = new ProtobufWriter(1024);
  for (let i = 0; i < padBytes.length; i++) encodeSeriesV1(batch, i, writer);
  return writer.finish().slice();
}

function harness(replies: ExportResult['status'][] = []): {
  shard: QueueSender;
  queue: MemoryForwardQueue;
  bodies: Uint8Array[];
  refused: [string, number][];
  delivered: number[];
} {
  const queue = new MemoryForwardQueue({
    capacityPoints: 1000,
    capacityBytes: 1 << 20,
  });
  const bodies: Uint8Array[] = [];
  const client: ShardClient = {
    send: body => {
      bodies.push(body);
      const status = replies.shift() ?? 'success';
      return Promise.resolve(
        status === 'failure'
          ? {
              status,
              httpStatus: 400,
              responseBody: 'no',
              error: new UpstreamError('HTTP 400: no'),
            }
          : { status: 'success', httpStatus: 204 }
      );
    },
  };
  const refused: [string, number][] = [];
  const delivered: number[] = [];
  const instruments: ShardInstruments = {
    addQueued: () => undefined,
    recordRequest: () => undefined,
    recordRetry: () => undefined,
    recordDelivered: points => delivered.push(points),
    recordRefused: (reason, points) => refused.push([reason, points]),
  };
  const shard = new QueueSender({
    index: 0,
    queue,
    client,
    backoff: new Backoff(1, 2),
    instruments,
    logger: silentLogger(),
    maxPointsPerSend: 100,
    maxBytesPerSend: 300,
    batchSendDeadlineMs: 0,
    minBackoffMs: 1,
    now: Date.now,
    // The test reads the bodies as sent.
    compress: body => body.slice(),
    split: splitWriteRequest,
  });
  return { shard, queue, bodies, refused, delivered };
}

async function settle(shard: QueueSender): Promise<void> {
  const loop = shard.run();
  shard.drain();
  await loop;
}

describe('QueueSender', () => {
  it('sends a fragment bigger than a send as several, and sets aside a series bigger than any send', async () => {
    const { shard, queue, bodies, refused, delivered } = harness();
    // 3 small series, one of 1000 bytes, 3 small: 300-byte sends.
    queue.tryAppend(fragmentOf([60, 60, 60, 1000, 60, 60, 60]), 7);
    shard.release(queue.tailSeq);
    await settle(shard);
    expect(bodies.length).toBeGreaterThan(1);
    for (const body of bodies) expect(body.byteLength).toBeLessThanOrEqual(300);
    const values = bodies.flatMap(b =>
      decodeWriteRequest(b).series.map(s => s.samples[0]!.value)
    );
    expect(values).toEqual([0, 1, 2, 4, 5, 6]);
    expect(refused).toEqual([['too_large', 1]]);
    expect(delivered).toEqual([6]);
    expect(queue.fragmentCount).toBe(0);
  });

  it('sets aside a piece the downstream refuses and sends the others', async () => {
    const { shard, queue, bodies, refused } = harness(['success', 'failure']);
    queue.tryAppend(fragmentOf([100, 100, 100, 100]), 4);
    shard.release(queue.tailSeq);
    await settle(shard);
    // Two series of ~115 bytes per 300-byte send: two sends, the second refused.
    expect(bodies).toHaveLength(2);
    expect(refused).toEqual([['http_400', 2]]);
    expect(queue.fragmentCount).toBe(0);
  });

  it('ends a drain only once held fragments are released or rolled back', async () => {
    const { shard, queue, bodies } = harness();
    const start = queue.tailSeq;
    queue.tryAppend(fragmentOf([10]), 1);
    queue.tryAppend(fragmentOf([10]), 1);
    const loop = shard.run();
    shard.drain();
    await new Promise(resolve => setImmediate(resolve));
    expect(bodies).toHaveLength(0);
    shard.release(start + 1);
    shard.rollbackTo(start + 1);
    await loop;
    expect(bodies).toHaveLength(1);
    expect(queue.fragmentCount).toBe(0);
  });
});
