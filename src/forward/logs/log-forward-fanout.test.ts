import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logsSchema } from '../../config/index.js';
import { ConfigError, OverloadedError } from '../../errors.js';
import { buildLogBatch } from '../../../test/helpers/otlp-logs-fixtures.js';
import { SelfMetrics, silentLogger } from '../../telemetry/index.js';
import { MemoryForwardQueue } from '../memory-forward-queue.js';
import { unwritableWhile } from '../../../test/helpers/forward-fixtures.js';
import { LogForwardFanout } from './log-forward-fanout.js';
import type { LogQueueFactory } from './log-queue-forwarder.js';
import { LogSink } from '../../../test/helpers/log-sink.js';

const batch = () =>
  buildLogBatch([
    {
      attributes: { cluster: 'prod-eu' },
      records: [{ body: 'a' }, { body: 'b' }],
    },
  ]);

describe('LogForwardFanout', () => {
  let loki: LogSink;
  let otlp: LogSink;
  const running: LogForwardFanout[] = [];

  beforeEach(async () => {
    loki = await LogSink.start('/loki/api/v1/push');
    otlp = await LogSink.start('/v1/logs');
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map(f => f.stop(100)));
    await loki.close();
    await otlp.close();
  });

  function fanout(
    forward: Record<string, unknown> = {},
    targets?: { loki: unknown[]; otlp: unknown[] },
    createQueue?: LogQueueFactory
  ): LogForwardFanout {
    const logs = logsSchema.parse({
      forward: {
        batch_send_deadline: '5ms',
        min_backoff: '5ms',
        max_backoff: '20ms',
        ...forward,
      },
    });
    const created = new LogForwardFanout(
      (targets ?? {
        loki: [{ url: loki.url, headers: {}, timeout: 2000 }],
        otlp: [{ url: otlp.url, headers: {}, timeout: 2000 }],
      }) as never,
      logs,
      {
        logger: silentLogger(),
        metrics: new SelfMetrics({ collectProcessMetrics: false }),
        version: 'test',
        createQueue,
      }
    );
    running.push(created);
    return created;
  }

  it('sends every record to every downstream', async () => {
    const out = fanout();
    out.start();
    await out.enqueue(batch());
    await loki.waitForRequests(1);
    await otlp.waitForRequests(1);
    expect(
      LogSink.lokiStreams(loki.requests[0]!).flatMap(s =>
        s.entries.map(e => e.line)
      )
    ).toEqual(['a', 'b']);
    expect(
      LogSink.otlpBatch(otlp.requests[0]!).records.map(r => r.body)
    ).toEqual(['a', 'b']);
  });

  it('leaves nothing of a batch in Loki when the OTLP queue cannot write it', async () => {
    let isDiskFull = false;
    const createQueue: LogQueueFactory = (kind, _downstream, capacity) =>
      kind === 'otlp'
        ? unwritableWhile(capacity, () => isDiskFull)
        : new MemoryForwardQueue(capacity);
    const out = fanout({}, undefined, createQueue);
    out.start();
    isDiskFull = true;
    expect(() => out.enqueue(batch())).toThrow(/ENOSPC/);
    isDiskFull = false;
    await out.enqueue(batch());
    await loki.waitForRequests(1);
    await otlp.waitForRequests(1);
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(loki.requests).toHaveLength(1);
    expect(
      LogSink.lokiStreams(loki.requests[0]!).flatMap(s =>
        s.entries.map(e => e.line)
      )
    ).toEqual(['a', 'b']);
  });

  it('appends to none when one downstream is full', async () => {
    const out = fanout({ capacity_records: 2 });
    await out.enqueue(batch());
    expect(() => out.enqueue(batch())).toThrow(OverloadedError);
    expect(out.stats().map(s => [s.downstream, s.queuedPoints])).toEqual([
      ['127.0.0.1:' + new URL(loki.url).port + '/loki/api/v1/push', 2],
      ['127.0.0.1:' + new URL(otlp.url).port + '/v1/logs', 2],
    ]);
  });

  it('refuses two log targets with the same name', () => {
    expect(() =>
      fanout(
        {},
        {
          loki: [
            { url: loki.url, name: 'central', headers: {}, timeout: 1000 },
          ],
          otlp: [
            { url: otlp.url, name: 'central', headers: {}, timeout: 1000 },
          ],
        }
      )
    ).toThrow(ConfigError);
  });

  it('is empty without log downstreams, and enqueue does nothing', () => {
    const out = fanout({}, { loki: [], otlp: [] });
    expect(out.isEmpty).toBe(true);
    expect(() => out.enqueue(batch())).not.toThrow();
  });
});
