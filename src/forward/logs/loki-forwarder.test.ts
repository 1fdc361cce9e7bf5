import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logsSchema, type LogsConfig } from '../../config/index.js';
import { OverloadedError, UnavailableError } from '../../errors.js';
import { buildLogBatch } from '../../../test/helpers/otlp-logs-fixtures.js';
import type { LogBatch } from '../../model/index.js';
import { SelfMetrics, silentLogger } from '../../telemetry/index.js';
import { MemoryForwardQueue } from '../memory-forward-queue.js';
import { captureLogger } from '../../../test/helpers/forward-fixtures.js';
import {
  FORWARDED_LOG_RECORDS_METRIC,
  QUEUED_LOG_RECORDS_METRIC,
  SET_ASIDE_LOG_RECORDS_METRIC,
} from './log-forward-instruments.js';
import type {
  LogForwarderDeps,
  LogTargetConfig,
} from './log-queue-forwarder.js';
import { LokiForwarder } from './loki-forwarder.js';
import { parseLokiLabels } from '../../../test/helpers/loki-reference.js';
import { LogSink } from '../../../test/helpers/log-sink.js';

const IDENTITY = {
  cluster: 'prod-eu',
  region: 'eu-west-1',
  env: 'prod',
  team: 'payments',
};

/** A normalized batch of one resource whose records have these bodies. */
function batchOf(
  lines: string[],
  extra: Record<string, string> = {}
): LogBatch {
  return buildLogBatch(
    [
      {
        attributes: {
          ...IDENTITY,
          'service.name': 'checkout',
          'k8s.namespace.name': 'shop',
          'k8s.pod.name': 'p-1',
          ...extra,
        },
        records: lines.map((line, i) => ({
          body: line,
          severityNumber: 9,
          timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i)),
        })),
      },
    ],
    1_700_000_000_000
  );
}

function fastLogs(forward: Record<string, unknown> = {}): LogsConfig {
  return logsSchema.parse({
    forward: {
      batch_send_deadline: '5ms',
      min_backoff: '5ms',
      max_backoff: '20ms',
      ...forward,
    },
  });
}

async function eventually(
  check: () => void | Promise<void>,
  timeoutMs = 5000
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise(resolve => setTimeout(resolve, 10));
    }
  }
}

describe('LokiForwarder', () => {
  let sink: LogSink;
  let metrics: SelfMetrics;
  const running: LokiForwarder[] = [];

  function forwarder(
    target: Partial<LogTargetConfig> = {},
    logs = fastLogs(),
    deps: Partial<LogForwarderDeps> = {}
  ): LokiForwarder {
    const created = new LokiForwarder(
      { url: sink.url, headers: {}, timeout: 2000, ...target },
      logs,
      {
        logger: silentLogger(),
        metrics,
        version: 'test',
        ...deps,
      }
    );
    running.push(created);
    return created;
  }

  async function metric(
    name: string,
    labels: Record<string, string>
  ): Promise<number> {
    const values = (await metrics.registry.getSingleMetric(name)!.get()).values;
    return (
      values.find(v =>
        Object.entries(labels).every(([k, want]) => v.labels[k] === want)
      )?.value ?? 0
    );
  }

  /** Every entry line the sink accepted, in arrival order. */
  function deliveredLines(): string[] {
    return sink
      .accepted()
      .flatMap(r =>
        LogSink.lokiStreams(r).flatMap(s => s.entries.map(e => e.line))
      );
  }

  beforeEach(async () => {
    sink = await LogSink.start();
    metrics = new SelfMetrics({ collectProcessMetrics: false });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map(f => f.stop(100)));
    await sink.close();
  });

  it("pushes snappy protobuf streams with Loki's headers and the tenant", async () => {
    const loki = forwarder({
      tenant: 'team-a',
      headers: { 'X-Extra': '1', 'Content-Type': 'text/plain' },
    });
    loki.start();
    await loki.enqueue(batchOf(['hello', 'world']));
    await sink.waitForRequests(1);
    const [request] = sink.requests;
    expect(request!.headers).toMatchObject({
      'content-type': 'application/x-protobuf',
      'user-agent': 'fleetgate/test',
      'x-scope-orgid': 'team-a',
      'x-extra': '1',
    });
    expect(request!.headers['content-encoding']).toBeUndefined();
    const streams = LogSink.lokiStreams(request!);
    expect(streams).toHaveLength(1);
    expect(parseLokiLabels(streams[0]!.labels)).toEqual({
      cluster: 'prod-eu',
      region: 'eu-west-1',
      env: 'prod',
      namespace: 'shop',
      service_name: 'checkout',
      level: 'info',
    });
    expect(streams[0]!.entries).toEqual([
      {
        timeUnixNano: 1_700_000_000_000_000_000n,
        line: 'hello',
        structuredMetadata: [
          ['team', 'payments'],
          ['k8s_pod_name', 'p-1'],
          ['severity_number', '9'],
        ],
      },
      {
        timeUnixNano: 1_700_000_000_000_000_001n,
        line: 'world',
        structuredMetadata: [
          ['team', 'payments'],
          ['k8s_pod_name', 'p-1'],
          ['severity_number', '9'],
        ],
      },
    ]);
    await eventually(async () =>
      expect(
        await metric(FORWARDED_LOG_RECORDS_METRIC, { downstream: loki.name })
      ).toBe(2)
    );
    expect(
      await metric(QUEUED_LOG_RECORDS_METRIC, { downstream: loki.name })
    ).toBe(0);
  });

  it('moves URL credentials into basic auth', async () => {
    const url = new URL(sink.url);
    url.username = 'user';
    url.password = 'p@ss';
    const loki = forwarder({ url: url.href });
    loki.start();
    await loki.enqueue(batchOf(['x']));
    await sink.waitForRequests(1);
    expect(sink.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('user:p@ss').toString('base64')}`
    );
    expect(loki.name).not.toContain('p@ss');
  });

  it('retries 5xx, 429 and network errors, honouring Retry-After, and delivers once', async () => {
    sink.reply(
      { status: 503, body: 'ingester unavailable' },
      { status: 429, headers: { 'Retry-After': '0' }, body: 'slow down' },
      'destroy',
      {
        status: 500,
      }
    );
    const loki = forwarder();
    loki.start();
    await loki.enqueue(batchOf(['a', 'b']));
    await eventually(() => expect(sink.accepted()).toHaveLength(1));
    expect(sink.requests.map(r => r.status)).toEqual([503, 429, 0, 500, 204]);
    expect(deliveredLines()).toEqual(['a', 'b']);
    expect(
      await metric('fleetgate_forward_retries_total', {
        downstream: loki.name,
        reason: '5xx',
      })
    ).toBe(2);
    expect(
      await metric('fleetgate_forward_retries_total', {
        downstream: loki.name,
        reason: '429',
      })
    ).toBe(1);
    expect(
      await metric('fleetgate_forward_retries_total', {
        downstream: loki.name,
        reason: 'network',
      })
    ).toBe(1);
    // Recorded once the client has read the answer, just after the sink sent it.
    await eventually(async () =>
      expect(
        await metric('fleetgate_forward_requests_total', {
          downstream: loki.name,
          status_code: '204',
        })
      ).toBe(1)
    );
  });

  it('sets a batch Loki refuses with 400 aside, says why, and moves on', async () => {
    const { logger, lines } = captureLogger();
    sink.reply({
      status: 400,
      body: 'entry for stream \'{cluster="prod-eu"}\' has timestamp too old',
    });
    const loki = forwarder({}, fastLogs(), { logger });
    loki.start();
    await loki.enqueue(batchOf(['too-old-1', 'too-old-2']));
    await sink.waitForRequests(1);
    await loki.enqueue(batchOf(['fine']));
    await eventually(() => expect(sink.accepted()).toHaveLength(1));
    expect(deliveredLines()).toEqual(['fine']);
    expect(sink.requests).toHaveLength(2);
    expect(
      await metric(SET_ASIDE_LOG_RECORDS_METRIC, {
        downstream: loki.name,
        reason: 'http_400',
      })
    ).toBe(2);
    const refusal = lines.find(l => l['status'] === 400);
    expect(refusal?.['body']).toContain('has timestamp too old');
    expect(refusal?.['downstream']).toBe(loki.name);
  });

  it('delivers every record once and in order through an outage', async () => {
    sink.reply({ status: 503 }, { status: 503 }, { status: 502 }, 'destroy', {
      status: 503,
    });
    const loki = forwarder({}, fastLogs({ max_records_per_send: 7 }));
    loki.start();
    const want: string[] = [];
    for (let b = 0; b < 30; b++) {
      const lines = [`${b}-a`, `${b}-b`, `${b}-c`];
      want.push(...lines);
      await loki.enqueue(batchOf(lines));
      if (b % 5 === 0) await new Promise(resolve => setTimeout(resolve, 3));
    }
    await eventually(() => expect(deliveredLines()).toHaveLength(want.length));
    expect(deliveredLines()).toEqual(want);
  });

  it('refuses an enqueue when the queue is full, appending nothing, with a retryable 429', async () => {
    const loki = forwarder({}, fastLogs({ capacity_records: 3 }));
    await loki.enqueue(batchOf(['1', '2']));
    const error = loki.admit(batchOf(['3', '4']));
    expect(error).toBeInstanceOf(OverloadedError);
    expect((error as OverloadedError).httpStatus).toBe(429);
    expect((error as OverloadedError).retryAfterMs).toBeGreaterThanOrEqual(
      1000
    );
    expect((error as OverloadedError).retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(error!.message).toContain(
      'log forward queue full (2 of 3 records queued)'
    );
    expect(loki.stats().queuedPoints).toBe(2);
    expect(() => loki.append(batchOf(['3']))).toThrow('was not just admitted');
  });

  it('takes a batch larger than the whole queue when the queue is empty', () => {
    const loki = forwarder({}, fastLogs({ capacity_records: 2 }));
    expect(loki.admit(batchOf(['1', '2', '3']))).toBeUndefined();
  });

  it('drains what is queued on stop, then refuses enqueues', async () => {
    const loki = forwarder();
    loki.start();
    await loki.enqueue(batchOf(['last words']));
    const report = await loki.stop(2000);
    expect(report).toEqual({
      downstream: loki.name,
      leftPoints: 0,
      isDrained: true,
    });
    expect(deliveredLines()).toEqual(['last words']);
    expect(loki.admit(batchOf(['late']))).toBeInstanceOf(UnavailableError);
  });

  it('reports what it could not send before the drain timeout', async () => {
    sink.reply('hang');
    const loki = forwarder();
    loki.start();
    await loki.enqueue(batchOf(['stuck']));
    await sink.waitForRequests(1);
    expect(await loki.stop(50)).toEqual({
      downstream: loki.name,
      leftPoints: 1,
      isDrained: false,
    });
  });

  it('queues nothing for a batch with no live record', async () => {
    const loki = forwarder();
    const batch = batchOf(['x']);
    batch.dropped[0] = 1;
    await loki.enqueue(batch);
    expect(loki.stats().shards[0]!.queuedFragments).toBe(0);
  });

  it('builds its queue with the given factory (the seam for the durable queue)', async () => {
    const made: string[] = [];
    const loki = forwarder({ name: 'central-loki' }, fastLogs(), {
      createQueue: (kind, downstream, capacity) => {
        made.push(
          `${kind}/${downstream}/${capacity.capacityPoints}/${capacity.capacityBytes}`
        );
        return new MemoryForwardQueue(capacity);
      },
    });
    await loki.enqueue(batchOf(['x']));
    expect(made).toEqual(['loki/central-loki/200000/409600000']);
    expect(loki.stats().queuedPoints).toBe(1);
  });
});
