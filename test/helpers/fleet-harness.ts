/**
 * The fleet tracker's test harness: a registry of three clusters, trackers
 * on a fake clock, and requests as the ingest path reports them.
 */
import { afterEach, beforeEach, vi } from 'vitest';
import { ClusterRegistry } from '../../src/fleet/cluster-registry.js';
import type {
  ClusterHealth,
  Signal,
} from '../../src/fleet/health/cluster-health.js';
import type { IngestReport } from '../../src/fleet/health/fleet-recorder.js';
import {
  FleetTracker,
  type FleetTrackerOptions,
} from '../../src/fleet/health/fleet-tracker.js';

export const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
export const S = 1000;
export const M = 60 * S;
export const THRESHOLDS = {
  stale_after: 5 * M,
  down_after: 15 * M,
  max_clock_skew: 5 * M,
};

export const registry = new ClusterRegistry([
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

export function tracker(
  options: Partial<FleetTrackerOptions> = {}
): FleetTracker {
  return new FleetTracker({
    registry: () => registry,
    thresholds: () => THRESHOLDS,
    now: () => Date.now(),
    ...options,
  });
}

/** One metrics request now, its newest sample `offsetMs` from now. */
export function sendMetrics(
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
export async function keepSending(
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

export async function healthOf(
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

/** Fake timers from T0 around every test of the file. */
export function useFleetClock(): void {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}
