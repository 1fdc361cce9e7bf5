import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snappyCompress } from '../protocol/index.js';
import { ConfigError } from '../errors.js';
import { encodeWriteRequestV1 } from '../protocol/index.js';
import {
  RemoteWriteClient,
  RESPONSE_BODY_LOG_BYTES,
} from './remote-write-client.js';
import { buildBatch, testTarget } from '../../test/helpers/forward-fixtures.js';
import { RemoteWriteSink } from '../../test/helpers/remote-write-sink.js';

const BODY = snappyCompress(
  encodeWriteRequestV1(
    buildBatch([
      {
        labels: { __name__: 'up', job: 'api' },
        samples: [[1, 1_700_000_000_000]],
      },
    ])
  )
);

describe('RemoteWriteClient', () => {
  let sink: RemoteWriteSink;

  beforeEach(async () => {
    sink = await RemoteWriteSink.start();
  });

  afterEach(async () => {
    await sink.close();
  });

  describe('send()', () => {
    it('sends the remote write 1.0 headers and the body', async () => {
      const client = new RemoteWriteClient(testTarget(sink.url), {
        version: '1.2.3',
      });
      expect(await client.send(BODY)).toEqual({
        status: 'success',
        httpStatus: 204,
      });
      const [request] = sink.requests;
      expect(request?.headers).toMatchObject({
        'content-encoding': 'snappy',
        'content-type': 'application/x-protobuf',
        'user-agent': 'fleetgate/1.2.3',
        'x-prometheus-remote-write-version': '0.1.0',
      });
      expect(request?.series[0]?.labels).toEqual([
        '__name__',
        'up',
        'job',
        'api',
      ]);
    });

    it('adds configured headers but never lets them replace the reserved ones', async () => {
      const target = testTarget(sink.url, {
        headers: {
          'X-Scope-OrgID': 'tenant-a',
          'content-type': 'text/plain',
          'User-Agent': 'spoof',
        },
      });
      await new RemoteWriteClient(target, { version: '1.2.3' }).send(BODY);
      expect(sink.requests[0]?.headers).toMatchObject({
        'x-scope-orgid': 'tenant-a',
        'content-type': 'application/x-protobuf',
        'user-agent': 'fleetgate/1.2.3',
      });
    });

    it('sends a bearer token', async () => {
      await new RemoteWriteClient(
        testTarget(sink.url, { bearer_token: 's3cret' }),
        { version: '1' }
      ).send(BODY);
      expect(sink.requests[0]?.headers.authorization).toBe('Bearer s3cret');
    });

    it('sends basic auth, UTF-8 encoded', async () => {
      const target = testTarget(sink.url, {
        basic_auth: { username: 'jörg', password: 'p:ss' },
      });
      await new RemoteWriteClient(target, { version: '1' }).send(BODY);
      const header = sink.requests[0]?.headers.authorization ?? '';
      expect(header.startsWith('Basic ')).toBe(true);
      expect(Buffer.from(header.slice(6), 'base64').toString('utf8')).toBe(
        'jörg:p:ss'
      );
    });

    it('moves URL userinfo into basic auth and out of the name', async () => {
      const url = sink.url.replace('http://', 'http://alice:pa%40ss@');
      const client = new RemoteWriteClient(testTarget(url), { version: '1' });
      expect(await client.send(BODY)).toMatchObject({ status: 'success' });
      const header = sink.requests[0]?.headers.authorization ?? '';
      expect(Buffer.from(header.slice(6), 'base64').toString('utf8')).toBe(
        'alice:pa@ss'
      );
      expect(client.downstream).toBe(`127.0.0.1:${sink.port}/api/v1/write`);
    });

    it('refuses a target with both a bearer token and basic auth', () => {
      const target = testTarget(sink.url, {
        bearer_token: 't',
        basic_auth: { username: 'u', password: 'p' },
      });
      expect(() => new RemoteWriteClient(target, { version: '1' })).toThrow(
        ConfigError
      );
    });

    it('reports 4xx as a failure with the head of the response body', async () => {
      sink.reply({
        status: 400,
        body: `out of order sample ${'x'.repeat(2000)}`,
      });
      const result = await new RemoteWriteClient(testTarget(sink.url), {
        version: '1',
      }).send(BODY);
      expect(result.status).toBe('failure');
      if (result.status !== 'failure') return;
      expect(result.httpStatus).toBe(400);
      expect(result.responseBody).toHaveLength(RESPONSE_BODY_LOG_BYTES);
      expect(result.responseBody.startsWith('out of order sample')).toBe(true);
      expect(result.error.message).toMatch(
        /^cannot forward to 127\.0\.0\.1:\d+\/api\/v1\/write: HTTP 400: out of order/
      );
    });

    it.each([
      [500, '5xx'],
      [503, '5xx'],
      [429, '429'],
    ] as const)('reports %i as retryable (%s)', async (status, reason) => {
      sink.reply({ status });
      const result = await new RemoteWriteClient(testTarget(sink.url), {
        version: '1',
      }).send(BODY);
      expect(result).toMatchObject({
        status: 'retryable',
        reason,
        httpStatus: status,
      });
      expect(result).not.toHaveProperty('retryInMillis');
    });

    it('honours Retry-After in seconds and as an HTTP-date', async () => {
      const nowMs = Date.parse('2024-05-01T12:00:00Z');
      const client = new RemoteWriteClient(testTarget(sink.url), {
        version: '1',
        now: () => nowMs,
      });
      sink.reply(
        { status: 429, headers: { 'Retry-After': '7' } },
        {
          status: 503,
          headers: { 'Retry-After': 'Wed, 01 May 2024 12:00:02 GMT' },
        }
      );
      expect(await client.send(BODY)).toMatchObject({
        status: 'retryable',
        retryInMillis: 7000,
      });
      expect(await client.send(BODY)).toMatchObject({
        status: 'retryable',
        retryInMillis: 2000,
      });
    });

    it('reports a cut connection as a retryable network error', async () => {
      sink.reply('destroy');
      const result = await new RemoteWriteClient(testTarget(sink.url), {
        version: '1',
      }).send(BODY);
      expect(result).toMatchObject({
        status: 'retryable',
        reason: 'network',
        httpStatus: undefined,
      });
    });

    it('reports a refused connection as a retryable network error', async () => {
      const url = sink.url;
      await sink.close();
      const result = await new RemoteWriteClient(testTarget(url), {
        version: '1',
      }).send(BODY);
      expect(result).toMatchObject({ status: 'retryable', reason: 'network' });
      expect(result.status === 'retryable' && result.error.message).toMatch(
        /ECONNREFUSED/
      );
      sink = await RemoteWriteSink.start();
    });

    it('reports a timeout as a retryable network error', async () => {
      sink.reply('hang');
      const result = await new RemoteWriteClient(
        testTarget(sink.url, { timeout: 100 }),
        { version: '1' }
      ).send(BODY);
      expect(result).toMatchObject({ status: 'retryable', reason: 'network' });
      expect(result.status === 'retryable' && result.error.message).toMatch(
        /no response within 100 ms/
      );
    });

    it('stops when its signal aborts', async () => {
      sink.reply('hang');
      const abort = new AbortController();
      const sent = new RemoteWriteClient(testTarget(sink.url), {
        version: '1',
      }).send(BODY, abort.signal);
      await sink.waitFor(() => sink.requests.length === 1);
      abort.abort();
      expect(await sent).toMatchObject({
        status: 'retryable',
        reason: 'network',
      });
    });
  });
});
