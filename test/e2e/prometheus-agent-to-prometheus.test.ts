/**
 * A real Prometheus 2.42 agent scrapes a local target and remote-writes to
 * the built gateway, which forwards to a real Prometheus receiver. What the
 * receiver stores is what a platform engineer would query: every series
 * under the canonical cluster labels from the registry, none of the alias
 * labels the sender used, and nothing at all from a sender with a wrong token.
 *
 * Agent self-metrics used (names checked on 2.42's /metrics):
 * - prometheus_remote_storage_samples_total: samples sent, counted once per attempt;
 * - prometheus_remote_storage_samples_retried_total: attempts that failed recoverably (5xx, 429 if enabled);
 * - prometheus_remote_storage_samples_failed_total: samples dropped on a non-recoverable error (4xx);
 * - prometheus_remote_storage_queue_highest_sent_timestamp_seconds: set once a send attempt has
 *   completed (on 2.42 also after a non-recoverable failure, so it proves an attempt, not success).
 * 2.42 has no "succeeded" counter; sent - retried - failed is what reached the gateway with a 2xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import {
  queryPrometheus,
  scrapeMetrics,
  startPrometheusAgent,
  startPrometheusReceiver,
  startScrapeTarget,
  sumMetric,
  waitFor,
  type ExpositionSample,
  type InstantSample,
  type ManagedProcess,
  type ScrapeTarget,
} from '../helpers/peers.js';

const PROD_EU = {
  name: 'prod-eu',
  region: 'eu-west-1',
  env: 'prod',
  team: 'payments',
  token: 'e2e-token-prod-eu-0123456789abcdef',
};
const PROD_US = {
  name: 'prod-us',
  region: 'us-east-1',
  env: 'prod',
  team: 'search',
  token: 'e2e-token-prod-us-0123456789abcdef',
};
const WRONG_TOKEN = 'e2e-token-nobody-knows-0123456789';

const GOOD_JOB = 'e2e-target';
const WRONG_JOB = 'e2e-wrong-token';
const ALIAS_LABELS = [
  'k8s_cluster',
  'cluster_name',
  'kubernetes_cluster',
  'k8s_cluster_name',
];

const ARRIVAL_TIMEOUT_MS = 90_000;

const M_SENT = 'prometheus_remote_storage_samples_total';
const M_RETRIED = 'prometheus_remote_storage_samples_retried_total';
const M_FAILED = 'prometheus_remote_storage_samples_failed_total';
const M_DROPPED = 'prometheus_remote_storage_samples_dropped_total';
const M_HIGHEST_SENT =
  'prometheus_remote_storage_queue_highest_sent_timestamp_seconds';

function gatewayConfig(receiverUrl: string): string {
  return `
clusters:
  - name: ${PROD_EU.name}
    region: ${PROD_EU.region}
    env: ${PROD_EU.env}
    team: ${PROD_EU.team}
    token: ${PROD_EU.token}
  - name: ${PROD_US.name}
    region: ${PROD_US.region}
    env: ${PROD_US.env}
    team: ${PROD_US.team}
    token: ${PROD_US.token}
forward:
  remote_write:
    - url: ${receiverUrl}/api/v1/write
`;
}

/** Label sets of a result, one line each, for readable assertion failures. */
function show(result: readonly InstantSample[]): string {
  return result.map(r => JSON.stringify(r.metric)).join('\n');
}

describe('Prometheus agent → fleetgate → Prometheus', () => {
  let receiver: ManagedProcess | undefined;
  let gateway: GatewayProcess | undefined;
  let target: ScrapeTarget | undefined;
  let wrongTarget: ScrapeTarget | undefined;
  let agent: ManagedProcess | undefined;
  let wrongAgent: ManagedProcess | undefined;

  /** Every peer's output, attached to a failing assertion. */
  const diagnostics = (): string =>
    [
      gateway?.logs(),
      agent?.diagnostics(),
      wrongAgent?.diagnostics(),
      receiver?.diagnostics(),
    ]
      .filter(d => d !== undefined)
      .join('\n');

  beforeAll(async () => {
    receiver = await startPrometheusReceiver();
    gateway = await startGateway(gatewayConfig(receiver.url));
    target = await startScrapeTarget({
      prefix: 'fleetgate_e2e',
      aliasCluster: PROD_EU.name,
    });
    // The sender names its cluster the way many real setups do: an
    // external label under an alias, and alias labels on some series.
    agent = await startPrometheusAgent({
      scrapeTargets: [target.target],
      remoteWriteUrl: `${gateway.url}/api/v1/write`,
      bearerToken: PROD_EU.token,
      externalLabels: { cluster_name: PROD_EU.name },
      extraScrapeConfigLabels: { kubernetes_cluster: PROD_EU.name },
      jobName: GOOD_JOB,
    });
    // A sender with a token nobody registered, claiming another cluster.
    wrongTarget = await startScrapeTarget({
      prefix: 'fleetgate_e2e_wrong',
      aliasCluster: PROD_US.name,
    });
    wrongAgent = await startPrometheusAgent({
      scrapeTargets: [wrongTarget.target],
      remoteWriteUrl: `${gateway.url}/api/v1/write`,
      bearerToken: WRONG_TOKEN,
      externalLabels: { k8s_cluster: PROD_US.name },
      jobName: WRONG_JOB,
    });
  });

  afterAll(async () => {
    // Senders first, so nothing is in flight when the gateway stops.
    await Promise.allSettled([agent?.stop(), wrongAgent?.stop()]);
    await Promise.allSettled([target?.stop(), wrongTarget?.stop()]);
    await gateway?.stop();
    await receiver?.stop();
  });

  describe('with the token of a registered cluster', () => {
    it('lands every scraped series under the canonical cluster, region, env and team', async () => {
      const rx = receiver!;
      const wanted = target!.sampleNames;
      const result = await waitFor(
        async () => {
          const r = await queryPrometheus(rx.url, `{job="${GOOD_JOB}"}`);
          const names = new Set(r.map(s => s.metric['__name__']));
          return wanted.every(n => names.has(n)) ? r : undefined;
        },
        ARRIVAL_TIMEOUT_MS,
        {
          description: `every scraped series (${wanted.join(', ')}) in the receiver`,
          intervalMs: 500,
        }
      ).catch((err: unknown) => {
        throw new Error(
          `${err instanceof Error ? err.message : String(err)}\n${diagnostics()}`
        );
      });

      const names = new Set(result.map(s => s.metric['__name__']));
      for (const name of wanted)
        expect(names, `missing ${name}`).toContain(name);
      // The agent's own per-target series (up, scrape_*) travel the same way.
      expect(names).toContain('up');
      // All eleven buckets of the histogram survive, each with its own le.
      const buckets = result.filter(
        s =>
          s.metric['__name__'] ===
          'fleetgate_e2e_request_duration_seconds_bucket'
      );
      expect(new Set(buckets.map(b => b.metric['le'])).size).toBe(11);

      for (const series of result) {
        const labels = series.metric;
        const where = JSON.stringify(labels);
        expect(labels['cluster'], where).toBe(PROD_EU.name);
        expect(labels['region'], where).toBe(PROD_EU.region);
        expect(labels['env'], where).toBe(PROD_EU.env);
        expect(labels['team'], where).toBe(PROD_EU.team);
        expect(labels['job'], where).toBe(GOOD_JOB);
        expect(labels['instance'], where).toBe(target!.target);
        for (const alias of ALIAS_LABELS)
          expect(
            labels,
            `${alias} must be folded away: ${where}`
          ).not.toHaveProperty(alias);
      }
    });

    it('keeps the sample values the target exposed', async () => {
      // The counter is 10x the scrape number for code 200 and 1x for code 500,
      // so the ratio survives any lag between scrape and query.
      const result = await waitFor(
        async () => {
          const r = await queryPrometheus(
            receiver!.url,
            `fleetgate_e2e_http_requests_total{job="${GOOD_JOB}"}`
          );
          return r.length === 2 ? r : undefined;
        },
        ARRIVAL_TIMEOUT_MS,
        { description: 'both counter series' }
      );
      const byCode = new Map(
        result.map(s => [s.metric['code'], Number(s.value[1])])
      );
      const ok = byCode.get('200');
      const failed = byCode.get('500');
      expect(ok).toBeGreaterThan(0);
      expect(ok! / failed!).toBe(10);
    });

    it('lets the agent send without failures', async () => {
      const page = await waitFor(
        async () => {
          const p = await scrapeMetrics(agent!.url);
          return sumMetric(p, M_HIGHEST_SENT) > 0 && sumMetric(p, M_SENT) > 0
            ? p
            : undefined;
        },
        ARRIVAL_TIMEOUT_MS,
        { description: 'a completed send reported by the agent' }
      );
      const sent = sumMetric(page, M_SENT);
      const retried = sumMetric(page, M_RETRIED);
      const failed = sumMetric(page, M_FAILED);
      const metricLines = (p: readonly ExpositionSample[]): string =>
        p
          .filter(s => s.name.startsWith('prometheus_remote_storage_samples'))
          .map(s => `${s.name} ${s.value}`)
          .join('\n');
      expect(failed, `${metricLines(page)}\n${diagnostics()}`).toBe(0);
      expect(sumMetric(page, M_DROPPED)).toBe(0);
      // Succeeded samples: every attempt counts in _total, retried ones once more.
      expect(sent - retried - failed, metricLines(page)).toBeGreaterThan(0);
    });
  });

  describe('with a token no cluster has', () => {
    it('refuses the writes with 401, which the agent counts as failed samples', async () => {
      const page = await waitFor(
        async () => {
          const p = await scrapeMetrics(wrongAgent!.url);
          return sumMetric(p, M_FAILED) > 0 ? p : undefined;
        },
        ARRIVAL_TIMEOUT_MS,
        { description: 'failed samples on the wrong-token agent' }
      ).catch((err: unknown) => {
        throw new Error(
          `${err instanceof Error ? err.message : String(err)}\n${diagnostics()}`
        );
      });
      expect(sumMetric(page, M_FAILED)).toBeGreaterThan(0);
      // 4xx is non-recoverable for Prometheus: failed, never retried.
      expect(sumMetric(page, M_RETRIED)).toBe(0);
      expect(wrongAgent!.stderr()).toMatch(/HTTP status 401/);
    });

    it('lands nothing from that sender under any cluster', async () => {
      // By now the wrong agent has sent for several seconds; the good agent's
      // fresh samples keep arriving, so the forwarder is not just slow.
      const before = Date.now() / 1000;
      await waitFor(
        async () => {
          const r = await queryPrometheus(
            receiver!.url,
            `timestamp(up{job="${GOOD_JOB}"})`
          );
          return r.some(s => Number(s.value[1]) > before) ? true : undefined;
        },
        ARRIVAL_TIMEOUT_MS,
        { description: 'a sample scraped after the wrong agent failed' }
      );
      const fromWrong = await queryPrometheus(
        receiver!.url,
        `{job="${WRONG_JOB}"}`
      );
      expect(fromWrong, show(fromWrong)).toEqual([]);
      const byName = await queryPrometheus(
        receiver!.url,
        '{__name__=~"fleetgate_e2e_wrong_.*"}'
      );
      expect(byName, show(byName)).toEqual([]);
      // And nothing landed under the cluster it claimed.
      const claimed = await queryPrometheus(
        receiver!.url,
        `{cluster="${PROD_US.name}"}`
      );
      expect(claimed, show(claimed)).toEqual([]);
    });
  });
});
