/**
 * The logs route on a throwaway express app (port 0) with the real error
 * handler, the real logs service and a real Loki forwarder to a local Loki
 * test server; the OpenTelemetry JS SDK's OTLP log exporters (protobuf and
 * JSON) are the senders. `@opentelemetry/exporter-logs-otlp-*`, `sdk-logs`
 * and `api-logs` come through `@opentelemetry/sdk-node` (not direct
 * devDependencies).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as OtlpHttpJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OtlpProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordExporter,
} from '@opentelemetry/sdk-logs';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ExportLogsServiceResponse,
  RpcStatus,
  referenceToObject,
} from '../../../test/helpers/otlp-reference.js';
import { defaultConfig } from '../../config/index.js';
import { logsSchema } from '../../config/index.js';
import { LogForwardFanout } from '../../forward/index.js';
import { parseLokiLabels } from '../../../test/helpers/loki-reference.js';
import { LogSink } from '../../../test/helpers/log-sink.js';
import { otlpLogsJsonBody } from '../../../test/helpers/otlp-logs-fixtures.js';
import { encodeOtlpLogsJsonAsProtobuf } from '../../../test/helpers/otlp-logs-reference.js';
import { otlpLogsRequest } from '../../../test/helpers/otlp-logs-fixtures.js';
import { Identifier, type Identity } from '../../pipeline/index.js';
import { LogsIngestService } from '../../pipeline/index.js';
import { MemoryStateStore } from '../../state/index.js';
import { SelfMetrics, silentLogger } from '../../telemetry/index.js';
import { createErrorHandler } from '../error-handler.js';
import { otlpLogsHandler } from './otlp-logs.js';
import {
  PROD_EU_TOKEN,
  prodEuRegistry,
} from '../../../test/helpers/route-fixtures.js';

const TOKEN = PROD_EU_TOKEN;
const registry = prodEuRegistry();
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const MAX_BODY_BYTES = 64 * 1024;

describe('otlpLogsHandler()', () => {
  let server: Server;
  let base: string;
  let loki: LogSink;
  let fanout: LogForwardFanout;
  let observed: { identity: Identity; records: number }[];
  let seen: string[];

  async function start(
    logsOverrides: Record<string, unknown> = {}
  ): Promise<void> {
    const metrics = new SelfMetrics({ collectProcessMetrics: false });
    const logs = logsSchema.parse({
      ...logsOverrides,
      forward: {
        batch_send_deadline: '5ms',
        min_backoff: '5ms',
        max_backoff: '20ms',
      },
    });
    fanout = new LogForwardFanout(
      {
        loki: [{ url: loki.url, headers: {}, timeout: 2000, tenant: 'fleet' }],
        otlp: [],
      },
      logs,
      {
        logger: silentLogger(),
        metrics,
        version: 'test',
      }
    );
    fanout.start();
    observed = [];
    const service = new LogsIngestService({
      registry,
      normalize: {
        aliases: defaultConfig().normalize.aliases,
        unknownCluster: 'unknown',
      },
      logs,
      store: new MemoryStateStore(),
      metricsRegistry: metrics.registry,
      forwarder: fanout,
      observers: [
        {
          name: 'test',
          observe: (batch, write) =>
            void observed.push({
              identity: write.identity,
              records: batch.liveRecordCount(),
            }),
        },
      ],
    });
    const runtime = {
      identifier: new Identifier(registry, '127.0.0.1'),
      config: {
        server: {
          max_body_bytes: MAX_BODY_BYTES,
          max_decompressed_bytes: 4 * MAX_BODY_BYTES,
          body_timeout: 10_000,
          min_body_rate: 8192,
        },
        request_limits: defaultConfig().request_limits,
      },
    };
    const handler = otlpLogsHandler({
      runtime: () => runtime,
      logs: () => service,
    });
    const app = express();
    seen = [];
    app.use((req, _res, next) => {
      seen.push(
        `${req.headers['content-type'] ?? ''} ${req.headers['content-encoding'] ?? 'identity'}`
      );
      next();
    });
    app.post('/v1/logs', handler);
    app.post('/otlp/v1/logs', handler);
    app.use(
      createErrorHandler({
        logger: silentLogger(),
        metrics,
        remoteWriteOverloadStatus: () => 503,
      })
    );
    server = createServer(app);
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeEach(async () => {
    loki = await LogSink.start();
  });

  afterEach(async () => {
    await fanout.stop(200);
    server.closeAllConnections();
    await new Promise<void>(resolve => server.close(() => resolve()));
    await loki.close();
  });

  /** Every line Loki got, with its stream's labels. */
  async function lokiLines(count: number): Promise<
    {
      labels: Record<string, string>;
      line: string;
      metadata: Record<string, string>;
    }[]
  > {
    const deadline = Date.now() + 5000;
    for (;;) {
      const lines = loki.accepted().flatMap(r =>
        LogSink.lokiStreams(r).flatMap(s =>
          s.entries.map(e => ({
            labels: parseLokiLabels(s.labels),
            line: e.line,
            metadata: Object.fromEntries(e.structuredMetadata),
          }))
        )
      );
      if (lines.length >= count || Date.now() > deadline) return lines;
      await new Promise(resolve => setTimeout(resolve, 10));
    }
  }

  function post(
    path: string,
    body: Uint8Array | string,
    headers: Record<string, string>
  ): Promise<Response> {
    return fetch(`${base}${path}`, { method: 'POST', body, headers });
  }

  // The SDK exports through real HTTP and zlib: on a loaded 2-core CI
  // machine that can take longer than the default 5 s.
  describe(
    'with the OpenTelemetry JS SDK as the sender',
    { timeout: 30_000 },
    () => {
      async function sendWithSdk(
        exporter: LogRecordExporter
      ): Promise<ExportResult[]> {
        const results: ExportResult[] = [];
        const inner = exporter.export.bind(exporter);
        exporter.export = (records, done) =>
          inner(records, result => {
            results.push(result);
            done(result);
          });
        const provider = new LoggerProvider({
          resource: resourceFromAttributes({
            'service.name': 'checkout',
            'k8s.namespace.name': 'shop',
            'k8s.pod.name': 'checkout-7d9f-abcde',
            'k8s.cluster.name': 'prod-us',
          }),
          processors: [new SimpleLogRecordProcessor({ exporter })],
        });
        const logger = provider.getLogger('checkout-logger', '1.2.3');
        logger.emit({
          severityNumber: SeverityNumber.WARN,
          severityText: 'WARN',
          body: 'card declined',
          attributes: { 'order.id': 'o-1' },
        });
        logger.emit({
          severityNumber: SeverityNumber.INFO,
          body: { msg: 'structured', amount: 42 },
        });
        await provider.forceFlush();
        await provider.shutdown();
        return results;
      }

      it.each([
        [
          'protobuf',
          'application/x-protobuf identity',
          (url: string) => new OtlpProtoLogExporter({ url, headers: AUTH }),
        ],
        [
          'protobuf gzip',
          'application/x-protobuf gzip',
          (url: string) =>
            new OtlpProtoLogExporter({
              url,
              headers: AUTH,
              compression: 'gzip' as never,
            }),
        ],
        [
          'JSON',
          'application/json identity',
          (url: string) => new OtlpHttpJsonLogExporter({ url, headers: AUTH }),
        ],
      ])(
        'lands %s logs in Loki under the canonical labels',
        async (_name, encoding, createExporter) => {
          await start();
          const results = await sendWithSdk(createExporter(`${base}/v1/logs`));
          expect(seen).toEqual([encoding, encoding]);
          expect(results.map(r => [r.code, r.error?.message])).toEqual([
            [0, undefined],
            [0, undefined],
          ]);
          // SimpleLogRecordProcessor exports each record on its own, and
          // the gzip exporter compresses asynchronously: the two requests
          // may arrive in either order. Order the lines as emitted.
          const emitted = ['card declined', '{"msg":"structured","amount":42}'];
          const lines = (await lokiLines(2)).sort(
            (a, b) => emitted.indexOf(a.line) - emitted.indexOf(b.line)
          );
          expect(lines).toHaveLength(2);
          const labels = {
            cluster: 'prod-eu',
            region: 'eu-west-1',
            env: 'prod',
            namespace: 'shop',
            service_name: 'checkout',
          };
          expect(lines[0]).toEqual({
            labels: { ...labels, level: 'warn' },
            line: 'card declined',
            metadata: expect.objectContaining({
              k8s_pod_name: 'checkout-7d9f-abcde',
              team: 'payments',
              order_id: 'o-1',
              scope_name: 'checkout-logger',
              scope_version: '1.2.3',
              severity_text: 'WARN',
            }) as unknown,
          });
          expect(lines[1]).toMatchObject({
            labels: { ...labels, level: 'info' },
            line: '{"msg":"structured","amount":42}',
          });
          expect(loki.requests[0]!.headers['x-scope-orgid']).toBe('fleet');
          expect(observed.map(o => [o.identity.kind, o.records])).toEqual([
            ['cluster', 1],
            ['cluster', 1],
          ]);
        }
      );
    }
  );

  describe('answers', () => {
    beforeEach(async () => {
      await start({
        max_line_bytes: 100,
        limits: { ingestion_rate_bytes: 1000, ingestion_burst_bytes: 1000 },
      });
    });

    const ok = [
      { attributes: { 'service.name': 'a' }, records: [{ body: 'fine' }] },
    ];

    it("200 with an empty response for a full success, in the request's encoding", async () => {
      const json = await post('/v1/logs', otlpLogsJsonBody(ok), {
        ...AUTH,
        'Content-Type': 'application/json',
      });
      expect(json.status).toBe(200);
      expect(json.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await json.text()).toBe('{}');
      const protobuf = await post(
        '/otlp/v1/logs',
        encodeOtlpLogsJsonAsProtobuf(otlpLogsRequest(ok)),
        {
          ...AUTH,
          'Content-Type': 'application/x-protobuf',
        }
      );
      expect(protobuf.status).toBe(200);
      expect(protobuf.headers.get('content-type')).toBe(
        'application/x-protobuf'
      );
      expect((await protobuf.arrayBuffer()).byteLength).toBe(0);
      expect((await lokiLines(2)).map(l => l.line)).toEqual(['fine', 'fine']);
    });

    it('200 for an empty request', async () => {
      const response = await post('/v1/logs', new Uint8Array(0), {
        ...AUTH,
        'Content-Type': 'application/x-protobuf',
      });
      expect(response.status).toBe(200);
    });

    it('reads gzip bodies', async () => {
      const response = await post('/v1/logs', gzipSync(otlpLogsJsonBody(ok)), {
        ...AUTH,
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
      });
      expect(response.status).toBe(200);
    });

    it('partial success for records over max_line_bytes, the rest landing', async () => {
      const request = [
        {
          attributes: { 'service.name': 'a' },
          records: [{ body: 'x'.repeat(101) }, { body: 'short' }],
        },
      ];
      const json = await post('/v1/logs', otlpLogsJsonBody(request), {
        ...AUTH,
        'Content-Type': 'application/json',
      });
      expect(json.status).toBe(200);
      expect(await json.json()).toEqual({
        partialSuccess: {
          rejectedLogRecords: '1',
          errorMessage:
            '1 log records refused for cluster prod-eu: body longer than the 100-byte limit (logs.max_line_bytes)',
        },
      });
      const protobuf = await post(
        '/v1/logs',
        encodeOtlpLogsJsonAsProtobuf(otlpLogsRequest(request)),
        {
          ...AUTH,
          'Content-Type': 'application/x-protobuf',
        }
      );
      expect(
        referenceToObject(
          ExportLogsServiceResponse,
          new Uint8Array(await protobuf.arrayBuffer())
        )
      ).toMatchObject({
        partialSuccess: { rejectedLogRecords: '1' },
      });
      expect((await lokiLines(2)).map(l => l.line)).toEqual(['short', 'short']);
    });

    it.each([
      [
        'garbage protobuf',
        new Uint8Array([0x0a, 0xff, 0x01]),
        'application/x-protobuf',
        undefined,
        /^cannot decode OTLP logs: /,
      ],
      [
        'malformed JSON',
        '{"resourceLogs": [',
        'application/json',
        undefined,
        /^cannot decode OTLP logs: invalid JSON/,
      ],
      [
        'a JSON type error',
        '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"WARN"}]}]}]}',
        'application/json',
        undefined,
        /severityNumber: want an integer enum value/,
      ],
      [
        'a body that is not gzip',
        'plain',
        'application/json',
        'gzip',
        /^cannot decompress gzip body/,
      ],
    ])(
      '400 for %s, with the reason',
      async (_name, body, contentType, encoding, want) => {
        const headers: Record<string, string> = {
          ...AUTH,
          'Content-Type': contentType,
        };
        if (encoding !== undefined) headers['Content-Encoding'] = encoding;
        const response = await post('/v1/logs', body, headers);
        expect(response.status).toBe(400);
        const bytes = new Uint8Array(await response.arrayBuffer());
        const status =
          contentType === 'application/json'
            ? (JSON.parse(Buffer.from(bytes).toString()) as { message: string })
            : (referenceToObject(RpcStatus, bytes) as { message: string });
        expect(status.message).toMatch(want);
      }
    );

    it('415 for another content type', async () => {
      const response = await post('/v1/logs', 'hello', {
        ...AUTH,
        'Content-Type': 'text/plain',
      });
      expect(response.status).toBe(415);
    });

    it('401 without a token, and for an unknown one', async () => {
      expect(
        (
          await post('/v1/logs', otlpLogsJsonBody(ok), {
            'Content-Type': 'application/json',
          })
        ).status
      ).toBe(401);
      expect(
        (
          await post('/v1/logs', otlpLogsJsonBody(ok), {
            Authorization: 'Bearer nope-nope-nope-nope',
            'Content-Type': 'application/json',
          })
        ).status
      ).toBe(401);
    });

    it('413 over the body limit', async () => {
      const response = await post(
        '/v1/logs',
        new Uint8Array(MAX_BODY_BYTES + 1),
        { ...AUTH, 'Content-Type': 'application/x-protobuf' }
      );
      expect(response.status).toBe(413);
    });

    it('429 with Retry-After over the log rate limit', async () => {
      const big = [
        {
          records: Array.from({ length: 11 }, () => ({ body: 'x'.repeat(99) })),
        },
      ];
      expect(
        (
          await post('/v1/logs', otlpLogsJsonBody(big), {
            ...AUTH,
            'Content-Type': 'application/json',
          })
        ).status
      ).toBe(200);
      const refused = await post('/v1/logs', otlpLogsJsonBody(ok), {
        ...AUTH,
        'Content-Type': 'application/json',
      });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(
        1
      );
      expect(((await refused.json()) as { message: string }).message).toContain(
        'over its log ingestion rate limit'
      );
    });
  });
});
