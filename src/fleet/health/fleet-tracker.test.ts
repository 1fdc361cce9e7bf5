import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClusterRegistry } from '../cluster-registry.js';
import { MemorySnapshotTransport } from '../../state/index.js';
import { FleetTracker, type FleetTrackerOptions } from './fleet-tracker.js';
import {
  MAX_UNREGISTERED_CLUSTERS,
  UNREGISTERED_OVERFLOW,
  type IngestReport,
} from './fleet-recorder.js';
import { FLEET_SNAPSHOT_KIND } from './fleet-snapshot.js';
import type { ClusterHealth, Signal } from './cluster-health.js';
import type {
  CardinalityBudgetSource,
  SloAlertSource,
  WarningEventSource,
} from './health-sources.js';

const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const S = 1000;
const M = 60 * S;
const THRESHOLDS = {
  stale_after: 5 * M,
  down_after: 15 * M,
  max_clock_skew: 5 * M,
};

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
  { name: 'dev-us', region: 'us-east-1', env: 'dev', team: '', labels: {} },
]);

function tracker(options: Partial<FleetTrackerOptions> = {}): FleetTracker {
  return new FleetTracker({
    registry: () => registry,
    thresholds: () => THRESHOLDS,
    now: () => Date.now(),
    ...options,
  });
}

/** One metrics request now, its newest sample `offsetMs` from now. */
function sendMetrics(
  t: FleetTracker,
  cluster: string,
  report: IngestReport & { offsetMs?: number } = {}
): void {
  const now = Date.now();
  t.recordIngest(
    cluster,
    'metrics',
    {
      samples: 100,
      series: 100,
      newestSampleMs: now + (report.offsetMs ?? -5 * S),
      ...report,
    },
    now
  );
}

/** Requests every `everyMs` for `durationMs`, evaluating after each (as the tracker's own timer would). */
async function keepSending(
  t: FleetTracker,
  cluster: string,
  durationMs: number,
  everyMs: number,
  report: IngestReport & { offsetMs?: number } = {},
  signal: Signal = 'metrics'
): Promise<void> {
  for (let elapsed = 0; elapsed < durationMs; elapsed += everyMs) {
    if (signal === 'metrics') sendMetrics(t, cluster, report);
    else
      t.recordIngest(cluster, signal, { samples: 100, ...report }, Date.now());
    await t.evaluate();
    vi.advanceTimersByTime(everyMs);
  }
}

async function healthOf(
  t: FleetTracker,
  cluster: string
): Promise<ClusterHealth> {
  const e = await t.evaluate();
  const found = [...e.clusters, ...e.unregistered].find(
    c => c.cluster === cluster
  );
  if (found === undefined) throw new Error(`no ${cluster} in the evaluation`);
  return found;
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('FleetTracker', () => {
  describe('states', () => {
    it('says unknown for a registered cluster that never sent', async () => {
      const h = await healthOf(tracker(), 'dev-us');
      expect(h).toMatchObject({
        state: 'unknown',
        reasons: [],
        lastSeenMs: {},
        region: 'us-east-1',
        env: 'dev',
        team: 'unknown',
      });
    });

    it('goes unknown → healthy → stale → down → healthy, with per-signal last-seen', async () => {
      const t = tracker();
      sendMetrics(t, 'prod-eu');
      t.recordIngest('prod-eu', 'events', { samples: 3 }, Date.now() + 1);
      expect((await healthOf(t, 'prod-eu')).state).toBe('healthy');
      expect((await healthOf(t, 'prod-eu')).lastSeenMs).toEqual({
        metrics: T0,
        events: T0 + 1,
      });

      vi.advanceTimersByTime(5 * M - 1);
      expect((await healthOf(t, 'prod-eu')).state).toBe('healthy');
      vi.advanceTimersByTime(2);
      const stale = await healthOf(t, 'prod-eu');
      expect(stale.state).toBe('stale');
      expect(stale.reasons).toEqual([
        {
          code: 'no_data',
          message: 'no data for 5m (stale after 5m, down after 15m)',
          sinceMs: T0 + 1 + 5 * M,
        },
      ]);

      vi.advanceTimersByTime(10 * M);
      const down = await healthOf(t, 'prod-eu');
      expect(down.state).toBe('down');
      expect(down.reasons[0]!.message).toBe(
        'no data for 15m (stale after 5m, down after 15m)'
      );

      // Any request is proof of contact: back to healthy at once.
      t.recordIngest('prod-eu', 'logs', { samples: 10 }, Date.now());
      const back = await healthOf(t, 'prod-eu');
      expect(back.state).toBe('healthy');
      expect(back.lastSeenMs).toEqual({
        metrics: T0,
        events: T0 + 1,
        logs: Date.now(),
      });
    });

    it('goes stale → healthy when data comes back before down_after', async () => {
      const t = tracker();
      sendMetrics(t, 'prod-eu');
      vi.advanceTimersByTime(7 * M);
      expect((await healthOf(t, 'prod-eu')).state).toBe('stale');
      sendMetrics(t, 'prod-eu');
      expect((await healthOf(t, 'prod-eu')).state).toBe('healthy');
    });

    it('counts a refused request as contact (the cluster is reachable, its data is refused)', async () => {
      const t = tracker();
      t.recordIngest(
        'prod-eu',
        'metrics',
        { refused: 'rate_limited' },
        Date.now()
      );
      const h = await healthOf(t, 'prod-eu');
      expect(h.state).toBe('healthy');
      expect(h.lastSeenMs.metrics).toBe(T0);
      expect(h.samplesPerSecond).toBe(0);
    });

    it('lists senders outside the registry apart, as unregistered, and forgets them after down_after', async () => {
      const t = tracker();
      sendMetrics(t, 'laptop-kind');
      let e = await t.evaluate();
      expect(e.clusters.map(c => c.cluster)).not.toContain('laptop-kind');
      expect(e.unregistered).toHaveLength(1);
      expect(e.unregistered[0]).toMatchObject({
        cluster: 'laptop-kind',
        state: 'unregistered',
        isRegistered: false,
        region: 'unknown',
      });
      expect(e.summary.byState.unregistered).toBe(1);

      vi.advanceTimersByTime(6 * M);
      e = await t.evaluate();
      expect(e.unregistered[0]).toMatchObject({
        state: 'unregistered',
        reasons: [{ code: 'no_data' }],
      });
      vi.advanceTimersByTime(9 * M);
      e = await t.evaluate();
      expect(e.unregistered).toHaveLength(0);
      expect(await t.clusterDetail('laptop-kind')).toBeUndefined();
    });

    it(`tracks at most ${MAX_UNREGISTERED_CLUSTERS} unregistered senders by name and folds the rest`, async () => {
      const t = tracker();
      for (let i = 0; i < MAX_UNREGISTERED_CLUSTERS + 5; i++)
        sendMetrics(t, `stray-${i}`);
      const e = await t.evaluate();
      expect(e.unregistered).toHaveLength(MAX_UNREGISTERED_CLUSTERS + 1);
      expect(e.unregistered.map(c => c.cluster)).toContain(
        UNREGISTERED_OVERFLOW
      );
    });

    it('summarizes by state, region and env, and orders the worst first', async () => {
      const t = tracker();
      sendMetrics(t, 'prod-us');
      vi.advanceTimersByTime(20 * M);
      sendMetrics(t, 'prod-eu');
      const e = await t.evaluate();
      expect(e.clusters.map(c => [c.cluster, c.state])).toEqual([
        ['prod-us', 'down'],
        ['dev-us', 'unknown'],
        ['prod-eu', 'healthy'],
      ]);
      expect(e.summary.byState).toMatchObject({
        total: 3,
        healthy: 1,
        down: 1,
        unknown: 1,
        degraded: 0,
        stale: 0,
      });
      expect(e.summary.byRegion['us-east-1']).toMatchObject({
        total: 2,
        down: 1,
        unknown: 1,
      });
      expect(e.summary.byEnv['prod']).toMatchObject({
        total: 2,
        down: 1,
        healthy: 1,
      });
    });
  });

  describe('degraded reasons', () => {
    it('raises slo_fast_burn while a page alert fires, naming the SLOs', async () => {
      const firing = new Map<string, string[]>([
        ['prod-eu', ['checkout-latency', 'checkout-availability']],
      ]);
      const slos: SloAlertSource = {
        firingPageAlerts: cluster => firing.get(cluster) ?? [],
        clusterSlos: () => [],
        fleetSlos: () => [
          {
            name: 'checkout-availability',
            objective: 0.999,
            errorBudgetRemaining: 0.4,
            alerts: { page: true, ticket: true },
          },
        ],
      };
      const t = tracker({ slos });
      sendMetrics(t, 'prod-eu');
      sendMetrics(t, 'prod-us');
      const e = await t.evaluate();
      const eu = e.clusters.find(c => c.cluster === 'prod-eu')!;
      expect(eu.state).toBe('degraded');
      expect(eu.reasons).toEqual([
        {
          code: 'slo_fast_burn',
          message:
            'fast-burn page alert firing for 2 SLOs: checkout-availability, checkout-latency',
          sinceMs: T0,
        },
      ]);
      expect(e.clusters.find(c => c.cluster === 'prod-us')!.state).toBe(
        'healthy'
      );
      expect(e.slos).toHaveLength(1);
    });

    it('raises cardinality_budget_exceeded on budget drops or a full budget, not on other drops', async () => {
      let active = 1000;
      const cardinality: CardinalityBudgetSource = {
        activeSeries: cluster => (cluster === 'prod-us' ? active : undefined),
        seriesBudget: () => 5000,
      };
      const t = tracker({ cardinality });
      sendMetrics(t, 'prod-eu', {
        drops: {
          series_limit_metric: 1200,
          series_limit_cluster: 4,
          relabel: 50,
        },
      });
      sendMetrics(t, 'dev-us', {
        drops: new Map([
          ['relabel', 10],
          ['label_limit', 3],
        ]),
      });
      sendMetrics(t, 'prod-us');
      let e = await t.evaluate();
      const eu = e.clusters.find(c => c.cluster === 'prod-eu')!;
      expect(eu.state).toBe('degraded');
      expect(eu.reasons.map(r => r.code)).toEqual([
        'cardinality_budget_exceeded',
      ]);
      expect(eu.reasons[0]!.message).toBe(
        '1204 series dropped over cardinality budgets in the last 5m (series_limit_metric 1200, series_limit_cluster 4)'
      );
      expect(eu.drops).toEqual({
        series_limit_metric: 1200,
        series_limit_cluster: 4,
        relabel: 50,
      });
      expect(e.clusters.find(c => c.cluster === 'dev-us')!.state).toBe(
        'healthy'
      );
      const us = e.clusters.find(c => c.cluster === 'prod-us')!;
      expect(us).toMatchObject({
        state: 'healthy',
        activeSeries: 1000,
        seriesBudget: 5000,
        budgetUse: 0.2,
      });

      active = 5000;
      e = await t.evaluate();
      const full = e.clusters.find(c => c.cluster === 'prod-us')!;
      expect(full.state).toBe('degraded');
      expect(full.reasons[0]!.message).toBe(
        '5000 of 5000 active series (100% of max_series_per_cluster)'
      );
    });

    it('raises ingestion_refusals at 3 refused requests that are at least 5% of the requests', async () => {
      const t = tracker();
      for (let i = 0; i < 10; i++) sendMetrics(t, 'prod-eu');
      t.recordIngest(
        'prod-eu',
        'metrics',
        { refused: 'rate_limited' },
        Date.now()
      );
      t.recordIngest(
        'prod-eu',
        'logs',
        { refused: 'rate_limited' },
        Date.now()
      );
      expect((await healthOf(t, 'prod-eu')).state).toBe('healthy');
      t.recordIngest(
        'prod-eu',
        'metrics',
        { refused: 'overloaded' },
        Date.now()
      );
      const h = await healthOf(t, 'prod-eu');
      expect(h.state).toBe('degraded');
      expect(h.reasons[0]).toMatchObject({
        code: 'ingestion_refusals',
        message:
          '3 of 13 requests refused in the last 5m (23.1%): rate_limited 2, overloaded 1',
      });
      expect(h.refusals).toEqual({ rate_limited: 2, overloaded: 1 });
      expect(h.requests).toBe(13);

      // The same three refusals among a hundred requests are noise.
      const busy = tracker();
      for (let i = 0; i < 100; i++) sendMetrics(busy, 'prod-eu');
      for (let i = 0; i < 3; i++)
        busy.recordIngest(
          'prod-eu',
          'metrics',
          { refused: 'rate_limited' },
          Date.now()
        );
      expect((await healthOf(busy, 'prod-eu')).state).toBe('healthy');
    });

    it('raises warning_events_spike on 3x the previous hour, not on a steady high rate', async () => {
      const events: { cluster: string; atMs: number; reason: string }[] = [];
      const warnings: WarningEventSource = {
        recentWarnings: (cluster, sinceMs) => {
          const counts: Record<string, number> = {};
          for (const e of events)
            if (e.cluster === cluster && e.atMs >= sinceMs)
              counts[e.reason] = (counts[e.reason] ?? 0) + 1;
          return counts;
        },
      };
      // An hour of background: one Warning per 10 minutes on prod-eu, two per minute on prod-us.
      for (let m = 1; m <= 70; m++) {
        if (m % 10 === 5 && m < 60)
          events.push({
            cluster: 'prod-eu',
            atMs: T0 + m * M,
            reason: 'BackOff',
          });
        events.push({
          cluster: 'prod-us',
          atMs: T0 + m * M,
          reason: 'BackOff',
        });
        events.push({
          cluster: 'prod-us',
          atMs: T0 + m * M + 1,
          reason: 'Unhealthy',
        });
      }
      vi.setSystemTime(T0 + 70 * M);
      for (let i = 0; i < 8; i++)
        events.push({
          cluster: 'prod-eu',
          atMs: Date.now() - i * S,
          reason: 'BackOff',
        });
      for (let i = 0; i < 4; i++)
        events.push({
          cluster: 'prod-eu',
          atMs: Date.now() - i * S,
          reason: 'FailedScheduling',
        });
      const t = tracker({ warnings });
      sendMetrics(t, 'prod-eu');
      sendMetrics(t, 'prod-us');
      const e = await t.evaluate();
      const eu = e.clusters.find(c => c.cluster === 'prod-eu')!;
      expect(eu.state).toBe('degraded');
      expect(eu.reasons[0]).toMatchObject({
        code: 'warning_events_spike',
        message:
          '12 Warning events in the last 10m, 12x the hour before (1 per 10m): BackOff 8, FailedScheduling 4',
      });
      expect(e.clusters.find(c => c.cluster === 'prod-us')!.state).toBe(
        'healthy'
      );
      const detail = await t.clusterDetail('prod-eu');
      expect(detail!.warningEvents).toEqual({
        windowMs: 60 * M,
        byReason: { BackOff: 13, FailedScheduling: 4 },
      });
    });

    it('raises clock_skew with the measured skew when beyond max_clock_skew, and not within it', async () => {
      const t = tracker();
      await keepSending(t, 'prod-eu', 80 * S, 5 * S, {
        offsetMs: 8 * M - 2 * S,
      });
      await keepSending(t, 'prod-us', 80 * S, 5 * S, { offsetMs: 4 * M });
      const e = await t.evaluate();
      const eu = e.clusters.find(c => c.cluster === 'prod-eu')!;
      expect(eu.state).toBe('degraded');
      expect(eu.clockSkewMs).toBe(8 * M - 2 * S);
      expect(eu.reasons[0]).toMatchObject({ code: 'clock_skew' });
      expect(eu.reasons[0]!.message).toMatch(
        /^clock 7m58s ahead: newest samples arrive stamped 478s in the future \(median of \d+ requests; max_clock_skew 5m\)$/
      );
      const us = e.clusters.find(c => c.cluster === 'prod-us')!;
      expect(us).toMatchObject({
        state: 'healthy',
        clockSkewMs: 4 * M,
        skewVerdict: 'ahead',
      });
    });

    it('reports failing sources and evaluates without them', async () => {
      const errors: unknown[] = [];
      const t = tracker({
        onError: err => errors.push(err),
        slos: {
          firingPageAlerts: () => Promise.reject(new Error('slo engine down')),
          clusterSlos: () => {
            throw new Error('slo engine down');
          },
          fleetSlos: () => [],
        },
        warnings: {
          recentWarnings: () => Promise.reject(new Error('events down')),
        },
      });
      sendMetrics(t, 'prod-eu');
      expect((await healthOf(t, 'prod-eu')).state).toBe('healthy');
      expect((await t.clusterDetail('prod-eu'))!.slos).toEqual([]);
      expect(errors.length).toBeGreaterThan(0);
    });
  });

  describe('hysteresis', () => {
    it('keeps a flapping reason raised, then clears it 5 minutes after it last held', async () => {
      let isFiring = false;
      const t = tracker({
        slos: {
          firingPageAlerts: () => (isFiring ? ['api'] : []),
          clusterSlos: () => [],
          fleetSlos: () => [],
        },
      });
      const states: string[] = [];
      // The alert fires every other minute for 6 minutes: no flapping.
      for (let minute = 0; minute < 6; minute++) {
        isFiring = minute % 2 === 0;
        sendMetrics(t, 'prod-eu');
        states.push((await healthOf(t, 'prod-eu')).state);
        vi.advanceTimersByTime(M);
      }
      expect(states).toEqual(Array(6).fill('degraded'));
      // It last held at minute 4.
      isFiring = false;
      vi.setSystemTime(T0 + 8 * M + 59 * S);
      sendMetrics(t, 'prod-eu');
      const held = await healthOf(t, 'prod-eu');
      expect(held.state).toBe('degraded');
      expect(held.reasons).toEqual([
        {
          code: 'slo_fast_burn',
          message:
            'fast-burn page alert firing for 1 SLO: api (last true 4m59s ago; clears after 5m without it)',
          sinceMs: T0,
        },
      ]);
      vi.setSystemTime(T0 + 9 * M);
      sendMetrics(t, 'prod-eu');
      expect(await healthOf(t, 'prod-eu')).toMatchObject({
        state: 'healthy',
        reasons: [],
      });

      // A new episode starts a new since.
      isFiring = true;
      vi.setSystemTime(T0 + 10 * M);
      sendMetrics(t, 'prod-eu');
      expect((await healthOf(t, 'prod-eu')).reasons[0]!.sinceMs).toBe(
        T0 + 10 * M
      );
    });

    it('degraded → stale → healthy: a held reason does not outlive a silence longer than the clear time', async () => {
      const t = tracker();
      for (let i = 0; i < 3; i++)
        t.recordIngest(
          'prod-eu',
          'metrics',
          { refused: 'rate_limited' },
          Date.now()
        );
      expect((await healthOf(t, 'prod-eu')).state).toBe('degraded');
      vi.advanceTimersByTime(6 * M);
      expect((await healthOf(t, 'prod-eu')).state).toBe('stale');
      sendMetrics(t, 'prod-eu');
      expect((await healthOf(t, 'prod-eu')).state).toBe('healthy');
    });
  });

  describe('rates, counts and collectors', () => {
    it('measures samples and log lines per second over the last minute, from the first request on', async () => {
      const t = tracker();
      await keepSending(t, 'prod-eu', 20 * S, S, { samples: 100 });
      expect((await healthOf(t, 'prod-eu')).samplesPerSecond).toBeCloseTo(
        100,
        0
      );
      await keepSending(t, 'prod-eu', 2 * M, S, { samples: 100 });
      t.recordIngest('prod-eu', 'logs', { samples: 600 }, Date.now());
      const h = await healthOf(t, 'prod-eu');
      expect(h.samplesPerSecond).toBeGreaterThan(95);
      expect(h.samplesPerSecond).toBeLessThanOrEqual(101);
      expect(h.logLinesPerSecond).toBeGreaterThan(9);
      expect(h.logLinesPerSecond).toBeLessThanOrEqual(12);
      vi.advanceTimersByTime(2 * M);
      expect((await healthOf(t, 'prod-eu')).samplesPerSecond).toBe(0);
    });

    it('names the collectors from User-Agent and OTLP resource attributes, latest first', async () => {
      const t = tracker();
      sendMetrics(t, 'prod-eu', { userAgent: 'Prometheus/2.42.0' });
      vi.advanceTimersByTime(S);
      t.recordIngest(
        'prod-eu',
        'events',
        {
          samples: 2,
          userAgent: 'Go-http-client/1.1',
          resource: [
            { key: 'service.name', value: 'otelcol-contrib' },
            { key: 'service.version', value: '0.91.0' },
          ],
        },
        Date.now()
      );
      const detail = await t.clusterDetail('prod-eu');
      expect(detail!.collectors).toEqual([
        {
          kind: 'otelcol-contrib',
          version: '0.91.0',
          lastSeenMs: T0 + S,
          signals: ['events'],
        },
        {
          kind: 'prometheus',
          version: '2.42.0',
          lastSeenMs: T0,
          signals: ['metrics'],
        },
      ]);
    });

    it('answers a detail for registered clusters and tracked senders only', async () => {
      const t = tracker();
      expect(await t.clusterDetail('nope')).toBeUndefined();
      expect(await t.clusterDetail('dev-us')).toMatchObject({
        state: 'unknown',
        slos: [],
        warningEvents: undefined,
      });
    });
  });

  describe('replicas', () => {
    it('gives two replicas on a shared store the same answer: max of last-seen, sum of rates', async () => {
      const store = new MemorySnapshotTransport();
      const a = tracker({ store, replicaId: 'a' });
      const b = tracker({ store, replicaId: 'b' });
      for (let i = 0; i < 30; i++) {
        sendMetrics(a, 'prod-eu', {
          samples: 50,
          userAgent: 'Prometheus/2.42.0',
        });
        sendMetrics(b, 'prod-eu', { samples: 50 });
        a.recordIngest(
          'prod-us',
          'metrics',
          { refused: 'rate_limited' },
          Date.now()
        );
        sendMetrics(b, 'prod-us');
        vi.advanceTimersByTime(S);
      }
      b.recordIngest('dev-us', 'logs', { samples: 10 }, Date.now());
      await a.sync();
      await b.sync();
      await a.sync();
      const [ea, eb] = await Promise.all([a.evaluate(), b.evaluate()]);
      expect(ea).toEqual(eb);
      const eu = ea.clusters.find(c => c.cluster === 'prod-eu')!;
      expect(eu.samplesPerSecond).toBeCloseTo(100, 0);
      expect(eu.collectors.map(c => c.kind)).toEqual(['prometheus']);
      expect(ea.clusters.find(c => c.cluster === 'dev-us')!.lastSeenMs).toEqual(
        { logs: Date.now() }
      );
      const us = ea.clusters.find(c => c.cluster === 'prod-us')!;
      expect(us.state).toBe('degraded');
      expect(us.reasons[0]!.message).toBe(
        '30 of 60 requests refused in the last 5m (50%): rate_limited 30'
      );
      expect(await a.clusterDetail('prod-us')).toEqual(
        await b.clusterDetail('prod-us')
      );
    });

    it("keeps a cluster's last contact and held reasons after the replica that saw it is gone", async () => {
      const store = new MemorySnapshotTransport();
      const a = tracker({ store, replicaId: 'a' });
      const b = tracker({ store, replicaId: 'b' });
      for (let i = 0; i < 3; i++)
        a.recordIngest(
          'prod-eu',
          'metrics',
          { refused: 'overloaded' },
          Date.now()
        );
      const raised = await healthOf(a, 'prod-eu');
      expect(raised.state).toBe('degraded');
      await a.sync();
      await b.sync();
      // a dies; its snapshot expires. b still knows prod-eu's last contact and held reason.
      vi.advanceTimersByTime(M);
      await b.sync();
      expect(
        await store.readSnapshots(FLEET_SNAPSHOT_KIND, Date.now())
      ).toHaveLength(1);
      const h = await healthOf(b, 'prod-eu');
      expect(h.state).toBe('degraded');
      expect(h.lastSeenMs).toEqual({ metrics: T0 });
      expect(h.reasons[0]).toMatchObject({
        code: 'ingestion_refusals',
        sinceMs: T0,
      });
      expect(h.reasons[0]!.message).toContain(
        '(last true 1m ago; clears after 5m without it)'
      );
      vi.advanceTimersByTime(20 * M);
      expect((await healthOf(b, 'prod-eu')).state).toBe('down');
    });

    it('skips a malformed peer snapshot and reports it', async () => {
      const store = new MemorySnapshotTransport();
      const errors: unknown[] = [];
      const a = tracker({
        store,
        replicaId: 'a',
        onError: err => errors.push(err),
      });
      await store.publishSnapshot(
        FLEET_SNAPSHOT_KIND,
        'z',
        '{"v":1,"clusters":{"prod-eu":{"lastSeenMs":7}}}',
        15 * S,
        Date.now()
      );
      sendMetrics(a, 'prod-us');
      await a.sync();
      expect(errors).toHaveLength(1);
      expect(String(errors[0])).toContain(
        'cannot decode the fleet snapshot of replica z'
      );
      expect((await healthOf(a, 'prod-us')).state).toBe('healthy');
    });

    it('does not publish on a store that is not shared', async () => {
      const store = new MemorySnapshotTransport({ isShared: false });
      const a = tracker({ store, replicaId: 'a' });
      sendMetrics(a, 'prod-us');
      await a.sync();
      expect(store.publishes).toBe(0);
    });

    it('syncs and evaluates on its own timer once started', async () => {
      const store = new MemorySnapshotTransport();
      const a = tracker({ store, replicaId: 'a' });
      a.start();
      sendMetrics(a, 'prod-us');
      await vi.advanceTimersByTimeAsync(5 * S);
      expect(store.publishes).toBe(1);
      await a.stop();
      await vi.advanceTimersByTimeAsync(20 * S);
      expect(store.publishes).toBe(1);
    });
  });
});
