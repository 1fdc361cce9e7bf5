import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterRegistry } from '../../fleet/index.js';
import { FleetTracker, type FleetTrackerOptions } from '../../fleet/index.js';
import { MemorySnapshotTransport } from '../../state/index.js';
import { SelfMetrics, silentLogger } from '../../telemetry/index.js';
import { createErrorHandler } from '../error-handler.js';
import { fleetClusterHandler, fleetHandler } from './fleet.js';

const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const S = 1000;
const M = 60 * S;

const registry = new ClusterRegistry([
  {
    name: 'prod-eu',
    region: 'eu-west-1',
    env: 'prod',
    team: 'payments',
    labels: {},
  },
  {
    name: 'prod-us',
    region: 'us-east-1',
    env: 'prod',
    team: 'payments',
    labels: {},
  },
  { name: 'dev-us', region: 'us-east-1', env: 'dev', team: 'web', labels: {} },
]);

/** The tracker's clock (a real server runs under it, so no fake timers). */
let clock = T0;

function tracker(options: Partial<FleetTrackerOptions> = {}): FleetTracker {
  return new FleetTracker({
    registry: () => registry,
    thresholds: () => ({
      stale_after: 5 * M,
      down_after: 15 * M,
      max_clock_skew: 5 * M,
    }),
    now: () => clock,
    ...options,
  });
}

const servers: Server[] = [];

async function serve(t: FleetTracker): Promise<string> {
  const app = express();
  app.get('/api/v1/fleet', fleetHandler({ fleet: t }));
  app.get('/api/v1/fleet/clusters/:cluster', fleetClusterHandler({ fleet: t }));
  app.use(
    createErrorHandler({
      logger: silentLogger(),
      metrics: new SelfMetrics({ collectProcessMetrics: false }),
      remoteWriteOverloadStatus: () => 503,
    })
  );
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise<void>(resolve => server.once('listening', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  clock = T0;
  await Promise.all(
    servers.splice(0).map(s => new Promise(resolve => s.close(resolve)))
  );
});

/** prod-eu: healthy Prometheus; prod-us: clock 8m ahead via OTel Collector; dev-us: never seen; one stray sender. */
function feedFleet(t: FleetTracker): void {
  for (let i = 0; i < 8; i++) {
    t.recordIngest(
      'prod-eu',
      'metrics',
      {
        samples: 200,
        newestSampleMs: clock - 10 * S,
        userAgent: 'Prometheus/2.42.0',
        drops: { relabel: 2 },
      },
      clock
    );
    t.recordIngest(
      'prod-us',
      'metrics',
      {
        samples: 50,
        newestSampleMs: clock + 8 * M,
        userAgent: 'OpenTelemetry Collector Contrib/0.91.0 (linux/amd64)',
      },
      clock
    );
    clock += 10 * S;
  }
  t.recordIngest('prod-us', 'logs', { samples: 300 }, clock);
  t.recordIngest('kind-laptop', 'metrics', { samples: 1 }, clock);
}

describe('GET /api/v1/fleet', () => {
  it('answers summary, fleet SLOs and clusters worst first, in the DESIGN shapes', async () => {
    const t = tracker({
      slos: {
        firingPageAlerts: () => [],
        clusterSlos: () => [],
        fleetSlos: () => [
          {
            name: 'checkout-availability',
            objective: 0.999,
            errorBudgetRemaining: 0.75,
            alerts: { page: false, ticket: true },
          },
        ],
      },
      cardinality: {
        activeSeries: c => (c === 'prod-eu' ? 1200 : undefined),
        seriesBudget: () => 500_000,
      },
    });
    feedFleet(t);
    const url = await serve(t);
    const res = await fetch(`${url}/api/v1/fleet`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      data: Record<string, unknown>;
    };
    expect(body.status).toBe('success');
    expect(body.data).toEqual({
      evaluated_at: new Date(clock).toISOString(),
      summary: {
        total: 4,
        by_state: {
          total: 4,
          healthy: 1,
          degraded: 1,
          stale: 0,
          down: 0,
          unknown: 1,
          unregistered: 1,
        },
        by_region: {
          'eu-west-1': {
            total: 1,
            healthy: 1,
            degraded: 0,
            stale: 0,
            down: 0,
            unknown: 0,
            unregistered: 0,
          },
          'us-east-1': {
            total: 2,
            healthy: 0,
            degraded: 1,
            stale: 0,
            down: 0,
            unknown: 1,
            unregistered: 0,
          },
        },
        by_env: {
          dev: {
            total: 1,
            healthy: 0,
            degraded: 0,
            stale: 0,
            down: 0,
            unknown: 1,
            unregistered: 0,
          },
          prod: {
            total: 2,
            healthy: 1,
            degraded: 1,
            stale: 0,
            down: 0,
            unknown: 0,
            unregistered: 0,
          },
        },
      },
      slos: [
        {
          name: 'checkout-availability',
          objective: 0.999,
          error_budget_remaining: 0.75,
          alerts: { page: false, ticket: true },
        },
      ],
      clusters: [
        {
          cluster: 'prod-us',
          region: 'us-east-1',
          env: 'prod',
          team: 'payments',
          state: 'degraded',
          reasons: [
            {
              code: 'clock_skew',
              message:
                'clock 8m ahead: newest samples arrive stamped 480s in the future (median of 8 requests; max_clock_skew 5m)',
            },
          ],
          last_seen: {
            metrics: new Date(T0 + 70 * S).toISOString(),
            logs: new Date(clock).toISOString(),
            events: null,
          },
          clock_skew_seconds: 480,
          samples_per_second: 5,
          // 300 lines in the current bucket; the rate spans whole buckets to now: 50s here.
          log_lines_per_second: 6,
          active_series: null,
        },
        expect.objectContaining({
          cluster: 'dev-us',
          state: 'unknown',
          reasons: [],
          last_seen: { metrics: null, logs: null, events: null },
          clock_skew_seconds: null,
        }),
        expect.objectContaining({
          cluster: 'prod-eu',
          state: 'healthy',
          clock_skew_seconds: 0,
          samples_per_second: 20,
          active_series: 1200,
        }),
      ],
      unregistered: [
        expect.objectContaining({
          cluster: 'kind-laptop',
          state: 'unregistered',
          region: 'unknown',
        }),
      ],
    });
  });

  it('gives the same answer from two replicas sharing a store', async () => {
    const store = new MemorySnapshotTransport();
    const a = tracker({ store, replicaId: 'a' });
    const b = tracker({ store, replicaId: 'b' });
    feedFleet(a);
    for (let i = 0; i < 6; i++)
      b.recordIngest(
        'dev-us',
        'events',
        { samples: 4, userAgent: 'OTel-OTLP-Exporter-JavaScript/0.52.1' },
        T0 + i * 10 * S
      );
    await a.sync();
    await b.sync();
    await a.sync();
    const [urlA, urlB] = await Promise.all([serve(a), serve(b)]);
    const [fleetA, fleetB] = await Promise.all([
      fetch(`${urlA}/api/v1/fleet`).then(r => r.text()),
      fetch(`${urlB}/api/v1/fleet`).then(r => r.text()),
    ]);
    expect(fleetA).toBe(fleetB);
    const [detailA, detailB] = await Promise.all([
      fetch(`${urlA}/api/v1/fleet/clusters/dev-us`).then(r => r.text()),
      fetch(`${urlB}/api/v1/fleet/clusters/dev-us`).then(r => r.text()),
    ]);
    expect(detailA).toBe(detailB);
    expect(
      (JSON.parse(detailA) as { data: { collector: unknown } }).data.collector
    ).toEqual({
      kind: 'otel-sdk-nodejs',
      version: '0.52.1',
    });
  });
});

describe('GET /api/v1/fleet/clusters/{cluster}', () => {
  it('answers state, reasons, per-signal last-seen, rates, budget, drops, refusals, skew, collectors, SLOs and Warning events', async () => {
    const t = tracker({
      slos: {
        firingPageAlerts: c =>
          c === 'prod-eu' ? ['checkout-availability'] : [],
        clusterSlos: () => [
          {
            name: 'checkout-availability',
            objective: 0.999,
            errorBudgetRemaining: -0.2,
            alerts: { page: true, ticket: true },
          },
        ],
        fleetSlos: () => [],
      },
      warnings: {
        recentWarnings: () =>
          new Map([
            ['BackOff', 3],
            ['FailedMount', 1],
          ]),
      },
      cardinality: { activeSeries: () => 450_000, seriesBudget: () => 500_000 },
    });
    feedFleet(t);
    for (let i = 0; i < 4; i++)
      t.recordIngest('prod-eu', 'metrics', { refused: 'rate_limited' }, clock);
    const url = await serve(t);
    const res = await fetch(`${url}/api/v1/fleet/clusters/prod-eu`);
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: Record<string, unknown> };
    expect(data).toEqual({
      cluster: 'prod-eu',
      region: 'eu-west-1',
      env: 'prod',
      team: 'payments',
      registered: true,
      evaluated_at: new Date(clock).toISOString(),
      state: 'degraded',
      reasons: [
        {
          code: 'slo_fast_burn',
          message:
            'fast-burn page alert firing for 1 SLO: checkout-availability',
          since: new Date(clock).toISOString(),
        },
        {
          code: 'ingestion_refusals',
          message:
            '4 of 12 requests refused in the last 5m (33.3%): rate_limited 4',
          since: new Date(clock).toISOString(),
        },
      ],
      last_seen: {
        metrics: new Date(clock).toISOString(),
        logs: null,
        events: null,
      },
      samples_per_second: 20,
      log_lines_per_second: 0,
      events_per_second: 0,
      active_series: 450_000,
      series_budget: 500_000,
      budget_use: 0.9,
      drops: { window: '5m', series_by_reason: { relabel: 16 } },
      refusals: {
        window: '5m',
        requests: 12,
        refused_by_reason: { rate_limited: 4 },
      },
      clock_skew_seconds: 0,
      clock_skew: {
        seconds: 0,
        verdict: 'in_sync',
        observations: 8,
        median_offset_seconds: -10,
      },
      collector: { kind: 'prometheus', version: '2.42.0' },
      collectors: [
        {
          kind: 'prometheus',
          version: '2.42.0',
          signals: ['metrics'],
          last_seen: new Date(T0 + 70 * S).toISOString(),
        },
      ],
      slos: [
        {
          name: 'checkout-availability',
          objective: 0.999,
          error_budget_remaining: -0.2,
          alerts: { page: true, ticket: true },
        },
      ],
      warning_events: {
        window: '1h',
        by_reason: { BackOff: 3, FailedMount: 1 },
      },
    });
  });

  it('answers an unregistered sender with registered false', async () => {
    const t = tracker();
    feedFleet(t);
    const url = await serve(t);
    const res = await fetch(`${url}/api/v1/fleet/clusters/kind-laptop`);
    expect(res.status).toBe(200);
    expect(
      ((await res.json()) as { data: Record<string, unknown> }).data
    ).toMatchObject({
      registered: false,
      state: 'unregistered',
      warning_events: null,
    });
  });

  it('answers 404 with the JSON error shape for an unknown cluster', async () => {
    const url = await serve(tracker());
    const res = await fetch(
      `${url}/api/v1/fleet/clusters/${encodeURIComponent('no such')}`
    );
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      status: 'error',
      errorType: 'not_found',
      error:
        'cannot find cluster "no such": it is not in the registry and has sent nothing recently',
    });
  });
});
