/**
 * The SLO engine's cost (issue 5, item 7): 50 SLOs over 100 clusters.
 *
 * Corpus, per cluster: 40 availability SLOs' services (2 instances × codes
 * 200/404/500/503 of `http_requests_total`), 10 latency SLOs' services
 * (2 instances × 8 `le` buckets + `_count` + `_sum` of
 * `http_request_duration_seconds`), and 2,000 unrelated Kubernetes series
 * (bench/k8s-corpus.ts) the SLO stage must pass over: 2,520 series per
 * cluster, 252,000 in all, sent as requests of 2,000 series with one sample
 * each (a 15s scrape), with the canonical labels normalize adds and stable
 * label arrays, as the remote write decoder hands them out.
 *
 * Prints, for the stage alone (SloEngine.process, the memory store):
 * samples per CPU-second (process.cpuUsage, user + system) over the
 * measured rounds, after one warm-up round that matches every series once;
 * the state held; then the response time of GET /api/v1/slos (the whole
 * list: 50 SLOs with 100 clusters each, through express on a loopback port)
 * and of one /metrics scrape of the SLO gauges.
 *
 * Run: npm run build && node dist/bench/slo-bench.js [--rounds=N] [--api-requests=N]
 */
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { Registry } from 'prom-client';
import { slosListHandler } from '../src/api/routes/slos.js';
import {
  labelsFromRecord,
  labelsToRecord,
  SeriesBatch,
} from '../src/model/index.js';
import { StageTally, type StageContext } from '../src/pipeline/index.js';
import { SloCounters, SloEngine, type SloSpec } from '../src/slo/index.js';
import { encodeStateSnapshot } from '../src/slo/slo-snapshot.js';
import type { ReplicaSnapshot, SnapshotTransport } from '../src/state/index.js';
import { generateClusterSeries } from './k8s-corpus.js';

export const SLO_BENCH_CLUSTERS = 100;
export const SLO_BENCH_RATIO_SLOS = 40;
export const SLO_BENCH_LATENCY_SLOS = 10;
export const SLO_BENCH_SERIES_PER_REQUEST = 2000;
const BACKGROUND_SERIES_PER_CLUSTER = 2000;
const INSTANCES = 2;
const CODES = ['200', '404', '500', '503'] as const;
const LE = [
  '0.005',
  '0.01',
  '0.025',
  '0.05',
  '0.1',
  '0.25',
  '0.5',
  '+Inf',
] as const;
const SCRAPE_MS = 15_000;
const DAY_MS = 86_400_000;
/** 2030-01-01T00:00:00Z. */
export const SLO_BENCH_T0 = Date.UTC(2030, 0, 1);

/** The 50 SLOs: 40 availability (bad/total), 10 latency (threshold 0.25s). */
export function sloBenchSpecs(): SloSpec[] {
  const specs: SloSpec[] = [];
  for (let i = 0; i < SLO_BENCH_RATIO_SLOS; i++) {
    const service = serviceName(i);
    specs.push({
      name: `${service}-availability`,
      service,
      objective: 0.999,
      window: 30 * DAY_MS,
      sli: {
        ratio: {
          bad: `http_requests_total{service="${service}",code=~"5.."}`,
          total: `http_requests_total{service="${service}"}`,
        },
      },
    });
  }
  for (
    let i = SLO_BENCH_RATIO_SLOS;
    i < SLO_BENCH_RATIO_SLOS + SLO_BENCH_LATENCY_SLOS;
    i++
  ) {
    const service = serviceName(i);
    specs.push({
      name: `${service}-latency`,
      service,
      objective: 0.99,
      window: 28 * DAY_MS,
      sli: {
        latency: {
          histogram: 'http_request_duration_seconds',
          threshold: 0.25,
          selector: `{service="${service}"}`,
        },
      },
    });
  }
  return specs;
}

function serviceName(i: number): string {
  return `svc-${String(i).padStart(2, '0')}`;
}

/** One request body: its batch (reused every round) and per series how much its counter grows per scrape. */
export interface BenchRequest {
  readonly batch: SeriesBatch;
  readonly growth: Float64Array;
  readonly context: StageContext;
}

/** The corpus as requests of 2,000 series; `rounds` of it are one scrape each. */
export function buildSloBenchRequests(
  clusters = SLO_BENCH_CLUSTERS
): BenchRequest[] {
  const requests: BenchRequest[] = [];
  let batch = new SeriesBatch();
  let growth: number[] = [];
  const flush = (): void => {
    requests.push({
      batch,
      growth: Float64Array.from(growth),
      context: contextOf(),
    });
    batch = new SeriesBatch();
    growth = [];
  };
  const add = (record: Record<string, string>, perScrape: number): void => {
    const index = batch.addSeries(
      Object.freeze(labelsFromRecord(record)) as string[]
    );
    // Stable arrays, as the decoder's series cache hands them out.
    batch.stable[index] = 1;
    batch.addSample(0, SLO_BENCH_T0);
    growth.push(perScrape);
    if (batch.seriesCount === SLO_BENCH_SERIES_PER_REQUEST) flush();
  };
  for (let c = 0; c < clusters; c++) {
    const canonical = {
      cluster: `cluster-${String(c).padStart(3, '0')}`,
      region: `region-${c % 7}`,
      env: c % 5 === 0 ? 'staging' : 'prod',
      team: `team-${c % 11}`,
    };
    for (let s = 0; s < SLO_BENCH_RATIO_SLOS + SLO_BENCH_LATENCY_SLOS; s++) {
      const service = serviceName(s);
      for (let i = 0; i < INSTANCES; i++) {
        const base = {
          ...canonical,
          service,
          job: service,
          instance: `10.${c}.${s}.${i}:8080`,
        };
        if (s < SLO_BENCH_RATIO_SLOS) {
          const per: Record<(typeof CODES)[number], number> = {
            '200': 97,
            '404': 2,
            '500': 1,
            '503': c % 10 === 0 ? 3 : 0,
          };
          for (const code of CODES)
            add({ ...base, __name__: 'http_requests_total', code }, per[code]);
        } else {
          const cumulative = [10, 25, 45, 70, 88, 97, 99, 100];
          LE.forEach((le, k) =>
            add(
              { ...base, __name__: 'http_request_duration_seconds_bucket', le },
              cumulative[k]!
            )
          );
          add(
            { ...base, __name__: 'http_request_duration_seconds_count' },
            100
          );
          add({ ...base, __name__: 'http_request_duration_seconds_sum' }, 12.5);
        }
      }
    }
    for (const series of generateClusterSeries(
      c % 10,
      BACKGROUND_SERIES_PER_CLUSTER
    )) {
      const record = labelsToRecord(series.labels);
      delete record['k8s_cluster'];
      add({ ...record, ...canonical }, 1);
    }
  }
  if (batch.seriesCount > 0) flush();
  return requests;
}

function contextOf(): StageContext {
  return {
    identity: { kind: 'anonymous' },
    protocol: 'remote_write_v1',
    receivedAtMs: 0,
    tally: new StageTally(),
  };
}

/** Advances every series of a request by one scrape (new value, new timestamp). */
export function advanceRequest(
  request: BenchRequest,
  timestampMs: number
): void {
  const { batch, growth } = request;
  for (let i = 0; i < batch.sampleCount; i++) {
    batch.values[i]! += growth[i]!;
    batch.timestamps[i] = timestampMs;
  }
}

export interface SloBenchResult {
  readonly series: number;
  readonly samples: number;
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly samplesPerCpuSecond: number;
  readonly trackedSeries: number;
  readonly counters: number;
  readonly stateBytes: number;
  readonly listP50Ms: number;
  readonly listP99Ms: number;
  readonly listBytes: number;
  readonly metricsMs: number;
  readonly metricsSeries: number;
  /** Shared store: one replica's window sums, as published every 5s. */
  readonly windowsPayloadBytes: number;
  /** Shared store: one (SLO, cluster)'s bucket state once every bucket holds events. */
  readonly stateBytesPerCounter: number;
  /** Shared store: GET /api/v1/slos answered from published sums. */
  readonly sharedListP50Ms: number;
}

/** A shared store that keeps the last snapshot of each kind and replica, and its size. */
class RecordingStore implements SnapshotTransport {
  readonly isShared = true;
  readonly bytes = new Map<string, number>();
  private readonly _snapshots = new Map<string, Map<string, ReplicaSnapshot>>();

  publishSnapshot(
    kind: string,
    replicaId: string,
    payload: string,
    _ttlMs: number,
    nowMs: number
  ): Promise<void> {
    this.bytes.set(kind, payload.length);
    let byReplica = this._snapshots.get(kind);
    if (byReplica === undefined)
      this._snapshots.set(
        kind,
        (byReplica = new Map<string, ReplicaSnapshot>())
      );
    byReplica.set(replicaId, { replicaId, payload, publishedAtMs: nowMs });
    return Promise.resolve();
  }

  readSnapshots(kind: string): Promise<ReplicaSnapshot[]> {
    return Promise.resolve([...(this._snapshots.get(kind)?.values() ?? [])]);
  }
}

/** Bytes of the published bucket state of one (SLO, cluster) whose every bucket holds events. */
function fullStateBytesPerCounter(): number {
  const counters = new SloCounters(30 * DAY_MS);
  const now = SLO_BENCH_T0 + 31 * DAY_MS;
  // An event every 15s for 30 days fills every slot of every tier.
  for (let t = now - 30 * DAY_MS + 1; t <= now; t += SCRAPE_MS) {
    counters.add(t, 1, 9_700 + (t % 613));
    counters.add(t, 0, t % 7);
  }
  return encodeStateSnapshot({
    stateKey: 'x',
    clusters: new Map([['cluster-000', counters.exportTiers()]]),
  }).length;
}

/** GET /api/v1/slos `count` times (after two warm-up requests): sorted times in ms, body size. */
async function timeList(
  engine: SloEngine,
  count: number
): Promise<{ times: number[]; bytes: number }> {
  const app = express();
  app.get('/api/v1/slos', slosListHandler({ slos: () => engine }));
  const server = await new Promise<ReturnType<typeof app.listen>>(resolve => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/slos`;
  const times: number[] = [];
  let bytes = 0;
  try {
    for (let i = 0; i < count + 2; i++) {
      const start = process.hrtime.bigint();
      const res = await fetch(url);
      const body = await res.arrayBuffer();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (res.status !== 200)
        throw new Error(`GET /api/v1/slos answered ${res.status}`);
      bytes = body.byteLength;
      if (i >= 2) times.push(ms); // the first two warm up the JIT and the connection
    }
  } finally {
    await new Promise(resolve => server.close(resolve));
  }
  return { times: times.sort((a, b) => a - b), bytes };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** Runs the bench; `rounds` measured scrapes of the whole corpus after one warm-up. */
export async function runSloBench(
  rounds: number,
  apiRequests: number
): Promise<SloBenchResult> {
  const requests = buildSloBenchRequests();
  const clock = { now: SLO_BENCH_T0 };
  const registry = new Registry();
  const engine = new SloEngine(sloBenchSpecs(), {
    now: () => clock.now,
    registry,
  });
  const scrape = (target: SloEngine): void => {
    clock.now += SCRAPE_MS;
    for (const request of requests) {
      advanceRequest(request, clock.now);
      target.observe(request.batch, request.context);
    }
  };
  scrape(engine); // warm-up: every series matched once, counters created, first samples
  const series = requests.reduce((n, r) => n + r.batch.seriesCount, 0);
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) scrape(engine);
  const cpu = process.cpuUsage(cpuBefore);
  const wallSeconds = Number(process.hrtime.bigint() - wallBefore) / 1e9;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const stats = engine.stats();

  const list = await timeList(engine, apiRequests);

  clock.now += 2000; // past the metrics cache
  const metricsStart = process.hrtime.bigint();
  const text = await registry.metrics();
  const metricsMs = Number(process.hrtime.bigint() - metricsStart) / 1e6;
  const metricsSeries = text
    .split('\n')
    .filter(line => line !== '' && !line.startsWith('#')).length;

  // The same corpus on a replica with a shared store: what it publishes, and answers from published sums.
  const store = new RecordingStore();
  const shared = new SloEngine(sloBenchSpecs(), {
    now: () => clock.now,
    store,
    replicaId: 'bench',
  });
  scrape(shared);
  scrape(shared);
  await shared.publish();
  const sharedList = await timeList(shared, apiRequests);

  return {
    series,
    samples: series * rounds,
    cpuSeconds,
    wallSeconds,
    samplesPerCpuSecond: (series * rounds) / cpuSeconds,
    trackedSeries: stats.trackedSeries,
    counters: stats.counters,
    stateBytes: stats.stateBytes,
    listP50Ms: percentile(list.times, 0.5),
    listP99Ms: percentile(list.times, 0.99),
    listBytes: list.bytes,
    metricsMs,
    metricsSeries,
    windowsPayloadBytes: store.bytes.get('slo-windows') ?? 0,
    stateBytesPerCounter: fullStateBytesPerCounter(),
    sharedListP50Ms: percentile(sharedList.times, 0.5),
  };
}

/** The result as the lines `npm run bench` prints and appends to bench/RESULTS.md. */
export function formatSloBench(result: SloBenchResult, rounds: number): string {
  const n = (x: number, digits = 0): string =>
    x.toLocaleString('en-US', {
      maximumFractionDigits: digits,
      minimumFractionDigits: digits,
    });
  const mib = (bytes: number): string => n(bytes / 1024 / 1024, 1);
  return [
    `### SLO engine: ${SLO_BENCH_RATIO_SLOS + SLO_BENCH_LATENCY_SLOS} SLOs over ${SLO_BENCH_CLUSTERS} clusters`,
    '',
    `- corpus: ${n(result.series)} series per scrape (${n(result.trackedSeries)} of them feed an SLO), ${SLO_BENCH_SERIES_PER_REQUEST} series per request, ${rounds} measured scrapes after one warm-up`,
    `- SLO stage: **${n(result.samplesPerCpuSecond)} samples/CPU-s** (${n(result.samples)} samples in ${n(result.cpuSeconds, 2)} CPU-s, ${n(result.wallSeconds, 2)} s wall)`,
    `- state: ${n(result.counters)} (SLO, cluster) counters, ${mib(result.stateBytes)} MiB of buckets (${n(result.stateBytes / Math.max(1, result.counters))} B each; bound 65,536)`,
    `- GET /api/v1/slos (whole list, ${n(result.listBytes / 1024)} KiB): p50 ${n(result.listP50Ms, 1)} ms, p99 ${n(result.listP99Ms, 1)} ms; from a shared store's published sums: p50 ${n(result.sharedListP50Ms, 1)} ms`,
    `- /metrics with the SLO gauges: ${n(result.metricsSeries)} series in ${n(result.metricsMs, 1)} ms`,
    `- shared store: window sums ${n(result.windowsPayloadBytes / 1024)} KiB per publish (every 5 s); bucket state ${n(result.stateBytesPerCounter / 1024, 1)} KiB per (SLO, cluster) once every bucket is filled, ${mib(result.stateBytesPerCounter * result.counters)} MiB for all ${n(result.counters)} (per state publish)`,
  ].join('\n');
}

function flag(argv: readonly string[], name: string, fallback: number): number {
  const arg = argv.find(a => a.startsWith(`--${name}=`));
  if (arg === undefined) return fallback;
  const value = Number(arg.slice(name.length + 3));
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`invalid --${name}: want a positive integer`);
  return value;
}

async function main(argv: readonly string[]): Promise<void> {
  const rounds = flag(argv, 'rounds', 20);
  const apiRequests = flag(argv, 'api-requests', 20);
  const result = await runSloBench(rounds, apiRequests);
  process.stdout.write(`${formatSloBench(result, rounds)}\n`);
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(process.argv[1]).href
) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(
      `slo-bench failed: ${(err as Error).stack ?? String(err)}\n`
    );
    process.exitCode = 1;
  });
}
