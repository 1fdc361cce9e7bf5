/**
 * Back-pressure reaches senders as a status they retry, so they keep their
 * data: when the forward queue is full, remote write gets 503 (Prometheus
 * drops data on 429 unless retry_on_http_429 is set) and OTLP gets 429, both
 * with Retry-After; nothing is half-accepted.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { snappyCompress } from '../../src/protocol/wire/index.js';
import { startGateway, type RunningGateway } from '../../src/main.js';
import { silentLogger } from '../../src/telemetry/index.js';
import { getFreePort } from '../helpers/free-port.js';
import { encodeV1Request } from '../helpers/remote-write-reference.js';

const TOKEN = 'prod-eu-token-0123456789';
let gateway: RunningGateway | undefined;
let dir: string | undefined;

afterEach(async () => {
  await gateway?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  gateway = undefined;
});

async function start(overloadStatus?: 429): Promise<RunningGateway> {
  // Nothing listens on this port: every send fails and the queue only fills.
  const deadPort = await getFreePort();
  dir = await mkdtemp(join(tmpdir(), 'fleetgate-bp-'));
  const configPath = join(dir, 'config.yml');
  await writeFile(
    configPath,
    `server:
  shutdown_timeout: 1s
${overloadStatus === undefined ? '' : `  remote_write_overload_status: ${overloadStatus}\n`}clusters:
  - {name: prod-eu, region: eu, env: prod, team: a, token: ${TOKEN}}
forward:
  # The point capacity is a memory-queue bound; a disk queue is bounded by bytes.
  queue: {type: memory}
  remote_write:
    - {url: "http://127.0.0.1:${deadPort}/api/v1/write", shards: 1, capacity: 20, min_backoff: 1s, max_backoff: 1s}
`
  );
  gateway = await startGateway({
    configPath,
    listen: '127.0.0.1:0',
    logger: silentLogger(),
    env: {},
  });
  return gateway;
}

function rwBody(n: number, offset: number): Uint8Array {
  const timeseries = [];
  for (let i = 0; i < n; i++) {
    timeseries.push({
      labels: [
        { name: '__name__', value: 'up' },
        { name: 'i', value: String(offset + i) },
      ],
      samples: [{ value: 1, timestamp: Date.now() }],
    });
  }
  return snappyCompress(encodeV1Request({ timeseries }));
}

async function fillUntilRefused(gw: RunningGateway): Promise<Response> {
  for (let request = 0; request < 20; request++) {
    const res = await fetch(`${gw.url}/api/v1/write`, {
      method: 'POST',
      body: rwBody(5, request * 5),
      headers: {
        'Content-Type': 'application/x-protobuf',
        'Content-Encoding': 'snappy',
        Authorization: `Bearer ${TOKEN}`,
      },
    });
    if (res.status !== 204) return res;
  }
  throw new Error('the queue never filled');
}

describe('a full forward queue', () => {
  it('answers remote write with 503 and Retry-After', async () => {
    const gw = await start();
    const refused = await fillUntilRefused(gw);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(
      1
    );
    expect(await refused.text()).toMatch(/forward queue full/);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(
      /fleetgate_rejected_requests_total\{protocol="remote_write",reason="queue_full"\} [1-9]/
    );
    expect(metrics).toMatch(
      /fleetgate_forward_queue_samples\{downstream="[^"]+"\} 20/
    );
  });

  it('answers remote write with 429 when configured to', async () => {
    const gw = await start(429);
    expect((await fillUntilRefused(gw)).status).toBe(429);
  });

  it('answers OTLP with 429, Retry-After and a Status body in the request format', async () => {
    const gw = await start();
    await fillUntilRefused(gw);
    const res = await fetch(`${gw.url}/v1/metrics`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${TOKEN}`,
      },
      body: JSON.stringify({
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'g',
                    gauge: {
                      dataPoints: [
                        { timeUnixNano: `${Date.now()}000000`, asDouble: 1 },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /queue full/
    );
  });
});
