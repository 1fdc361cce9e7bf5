import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logsSchema } from '../../config/index.js';
import { buildLogBatch } from '../../../test/helpers/otlp-logs-fixtures.js';
import { referenceDecodeOtlpLogs } from '../../../test/helpers/otlp-logs-reference.js';
import { encodeExportLogsRequest } from '../../protocol/index.js';
import type { LogBatch } from '../../model/index.js';
import { SelfMetrics, silentLogger } from '../../telemetry/index.js';
import { SET_ASIDE_LOG_RECORDS_METRIC } from './log-forward-instruments.js';
import type { LogTargetConfig } from './log-queue-forwarder.js';
import { OtlpLogsForwarder } from './otlp-logs-forwarder.js';
import { LogSink } from '../../../test/helpers/log-sink.js';
import { gunzipSync } from 'node:zlib';

function batchOf(lines: string[]): LogBatch {
  return buildLogBatch([
    {
      attributes: {
        cluster: 'prod-eu',
        region: 'eu-west-1',
        'service.name': 'checkout',
      },
      scopes: [
        {
          name: 'app.logger',
          records: lines.map(line => ({
            body: line,
            severityNumber: 13,
            attributes: { n: 1 },
            traceId: '5b8efff798038103d269b633813fc60c',
            timeUnixNano: '1700000000000000001',
          })),
        },
      ],
    },
  ]);
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

describe('OtlpLogsForwarder', () => {
  let sink: LogSink;
  let metrics: SelfMetrics;
  const running: OtlpLogsForwarder[] = [];

  function forwarder(
    target: Partial<LogTargetConfig> = {},
    forward: Record<string, unknown> = {}
  ): OtlpLogsForwarder {
    const logs = logsSchema.parse({
      forward: {
        batch_send_deadline: '5ms',
        min_backoff: '5ms',
        max_backoff: '20ms',
        ...forward,
      },
    });
    const created = new OtlpLogsForwarder(
      { url: sink.url, headers: {}, timeout: 2000, ...target },
      logs,
      {
        logger: silentLogger(),
        metrics,
        version: 'test',
      }
    );
    running.push(created);
    created.start();
    return created;
  }

  beforeEach(async () => {
    sink = await LogSink.start('/v1/logs');
    metrics = new SelfMetrics({ collectProcessMetrics: false });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map(f => f.stop(100)));
    await sink.close();
  });

  it('posts gzip protobuf ExportLogsServiceRequests that keep every field', async () => {
    const otlp = forwarder({ tenant: 'team-a' });
    const batch = batchOf(['a', 'b']);
    await otlp.enqueue(batch);
    await sink.waitForRequests(1);
    const [request] = sink.requests;
    expect(request!.headers).toMatchObject({
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
      'user-agent': 'fleetgate/test',
      'x-scope-orgid': 'team-a',
    });
    expect(LogSink.otlpBatch(request!)).toEqual(batch);
    // The reference decoder reads the same request the gateway encodes.
    expect(referenceDecodeOtlpLogs(gunzipSync(request!.body))).toEqual(
      referenceDecodeOtlpLogs(encodeExportLogsRequest(batch))
    );
  });

  it('can send uncompressed', async () => {
    const otlp = forwarder({}, { otlp_compression: 'none' });
    await otlp.enqueue(batchOf(['a']));
    await sink.waitForRequests(1);
    expect(sink.requests[0]!.headers['content-encoding']).toBeUndefined();
    expect(
      LogSink.otlpBatch(sink.requests[0]!).records.map(r => r.body)
    ).toEqual(['a']);
  });

  it('joins the batches queued during a send into the next request body', async () => {
    sink.reply('hang');
    const otlp = forwarder({ timeout: 200 });
    await otlp.enqueue(batchOf(['1']));
    await sink.waitForRequests(1);
    await otlp.enqueue(batchOf(['2', '3']));
    await otlp.enqueue(batchOf(['4']));
    await eventually(() => expect(sink.accepted()).toHaveLength(2));
    const bodies = sink
      .accepted()
      .map(r => LogSink.otlpBatch(r).records.map(rec => rec.body));
    // The timed-out send is retried as it was; the two later batches go together, in order.
    expect(bodies).toEqual([['1'], ['2', '3', '4']]);
    expect(LogSink.otlpBatch(sink.accepted()[1]!).resources).toHaveLength(2);
  });

  it('retries 503 and sets aside a 400, moving on', async () => {
    sink.reply(
      { status: 503 },
      { status: 400, body: 'bad request: invalid log record' }
    );
    const otlp = forwarder();
    await otlp.enqueue(batchOf(['retried then refused']));
    await sink.waitForRequests(2);
    await otlp.enqueue(batchOf(['next']));
    await eventually(() => expect(sink.accepted()).toHaveLength(1));
    expect(
      LogSink.otlpBatch(sink.accepted()[0]!).records.map(r => r.body)
    ).toEqual(['next']);
    const values = (
      await metrics.registry
        .getSingleMetric(SET_ASIDE_LOG_RECORDS_METRIC)!
        .get()
    ).values;
    expect(values).toEqual([
      { labels: { downstream: otlp.name, reason: 'http_400' }, value: 1 },
    ]);
  });
});
