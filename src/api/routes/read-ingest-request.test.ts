import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/index.js';
import { GatewayError } from '../../errors.js';
import { Identifier } from '../../pipeline/index.js';
import {
  OTLP_METRICS_DOOR,
  otlpFormatOf,
  readIngestRequest,
  type IngestDoor,
  type IngestRequestRuntime,
} from './read-ingest-request.js';
import {
  PROD_EU_TOKEN,
  prodEuRegistry,
} from '../../../test/helpers/route-fixtures.js';

const TOKEN = PROD_EU_TOKEN;
const registry = prodEuRegistry();
const config = defaultConfig();
const runtime: IngestRequestRuntime = {
  identifier: new Identifier(registry, '0.0.0.0'),
  config: {
    server: { ...config.server, max_body_bytes: 64 },
    request_limits: config.request_limits,
  },
};

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>(resolve => server?.close(() => resolve()));
  server = undefined;
});

/** A route that answers what the helper gave it, or the error's status and message. */
async function serve<F>(door: IngestDoor<F>): Promise<string> {
  const app = express();
  app.post('/in', async (req, res) => {
    try {
      const got = await readIngestRequest(req, res, () => runtime, door);
      res.json({
        format: got.format,
        cluster:
          got.identity.kind === 'cluster' ? got.identity.cluster.name : null,
        body: Buffer.from(got.body).toString(),
        protocol: res.locals['protocol'] as unknown,
      });
    } catch (err) {
      const status = err instanceof GatewayError ? err.httpStatus : 500;
      res.status(status).send((err as Error).message);
    }
  });
  const listening = createServer(app);
  server = listening;
  await new Promise<void>(resolve => listening.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(listening.address() as AddressInfo).port}/in`;
}

const post = (url: string, headers: Record<string, string>, body: string) =>
  fetch(url, { method: 'POST', headers, body });

describe('readIngestRequest()', () => {
  it('gives the route the format, the cluster and the body read under the caps', async () => {
    const url = await serve(OTLP_METRICS_DOOR);
    const res = await post(
      url,
      {
        'content-type': 'application/json',
        authorization: `Bearer ${TOKEN}`,
      },
      '{"resourceMetrics":[]}'
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      format: 'json',
      cluster: 'prod-eu',
      body: '{"resourceMetrics":[]}',
      protocol: 'otlp_json',
    });
  });

  it('refuses an unknown format before it looks at the token or the body', async () => {
    let isRead = false;
    const url = await serve<string>({
      detect: req => otlpFormatOf(req.headers['content-type']),
      read: () => {
        isRead = true;
        return Promise.resolve(new Uint8Array());
      },
    });
    const res = await post(
      url,
      { 'content-type': 'text/plain', authorization: 'Bearer nope' },
      'x'
    );
    expect(res.status).toBe(415);
    expect(isRead).toBe(false);
  });

  it('refuses an unknown token before it reads the body', async () => {
    let isRead = false;
    const url = await serve<string>({
      detect: () => 'test',
      read: () => {
        isRead = true;
        return Promise.resolve(new Uint8Array());
      },
    });
    const res = await post(url, { authorization: 'Bearer nope' }, 'x');
    expect(res.status).toBe(401);
    expect(isRead).toBe(false);
  });

  it('refuses a body over server.max_body_bytes with its size', async () => {
    const url = await serve(OTLP_METRICS_DOOR);
    const res = await post(
      url,
      {
        'content-type': 'application/x-protobuf',
        authorization: `Bearer ${TOKEN}`,
      },
      'x'.repeat(100)
    );
    expect(res.status).toBe(413);
    expect(await res.text()).toContain('64');
  });
});
