/**
 * The gateway's HTTP surface, in process on port 0: identity, status codes,
 * protocol negotiation, the 2.0 Written headers, size caps, reload, and a
 * stream of hostile bodies that must never take the gateway down.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snappyCompress } from '../../src/protocol/wire/index.js';
import { startGateway, type RunningGateway } from '../../src/main.js';
import { silentLogger } from '../../src/telemetry/index.js';
import {
  encodeV1Request,
  encodeV2Request,
} from '../helpers/remote-write-reference.js';

const TOKEN = 'prod-eu-token-0123456789';
const CONFIG = `
server:
  max_body_bytes: 65536
  max_decompressed_bytes: 262144
clusters:
  - {name: prod-eu, region: eu-west-1, env: prod, team: payments, token: ${TOKEN}}
`;

const V1 = 'application/x-protobuf';
const V2 = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';

function v1Body(series = 3): Uint8Array {
  const timeseries = [];
  for (let i = 0; i < series; i++) {
    timeseries.push({
      labels: [
        { name: '__name__', value: 'http_requests_total' },
        { name: 'k8s_cluster', value: 'prod-eu' },
        { name: 'pod', value: `api-${i}` },
      ],
      samples: [{ value: i, timestamp: Date.now() }],
    });
  }
  return snappyCompress(encodeV1Request({ timeseries }));
}

function v2Body(): Uint8Array {
  return snappyCompress(
    encodeV2Request({
      symbols: ['', '__name__', 'up', 'job', 'node', 'HELP text'],
      timeseries: [
        {
          labelsRefs: [1, 2, 3, 4],
          samples: [{ value: 1, timestamp: Date.now() }],
          metadata: { type: 2, helpRef: 5 },
        },
      ],
    })
  );
}

let dir: string;
let gateway: RunningGateway;
let configPath: string;

async function post(
  path: string,
  body: Uint8Array | string,
  headers: Record<string, string>
): Promise<Response> {
  return fetch(`${gateway.url}${path}`, { method: 'POST', body, headers });
}

function rw(
  body: Uint8Array,
  contentType = V1,
  token = TOKEN
): Promise<Response> {
  return post('/api/v1/write', body, {
    'Content-Type': contentType,
    'Content-Encoding': 'snappy',
    Authorization: `Bearer ${token}`,
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetgate-http-'));
  configPath = join(dir, 'config.yml');
  await writeFile(configPath, CONFIG);
  gateway = await startGateway({
    configPath,
    listen: '127.0.0.1:0',
    logger: silentLogger(),
    env: {},
  });
});

afterEach(async () => {
  await gateway.close();
  await rm(dir, { recursive: true, force: true });
});

describe('POST /api/v1/write', () => {
  it('accepts remote write 1.0 with 204 and counts it by cluster', async () => {
    const res = await rw(v1Body(3));
    expect(res.status).toBe(204);
    expect(
      res.headers.get('x-prometheus-remote-write-samples-written')
    ).toBeNull();
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain(
      'fleetgate_received_samples_total{cluster="prod-eu",protocol="remote_write"} 3'
    );
  });

  it('answers remote write 2.0 with the Written headers', async () => {
    const res = await rw(v2Body(), V2);
    expect(res.status).toBe(204);
    expect(res.headers.get('x-prometheus-remote-write-samples-written')).toBe(
      '1'
    );
    expect(
      res.headers.get('x-prometheus-remote-write-histograms-written')
    ).toBe('0');
    expect(res.headers.get('x-prometheus-remote-write-exemplars-written')).toBe(
      '0'
    );
  });

  it('refuses an unknown proto with 415 and says what it accepts', async () => {
    const res = await rw(
      v1Body(),
      'application/x-protobuf;proto=io.prometheus.write.v3.Request'
    );
    expect(res.status).toBe(415);
    expect(await res.text()).toMatch(/io\.prometheus\.write\.v3\.Request/);
  });

  it.each([
    ['no token', undefined, /missing bearer token/],
    ['a wrong token', 'not-the-token-at-all-000', /unknown bearer token/],
  ])('refuses %s with 401', async (_what, token, message) => {
    const headers: Record<string, string> = {
      'Content-Type': V1,
      'Content-Encoding': 'snappy',
    };
    if (token !== undefined) headers['Authorization'] = `Bearer ${token}`;
    const res = await post('/api/v1/write', v1Body(), headers);
    expect(res.status).toBe(401);
    expect(await res.text()).toMatch(message);
  });

  it('refuses a body that is not snappy with 400 naming the problem', async () => {
    const res = await rw(new TextEncoder().encode('this is not snappy at all'));
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/snappy/);
  });

  it('refuses bad protobuf inside valid snappy with 400', async () => {
    const res = await rw(
      snappyCompress(new Uint8Array([0x0a, 0xff, 0xff, 0x03, 0x01]))
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/cannot decode/);
  });

  it('refuses a series without a metric name with 400', async () => {
    const body = snappyCompress(
      encodeV1Request({
        timeseries: [
          {
            labels: [{ name: 'job', value: 'x' }],
            samples: [{ value: 1, timestamp: 1 }],
          },
        ],
      })
    );
    const res = await rw(body);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/metric name/);
  });

  it('refuses a compressed body over the limit with 413', async () => {
    const res = await rw(new Uint8Array(70_000).fill(7));
    expect(res.status).toBe(413);
  });

  it('refuses a snappy header that declares a huge length before allocating, with 413', async () => {
    // varint 0xffffffff: a 4 GiB declared length
    const res = await rw(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]));
    expect(res.status).toBe(413);
    expect(await res.text()).toMatch(/declares 4294967295 bytes/);
  });

  it('survives thousands of mutated bodies and still serves a valid one', async () => {
    const valid = encodeV1Request({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'up' },
            { name: 'job', value: 'a' },
          ],
          samples: [{ value: 1, timestamp: 5 }],
        },
      ],
    });
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1500; i++) {
      const mutated = valid.slice(
        0,
        Math.max(1, Math.floor(random() * (valid.length + 1)))
      );
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
        const at = Math.floor(random() * mutated.length);
        mutated[at] = mutated[at]! ^ (1 << Math.floor(random() * 8));
      }
      const res = await rw(random() < 0.5 ? snappyCompress(mutated) : mutated);
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(
        res.status === 204 || (res.status >= 400 && res.status < 500)
      ).toBe(true);
    }
    expect(statuses.get(400)).toBeGreaterThan(100);
    expect((await rw(v1Body())).status).toBe(204);
  });
});

describe('POST /v1/metrics', () => {
  const otlpJson = JSON.stringify({
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'checkout' } },
          ],
        },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'queue.depth',
                unit: '1',
                gauge: {
                  dataPoints: [
                    { timeUnixNano: `${Date.now()}000000`, asInt: '4' },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  });

  it('answers JSON with JSON, and gzip is accepted', async () => {
    const res = await post('/v1/metrics', gzipSync(otlpJson), {
      'Content-Type': 'application/json',
      'Content-Encoding': 'gzip',
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({});
  });

  it('answers the /otlp alias too', async () => {
    const res = await post('/otlp/v1/metrics', otlpJson, {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(res.status).toBe(200);
  });

  it('refuses malformed JSON with 400 and a JSON Status body', async () => {
    const res = await post('/v1/metrics', '{"resourceMetrics": 5}', {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string };
    expect(body.message).toMatch(/resourceMetrics/);
  });

  it('refuses an unknown content type with 415', async () => {
    const res = await post('/v1/metrics', 'x', {
      'Content-Type': 'text/plain',
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(res.status).toBe(415);
  });

  it('refuses an unknown content encoding with 415', async () => {
    const res = await post('/v1/metrics', otlpJson, {
      'Content-Type': 'application/json',
      'Content-Encoding': 'br',
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(res.status).toBe(415);
  });

  it('refuses a gzip bomb with 413', async () => {
    const bomb = gzipSync(Buffer.alloc(1_000_000, 0x20));
    const res = await post('/v1/metrics', bomb, {
      'Content-Type': 'application/json',
      'Content-Encoding': 'gzip',
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(res.status).toBe(413);
  });
});

describe('health and reload', () => {
  it('answers /-/healthy and /-/ready', async () => {
    expect((await fetch(`${gateway.url}/-/healthy`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/-/ready`)).status).toBe(200);
  });

  it('answers unknown paths with a JSON 404', async () => {
    const res = await fetch(`${gateway.url}/api/v1/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      status: 'error',
      errorType: 'not_found',
    });
  });

  it('keeps the old config when the new one is bad, and takes a good one', async () => {
    await writeFile(configPath, 'clusters:\n  - {name: x, env: prod}\n');
    const bad = await fetch(`${gateway.url}/-/reload`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      issues: ['clusters[0].region: required'],
    });
    expect((await rw(v1Body())).status).toBe(204);

    const newToken = 'staging-token-0123456789';
    await writeFile(
      configPath,
      `${CONFIG}  - {name: staging, region: eu, env: staging, token: ${newToken}}\n`
    );
    const good = await fetch(`${gateway.url}/-/reload`, { method: 'POST' });
    expect(good.status).toBe(200);
    expect((await rw(v1Body(), V1, newToken)).status).toBe(204);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain(
      'fleetgate_config_reloads_total{result="failure"} 1'
    );
    expect(metrics).toContain('fleetgate_config_last_reload_successful 1');
  });
});
