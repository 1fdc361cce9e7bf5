/**
 * With OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set, the gateway exports a span per
 * request over OTLP/HTTP; without it nothing is exported (no-op tracer).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway-process.js';
import { waitFor } from '../helpers/peers.js';

let collector: Server;
const received: Buffer[] = [];

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') received.push(Buffer.concat(chunks));
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>(resolve => collector.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise<void>(resolve => collector.close(() => resolve()));
});

it('exports a server span per request when an OTLP traces endpoint is set', async () => {
  const port = (collector.address() as AddressInfo).port;
  const gateway = await startGateway('{}\n', {
    env: {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    },
  });
  try {
    await fetch(`${gateway.url}/-/reload`, { method: 'POST' });
    await waitFor(
      () => received.some(body => body.includes('POST /-/reload')),
      20_000,
      { description: 'a span for POST /-/reload' }
    );
    expect(received.some(body => body.includes('fleetgate'))).toBe(true);
  } finally {
    await gateway.stop();
  }
});
