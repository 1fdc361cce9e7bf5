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
import { labelsFromRecord, labelsToRecord, SeriesBatch } from '../src/model/index.js';
import { StageTally, type StageContext } from '../src/pipeline/index.js';
import { SloEngine, type SloSpec } from '../src/slo/index.js';
import { generateClusterSeries } from './k8s-corpus.js';

export const SLO_BENCH_CLUSTERS = 100;
export const SLO_BENCH_RATIO_SLOS = 40;
export const SLO_BENCH_LATENCY_SLOS = 10;
export const SLO_BENCH_SERIES_PER_REQUEST = 2000;
const BACKGROUND_SERIES_PER_CLUSTER = 2000;
const INSTANCES = 2;
const CODES = ['200', '404', '500', '503'] as const;
const LE = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '+Inf'] as const;
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
  for (let i = SLO_BENCH_RATIO_SLOS; i < SLO_BENCH_RATIO_SLOS + SLO_BENCH_LATENCY_SLOS; i++) {
    const service = serviceName(i);
    specs.push({
      name: `${service}-latency`,
      service,
      objective: 0.99,
      window: 28 * DAY_MS,
      sli: { latency: { histogram: 'http_request_duration_seconds', threshold: 0.25, selector: `{service="${service}"}` } },
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
export function buildSloBenchRequests(clusters = SLO_BENCH_CLUSTERS): BenchRequest[] {
  const requests: BenchRequest[] = [];
  let batch = new SeriesBatch();
  let growth: number[] = [];
  const flush = (): void => {
    requests.push({ batch, growth: Float64Array.from(growth), context: contextOf() });
    batch = new SeriesBatch();
    growth = [];
  };
  const add = (record: Record<string, string>, perScrape: number): void => {
    const index = batch.addSeries(Object.freeze(labelsFromRecord(record)) as string[]);
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
        const base = { ...canonical, service, job: service, instance: `10.${c}.${s}.${i}:8080` };
        if (s < SLO_BENCH_RATIO_SLOS) {
          const per: Record<(typeof CODES)[number], number> = { '200': 97, '404': 2, '500': 1, '503': c % 10 === 0 ? 3 : 0 };
          for (const code of CODES) add({ ...base, __name__: 'http_requests_total', code }, per[code]);
        } else {
          const cumulative = [10, 25, 45, 70, 88, 97, 99, 100];
          LE.forEach((le, k) => add({ ...base, __name__: 'http_request_duration_seconds_bucket', le }, cumulative[k]!));
          add({ ...base, __name__: 'http_request_duration_seconds_count' }, 100);
          add({ ...base, __name__: 'http_request_duration_seconds_sum' }, 12.5);
        }
      }
    }
    for (const series of generateClusterSeries(c % 10, BACKGROUND_SERIES_PER_CLUSTER)) {
      const record = labelsToRecord(series.labels);
      delete record['k8s_cluster'];
      add({ ...record, ...canonical }, 1);
    }
  }
  if (batch.seriesCount > 0) flush();
  return requests;
}

function contextOf(): StageContext {
  return { identity: { kind: 'anonymous' }, protocol: 'remote_write_v1', receivedAtMs: 0, tally: new StageTally() };
}

/** Advances every series of a request by one scrape (new value, new timestamp). */
export function advanceRequest(request: BenchRequest, timestampMs: number): void {
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
}

/** Runs the bench; `rounds` measured scrapes of the whole corpus after one warm-up. */
export async function runSloBench(rounds: number, apiRequests: number): Promise<SloBenchResult> {
  const requests = buildSloBenchRequests();
  const clock = { now: SLO_BENCH_T0 };
  const registry = new Registry();
  const engine = new SloEngine(sloBenchSpecs(), { now: () => clock.now, registry });
  const scrape = (): void => {
    clock.now += SCRAPE_MS;
    for (const request of requests) {
      advanceRequest(request, clock.now);
      engine.process(request.batch, request.context);
    }
  };
  scrape(); // warm-up: every series matched once, counters created, first samples
  const series = requests.reduce((n, r) => n + r.batch.seriesCount, 0);
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) scrape();
  const cpu = process.cpuUsage(cpuBefore);
  const wallSeconds = Number(process.hrtime.bigint() - wallBefore) / 1e9;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const stats = engine.stats();

  const app = express();
  app.get('/api/v1/slos', slosListHandler({ slos: () => engine }));
  const server = await new Promise<ReturnType<typeof app.listen>>(resolve => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/slos`;
  const times: number[] = [];
  let listBytes = 0;
  try {
    for (let i = 0; i < apiRequests + 2; i++) {
      const start = process.hrtime.bigint();
      const res = await fetch(url);
      const body = await res.arrayBuffer();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (res.status !== 200) throw new Error(`GET /api/v1/slos answered ${res.status}`);
      listBytes = body.byteLength;
      if (i >= 2) times.push(ms); // the first two warm up the JIT and the connection
    }
  } finally {
    await new Promise(resolve => server.close(resolve));
  }
  times.sort((a, b) => a - b);

  clock.now += 2000; // past the metrics cache
  const metricsStart = process.hrtime.bigint();
  const text = await registry.metrics();
  const metricsMs = Number(process.hrtime.bigint() - metricsStart) / 1e6;
  const metricsSeries = text.split('\n').filter(line => line !== '' && !line.startsWith('#')).length;

  return {
    series,
    samples: series * rounds,
    cpuSeconds,
    wallSeconds,
    samplesPerCpuSecond: (series * rounds) / cpuSeconds,
    trackedSeries: stats.trackedSeries,
    counters: stats.counters,
    stateBytes: stats.stateBytes,
    listP50Ms: times[Math.floor(times.length * 0.5)]!,
    listP99Ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!,
    listBytes,
    metricsMs,
    metricsSeries,
  };
}

/** The result as the lines `npm run bench` prints and appends to bench/RESULTS.md. */
export function formatSloBench(result: SloBenchResult, rounds: number): string {
  const n = (x: number, digits = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return [
    `### SLO engine: ${SLO_BENCH_RATIO_SLOS + SLO_BENCH_LATENCY_SLOS} SLOs over ${SLO_BENCH_CLUSTERS} clusters`,
    '',
    `- corpus: ${n(result.series)} series per scrape (${n(result.trackedSeries)} of them feed an SLO), ${SLO_BENCH_SERIES_PER_REQUEST} series per request, ${rounds} measured scrapes after one warm-up`,
    `- SLO stage: **${n(result.samplesPerCpuSecond)} samples/CPU-s** (${n(result.samples)} samples in ${n(result.cpuSeconds, 2)} CPU-s, ${n(result.wallSeconds, 2)} s wall)`,
    `- state: ${n(result.counters)} (SLO, cluster) counters, ${n(result.stateBytes / 1024 / 1024, 1)} MiB of buckets (${n(result.stateBytes / Math.max(1, result.counters))} B each; bound 65,536)`,
    `- GET /api/v1/slos (whole list, ${n(result.listBytes / 1024)} KiB): p50 ${n(result.listP50Ms, 1)} ms, p99 ${n(result.listP99Ms, 1)} ms`,
    `- /metrics with the SLO gauges: ${n(result.metricsSeries)} series in ${n(result.metricsMs, 1)} ms`,
  ].join('\n');
}

function flag(argv: readonly string[], name: string, fallback: number): number {
  const arg = argv.find(a => a.startsWith(`--${name}=`));
  if (arg === undefined) return fallback;
  const value = Number(arg.slice(name.length + 3));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`invalid --${name}: want a positive integer`);
  return value;
}

async function main(argv: readonly string[]): Promise<void> {
  const rounds = flag(argv, 'rounds', 20);
  const apiRequests = flag(argv, 'api-requests', 20);
  const result = await runSloBench(rounds, apiRequests);
  process.stdout.write(`${formatSloBench(result, rounds)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`slo-bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
