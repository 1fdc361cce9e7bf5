import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AlertmanagerClient,
  alertmanagerNameOf,
} from './alertmanager-client.js';
import type { PostableAlert } from './postable-alert.js';
import { FakeAlertmanager } from '../../test/helpers/fake-alertmanager.js';

const ALERT: PostableAlert = {
  labels: {
    alertname: 'SLOErrorBudgetBurn',
    severity: 'page',
    slo: 'checkout',
  },
  annotations: { summary: 'burning' },
  startsAt: '2024-05-01T10:00:00.000Z',
  endsAt: '2024-05-01T10:04:00.000Z',
  generatorURL: 'http://fleetgate:9201/api/v1/slos/checkout',
};

describe('alertmanagerNameOf()', () => {
  it.each([
    ['http://127.0.0.1:9093', '127.0.0.1:9093'],
    ['http://127.0.0.1:9093/', '127.0.0.1:9093'],
    ['https://am.example.com/alertmanager/', 'am.example.com/alertmanager'],
    ['http://user:secret@am:9093', 'am:9093'],
  ])('names %s as %s', (url, want) => {
    expect(alertmanagerNameOf(url)).toBe(want);
  });
});

describe('AlertmanagerClient', () => {
  let am: FakeAlertmanager;
  beforeEach(async () => {
    am = await FakeAlertmanager.start();
  });
  afterEach(async () => {
    await am.close();
  });

  describe('post()', () => {
    it('posts the alerts as a JSON array to /api/v2/alerts', async () => {
      const client = new AlertmanagerClient(am.url);
      const got = await client.post([ALERT]);
      expect(got).toEqual({ status: 'success', httpStatus: 200 });
      expect(am.requests).toHaveLength(1);
      const [request] = am.requests;
      expect(request?.method).toBe('POST');
      expect(request?.path).toBe('/api/v2/alerts');
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.alerts).toEqual([ALERT]);
    });

    it('keeps the route prefix of the base URL', async () => {
      const client = new AlertmanagerClient(`${am.url}/alertmanager/`);
      await client.post([ALERT]);
      expect(am.requests[0]?.path).toBe('/alertmanager/api/v2/alerts');
      expect(client.url).toBe(`${am.url}/alertmanager/api/v2/alerts`);
    });

    it('turns credentials in the URL into Basic auth', async () => {
      const url = am.url.replace('http://', 'http://ops:s%3Acret@');
      const client = new AlertmanagerClient(url);
      await client.post([ALERT]);
      const auth = am.requests[0]?.headers.authorization ?? '';
      expect(
        Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString()
      ).toBe('ops:s:cret');
      expect(client.url).not.toContain('ops');
    });

    it('reports a 400 as a failure with the response body', async () => {
      am.reply({ status: 400, body: '"start time must be before end time"' });
      const got = await new AlertmanagerClient(am.url).post([ALERT]);
      expect(got.status).toBe('failure');
      if (got.status !== 'failure') return;
      expect(got.httpStatus).toBe(400);
      expect(got.responseBody).toBe('"start time must be before end time"');
      expect(got.error.message).toBe(
        `cannot post 1 alerts to alertmanager ${alertmanagerNameOf(am.url)}: HTTP 400: "start time must be before end time"`
      );
    });

    it.each([500, 502, 503, 429])('reports a %i as retryable', async status => {
      am.reply({ status });
      const got = await new AlertmanagerClient(am.url).post([ALERT]);
      expect(got).toMatchObject({ status: 'retryable', httpStatus: status });
    });

    it("honours the response's Retry-After", async () => {
      am.reply({ status: 503, headers: { 'Retry-After': '7' } });
      const got = await new AlertmanagerClient(am.url).post([ALERT]);
      expect(got).toMatchObject({ status: 'retryable', retryInMillis: 7000 });
    });

    it('reports a cut connection as retryable, without a status', async () => {
      am.reply('destroy');
      const got = await new AlertmanagerClient(am.url).post([ALERT]);
      expect(got.status).toBe('retryable');
      expect(got.status === 'retryable' && got.httpStatus).toBeUndefined();
    });

    it('reports a timeout as retryable', async () => {
      am.reply('hang');
      const got = await new AlertmanagerClient(am.url, { timeoutMs: 50 }).post([
        ALERT,
      ]);
      expect(got.status).toBe('retryable');
      expect(got.status === 'retryable' && got.error.message).toMatch(
        /^cannot post 1 alerts to alertmanager .*: .*(timeout|aborted)/i
      );
    });

    it('reports an abort through the signal as retryable, and does not throw', async () => {
      am.reply('hang');
      const controller = new AbortController();
      const pending = new AlertmanagerClient(am.url).post(
        [ALERT],
        controller.signal
      );
      setTimeout(() => controller.abort(), 20);
      expect((await pending).status).toBe('retryable');
    });
  });
});
