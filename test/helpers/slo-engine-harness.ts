/**
 * The SLO engine's test harness: two SLOs of a checkout service, its
 * counters as scraped series, and engines on a fake clock, shared by the
 * engine's, ingest stage's and replication's tests.
 */
import { afterEach, beforeEach, vi } from 'vitest';
import type { SeriesBatch } from '../../src/model/index.js';
import { SloEngine, type SloEngineOptions } from '../../src/slo/slo-engine.js';
import type { SloSpec } from '../../src/slo/slo-definition.js';
import type { SloReport } from '../../src/slo/slo-report.js';
import {
  contextOf,
  DAY_MS,
  SECOND_MS,
  T0,
  type Point,
  type SeriesFeed,
} from './slo-fixtures.js';

export const STEP_MS = 15 * SECOND_MS;

export const AVAILABILITY: SloSpec = {
  name: 'checkout-availability',
  service: 'checkout',
  objective: 0.999,
  window: 30 * DAY_MS,
  sli: {
    ratio: {
      bad: 'http_requests_total{job="checkout",code=~"5.."}',
      total: 'http_requests_total{job="checkout"}',
    },
  },
};

export const LATENCY: SloSpec = {
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
};

/** Cumulative request counters of one cluster's checkout service, scraped as two series. */
export class Checkout {
  ok = 0;
  bad = 0;
  start = 0;
  readonly cluster: string;
  constructor(cluster: string, ok = 0, bad = 0) {
    this.cluster = cluster;
    this.ok = ok;
    this.bad = bad;
  }

  points(t: number): Point[] {
    const labels = (code: string) => ({
      __name__: 'http_requests_total',
      cluster: this.cluster,
      job: 'checkout',
      code,
    });
    return [
      { labels: labels('200'), value: this.ok, t, start: this.start },
      { labels: labels('500'), value: this.bad, t, start: this.start },
    ];
  }
}

let engines: SloEngine[] = [];

/** An engine on the fake clock, stopped after the test (see useEngineHarness). */
export function engine(
  specs: readonly SloSpec[] = [AVAILABILITY],
  options: SloEngineOptions = {}
): SloEngine {
  const e = new SloEngine(specs, { now: () => Date.now(), ...options });
  engines.push(e);
  return e;
}

/** Leaves `e` running after the test (it was stopped by the test itself). */
export function forgetEngine(e: SloEngine): void {
  engines = engines.filter(other => other !== e);
}

/** Fake timers from T0 around every test of the file; engines are stopped after each. */
export function useEngineHarness(): void {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(async () => {
    await Promise.all(engines.map(e => e.stop()));
    engines = [];
    vi.useRealTimers();
  });
}

/** Sets the clock to `t` and sends one scrape of every service. */
export function scrape(
  e: SloEngine,
  feed: SeriesFeed,
  t: number,
  services: readonly Checkout[]
): SeriesBatch {
  vi.setSystemTime(t);
  const batch = feed.batch(services.flatMap(s => s.points(t)));
  e.observe(batch, contextOf());
  return batch;
}

/** Scrapes every STEP_MS in (from, to], adding `ok` good and `bad` bad requests per step to each service first. */
export function run(
  e: SloEngine,
  feed: SeriesFeed,
  from: number,
  to: number,
  services: readonly Checkout[],
  ok: number,
  bad: number
): void {
  for (let t = from + STEP_MS; t <= to; t += STEP_MS) {
    for (const s of services) {
      s.ok += ok;
      s.bad += bad;
    }
    scrape(e, feed, t, services);
  }
}

export function ratio(
  report: Pick<SloReport, 'windows'>,
  window: string
): number | null {
  return report.windows[window]!.error_ratio;
}

export function clusterOf(
  report: SloReport,
  cluster: string
): SloReport['clusters'][number] {
  return report.clusters.find(c => c.cluster === cluster)!;
}

export async function fleet(
  e: SloEngine,
  name = AVAILABILITY.name
): Promise<SloReport> {
  return (await e.report(name))!;
}
