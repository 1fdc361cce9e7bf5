/**
 * Issue 3 item 5 across gateway replicas: a Prometheus HA pair (replica
 * label values r1 and r2, one cluster token) sends through two different
 * gateway processes sharing one private redis-server. Only the elected
 * replica's data lands, whichever gateway it goes through; the other's is
 * acknowledged and dropped; the replica label never lands; when the leader
 * stops sending, the other takes over after `ha.failover_timeout`, and both
 * gateways then agree on the new leader.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteWriteSink } from '../helpers/remote-write-sink.js';
import {
  remoteWrite,
  scrapeValue,
  sharedHaLeader,
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
const TOKEN = 'prod-eu-ha-token-0123456789abcdef';
const FAILOVER_TIMEOUT_MS = 3000;
const SEND_INTERVAL_MS = 200;
const SERIES_PER_REQUEST = 5;
/** Requests each sender makes while both run (about 3 s). */
const OVERLAP_REQUESTS = 15;
/** Most requests the follower sends while waiting for the failover. */
const MAX_FAILOVER_REQUESTS = 100;
/** r1's requests after the failover (it came back, now as the follower). */
const RETURN_REQUESTS = 10;
/**
 * The lease is renewed at most every T/3 (ha-election-cache.ts), so the
 * follower takes over no earlier than 2T/3 after the leader's last sample
 * (less 300 ms: times here are send times, the gateway judges receive
 * times). Upper: T, then one follower recheck (≤ T/3) and one send
 * interval, plus slack for a loaded 2-core machine.
 */
const FAILOVER_MIN_MS = (2 * FAILOVER_TIMEOUT_MS) / 3 - 300;
const FAILOVER_MAX_MS = FAILOVER_TIMEOUT_MS + 6000;
/** Sample values tell the replicas apart once the replica label is gone. */
const VALUE_OF = { r1: 1, r2: 2 } as const;

type Replica = keyof typeof VALUE_OF;

const LEADER = 'fleetgate_ha_leader';
const DEDUPED = 'fleetgate_ha_deduped_samples_total';

function configYaml(
  redisUrl: string,
  keyPrefix: string,
  sinkUrl: string
): string {
  return `
clusters:
  - {name: ${CLUSTER}, region: eu-west-1, env: prod, team: payments, token: ${TOKEN}}
state:
  redis: ${redisUrl}
  key_prefix: ${keyPrefix}
ha:
  replica_label: __replica__
  failover_timeout: ${FAILOVER_TIMEOUT_MS}ms
forward:
  remote_write:
    - url: ${sinkUrl}
      batch_send_deadline: 100ms
`;
}

/** What one Prometheus replica of the pair scrapes: the same series, its own replica label. */
function scrape(replica: Replica): SeriesSample[] {
  const series: SeriesSample[] = [];
  for (let i = 0; i < SERIES_PER_REQUEST; i++) {
    series.push({
      labels: {
        __name__: 'ha_test_up',
        instance: `node-${i}:9100`,
        job: 'node',
        __replica__: replica,
      },
      value: VALUE_OF[replica],
    });
  }
  return series;
}

/** A paced sender: `count` writes of `replica`'s scrape to one gateway. */
async function send(
  gateway: GatewayProcess,
  replica: Replica,
  count: number,
  outcomes: WriteOutcome[],
  isDone: () => boolean = () => false
): Promise<void> {
  for (let i = 0; i < count && !isDone(); i++) {
    outcomes.push(await remoteWrite(gateway.url, TOKEN, scrape(replica)));
    await sleep(SEND_INTERVAL_MS);
  }
}

async function leaderGauge(
  gateway: GatewayProcess,
  replica: Replica
): Promise<number> {
  return scrapeValue(gateway.url, LEADER, { cluster: CLUSTER, replica });
}

describe('HA pair deduplicated across two gateway replicas', () => {
  let redis: RedisServer | undefined;
  let sink: RemoteWriteSink | undefined;
  const gateways: GatewayProcess[] = [];
  const keyPrefix = `fg-replicas-ha-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    redis = await startRedisServer();
    sink = await RemoteWriteSink.start();
    const config = configYaml(redis.url, keyPrefix, sink.url);
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
    await sink?.close();
  }, 60_000);

  it('lands one replica through both gateways and fails over after the timeout', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    const s = sink!;
    const r1: WriteOutcome[] = [];
    const r2: WriteOutcome[] = [];
    const valuesLanded = (): number[] => {
      const values: number[] = [];
      for (const request of s.accepted())
        for (const series of request.series)
          for (const sample of series.samples) values.push(sample.value);
      return values;
    };
    const countLanded = (value: number): number =>
      valuesLanded().filter(v => v === value).length;

    // r1 asks first, so the election is deterministic: r1 → gateway A.
    r1.push(await remoteWrite(a.url, TOKEN, scrape('r1')));
    expect(r1[0]!.status).toBe(204);
    await Promise.all([
      send(a, 'r1', OVERLAP_REQUESTS, r1),
      send(b, 'r2', OVERLAP_REQUESTS, r2),
    ]);
    const r1Samples = r1.length * SERIES_PER_REQUEST;
    const r2Samples = r2.length * SERIES_PER_REQUEST;

    // Both gateways name r1, as Redis does; r2's samples were acknowledged and dropped on B.
    expect(await sharedHaLeader(redis!.port, keyPrefix, CLUSTER)).toBe('r1');
    expect(await leaderGauge(a, 'r1')).toBe(1);
    expect(await leaderGauge(b, 'r1')).toBe(1);
    expect(await leaderGauge(a, 'r2')).toBe(0);
    expect(await leaderGauge(b, 'r2')).toBe(0);
    expect(
      await scrapeValue(b.url, DEDUPED, { cluster: CLUSTER, replica: 'r2' })
    ).toBe(r2Samples);
    expect(await scrapeValue(a.url, DEDUPED, { cluster: CLUSTER })).toBe(0);
    expect(
      await scrapeValue(b.url, 'fleetgate_series_dropped_total', {
        cluster: CLUSTER,
        reason: 'ha_replica_not_elected',
      })
    ).toBe(r2Samples);
    // Downstream got exactly r1's samples, none of r2's, and no replica label.
    await s.waitFor(() => countLanded(VALUE_OF.r1) >= r1Samples, 15_000);
    expect(countLanded(VALUE_OF.r1)).toBe(r1Samples);
    expect(countLanded(VALUE_OF.r2)).toBe(0);

    // Failover: r1 stops; r2 keeps sending through B until it is elected.
    const lastR1SampleMs = r1[r1.length - 1]!.sentAtMs;
    let firstR2LandedMs: number | undefined;
    await send(b, 'r2', MAX_FAILOVER_REQUESTS, r2, () => {
      if (firstR2LandedMs !== undefined) return true;
      const landed = s
        .accepted()
        .flatMap(request => request.series)
        .flatMap(series => series.samples)
        .filter(sample => sample.value === VALUE_OF.r2);
      if (landed.length === 0) return false;
      firstR2LandedMs = Math.min(...landed.map(sample => sample.timestampMs));
      return true;
    });
    expect(firstR2LandedMs, 'r2 never took over').toBeDefined();
    const failoverMs = firstR2LandedMs! - lastR1SampleMs;
    expect(failoverMs).toBeGreaterThanOrEqual(FAILOVER_MIN_MS);
    expect(failoverMs).toBeLessThanOrEqual(FAILOVER_MAX_MS);
    expect(await sharedHaLeader(redis!.port, keyPrefix, CLUSTER)).toBe('r2');
    expect(await leaderGauge(b, 'r2')).toBe(1);
    expect(await leaderGauge(b, 'r1')).toBe(0);

    // r1 comes back through A: A asks Redis, learns r2 leads, and drops r1.
    const r1Before = r1.length;
    const landedR1Before = countLanded(VALUE_OF.r1);
    await Promise.all([
      send(a, 'r1', RETURN_REQUESTS, r1),
      send(b, 'r2', RETURN_REQUESTS, r2),
    ]);
    expect(await leaderGauge(a, 'r2')).toBe(1);
    expect(await leaderGauge(a, 'r1')).toBe(0);
    expect(
      await scrapeValue(a.url, DEDUPED, { cluster: CLUSTER, replica: 'r1' })
    ).toBe((r1.length - r1Before) * SERIES_PER_REQUEST);
    // Give A's forwarder time to send anything it might have wrongly accepted.
    await waitFor(
      async () =>
        (await scrapeValue(a.url, 'fleetgate_forward_queue_samples')) === 0 &&
        (await scrapeValue(b.url, 'fleetgate_forward_queue_samples')) === 0,
      15_000,
      { description: 'both forward queues to drain' }
    );
    await sleep(500);
    expect(countLanded(VALUE_OF.r1)).toBe(landedR1Before);

    // Every write was acknowledged, duplicates included (a refused one would be retried).
    expect([...r1, ...r2].filter(o => o.status !== 204)).toEqual([]);
    for (const request of s.accepted())
      for (const series of request.series)
        expect(series.labels).not.toContain('__replica__');

    console.info(
      `replicas-ha: r1 ${r1.length} writes via A, r2 ${r2.length} via B, all 204; ` +
        `r2 deduped on B during overlap ${r2Samples} samples; failover ${failoverMs} ms after r1's last sample ` +
        `(timeout ${FAILOVER_TIMEOUT_MS} ms); landed r1 ${countLanded(VALUE_OF.r1)} r2 ${countLanded(VALUE_OF.r2)} samples`
    );
  }, 120_000);
});
