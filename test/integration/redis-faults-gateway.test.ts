/**
 * Issue 3 item 8, end to end: two gateway processes on a private
 * redis-server under a steady remote write load. Redis is SIGKILLed mid-load
 * and later restarted, empty, on the same port. While it is gone every
 * request is still acknowledged, and /-/ready and /metrics say the replica is
 * degraded; once it is back the replicas turn healthy within a bounded time,
 * the series they saw during the outage are replayed into Redis, and both
 * answer the cardinality API alike again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SNAPSHOT_INTERVAL_MS,
  TICK_INTERVAL_MS,
} from '../../src/pipeline/limit/cardinality-limiter.js';
import {
  readCardinality,
  readiness,
  remoteWrite,
  scrapeValue,
  sharedClusterSeries,
  type CardinalityAnswers,
  type SeriesSample,
  type WriteOutcome,
} from '../helpers/gateway-client.js';
import {
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import { sleep, waitFor } from '../helpers/peers.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const CLUSTER = 'prod-eu';
const TOKEN = 'prod-eu-faults-token-0123456789ab';
const METRIC = 'faults_test_requests_total';
/** Series every request of a sender repeats. */
const STABLE_SERIES = 10;
/** New series in every request. */
const NEW_SERIES = 10;
const SEND_INTERVAL_MS = 40;
/** Hard cap on requests per sender, whatever the phases below take. */
const MAX_REQUESTS_PER_SENDER = 600;
/** Requests per sender before the kill, during the outage, and after recovery, at least. */
const REQUESTS_PER_PHASE = 25;
/** Redis' HyperLogLog error, three standard errors (1.04/√16384 each). */
const HLL_ERROR_3_SIGMA = (3 * 1.04) / Math.sqrt(16_384);
const DEGRADE_TIMEOUT_MS = 10_000;
const RECOVERY_TIMEOUT_MS = 20_000;
const PHASE_TIMEOUT_MS = 30_000;
const CONVERGE_TIMEOUT_MS = 3 * SNAPSHOT_INTERVAL_MS + 10_000;
const DEGRADED_TEXT = 'degraded: shared state unavailable';

function configYaml(
  redisUrl: string,
  keyPrefix: string,
  maxSeriesPerCluster?: number
): string {
  const limits =
    maxSeriesPerCluster === undefined
      ? ''
      : `limits:\n  max_series_per_cluster: ${maxSeriesPerCluster}\n`;
  return `
clusters:
  - {name: ${CLUSTER}, region: eu-west-1, env: prod, team: payments, token: ${TOKEN}}
state:
  redis: ${redisUrl}
  key_prefix: ${keyPrefix}
${limits}`;
}

/** Request `i` of sender `who`: its stable series and NEW_SERIES new ones (no series is shared by the senders). */
function requestSeries(who: string, i: number): SeriesSample[] {
  const series: SeriesSample[] = [];
  for (let j = 0; j < STABLE_SERIES; j++)
    series.push({
      labels: { __name__: METRIC, pod: `${who}-stable-${j}` },
      value: i,
    });
  for (let j = 0; j < NEW_SERIES; j++)
    series.push({
      labels: { __name__: METRIC, pod: `${who}-${i}-${j}` },
      value: i,
    });
  return series;
}

/** Whether a replica's /-/ready and /metrics both say degraded (`isDegraded`) or both say healthy. */
function says(
  state: { status: number; body: string; gauge: number },
  isDegraded: boolean
): boolean {
  return isDegraded
    ? state.status === 200 &&
        state.body.includes(DEGRADED_TEXT) &&
        state.gauge === 1
    : state.status === 200 &&
        !state.body.includes('degraded') &&
        state.gauge === 0;
}

/** Degraded as both /-/ready and /metrics tell it. */
async function degradedState(
  gateway: GatewayProcess
): Promise<{ status: number; body: string; gauge: number }> {
  const [ready, gauge] = await Promise.all([
    readiness(gateway.url),
    scrapeValue(gateway.url, 'fleetgate_state_degraded'),
  ]);
  return { ...ready, gauge };
}

interface Sender {
  readonly outcomes: WriteOutcome[];
  readonly done: Promise<void>;
}

describe('gateway replicas when their Redis is killed mid-load', () => {
  const redisServers: RedisServer[] = [];
  const gateways: GatewayProcess[] = [];
  let stopLoad = false;
  let load: Promise<unknown> = Promise.resolve();

  beforeEach(() => {
    stopLoad = false;
  });

  afterEach(async () => {
    stopLoad = true;
    await load;
    await Promise.allSettled(gateways.splice(0).map(g => g.stop()));
    await Promise.allSettled(
      redisServers.splice(0).map(server => server.stop('SIGKILL'))
    );
  }, 60_000);

  /** Two gateway replicas on one Redis (stopped in afterEach, even when this fails). */
  async function startPair(
    config: string
  ): Promise<[GatewayProcess, GatewayProcess]> {
    const started = await Promise.allSettled([
      startGateway(config),
      startGateway(config),
    ]);
    for (const s of started)
      if (s.status === 'fulfilled') gateways.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    return [gateways[0]!, gateways[1]!];
  }

  /** Waits until every gateway says `isDegraded`; returns how long it took. */
  async function waitUntilAll(
    isDegraded: boolean,
    timeoutMs: number
  ): Promise<number> {
    const start = Date.now();
    await waitFor(
      async () =>
        (await Promise.all(gateways.map(degradedState))).every(st =>
          says(st, isDegraded)
        ),
      timeoutMs,
      {
        description: `both replicas to say they are ${isDegraded ? 'degraded' : 'healthy'}`,
      }
    );
    return Date.now() - start;
  }

  /** A sender of bounded count to one gateway, stopping early on `stopLoad`. */
  function startSender(gateway: GatewayProcess, who: string): Sender {
    const outcomes: WriteOutcome[] = [];
    const done = (async () => {
      for (let i = 0; i < MAX_REQUESTS_PER_SENDER && !stopLoad; i++) {
        outcomes.push(
          await remoteWrite(gateway.url, TOKEN, requestSeries(who, i))
        );
        await sleep(SEND_INTERVAL_MS);
      }
    })();
    return { outcomes, done };
  }

  it('acknowledges every request through the outage, says degraded, and converges when Redis is back', async () => {
    const keyPrefix = `fg-faults-${process.pid}-${Date.now()}`;
    const first = await startRedisServer();
    redisServers.push(first);
    const [a, b] = await startPair(configYaml(first.url, keyPrefix));
    for (const g of [a, b])
      expect(says(await degradedState(g), false)).toBe(true);

    const senders = [startSender(a, 'a'), startSender(b, 'b')] as const;
    load = Promise.all(senders.map(s => s.done));
    const sent = (): number => Math.min(...senders.map(s => s.outcomes.length));
    const progress = async (requests: number, what: string): Promise<void> => {
      const target = sent() + requests;
      await waitFor(() => sent() >= target, PHASE_TIMEOUT_MS, {
        description: `${requests} more requests per sender ${what}`,
        intervalMs: 50,
      });
    };

    // Phase 1: healthy load.
    await progress(REQUESTS_PER_PHASE, 'before the kill');

    // Phase 2: Redis dies mid-load.
    await first.stop('SIGKILL', true);
    const killedAt = Date.now();
    const killIndex = senders.map(s => s.outcomes.length);
    await waitUntilAll(true, DEGRADE_TIMEOUT_MS);
    const degradedAfterMs = Date.now() - killedAt;
    await progress(REQUESTS_PER_PHASE, 'while Redis is down');
    // Still degraded after those requests: they all ran on local state.
    for (const g of [a, b]) {
      const st = await degradedState(g);
      expect(st.status).toBe(200);
      expect(st.body).toContain(DEGRADED_TEXT);
      expect(st.gauge).toBe(1);
    }

    // Phase 3: Redis comes back, empty, on the same port.
    const second = await startRedisServer({ port: first.port });
    redisServers.push(second);
    const restartIndex = senders.map(s => s.outcomes.length);
    const recoveredAfterMs = await waitUntilAll(false, RECOVERY_TIMEOUT_MS);
    await progress(REQUESTS_PER_PHASE, 'after recovery');
    stopLoad = true;
    await load;

    // No request failed because of Redis: every one was acknowledged.
    const all = senders.flatMap(s => s.outcomes);
    const failed = all.filter(o => o.status !== 204);
    expect(failed).toEqual([]);
    for (const g of [a, b])
      expect(
        await scrapeValue(g.url, 'fleetgate_rejected_requests_total')
      ).toBe(0);
    const outage = senders.flatMap((s, k) =>
      s.outcomes.slice(killIndex[k], restartIndex[k])
    );
    const slowestOutageMs = Math.max(...outage.map(o => o.durationMs));

    // Convergence. Every series is seen by one replica, so the fleet count is exact.
    const distinct = senders.reduce(
      (sum, s) => sum + STABLE_SERIES + NEW_SERIES * s.outcomes.length,
      0
    );
    const [activeA, activeB] = await Promise.all([
      scrapeValue(a.url, 'fleetgate_active_series', { cluster: CLUSTER }),
      scrapeValue(b.url, 'fleetgate_active_series', { cluster: CLUSTER }),
    ]);
    expect(activeA + activeB).toBe(distinct);
    // The restarted Redis was empty: it counts the series first seen since
    // the kill only if what the replicas recorded locally was replayed. (The
    // series flushed to the old Redis before the kill are another matter:
    // see the next test.)
    const sinceKill = senders.reduce(
      (sum, s, k) => sum + NEW_SERIES * (s.outcomes.length - killIndex[k]!),
      0
    );
    const shared = await waitFor(
      async () => {
        const count = await sharedClusterSeries(
          second.port,
          keyPrefix,
          CLUSTER
        );
        return count >= Math.floor(sinceKill * (1 - HLL_ERROR_3_SIGMA))
          ? count
          : false;
      },
      CONVERGE_TIMEOUT_MS,
      {
        description: `redis to count the ${sinceKill} series seen since the kill`,
      }
    );
    expect(shared).toBeLessThanOrEqual(
      Math.ceil(distinct * (1 + HLL_ERROR_3_SIGMA))
    );
    const convergeStart = Date.now();
    let answers: [CardinalityAnswers, CardinalityAnswers] | undefined;
    await waitFor(
      async () => {
        answers = await Promise.all([
          readCardinality(a.url, CLUSTER),
          readCardinality(b.url, CLUSTER),
        ]);
        return (
          JSON.stringify(answers[0]) === JSON.stringify(answers[1]) &&
          answers[0].metrics.data.metrics[0]?.series === distinct
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
    const convergedAfterMs = Date.now() - convergeStart;
    const [fromA, fromB] = answers!;
    expect(fromA).toEqual(fromB);
    expect(fromA.metrics.data.metrics).toMatchObject([
      { metric: METRIC, series: distinct, dropped_series: 0 },
    ]);
    expect(
      fromA.labelNames.cardinality.find(c => c.label_name === 'pod')
        ?.label_values_count
    ).toBe(distinct);

    console.info(
      `redis-faults-gateway: ${all.length} requests, ${all.length - failed.length} answered 204 ` +
        `(${outage.length} while Redis was down, slowest ${Math.round(slowestOutageMs)} ms); ` +
        `degraded seen ${degradedAfterMs} ms after SIGKILL, healthy ${recoveredAfterMs} ms after restart; ` +
        `${distinct} series (${sinceKill} since the kill), redis HLL ${shared} after replay; ` +
        `cardinality API alike ${convergedAfterMs} ms later`
    );
  }, 180_000);
  // Fails today (gateway gap, reported with issue 3 item 8): the series a
  // replica flushed to Redis before it died are not in the restarted, empty
  // Redis. The store replays only what it recorded *during* the outage, and
  // the limiter republishes an active series only when it is seen again
  // across its republish period (max(30 s, active_window/4): 5 min by
  // default), never when it is not seen again. So after the restart the
  // other replica judges new series against a shared count that lacks them,
  // and the pair admits up to that many series over the budget, for up to
  // one active window. Suggested fix: when the store turns healthy after
  // being degraded, the CardinalityLimiter queues every series of its
  // index for publishing (SharedBudget.publish per active series, flushed
  // in FLUSH_AT_HASHES chunks), e.g. from main.ts' onHealthChange.
  it('keeps the pair within the cluster budget after Redis restarts empty', async () => {
    const budget = 1000;
    const perRequest = 100;
    const requests = 6;
    const keyPrefix = `fg-faults-budget-${process.pid}-${Date.now()}`;
    const batch = (r: number): SeriesSample[] =>
      Array.from({ length: perRequest }, (_, i) => ({
        labels: { __name__: METRIC, pod: `budget-${r * perRequest + i}` },
        value: r,
      }));
    const first = await startRedisServer();
    redisServers.push(first);
    const [a, b] = await startPair(configYaml(first.url, keyPrefix, budget));
    const syncPauseMs = 2 * TICK_INTERVAL_MS + 500;

    // A admits 600 series, and Redis has them.
    for (let r = 0; r < requests; r++)
      expect((await remoteWrite(a.url, TOKEN, batch(r))).status).toBe(204);
    const admittedByA = requests * perRequest;
    await waitFor(
      async () =>
        (await sharedClusterSeries(first.port, keyPrefix, CLUSTER)) >=
        Math.floor(admittedByA * (1 - HLL_ERROR_3_SIGMA)),
      PHASE_TIMEOUT_MS,
      { description: `redis to count A's ${admittedByA} series` }
    );

    // Redis dies and comes back empty; no series arrive meanwhile.
    await first.stop('SIGKILL', true);
    await waitUntilAll(true, DEGRADE_TIMEOUT_MS);
    const second = await startRedisServer({ port: first.port });
    redisServers.push(second);
    await waitUntilAll(false, RECOVERY_TIMEOUT_MS);
    await sleep(syncPauseMs);

    // B gets new series of the same cluster, one request at a time, each
    // given time to reach Redis and come back as B's shared count.
    for (let r = requests; r < 2 * requests; r++) {
      expect((await remoteWrite(b.url, TOKEN, batch(r))).status).toBe(204);
      await sleep(syncPauseMs);
    }
    const drops = await Promise.all(
      [a, b].map(g =>
        scrapeValue(g.url, 'fleetgate_series_dropped_total', {
          cluster: CLUSTER,
          reason: 'series_limit_cluster',
        })
      )
    );
    const admitted = 2 * requests * perRequest - drops[0]! - drops[1]!;
    const shared = await sharedClusterSeries(second.port, keyPrefix, CLUSTER);
    // One replica admits at a time and each waits for the sync, so only the
    // HLL error separates the pair from the budget.
    const upper = budget + Math.ceil(HLL_ERROR_3_SIGMA * (budget + perRequest));
    expect(
      admitted,
      `the pair admitted ${admitted} series (A ${admittedByA} before the restart, ` +
        `B ${admitted - admittedByA} after it) against a budget of ${budget}; ` +
        `the restarted Redis counts ${shared}`
    ).toBeLessThanOrEqual(upper);
  }, 120_000);
});
