/**
 * fleetgate's SLO figures agree with PromQL (issue 5, item 6).
 *
 * Seven hours of counters from five clusters are sent to a built gateway as
 * remote write 1.0, one request per cluster per 5 minutes of 15 s samples,
 * oldest first; the gateway computes its SLOs on ingest and forwards
 * everything to a real Prometheus (`--web.enable-remote-write-receiver`).
 * Then, at one instant T, the test reads the 1h and 6h error ratios of a
 * ratio SLO and a latency SLO from `/api/v1/slos/{name}` and evaluates
 *
 *   sum(increase(bad[W])) / sum(increase(total[W]))
 *
 * (and the latency equivalent, `1 − good/total` from the threshold's `le`
 * bucket and `_count`) in that Prometheus with `time=T`, fleet-wide and per
 * cluster. They must agree within 1% relative. A third figure, the ground
 * truth computed from the generator's own increments, pins both down.
 *
 * History, not live scraping: a 6h window needs six hours of data, so the
 * samples are written with past timestamps (fleetgate puts events in the
 * bucket of their sample's timestamp; Prometheus takes float samples with
 * an out-of-order window, and the sender lets the gateway's queue drain
 * every half hour of data so native histograms, which 2.42 takes in order
 * only, never lag its shards by an hour). The
 * live path (a Prometheus agent scraping and remote writing) is covered by
 * prometheus-agent-to-prometheus.test.ts and dashboards.test.ts.
 *
 * The clusters:
 * - `steady-eu`: all seven hours; both pods restart (counter resets) once,
 *   at T−4h and at T−25m, and a third pod goes away at T−50m with a
 *   staleness marker;
 * - `burning-us`: all seven hours, with a 30-minute 8% error burst at
 *   T−3h (inside 6h, outside 1h);
 * - `stopped-ap`: sends until T−35m, then nothing (no markers: a cluster
 *   that drops off the network);
 * - `late-eu`: joins at T−2h with counters already high (a cluster that
 *   had been running before it was pointed at fleetgate);
 * - `native-eu`: all seven hours, its latency histogram a native histogram
 *   (schema 3) instead of classic buckets; one pod restarts at T−90m. Its
 *   PromQL is `histogram_count(increase(h[W]))` for the total and
 *   `histogram_fraction(-Inf, 0.25, increase(h[W]))` for the good share;
 * - `new-us`: joins at T−20m, counters high too.
 *
 * Where the two differ, and why it stays far below 1%: Prometheus'
 * `increase()` takes the first and last samples inside the range and
 * extrapolates to the range's edges: to the edge when a sample lies within
 * 1.1 average intervals of it, else by half an interval. fleetgate counts
 * each increment between consecutive samples at its later sample's time,
 * so a series present before the window start gets the increment that
 * crosses the start (which Prometheus approximates by extrapolating), a
 * series that joins or stops inside the window gets nothing beyond its
 * samples (Prometheus adds half an interval at that end: +0.5/80 = 0.6%
 * of `new-us`'s increase over its 20 minutes, +0.5/100 for `stopped-ap`),
 * and the bucket straddling the window start is prorated by time. Both
 * apply the same factor to a pod's bad and total series (they share
 * timestamps), so ratios move much less than counts; fleet-wide ratios
 * mix clusters whose factors differ by under 1%, which moves the ratio by
 * well under that. Measured: at most 0.2% relative (fleet-wide, 1h), and
 * fleetgate matches the ground truth to 0.02%.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as stringifyYaml } from 'yaml';
import { snappyCompress } from '../../src/protocol/wire/index.js';
import {
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import {
  queryPrometheus,
  scrapeMetrics,
  startPrometheusReceiver,
  sumMetric,
  waitFor,
  type ManagedProcess,
} from '../helpers/peers.js';
import { nativeHistogram } from '../helpers/slo-fixtures.js';
import {
  encodeV1Request,
  histogramToObject,
  seededRandom,
  STALE_NAN,
  type TimeSeriesV1Object,
} from '../helpers/remote-write-reference.js';

const STEP_MS = 15_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const HISTORY_MS = 7 * HOUR_MS;
/** Steps per request: 5 minutes of one cluster. */
const STEPS_PER_REQUEST = 20;
const JOB = 'checkout';
const LATENCY_BOUNDS = [0.1, 0.25, 0.5, 1, Infinity] as const;
const LATENCY_THRESHOLD = 0.25;
/** Three codes, the buckets, `_count` and `_sum`. */
const SERIES_PER_POD = 3 + LATENCY_BOUNDS.length + 2;
const NATIVE_SCHEMA = 3;
/**
 * The schema-3 bucket each classic bound's observations fall in (one
 * observation value per bound: 0.08 s, 0.2 s, 0.4 s, 0.8 s, 2 s): index
 * ceil(log2(v)·8). 0.25 = 2^(−16/8) is a bucket bound, so "at or below
 * 0.25 s" is exact for fleetgate and for PromQL's histogram_fraction.
 */
const NATIVE_BUCKETS = [0.08, 0.2, 0.4, 0.8, 2].map(v =>
  Math.ceil(Math.log2(v) * 2 ** NATIVE_SCHEMA)
);
const WINDOWS = [
  { name: '1h', ms: HOUR_MS },
  { name: '6h', ms: 6 * HOUR_MS },
] as const;
const RELATIVE_TOLERANCE = 0.01;
/** fleetgate against the generator's own increments (only bucket proration differs). */
const TRUTH_TOLERANCE = 0.002;

const RATIO_SLO = 'checkout-availability';
const LATENCY_SLO = 'checkout-latency';

interface ClusterPlan {
  readonly name: string;
  readonly region: string;
  readonly token: string;
  /** Sends samples in [fromMs, untilMs] (offsets before T, as negative ms). */
  readonly fromOffsetMs: number;
  readonly untilOffsetMs: number;
  /**
   * Mean requests per pod per step: hundreds, so that one step's errors are
   * not a noisy handful (the 1h window of `stopped-ap` holds 100 steps; a
   * step at its edge that PromQL extrapolates from the average and
   * fleetgate counts as it happened should not move the ratio by much).
   */
  readonly requestsPerStep: number;
  /** Error share outside bursts. */
  readonly errorShare: number;
  /** Share of requests slower than the threshold. */
  readonly slowShare: number;
  /** Pods, each with the offset of its counter reset (if any) and of its end (if it goes away). */
  readonly pods: readonly {
    readonly name: string;
    readonly resetAtOffsetMs?: number;
    readonly goneAtOffsetMs?: number;
  }[];
  /** Counters start at this many requests (a cluster that ran before it joined). */
  readonly initialRequests: number;
  /** The latency histogram as a native histogram (schema 3) instead of classic buckets. */
  readonly isNative?: boolean;
  readonly burst?: {
    readonly fromOffsetMs: number;
    readonly untilOffsetMs: number;
    readonly errorShare: number;
  };
}

const CLUSTERS: readonly ClusterPlan[] = [
  {
    name: 'steady-eu',
    region: 'eu-west-1',
    token: 'slo-e2e-token-steady-eu-0123456789',
    fromOffsetMs: -HISTORY_MS,
    untilOffsetMs: 0,
    requestsPerStep: 900,
    errorShare: 0.004,
    slowShare: 0.02,
    pods: [
      { name: 'checkout-a', resetAtOffsetMs: -4 * HOUR_MS },
      { name: 'checkout-b', resetAtOffsetMs: -25 * MINUTE_MS },
      { name: 'checkout-c', goneAtOffsetMs: -50 * MINUTE_MS },
    ],
    initialRequests: 0,
  },
  {
    name: 'burning-us',
    region: 'us-east-1',
    token: 'slo-e2e-token-burning-us-012345678',
    fromOffsetMs: -HISTORY_MS,
    untilOffsetMs: 0,
    requestsPerStep: 600,
    errorShare: 0.002,
    slowShare: 0.05,
    pods: [{ name: 'checkout-a' }, { name: 'checkout-b' }],
    initialRequests: 0,
    burst: {
      fromOffsetMs: -3 * HOUR_MS,
      untilOffsetMs: -150 * MINUTE_MS,
      errorShare: 0.08,
    },
  },
  {
    name: 'stopped-ap',
    region: 'ap-south-1',
    token: 'slo-e2e-token-stopped-ap-012345678',
    fromOffsetMs: -HISTORY_MS,
    untilOffsetMs: -35 * MINUTE_MS,
    requestsPerStep: 400,
    errorShare: 0.01,
    slowShare: 0.03,
    pods: [{ name: 'checkout-a' }, { name: 'checkout-b' }],
    initialRequests: 0,
  },
  {
    name: 'late-eu',
    region: 'eu-central-1',
    token: 'slo-e2e-token-late-eu-0123456789ab',
    fromOffsetMs: -2 * HOUR_MS,
    untilOffsetMs: 0,
    requestsPerStep: 1200,
    errorShare: 0.006,
    slowShare: 0.01,
    pods: [{ name: 'checkout-a' }, { name: 'checkout-b' }],
    initialRequests: 5_000_000,
  },
  {
    name: 'native-eu',
    region: 'eu-north-1',
    token: 'slo-e2e-token-native-eu-0123456789',
    fromOffsetMs: -HISTORY_MS,
    untilOffsetMs: 0,
    requestsPerStep: 500,
    errorShare: 0.005,
    slowShare: 0.04,
    pods: [
      { name: 'checkout-a', resetAtOffsetMs: -90 * MINUTE_MS },
      { name: 'checkout-b' },
    ],
    initialRequests: 0,
    isNative: true,
  },
  {
    name: 'new-us',
    region: 'us-west-2',
    token: 'slo-e2e-token-new-us-0123456789abc',
    fromOffsetMs: -20 * MINUTE_MS,
    untilOffsetMs: 0,
    requestsPerStep: 750,
    errorShare: 0.015,
    slowShare: 0.08,
    pods: [{ name: 'checkout-a' }, { name: 'checkout-b' }],
    initialRequests: 2_000_000,
  },
];

// ---------------------------------------------------------------------------
// The generator: cumulative counters per pod, and the ground truth.

/** Cumulative counters of one pod. */
interface PodCounters {
  ok: number;
  errors500: number;
  errors503: number;
  /** Observations per bucket bound (cumulative, as `le`). */
  buckets: number[];
  count: number;
  sum: number;
}

/** Events of one step of one pod, for the ground truth. */
interface StepEvents {
  readonly cluster: string;
  readonly timeMs: number;
  readonly total: number;
  readonly bad: number;
  readonly slow: number;
}

function freshCounters(cluster: ClusterPlan, seed: number): PodCounters {
  const base = cluster.initialRequests;
  if (base === 0)
    return {
      ok: 0,
      errors500: 0,
      errors503: 0,
      buckets: LATENCY_BOUNDS.map(() => 0),
      count: 0,
      sum: 0,
    };
  // A counter that has been running: large values, unrelated to this
  // test's increments (only increases matter).
  const skew = 1 + (seed % 7) / 10;
  const count = Math.round(base * skew);
  return {
    ok: Math.round(count * 0.99),
    errors500: Math.round(count * 0.006),
    errors503: Math.round(count * 0.004),
    buckets: [0.7, 0.95, 0.99, 0.999, 1].map(fraction =>
      Math.round(count * fraction)
    ),
    count,
    sum: count * 0.09,
  };
}

/** A count around `mean` (uniform ±50%), never negative. */
function around(random: () => number, mean: number): number {
  return Math.max(0, Math.round(mean * (0.5 + random())));
}

/** Splits `n` events with probability `p` each (binomial by normal approximation, clamped). */
function share(random: () => number, n: number, p: number): number {
  const mean = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  const gaussian = (random() + random() + random() - 1.5) * 2; // ≈ N(0, 1)
  return Math.min(n, Math.max(0, Math.round(mean + gaussian * sd)));
}

interface Generated {
  /** Per cluster, the requests to send, oldest first. */
  readonly requests: ReadonlyMap<string, TimeSeriesV1Object[][]>;
  readonly events: readonly StepEvents[];
  readonly samples: number;
  /** Float series with a sample at the last step (for the delivery wait). */
  readonly liveSeriesAtEnd: number;
  /** Sum of the native histograms' counts at the last step (for the delivery wait). */
  readonly finalNativeCount: number;
}

function generate(endMs: number): Generated {
  const random = seededRandom(20261122);
  const requests = new Map<string, TimeSeriesV1Object[][]>();
  const events: StepEvents[] = [];
  let samples = 0;
  let liveSeriesAtEnd = 0;
  let finalNativeCount = 0;
  for (const cluster of CLUSTERS) {
    const out: TimeSeriesV1Object[][] = [];
    requests.set(cluster.name, out);
    const firstMs = endMs + cluster.fromOffsetMs;
    const lastMs = endMs + cluster.untilOffsetMs;
    const pods = cluster.pods.map((pod, i) => ({
      ...pod,
      counters: freshCounters(cluster, i + cluster.name.length),
      hasSample: false,
      isGone: false,
    }));
    let chunk: Map<string, TimeSeriesV1Object> = new Map();
    let stepsInChunk = 0;
    const flush = (): void => {
      if (chunk.size > 0) out.push([...chunk.values()]);
      chunk = new Map();
      stepsInChunk = 0;
    };
    /** The chunk's series of `labels`, created on first use. */
    const seriesOf = (labels: Record<string, string>): TimeSeriesV1Object => {
      const key = JSON.stringify(labels);
      let series = chunk.get(key);
      if (series === undefined) {
        series = {
          labels: Object.entries(labels).map(([name, v]) => ({
            name,
            value: v,
          })),
          samples: [],
          histograms: [],
        };
        chunk.set(key, series);
      }
      return series;
    };
    const put = (
      labels: Record<string, string>,
      value: number,
      timestamp: number
    ): void => {
      seriesOf(labels).samples!.push({ value, timestamp });
      samples++;
    };
    const putNative = (
      labels: Record<string, string>,
      c: PodCounters,
      timestamp: number
    ): void => {
      const series = seriesOf(labels);
      // Classic buckets are cumulative over `le`; native ones are not.
      const positive = new Map<number, number>();
      NATIVE_BUCKETS.forEach((index, i) =>
        positive.set(index, c.buckets[i]! - (c.buckets[i - 1] ?? 0))
      );
      const h = nativeHistogram({
        schema: NATIVE_SCHEMA,
        positive,
        timestampMs: timestamp,
      });
      h.sum = c.sum;
      series.histograms!.push(histogramToObject(h, false));
      samples++;
    };

    for (let t = firstMs; t <= lastMs; t += STEP_MS) {
      const offset = t - endMs;
      const burst =
        cluster.burst !== undefined &&
        offset > cluster.burst.fromOffsetMs &&
        offset <= cluster.burst.untilOffsetMs
          ? cluster.burst
          : undefined;
      for (const pod of pods) {
        if (pod.isGone) continue;
        const base = { job: JOB, pod: pod.name };
        const requestsLabels = (code: string): Record<string, string> => ({
          __name__: 'http_requests_total',
          ...base,
          code,
        });
        const histogramNames = LATENCY_BOUNDS.map(le => ({
          __name__: 'http_request_duration_seconds_bucket',
          ...base,
          le: le === Infinity ? '+Inf' : String(le),
        }));
        const countLabels = {
          __name__: 'http_request_duration_seconds_count',
          ...base,
        };
        const sumLabels = {
          __name__: 'http_request_duration_seconds_sum',
          ...base,
        };
        if (pod.goneAtOffsetMs !== undefined && offset > pod.goneAtOffsetMs) {
          // The pod went away: its scraper sends staleness markers once.
          pod.isGone = true;
          for (const code of ['200', '500', '503'])
            put(requestsLabels(code), STALE_NAN, t);
          for (const labels of histogramNames) put(labels, STALE_NAN, t);
          put(countLabels, STALE_NAN, t);
          put(sumLabels, STALE_NAN, t);
          continue;
        }
        const c = pod.counters;
        if (
          pod.resetAtOffsetMs !== undefined &&
          offset > pod.resetAtOffsetMs &&
          offset - STEP_MS <= pod.resetAtOffsetMs
        ) {
          // Restarted between the previous sample and this one: counters
          // start again from zero, and this sample holds what the new
          // process served since.
          c.ok = c.errors500 = c.errors503 = c.count = c.sum = 0;
          c.buckets = c.buckets.map(() => 0);
        }
        const n = around(random, cluster.requestsPerStep);
        const bad = share(random, n, burst?.errorShare ?? cluster.errorShare);
        const bad500 = share(random, bad, 0.7);
        const slow = share(random, n, cluster.slowShare);
        // Observations: fast ones spread over the buckets under the
        // threshold, slow ones over those above it.
        const fastUnderTenth = share(random, n - slow, 0.6);
        const slowUnderHalf = share(random, slow, 0.5);
        const slowUnderOne = share(random, slow - slowUnderHalf, 0.8);
        const perBound = [
          fastUnderTenth,
          n - slow - fastUnderTenth,
          slowUnderHalf,
          slowUnderOne,
          slow - slowUnderHalf - slowUnderOne,
        ];
        if (pod.hasSample) {
          events.push({
            cluster: cluster.name,
            timeMs: t,
            total: n,
            bad,
            slow,
          });
        }
        c.ok += n - bad;
        c.errors500 += bad500;
        c.errors503 += bad - bad500;
        let cumulative = 0;
        for (let i = 0; i < LATENCY_BOUNDS.length; i++) {
          cumulative += perBound[i]!;
          c.buckets[i]! += cumulative;
        }
        c.count += n;
        c.sum += (n - slow) * 0.08 + slow * 0.6;
        // The first sample shows counters whose history nobody saw:
        // neither fleetgate nor Prometheus can count it (no event above).
        pod.hasSample = true;
        put(requestsLabels('200'), c.ok, t);
        put(requestsLabels('500'), c.errors500, t);
        put(requestsLabels('503'), c.errors503, t);
        if (cluster.isNative) {
          putNative(
            { __name__: 'http_request_duration_seconds', ...base },
            c,
            t
          );
          continue;
        }
        histogramNames.forEach((labels, i) => put(labels, c.buckets[i]!, t));
        put(countLabels, c.count, t);
        put(sumLabels, c.sum, t);
      }
      if (++stepsInChunk === STEPS_PER_REQUEST) flush();
    }
    flush();
    if (cluster.untilOffsetMs === 0)
      liveSeriesAtEnd +=
        pods.filter(p => !p.isGone).length *
        (cluster.isNative ? 3 : SERIES_PER_POD);
    if (cluster.isNative && cluster.untilOffsetMs === 0)
      for (const pod of pods) finalNativeCount += pod.counters.count;
  }
  return { requests, events, samples, liveSeriesAtEnd, finalNativeCount };
}

/**
 * Error ratio of the ground truth over (atMs − windowMs, atMs]: each step's
 * events are spread over the 15 s before its sample, and the step that
 * straddles the window start counts by the share inside.
 */
function truthRatio(
  events: readonly StepEvents[],
  kind: 'ratio' | 'latency',
  atMs: number,
  windowMs: number,
  cluster?: string
): number | null {
  const startMs = atMs - windowMs;
  let bad = 0;
  let total = 0;
  for (const e of events) {
    if (cluster !== undefined && e.cluster !== cluster) continue;
    if (e.timeMs > atMs) continue;
    const inside = Math.min(1, Math.max(0, (e.timeMs - startMs) / STEP_MS));
    if (inside === 0) continue;
    bad += inside * (kind === 'ratio' ? e.bad : e.slow);
    total += inside * e.total;
  }
  return total === 0 ? null : bad / total;
}

// ---------------------------------------------------------------------------

function gatewayConfig(receiverUrl: string): string {
  return stringifyYaml({
    clusters: CLUSTERS.map(c => ({
      name: c.name,
      region: c.region,
      env: 'prod',
      team: 'payments',
      token: c.token,
    })),
    slos: [
      {
        name: RATIO_SLO,
        service: 'checkout',
        objective: 0.995,
        window: '30d',
        sli: {
          ratio: {
            bad: `http_requests_total{job="${JOB}",code=~"5.."}`,
            total: `http_requests_total{job="${JOB}"}`,
          },
        },
      },
      {
        name: LATENCY_SLO,
        service: 'checkout',
        objective: 0.95,
        window: '30d',
        sli: {
          latency: {
            histogram: 'http_request_duration_seconds',
            threshold: LATENCY_THRESHOLD,
            selector: `{job="${JOB}"}`,
          },
        },
      },
    ],
    forward: {
      // The memory queue: this test is about counting, not durability.
      queue: { type: 'memory' },
      // A short deadline: the sender waits for the queue to drain every
      // half hour of data (see beforeAll).
      remote_write: [
        {
          name: 'central',
          url: `${receiverUrl}/api/v1/write`,
          batch_send_deadline: '200ms',
        },
      ],
    },
  });
}

async function send(
  gatewayUrl: string,
  token: string,
  timeseries: TimeSeriesV1Object[]
): Promise<void> {
  const res = await fetch(`${gatewayUrl}/api/v1/write`, {
    method: 'POST',
    body: snappyCompress(encodeV1Request({ timeseries })),
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      Authorization: `Bearer ${token}`,
    },
    signal: AbortSignal.timeout(15_000),
  });
  if (res.status !== 204 && res.status !== 200)
    throw new Error(`write refused: ${res.status} ${await res.text()}`);
}

interface WindowFigures {
  readonly error_ratio: number | null;
}
interface SloAnswer {
  readonly windows: Record<string, WindowFigures>;
  readonly clusters: readonly {
    readonly cluster: string;
    readonly windows: Record<string, WindowFigures>;
  }[];
}

async function sloAnswer(gatewayUrl: string, name: string): Promise<SloAnswer> {
  const res = await fetch(`${gatewayUrl}/api/v1/slos/${name}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { status: string; data: SloAnswer };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.data;
}

/** PromQL error ratio per cluster and fleet-wide (key ''). */
async function promqlRatios(
  prometheusUrl: string,
  kind: 'ratio' | 'latency',
  window: string,
  atMs: number
): Promise<Map<string, number>> {
  const range = `[${window}]`;
  const out = new Map<string, number>();
  const ask = async (fleet: string, perCluster: string): Promise<void> => {
    const fleetAnswer = await queryPrometheus(prometheusUrl, fleet, atMs);
    expect(fleetAnswer, `fleet ${kind} ${window}`).toHaveLength(1);
    out.set('', Number(fleetAnswer[0]!.value[1]));
    for (const sample of await queryPrometheus(prometheusUrl, perCluster, atMs))
      out.set(sample.metric['cluster'] ?? '?', Number(sample.value[1]));
  };
  if (kind === 'ratio') {
    const bad = `increase(http_requests_total{job="${JOB}",code=~"5.."}${range})`;
    const total = `increase(http_requests_total{job="${JOB}"}${range})`;
    await ask(
      `sum(${bad}) / sum(${total})`,
      `sum by (cluster) (${bad}) / sum by (cluster) (${total})`
    );
    return out;
  }
  // Latency: bad = total − good. Classic: `_count` minus the threshold's
  // `le` bucket. Native: the count times the share above the threshold
  // (histogram_fraction from −Inf, so nothing is interpolated: 0.25 is a
  // bucket bound of schema 3).
  const name = 'http_request_duration_seconds';
  const classicTotal = `increase(${name}_count{job="${JOB}"}${range})`;
  const classicBad = `${classicTotal} - ignoring(le) increase(${name}_bucket{job="${JOB}",le="${LATENCY_THRESHOLD}"}${range})`;
  const nativeIncrease = `increase(${name}{job="${JOB}"}${range})`;
  const nativeTotal = `histogram_count(${nativeIncrease})`;
  const nativeBad = `${nativeTotal} * (1 - histogram_fraction(-Inf, ${LATENCY_THRESHOLD}, ${nativeIncrease}))`;
  await ask(
    `(sum(${classicBad}) + sum(${nativeBad})) / (sum(${classicTotal}) + sum(${nativeTotal}))`,
    `(sum by (cluster) (${classicBad}) or sum by (cluster) (${nativeBad}))` +
      ` / (sum by (cluster) (${classicTotal}) or sum by (cluster) (${nativeTotal}))`
  );
  return out;
}

function relativeDifference(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

describe('SLO error ratios: fleetgate against PromQL increase() in a real Prometheus', () => {
  let receiver: ManagedProcess | undefined;
  let gateway: GatewayProcess | undefined;
  let generated: Generated;
  let endMs = 0;

  beforeAll(async () => {
    receiver = await startPrometheusReceiver({
      outOfOrderTimeWindow: '8h',
      features: ['native-histograms'],
    });
    gateway = await startGateway(gatewayConfig(receiver.url));
    endMs = Math.floor(Date.now() / STEP_MS) * STEP_MS;
    generated = generate(endMs);

    // Oldest first across clusters, as live collectors would have sent
    // it. Every cluster starts on a whole request boundary.
    // Every half hour of data, the gateway's queue drains first: its shards
    // forward independently, and Prometheus 2.42 refuses a native histogram
    // more than an hour older than the newest sample it holds (out-of-order
    // ingestion covers float samples only), as a real fleet never sends.
    const chunkMs = STEP_MS * STEPS_PER_REQUEST;
    for (let at = endMs - HISTORY_MS; at <= endMs; at += chunkMs) {
      for (const cluster of CLUSTERS) {
        const index = (at - (endMs + cluster.fromOffsetMs)) / chunkMs;
        const request = generated.requests.get(cluster.name)![index];
        if (request !== undefined)
          await send(gateway.url, cluster.token, request);
      }
      if ((at - endMs) % (30 * MINUTE_MS) === 0) {
        await waitFor(
          async () =>
            sumMetric(
              await scrapeMetrics(gateway!.url),
              'fleetgate_forward_queue_samples'
            ) === 0,
          30_000,
          { description: 'the forward queue drained' }
        );
      }
    }

    // Everything forwarded: every live series' newest sample is in Prometheus.
    const liveSeries = generated.liveSeriesAtEnd;
    await waitFor(
      async () => {
        // Per metric name: timestamp() drops names, so one selector over
        // several names would collide.
        const atNewest = [
          'http_requests_total',
          'http_request_duration_seconds_bucket',
          'http_request_duration_seconds_count',
          'http_request_duration_seconds_sum',
        ].map(
          name =>
            `count(timestamp(${name}{job="${JOB}"}) == ${endMs / 1000}) or vector(0)`
        );
        const got = await queryPrometheus(
          receiver!.url,
          atNewest.map(q => `(${q})`).join(' + '),
          endMs
        );
        if (Number(got[0]?.value[1] ?? 0) !== liveSeries) return undefined;
        const native = await queryPrometheus(
          receiver!.url,
          `sum(histogram_count(http_request_duration_seconds{job="${JOB}"}))`,
          endMs
        );
        return Number(native[0]?.value[1] ?? 0) === generated.finalNativeCount
          ? true
          : undefined;
      },
      60_000,
      { description: `${liveSeries} series forwarded up to the newest sample` }
    );
  }, 180_000);

  afterAll(async () => {
    await gateway?.stop();
    await receiver?.stop();
  });

  it('sent the planned history', () => {
    // 7h of 15 s steps for three clusters, less for the late ones.
    expect(generated.samples).toBeGreaterThan(50_000);
    expect(generated.events.length).toBeGreaterThan(5_000);
  });

  for (const [slo, kind] of [
    [RATIO_SLO, 'ratio'],
    [LATENCY_SLO, 'latency'],
  ] as const) {
    it(`${slo}: 1h and 6h error ratios agree within 1% relative, fleet-wide and per cluster`, async () => {
      // One instant T for both: the API answers for "now"; Prometheus is
      // asked for the same instant.
      const atMs = Date.now();
      const answer = await sloAnswer(gateway!.url, slo);
      const rows: string[] = [];
      const checks: (() => void)[] = [];
      for (const window of WINDOWS) {
        const promql = await promqlRatios(
          receiver!.url,
          kind,
          window.name,
          atMs
        );
        const scopes: { cluster: string; fleetgate: number | null }[] = [
          { cluster: '', fleetgate: answer.windows[window.name]!.error_ratio },
          ...answer.clusters.map(c => ({
            cluster: c.cluster,
            fleetgate: c.windows[window.name]?.error_ratio ?? null,
          })),
        ];
        expect(
          scopes,
          `${slo} ${window.name}: the fleet and each cluster`
        ).toHaveLength(1 + CLUSTERS.length);
        // Clusters with samples in the window, and only those, have a ratio.
        const expectedClusters = CLUSTERS.filter(
          c => c.untilOffsetMs > -window.ms
        ).map(c => c.name);
        for (const name of expectedClusters) {
          expect(
            scopes.find(s => s.cluster === name)?.fleetgate,
            `${slo} ${window.name} ${name} missing from the API`
          ).toBeTypeOf('number');
        }
        for (const scope of scopes) {
          const label = `${slo} ${window.name} ${scope.cluster === '' ? 'fleet' : scope.cluster}`;
          const truth: number | null = truthRatio(
            generated.events,
            kind,
            atMs,
            window.ms,
            scope.cluster === '' ? undefined : scope.cluster
          );
          expect(truth, `${label}: no events planned`).not.toBeNull();
          const fromPromql = promql.get(scope.cluster);
          expect(scope.fleetgate, label).toBeTypeOf('number');
          expect(fromPromql, `${label}: no PromQL answer`).toBeTypeOf('number');
          const ours = scope.fleetgate!;
          const theirs = fromPromql!;
          rows.push(
            `${label}: fleetgate ${ours.toFixed(6)} promql ${theirs.toFixed(6)} truth ${truth!.toFixed(6)} ` +
              `(vs promql ${(100 * relativeDifference(ours, theirs)).toFixed(3)}%)`
          );
          checks.push(() => {
            expect(relativeDifference(ours, theirs), label).toBeLessThan(
              RELATIVE_TOLERANCE
            );
            expect(relativeDifference(ours, truth!), label).toBeLessThan(
              TRUTH_TOLERANCE
            );
          });
        }
      }
      // Every figure first, then the verdicts: a failure shows the whole table.
      console.log(rows.join('\n'));
      for (const check of checks) check();
      // The burst lies inside 6h only: the figures really are per window.
      if (kind === 'ratio') {
        const burning = answer.clusters.find(c => c.cluster === 'burning-us')!;
        expect(burning.windows['6h']!.error_ratio!).toBeGreaterThan(
          3 * burning.windows['1h']!.error_ratio!
        );
      }
    });
  }
});
