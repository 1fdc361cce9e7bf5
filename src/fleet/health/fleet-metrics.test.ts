import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClusterRegistry } from '../cluster-registry.js';
import { FleetMetrics } from './fleet-metrics.js';
import { FleetTracker } from './fleet-tracker.js';

const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const M = 60_000;

const registry = new ClusterRegistry([
  {
    name: 'prod-eu',
    region: 'eu-west-1',
    env: 'prod',
    team: 'payments',
    labels: {},
  },
  { name: 'dev-us', region: 'us-east-1', env: 'dev', team: '', labels: {} },
]);

function tracker(): FleetTracker {
  return new FleetTracker({
    registry: () => registry,
    thresholds: () => ({
      stale_after: 5 * M,
      down_after: 15 * M,
      max_clock_skew: 5 * M,
    }),
    now: () => Date.now(),
    cardinality: { activeSeries: () => 250, seriesBudget: () => 1000 },
  });
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('FleetMetrics', () => {
  it('exposes fleetgate_cluster_* from one evaluation per scrape', async () => {
    const t = tracker();
    for (let i = 0; i < 8; i++) {
      t.recordIngest(
        'prod-eu',
        'metrics',
        {
          samples: 100,
          newestSampleMs: Date.now() + 8 * M,
          userAgent: 'Prometheus/2.42.0',
        },
        Date.now()
      );
      vi.advanceTimersByTime(10_000);
    }
    t.recordIngest('stray', 'metrics', { samples: 1 }, Date.now());
    const evaluate = vi.spyOn(t, 'evaluate');
    const promRegistry = new Registry();
    new FleetMetrics(promRegistry, t);
    const text = await promRegistry.metrics();
    expect(evaluate).toHaveBeenCalledTimes(1);

    expect(text).toContain(
      'fleetgate_cluster_state{cluster="prod-eu",state="degraded"} 1'
    );
    expect(text).toContain(
      'fleetgate_cluster_state{cluster="prod-eu",state="healthy"} 0'
    );
    expect(text).toContain(
      'fleetgate_cluster_state{cluster="dev-us",state="unknown"} 1'
    );
    expect(text).toContain(
      'fleetgate_cluster_degraded_reason{cluster="prod-eu",reason="clock_skew"} 1'
    );
    expect(text).toContain(
      `fleetgate_cluster_last_seen_timestamp_seconds{cluster="prod-eu",signal="metrics"} ${(T0 + 70_000) / 1000}`
    );
    expect(text).toContain(
      'fleetgate_cluster_clock_skew_seconds{cluster="prod-eu"} 480'
    );
    expect(text).toMatch(
      /fleetgate_cluster_samples_per_second\{cluster="prod-eu"\} 10(\.\d+)?\n/
    );
    expect(text).toContain(
      'fleetgate_cluster_series_budget_use_ratio{cluster="prod-eu"} 0.25'
    );
    expect(text).toContain(
      'fleetgate_cluster_collector_info{cluster="prod-eu",kind="prometheus",version="2.42.0"} 1'
    );
    expect(text).toContain('fleetgate_fleet_clusters{state="unregistered"} 1');
    expect(text).toContain('fleetgate_fleet_clusters{state="degraded"} 1');
    // Unregistered senders are counted, never labelled by name.
    expect(text).not.toContain('cluster="stray"');
  });

  it('replaces the gauges of an earlier instance on the same registry', async () => {
    const promRegistry = new Registry();
    const first = tracker();
    new FleetMetrics(promRegistry, first);
    const second = tracker();
    second.recordIngest('dev-us', 'logs', { samples: 5 }, Date.now());
    new FleetMetrics(promRegistry, second);
    const text = await promRegistry.metrics();
    expect(text).toContain(
      'fleetgate_cluster_state{cluster="dev-us",state="healthy"} 1'
    );
  });
});
