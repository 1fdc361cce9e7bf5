/**
 * The SLO engine over bench/slo-bench.ts's corpus: 50 SLOs (40 availability,
 * 10 latency) over 100 clusters, 252,000 series of which 36,000 feed an
 * SLO, in requests of 2,000 series with one sample each and stable label
 * arrays. Samples per second of the stage = hz × 2000.
 *
 * Run: npx vitest bench --run --project unit bench/slo.bench.ts
 */
import { Registry } from 'prom-client';
import { bench, describe } from 'vitest';
import { SloEngine } from '../src/slo/index.js';
import {
  advanceRequest,
  buildSloBenchRequests,
  SLO_BENCH_SERIES_PER_REQUEST,
  SLO_BENCH_T0,
  sloBenchSpecs,
} from './slo-bench.js';

const SCRAPE_MS = 15_000;

const requests = buildSloBenchRequests();
const clock = { now: SLO_BENCH_T0 };
const registry = new Registry();
const engine = new SloEngine(sloBenchSpecs(), {
  now: () => clock.now,
  registry,
  metricsCacheMs: 0,
});

/** One scrape of the whole corpus (the first one matches every series). */
function scrapeAll(): void {
  clock.now += SCRAPE_MS;
  for (const request of requests) {
    advanceRequest(request, clock.now);
    engine.observe(request.batch, request.context);
  }
}

// Warm: every series matched and tracked, then ten minutes of data for the queries.
for (let i = 0; i < 40; i++) scrapeAll();

let next = 0;
let round = 0;

describe(`SLO stage, ${SLO_BENCH_SERIES_PER_REQUEST} series per request (50 SLOs × 100 clusters)`, () => {
  bench(
    'SloEngine.process: steady state (known series, every counter grows)',
    () => {
      const request = requests[next]!;
      next++;
      if (next === requests.length) {
        next = 0;
        round++;
      }
      // Each request's series get a new scrape once per pass over the corpus.
      advanceRequest(request, SLO_BENCH_T0 + (41 + round) * SCRAPE_MS);
      clock.now = SLO_BENCH_T0 + (41 + round) * SCRAPE_MS;
      engine.observe(request.batch, request.context);
    }
  );
});

describe('SLO queries (50 SLOs × 100 clusters)', () => {
  bench(
    'reports(): the whole list (GET /api/v1/slos before JSON)',
    async () => {
      await engine.reports();
    }
  );

  bench('reports() + JSON.stringify', async () => {
    JSON.stringify({ status: 'success', data: await engine.reports() });
  });

  bench('report(): one SLO with its 100 clusters', async () => {
    await engine.report('svc-07-availability');
  });

  bench('/metrics: the SLO families (96,000 series)', async () => {
    await registry.metrics();
  });
});
