import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SloEngine, type SloSpec } from '../../slo/index.js';
import {
  contextOf,
  DAY_MS,
  SeriesFeed,
  T0,
} from '../../../test/helpers/slo-fixtures.js';
import { SelfMetrics, silentLogger } from '../../telemetry/index.js';
import { createErrorHandler } from '../error-handler.js';
import { sloHandler, slosListHandler } from './slos.js';

const SPECS: SloSpec[] = [
  {
    name: 'checkout-availability',
    service: 'checkout',
    description: 'checkout answers',
    objective: 0.999,
    window: 30 * DAY_MS,
    labels: { team: 'payments' },
    sli: {
      ratio: {
        bad: 'http_requests_total{job="checkout",code=~"5.."}',
        total: 'http_requests_total{job="checkout"}',
      },
    },
  },
  {
    name: 'checkout-latency',
    service: 'checkout',
    objective: 0.99,
    window: 28 * DAY_MS,
    sli: {
      latency: {
        histogram: 'http_request_duration_seconds',
        threshold: 0.3,
        selector: '{job="checkout"}',
      },
    },
  },
];

const servers: Server[] = [];

async function serve(engine: SloEngine): Promise<string> {
  const app = express();
  const deps = { slos: () => engine };
  app.get('/api/v1/slos', slosListHandler(deps));
  app.get('/api/v1/slos/:name', sloHandler(deps));
  app.use(
    createErrorHandler({
      logger: silentLogger(),
      metrics: new SelfMetrics({ collectProcessMetrics: false }),
      remoteWriteOverloadStatus: () => 503,
    })
  );
  const server = await new Promise<Server>(resolve => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An engine with 2 minutes of traffic: cluster a at 1% errors, b at 10%. */
function engineWithTraffic(): SloEngine {
  const engine = new SloEngine(SPECS, { now: () => Date.now() });
  const feed = new SeriesFeed();
  const counts = { a: [0, 0], b: [0, 0] } as Record<string, [number, number]>;
  for (let i = 1; i <= 8; i++) {
    const t = T0 + i * 15_000;
    vi.setSystemTime(t);
    counts['a']![0] += 99;
    counts['a']![1] += 1;
    counts['b']![0] += 9;
    counts['b']![1] += 1;
    const points = Object.entries(counts).flatMap(([cluster, [ok, bad]]) => [
      {
        labels: {
          __name__: 'http_requests_total',
          cluster,
          job: 'checkout',
          code: '200',
        },
        value: ok,
        t,
      },
      {
        labels: {
          __name__: 'http_requests_total',
          cluster,
          job: 'checkout',
          code: '503',
        },
        value: bad,
        t,
      },
    ]);
    engine.observe(feed.batch(points), contextOf());
  }
  return engine;
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0, toFake: ['Date'] });
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(
    servers.splice(0).map(s => new Promise(resolve => s.close(resolve)))
  );
});

describe('GET /api/v1/slos/{name}', () => {
  it('answers the documented shape: fleet figures, windows, alerts, clusters by budget burned', async () => {
    const base = await serve(engineWithTraffic());
    const res = await fetch(`${base}/api/v1/slos/checkout-availability`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      data: Record<string, unknown>;
    };
    expect(body.status).toBe('success');
    const data = body.data;
    expect(Object.keys(data)).toEqual([
      'name',
      'service',
      'description',
      'objective',
      'window',
      'labels',
      'sli',
      'error_budget',
      'windows',
      'alerts',
      'clusters',
      'warnings',
    ]);
    expect(data).toMatchObject({
      name: 'checkout-availability',
      service: 'checkout',
      description: 'checkout answers',
      objective: 0.999,
      window: '30d',
      labels: { team: 'payments' },
      alerts: { page: true, ticket: true },
      warnings: [],
    });
    const windows = data['windows'] as Record<
      string,
      { error_ratio: number; burn_rate: number }
    >;
    expect(Object.keys(windows)).toEqual([
      '5m',
      '30m',
      '1h',
      '2h',
      '6h',
      '1d',
      '3d',
      '30d',
    ]);
    // 7 counted steps: a 7 bad of 700, b 7 bad of 70: events summed, not ratios averaged.
    expect(windows['1h']!.error_ratio).toBeCloseTo(14 / 770, 12);
    expect(windows['1h']!.burn_rate).toBeCloseTo(14 / 770 / 0.001, 6);
    const budget = data['error_budget'] as {
      total: number;
      consumed: number;
      remaining: number;
    };
    expect(budget.total).toBeCloseTo(0.001, 12);
    expect(budget.consumed).toBeCloseTo(14 / 770 / 0.001, 6);
    expect(budget.remaining).toBeCloseTo(1 - 14 / 770 / 0.001, 6);
    const clusters = data['clusters'] as {
      cluster: string;
      windows: Record<string, unknown>;
      alerts: unknown;
    }[];
    expect(clusters.map(c => c.cluster)).toEqual(['b', 'a']);
    expect(Object.keys(clusters[0]!)).toEqual([
      'cluster',
      'sli',
      'error_budget',
      'windows',
      'alerts',
    ]);
  });

  it('narrows to a cluster and a window', async () => {
    const base = await serve(engineWithTraffic());
    const res = await fetch(
      `${base}/api/v1/slos/checkout-availability?cluster=a&window=5m`
    );
    const { data } = (await res.json()) as {
      data: {
        cluster: string;
        windows: object;
        clusters: { cluster: string }[];
      };
    };
    expect(data.cluster).toBe('a');
    expect(data.windows).toEqual({
      '5m': { error_ratio: 0.01, burn_rate: expect.closeTo(10, 9) as number },
    });
    expect(data.clusters.map(c => c.cluster)).toEqual(['a']);
  });

  it('answers 404 for an unknown SLO, in the API error shape', async () => {
    const base = await serve(engineWithTraffic());
    const res = await fetch(`${base}/api/v1/slos/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      status: 'error',
      errorType: 'not_found',
      error: 'cannot find SLO "nope"',
    });
  });

  it('answers 400 for a window the SLO does not report, or a repeated parameter', async () => {
    const base = await serve(engineWithTraffic());
    let res = await fetch(`${base}/api/v1/slos/checkout-latency?window=30d`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error: `cannot use 'window' param "30d": SLO "checkout-latency" reports 5m, 30m, 1h, 2h, 6h, 1d, 3d, 28d`,
    });
    res = await fetch(
      `${base}/api/v1/slos/checkout-latency?cluster=a&cluster=b`
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe(
      "cannot parse 'cluster' param: it is given 2 times, at most once is allowed"
    );
  });
});

describe('GET /api/v1/slos', () => {
  it('lists every SLO in config order, in the same shape', async () => {
    const engine = engineWithTraffic();
    const base = await serve(engine);
    const res = await fetch(`${base}/api/v1/slos`);
    const body = (await res.json()) as {
      status: string;
      data: { name: string }[];
    };
    expect(body.status).toBe('success');
    expect(body.data.map(s => s.name)).toEqual([
      'checkout-availability',
      'checkout-latency',
    ]);
    expect(body.data[0]).toEqual(
      JSON.parse(JSON.stringify(await engine.report('checkout-availability')))
    );
  });

  it('shows no windows for an SLO that lacks the asked one', async () => {
    const base = await serve(engineWithTraffic());
    const res = await fetch(`${base}/api/v1/slos?window=30d`);
    const { data } = (await res.json()) as {
      data: { name: string; windows: object }[];
    };
    expect(Object.keys(data[0]!.windows)).toEqual(['30d']);
    expect(data[1]!.windows).toEqual({});
  });
});
