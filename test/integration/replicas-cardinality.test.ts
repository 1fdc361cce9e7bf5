/**
 * Issue 3 item 7: two gateway processes on one private redis-server share
 * one cluster's series budget. The cluster's new series are split across
 * both replicas; the pair must admit no more than the budget plus the bound
 * shared-budget.ts documents, stop admitting once it is spent, and both
 * replicas must then answer the cardinality API alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SNAPSHOT_INTERVAL_MS,
  TICK_INTERVAL_MS,
} from '../../src/pipeline/limit/cardinality-limiter.js';
import {
  readCardinality,
  remoteWrite,
  scrapeValue,
  sharedClusterSeries,
  type CardinalityAnswers,
  type SeriesSample,
} from '../helpers/gateway-client.js';
import {
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import { sleep, waitFor } from '../helpers/peers.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const CLUSTER = 'prod-eu';
const TOKEN = 'prod-eu-replicas-token-0123456789';
const METRIC = 'replicas_test_requests_total';
const BUDGET = 1000;
const SERIES_PER_REQUEST = 100;
const REQUESTS = 30;
/**
 * Redis' HyperLogLog has 2^14 registers: standard error 1.04/√16384 ≈ 0.81%;
 * three standard errors bound what a shared count can be off by.
 */
const HLL_ERROR_3_SIGMA = (3 * 1.04) / Math.sqrt(16_384);
/**
 * Pause after a round that admitted series: a replica publishes its
 * admissions on its next tick and reads the other's on its next tick after
 * that, so two ticks (plus slack for a loaded machine) after the round's
 * hashes are in Redis both replicas have refreshed.
 */
const SYNC_PAUSE_MS = 2 * TICK_INTERVAL_MS + 500;
const SYNC_TIMEOUT_MS = 15_000;
/** Both replicas publish a fresh snapshot within one interval; allow three. */
const CONVERGE_TIMEOUT_MS = 3 * SNAPSHOT_INTERVAL_MS + 5_000;

const DROPPED = 'fleetgate_series_dropped_total';
const DROP_LABELS = { cluster: CLUSTER, reason: 'series_limit_cluster' };

function configYaml(redisUrl: string, keyPrefix: string): string {
  return `
clusters:
  - {name: ${CLUSTER}, region: eu-west-1, env: prod, team: payments, token: ${TOKEN}}
limits:
  max_series_per_cluster: ${BUDGET}
state:
  redis: ${redisUrl}
  key_prefix: ${keyPrefix}
`;
}

/** Request `r`'s series: SERIES_PER_REQUEST new ones, distinct from every other request's. */
function requestSeries(r: number): SeriesSample[] {
  const series: SeriesSample[] = [];
  for (let i = 0; i < SERIES_PER_REQUEST; i++) {
    const n = r * SERIES_PER_REQUEST + i;
    series.push({
      labels: { __name__: METRIC, pod: `pod-${n}`, path: `/p/${n % 7}` },
      value: n,
    });
  }
  return series;
}

async function dropsOf(gateway: GatewayProcess): Promise<number> {
  return scrapeValue(gateway.url, DROPPED, DROP_LABELS);
}

describe('two gateway replicas on one Redis', () => {
  let redis: RedisServer | undefined;
  const gateways: GatewayProcess[] = [];
  const keyPrefix = `fg-replicas-card-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    redis = await startRedisServer();
    const config = configYaml(redis.url, keyPrefix);
    const started = await Promise.allSettled([
      startGateway(config),
      startGateway(config),
    ]);
    for (const s of started)
      if (s.status === 'fulfilled') gateways.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled(gateways.map(g => g.stop()));
    await redis?.stop('SIGKILL');
  }, 60_000);

  it('holds one cluster budget for the pair and answers the cardinality API alike', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    const redisPort = redis!.port;
    let sent = 0;
    let admitted = 0;
    let dropsA = 0;
    let dropsB = 0;
    const statuses: number[] = [];
    for (let r = 0; r < REQUESTS; r += 2) {
      // One round: one request to each replica at once, the harshest split.
      const outcomes = await Promise.all([
        remoteWrite(a.url, TOKEN, requestSeries(r)),
        remoteWrite(b.url, TOKEN, requestSeries(r + 1)),
      ]);
      for (const o of outcomes) statuses.push(o.status);
      sent += 2 * SERIES_PER_REQUEST;
      [dropsA, dropsB] = await Promise.all([dropsOf(a), dropsOf(b)]);
      const before = admitted;
      admitted = sent - dropsA - dropsB;
      if (admitted === before) continue;
      // Pace: the next round starts only once both replicas can know this one.
      const want = Math.floor(admitted * (1 - HLL_ERROR_3_SIGMA));
      await waitFor(
        async () =>
          (await sharedClusterSeries(redisPort, keyPrefix, CLUSTER)) >= want,
        SYNC_TIMEOUT_MS,
        { description: `redis to count about ${admitted} series of ${CLUSTER}` }
      );
      await sleep(SYNC_PAUSE_MS);
    }

    // Cardinality drops are policy drops: every request lands with 204.
    expect(statuses).toEqual(new Array<number>(REQUESTS).fill(204));
    // Admission stopped, on both replicas' say-so taken together.
    expect(dropsA + dropsB).toBeGreaterThan(0);
    // The bound (shared-budget.ts). Each round, both replicas judge new
    // series against the shared count as of the round's start (the pacing
    // above guarantees it includes every earlier round) plus their own exact
    // admissions, so neither sees the other's series of the same round. In
    // the round that crosses the budget, the pair can therefore overshoot by
    // at most one round of the *other* replica's new series
    // (SERIES_PER_REQUEST), and every count is an HLL estimate that can be
    // low by its error (3σ of the largest count) — which can also make
    // admission stop that much early.
    const hllSlack = Math.ceil(
      HLL_ERROR_3_SIGMA * (BUDGET + SERIES_PER_REQUEST)
    );
    const upper = BUDGET + SERIES_PER_REQUEST + hllSlack;
    const lower = BUDGET - hllSlack;
    expect(admitted).toBeLessThanOrEqual(upper);
    expect(admitted).toBeGreaterThanOrEqual(lower);
    // Each replica's index holds exactly what it admitted.
    const [activeA, activeB] = await Promise.all([
      scrapeValue(a.url, 'fleetgate_active_series', { cluster: CLUSTER }),
      scrapeValue(b.url, 'fleetgate_active_series', { cluster: CLUSTER }),
    ]);
    expect(activeA + activeB).toBe(admitted);
    // Both replicas did admit some: the split really was across the pair.
    expect(activeA).toBeGreaterThan(0);
    expect(activeB).toBeGreaterThan(0);
    const shared = await sharedClusterSeries(redisPort, keyPrefix, CLUSTER);

    // After a snapshot interval both replicas answer from the same summaries.
    const started = Date.now();
    let answers: [CardinalityAnswers, CardinalityAnswers] | undefined;
    await waitFor(
      async () => {
        answers = await Promise.all([
          readCardinality(a.url, CLUSTER),
          readCardinality(b.url, CLUSTER),
        ]);
        // Equal answers alone are not enough: with a symmetric load two
        // stale snapshots can sum alike. Wait for the final figures too.
        const top = answers[0].metrics.data.metrics[0];
        return (
          JSON.stringify(answers[0]) === JSON.stringify(answers[1]) &&
          top?.series === admitted &&
          top.dropped_series === dropsA + dropsB
        );
      },
      CONVERGE_TIMEOUT_MS,
      { description: 'both replicas to answer the cardinality API alike' }
    ).catch((err: unknown) => {
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}; last answers: ${JSON.stringify(answers)}`,
        { cause: err }
      );
    });
    const convergeMs = Date.now() - started;
    const [fromA, fromB] = answers!;
    expect(fromA).toEqual(fromB);
    expect(fromA.metrics.data).toEqual({
      cluster: CLUSTER,
      metrics: [
        {
          metric: METRIC,
          series: admitted,
          // Per-cluster answers carry the per-metric budget (default 50000).
          limit: 50_000,
          utilization: Math.round((admitted / 50_000) * 10_000) / 10_000,
          dropped_series: dropsA + dropsB,
        },
      ],
    });
    const valuesOf = (name: string): number | undefined =>
      fromA.labelNames.cardinality.find(c => c.label_name === name)
        ?.label_values_count;
    expect(valuesOf('pod')).toBe(admitted);
    expect(valuesOf('path')).toBe(7);
    for (const name of ['__name__', 'cluster', 'region', 'env', 'team'])
      expect(valuesOf(name)).toBe(1);

    console.info(
      `replicas-cardinality: sent ${sent} new series, admitted ${admitted} (A ${activeA}, B ${activeB}) ` +
        `against budget ${BUDGET}, allowed [${lower}, ${upper}]; dropped A ${dropsA} B ${dropsB}; ` +
        `redis HLL count ${shared}; cardinality API alike after ${convergeMs} ms`
    );
  }, 180_000);
});
