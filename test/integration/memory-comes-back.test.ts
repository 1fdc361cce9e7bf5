/**
 * Memory comes back after extreme requests (issue #11, item 5, finding 5):
 * a built gateway, forwarding to a real remote write receiver, takes two
 * 100,000-series requests. Within 70 s its pooled batch capacity
 * (fleetgate_buffer_pool_bytes) is back to what normal traffic uses, and
 * the memory V8 accounts for (heap used + external, from /metrics) keeps at
 * most 1.5 KiB per extreme series above idle. That bound leaves room for
 * what the gateway must keep (the cardinality limiter tracks every series
 * for its active window) and sits well between the two behaviours measured
 * on this test: ~0.8 KiB per series kept with the fix, ~2.7 KiB before it,
 * when the series cache held every series of both requests for up to 20
 * minutes (RSS 126 MiB idle → 770 MiB, and it stayed there).
 *
 * RSS is reported, not asserted: what the allocator keeps of freed native
 * memory is its policy, not the gateway's, and varies from run to run.
 * Light normal traffic keeps flowing meanwhile, as it would in production.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteWriteSink } from '../helpers/remote-write-sink.js';
import { remoteWrite, scrapeValue } from '../helpers/gateway-client.js';
import type { SeriesSample } from '../helpers/gateway-client.js';
import {
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import { waitFor } from '../helpers/peers.js';

const TOKEN = 'memory-test-token-5b1f0c';
const EXTREME_SERIES = 100_000;
const NORMAL_SERIES = 200;
const NORMAL_EVERY_MS = 5_000;
const RECOVERY_BUDGET_MS = 70_000;
/** What the gateway may keep per extreme series, in V8-accounted bytes. */
const MAX_KEPT_BYTES_PER_SERIES = 1536;
const RSS = 'fleetgate_process_resident_memory_bytes';
const HEAP = 'fleetgate_nodejs_heap_size_used_bytes';
const EXTERNAL = 'fleetgate_nodejs_external_memory_bytes';
const MIB = 2 ** 20;

/** Heap used plus external memory (typed arrays, Buffers), in bytes. */
async function accountedBytes(url: string): Promise<number> {
  return (await scrapeValue(url, HEAP)) + (await scrapeValue(url, EXTERNAL));
}
const POOL = 'fleetgate_buffer_pool_bytes';

/** `count` distinct container series of one pod-heavy namespace, offset by `first`. */
function containerSeries(first: number, count: number): SeriesSample[] {
  const out: SeriesSample[] = [];
  for (let i = first; i < first + count; i++) {
    out.push({
      labels: {
        __name__: 'container_memory_working_set_bytes',
        container: `app-${i % 7}`,
        id: `/kubepods/burstable/pod${i.toString(16).padStart(8, '0')}`,
        image: `registry.example.com/team/app:${i % 13}`,
        instance: `10.0.${(i >> 8) & 255}.${i & 255}:10250`,
        job: 'kubelet',
        k8s_cluster: 'prod-eu',
        namespace: `ns-${i % 40}`,
        node: `node-${i % 300}`,
        pod: `app-${i.toString(36)}-x7k2p`,
      },
      value: i,
    });
  }
  return out;
}

describe('memory after extreme requests', () => {
  let gateway: GatewayProcess | undefined;
  let sink: RemoteWriteSink | undefined;

  afterEach(async () => {
    await gateway?.stop();
    await sink?.close();
    gateway = undefined;
    sink = undefined;
  });

  it(
    'comes back: pooled capacity to its normal size, and heap + external to within 1.5 KiB per extreme series of idle, within 70 s',
    async () => {
      sink = await RemoteWriteSink.start();
      gateway = await startGateway(
        `clusters:
  - {name: prod-eu, region: eu-west-1, env: prod, team: a, token: ${TOKEN}}
normalize:
  aliases:
    cluster: [k8s_cluster]
# The decode-time caps refuse a 100,000-series request with 413 by default.
request_limits:
  max_series_per_request: ${EXTREME_SERIES}
  max_points_per_request: ${EXTREME_SERIES}
  max_labels_per_request: ${EXTREME_SERIES * 10}
limits:
  max_series_per_cluster: 1000000
  max_series_per_metric: 1000000
  ingestion_rate: 100000000
  ingestion_burst: 100000000
forward:
  remote_write:
    - url: ${sink.url}
`,
        { env: { FLEETGATE_LOG_LEVEL: 'warn' } }
      );
      const url = gateway.url;
      const normal = containerSeries(1_000_000, NORMAL_SERIES);
      expect((await remoteWrite(url, TOKEN, normal)).status).toBe(204);
      const normalPoolBytes = await scrapeValue(url, POOL);
      expect(normalPoolBytes).toBeGreaterThan(0);
      const idleRss = await scrapeValue(url, RSS);
      const idleBytes = await accountedBytes(url);

      for (const first of [0, EXTREME_SERIES]) {
        const outcome = await remoteWrite(
          url,
          TOKEN,
          containerSeries(first, EXTREME_SERIES),
          60_000
        );
        expect(outcome.status, outcome.body).toBe(204);
      }
      const peakRss = await scrapeValue(url, RSS);
      // The requests did grow the pool: what comes back had gone up.
      expect(await scrapeValue(url, POOL)).toBeGreaterThan(
        10 * normalPoolBytes
      );
      const bound = idleBytes + 2 * EXTREME_SERIES * MAX_KEPT_BYTES_PER_SERIES;
      let last = { pool: 0, bytes: 0, rss: 0 };

      let lastNormalMs = 0;
      const normalStatuses: number[] = [];
      const recovered = await waitFor(
        async () => {
          if (Date.now() - lastNormalMs >= NORMAL_EVERY_MS) {
            lastNormalMs = Date.now();
            normalStatuses.push((await remoteWrite(url, TOKEN, normal)).status);
          }
          last = {
            pool: await scrapeValue(url, POOL),
            bytes: await accountedBytes(url),
            rss: await scrapeValue(url, RSS),
          };
          return last.pool <= normalPoolBytes && last.bytes <= bound;
        },
        RECOVERY_BUDGET_MS,
        {
          intervalMs: 1_000,
          description: `${POOL} <= ${normalPoolBytes} and heap used + external <= ${Math.round(bound / MIB)} MiB (idle ${Math.round(idleBytes / MIB)})`,
        }
      );
      // For the record (see above): RSS idle, at the peak and now.
      console.log(
        `memory after two ${EXTREME_SERIES}-series requests: RSS ${Math.round(idleRss / MIB)} → ${Math.round(peakRss / MIB)} → ${Math.round(last.rss / MIB)} MiB; heap used + external ${Math.round(idleBytes / MIB)} → ${Math.round(last.bytes / MIB)} MiB; ${POOL} ${last.pool}`
      );
      expect(recovered).toBe(true);
      expect(normalStatuses.every(status => status === 204)).toBe(true);
      // Every acknowledged sample was still forwarded.
      await waitFor(
        () => sink!.acceptedSampleCount() >= 2 * EXTREME_SERIES,
        30_000,
        { description: 'the extreme requests at the sink' }
      );
    },
    RECOVERY_BUDGET_MS + 90_000
  );
});
