/**
 * `npm run bench`: fleetgate side by side with vmagent on one generated
 * corpus of Kubernetes series (10 clusters, 2000 series per remote write
 * request, the cluster named under the alias label `k8s_cluster`).
 *
 * Systems under test, each a child process fed by the same load generator
 * and forwarding to the same kind of sink:
 *   fleetgate        tokens → cluster, canonical labels, forward.remote_write to the sink
 *   vmagent-relabel  -remoteWrite.relabelConfig doing the same normalization
 *   vmagent          no relabeling (the floor: receive and forward)
 * For each it reports samples accepted per CPU-second of the system under
 * test (utime+stime from /proc, its process tree), memory, and whether the
 * sink received every accepted sample. The sink and the load generator are
 * separate processes, so their CPU is not counted.
 *
 * Flags (or env BENCH_*): --duration=SECONDS (30) --requests=N (3000)
 * --concurrency=N (8) --warmup=N (100) --requests-per-cluster=N (4)
 * --systems=fleetgate,vmagent-relabel,vmagent --no-write (skip RESULTS.md).
 *
 * --soak=SECONDS runs the soak instead (fleetgate only, see runSoak): 50
 * simulated clusters, capacity measured first, then that long at 80% of it,
 * RSS and p99 reported each interval and judged flat after warm-up.
 * BENCH_VMAGENT_RELABEL_STYLE=per-label|grouped|packed picks how the vmagent
 * rules are written (see vmagentRelabelConfig); per-label is the default.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SNAPPY_IMPLEMENTATION } from '../src/protocol/wire/index.js';
import { REPO_ROOT, startGateway } from '../test/helpers/gateway-process.js';
import { sleep, startVmagent, vmagentVersion } from '../test/helpers/peers.js';
import {
  BENCH_CLUSTERS,
  CLUSTER_ALIAS_LABEL,
  benchClusters,
  type BenchCluster,
} from './k8s-corpus.js';
import type {
  ReadyMessage,
  RunResult,
  RunSpec,
  SoakSpec,
  SoakTick,
} from './loadgen.js';
import {
  SOAK_LOAD_SHARE,
  judgeSoak,
  planSoak,
  renderSoakTable,
  renderSoakVerdict,
  type SoakInterval,
} from './soak-report.js';
import {
  CLOCK_TICKS_PER_SECOND,
  cpuModel,
  cpuSeconds,
  memoryBytes,
} from './proc-stats.js';
import type { SinkStats } from './sink.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SERIES_PER_REQUEST = 2000;
const DRAIN_TIMEOUT_MS = 60_000;
const SETTLE_AFTER_DRAIN_MS = 1500;
const CHILD_STOP_TIMEOUT_MS = 10_000;
const MIB = 1024 * 1024;

type SystemName = 'fleetgate' | 'vmagent-relabel' | 'vmagent';
const ALL_SYSTEMS: readonly SystemName[] = [
  'fleetgate',
  'vmagent-relabel',
  'vmagent',
];

interface BenchOptions {
  durationS: number;
  maxRequests: number;
  concurrency: number;
  warmupRequests: number;
  requestsPerCluster: number;
  systems: SystemName[];
  writeResults: boolean;
  /** Soak length in seconds; 0: the normal bench. */
  soakS: number;
}

function parseOptions(argv: readonly string[]): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (m === null)
      throw new Error(
        `cannot parse argument ${JSON.stringify(arg)} (want --name=value)`
      );
    flags.set(m[1]!, m[2] ?? 'true');
  }
  const num = (flag: string, env: string, fallback: number): number => {
    const raw = flags.get(flag) ?? process.env[env];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0)
      throw new Error(`invalid --${flag}=${raw}: want a positive number`);
    return n;
  };
  const systemsRaw =
    flags.get('systems') ??
    process.env['BENCH_SYSTEMS'] ??
    ALL_SYSTEMS.join(',');
  const systems = systemsRaw
    .split(',')
    .map(s => s.trim())
    .filter(s => s !== '');
  for (const s of systems) {
    if (!ALL_SYSTEMS.includes(s as SystemName))
      throw new Error(
        `unknown system ${JSON.stringify(s)}: want ${ALL_SYSTEMS.join(', ')}`
      );
  }
  return {
    durationS: num('duration', 'BENCH_DURATION_S', 30),
    maxRequests: Math.floor(num('requests', 'BENCH_REQUESTS', 3000)),
    concurrency: Math.floor(num('concurrency', 'BENCH_CONCURRENCY', 8)),
    warmupRequests: Math.floor(num('warmup', 'BENCH_WARMUP', 100)),
    requestsPerCluster: Math.floor(
      num('requests-per-cluster', 'BENCH_REQUESTS_PER_CLUSTER', 4)
    ),
    systems: systems as SystemName[],
    writeResults:
      flags.get('no-write') === undefined &&
      process.env['BENCH_NO_WRITE'] === undefined,
    soakS:
      flags.has('soak') || process.env['BENCH_SOAK_S'] !== undefined
        ? num('soak', 'BENCH_SOAK_S', 600)
        : 0,
  };
}

// ---------------------------------------------------------------------------
// Child processes (sink, load generator): forked with IPC, stopped by PID.

interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Resolves with the next IPC message that satisfies `accept`. */
  next<T>(accept: (msg: unknown) => msg is T, timeoutMs: number): Promise<T>;
  stop(): Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of liveChildren) {
    try {
      if (c.pid !== undefined && c.exitCode === null)
        process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function forkChild(script: string): Child {
  const child = fork(join(HERE, script), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  const inbox: unknown[] = [];
  const waiters: ((msg: unknown) => void)[] = [];
  child.on('message', msg => {
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter(msg);
    else inbox.push(msg);
  });
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve())
  );
  return {
    process: child,
    pid: child.pid ?? -1,
    next<T>(accept: (msg: unknown) => msg is T, timeoutMs: number): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${script}: no answer in ${timeoutMs} ms`)),
          timeoutMs
        );
        const onExit = (): void =>
          reject(
            new Error(
              `${script} exited (${child.exitCode ?? child.signalCode})`
            )
          );
        child.once('exit', onExit);
        const take = (msg: unknown): void => {
          clearTimeout(timer);
          child.off('exit', onExit);
          if (isErrorMessage(msg)) reject(new Error(`${script}: ${msg.error}`));
          else if (accept(msg)) resolve(msg);
          else
            reject(
              new Error(`${script}: unexpected message ${JSON.stringify(msg)}`)
            );
        };
        const queued = inbox.shift();
        if (queued !== undefined) take(queued);
        else waiters.push(take);
      });
    },
    async stop(): Promise<void> {
      if (
        child.exitCode !== null ||
        child.signalCode !== null ||
        child.pid === undefined
      )
        return;
      process.kill(child.pid, 'SIGTERM');
      const timedOut = await Promise.race([
        exited.then(() => false),
        sleep(CHILD_STOP_TIMEOUT_MS).then(() => true),
      ]);
      // exitCode changes while we wait (narrowing cannot see that).
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (timedOut && child.exitCode === null) {
        process.kill(child.pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

function isErrorMessage(msg: unknown): msg is { type: 'error'; error: string } {
  return (
    typeof msg === 'object' &&
    msg !== null &&
    (msg as { type?: unknown }).type === 'error'
  );
}
// T names what a message of this `type` is: the guard's whole point.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
function isType<T>(type: string): (msg: unknown) => msg is T {
  return (msg: unknown): msg is T =>
    typeof msg === 'object' &&
    msg !== null &&
    (msg as { type?: unknown }).type === type;
}

interface Sink {
  readonly url: string;
  readonly child: Child;
  stats(): Promise<SinkStats>;
}

async function startSink(): Promise<Sink> {
  const child = forkChild('sink.js');
  const { port } = await child.next(
    isType<{ type: 'listening'; port: number }>('listening'),
    10_000
  );
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    child,
    stats: async () =>
      (await (await fetch(`${url}/stats`)).json()) as SinkStats,
  };
}

/** Waits until the sink holds `expected` samples; returns whether it got there. */
async function drain(
  sink: Sink,
  expected: number,
  timeoutMs: number
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await sink.stats()).samples >= expected) return true;
    await sleep(100);
  }
  return false;
}

// ---------------------------------------------------------------------------
// Systems under test

interface SystemUnderTest {
  readonly pid: number;
  /** Write endpoint. */
  readonly writeUrl: string;
  readonly withClusterTokens: boolean;
  diagnostics(): string;
  stop(): Promise<void>;
}

function fleetgateConfig(
  sinkUrl: string,
  registry: readonly BenchCluster[] = BENCH_CLUSTERS
): string {
  const clusters = registry
    .map(
      c =>
        `  - name: ${c.name}\n    region: ${c.region}\n    env: ${c.env}\n    team: ${c.team}\n    token: ${c.token}`
    )
    .join('\n');
  // Limits far above the corpus: the bench measures work, not refusals.
  return `clusters:
${clusters}
normalize:
  aliases:
    cluster: [${CLUSTER_ALIAS_LABEL}]
limits:
  max_series_per_cluster: 10000000
  max_series_per_metric: 10000000
  ingestion_rate: 1000000000
  ingestion_burst: 1000000000
forward:
  remote_write:
    - url: ${sinkUrl}/api/v1/write
`;
}

/** How the vmagent relabel rules are written; all are equivalent on this corpus. */
export type RelabelStyle = 'per-label' | 'grouped' | 'packed';

/**
 * vmagent relabeling equivalent to fleetgate's normalization of this corpus:
 * copy the alias to `cluster`, set region/env/team per cluster, drop the alias.
 * - per-label: one rule per (cluster, label): 1 + 3×clusters + 1 rules;
 * - grouped:   one rule per distinct (label, value), matching an alternation
 *              of the clusters that share it;
 * - packed:    one rule per cluster writing "region;env;team" to a temporary
 *              label, three rules splitting it.
 */
export function vmagentRelabelConfig(
  style: RelabelStyle = 'per-label'
): string {
  const rules: string[] = [
    `- source_labels: [${CLUSTER_ALIAS_LABEL}]\n  target_label: cluster`,
  ];
  const labels = ['region', 'env', 'team'] as const;
  let drop = CLUSTER_ALIAS_LABEL;
  if (style === 'per-label') {
    for (const c of BENCH_CLUSTERS) {
      for (const label of labels) {
        rules.push(
          `- source_labels: [cluster]\n  regex: ${JSON.stringify(c.name)}\n  target_label: ${label}\n  replacement: ${JSON.stringify(c[label])}`
        );
      }
    }
  } else if (style === 'grouped') {
    for (const label of labels) {
      const byValue = new Map<string, string[]>();
      for (const c of BENCH_CLUSTERS) {
        byValue.set(c[label], [...(byValue.get(c[label]) ?? []), c.name]);
      }
      for (const [value, names] of byValue) {
        rules.push(
          `- source_labels: [cluster]\n  regex: ${JSON.stringify(names.join('|'))}\n  target_label: ${label}\n  replacement: ${JSON.stringify(value)}`
        );
      }
    }
  } else {
    for (const c of BENCH_CLUSTERS) {
      rules.push(
        `- source_labels: [cluster]\n  regex: ${JSON.stringify(c.name)}\n  target_label: __tmp_meta\n  replacement: ${JSON.stringify(`${c.region};${c.env};${c.team}`)}`
      );
    }
    labels.forEach((label, i) => {
      const groups = ['([^;]*)', '([^;]*)', '([^;]*)'];
      rules.push(
        `- source_labels: [__tmp_meta]\n  regex: ${JSON.stringify(groups.join(';'))}\n  target_label: ${label}\n  replacement: "$${i + 1}"`
      );
    });
    drop = `${CLUSTER_ALIAS_LABEL}|__tmp_meta`;
  }
  rules.push(`- action: labeldrop\n  regex: ${JSON.stringify(drop)}`);
  return rules.join('\n') + '\n';
}

async function startSystem(
  name: SystemName,
  sinkUrl: string,
  clusters: readonly BenchCluster[] = BENCH_CLUSTERS
): Promise<SystemUnderTest> {
  if (name === 'fleetgate') {
    // BENCH_GATEWAY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the gateway.
    const nodeArgs = (process.env['BENCH_GATEWAY_NODE_ARGS'] ?? '')
      .split(' ')
      .filter(a => a !== '');
    const gw = await startGateway(fleetgateConfig(sinkUrl, clusters), {
      env: { FLEETGATE_LOG_LEVEL: 'warn' },
      nodeArgs,
    });
    return {
      pid: gw.pid,
      writeUrl: `${gw.url}/api/v1/write`,
      withClusterTokens: true,
      diagnostics: () => gw.logs(),
      stop: () => gw.stop(),
    };
  }
  const vm = await startVmagent(
    name === 'vmagent-relabel'
      ? {
          remoteWriteUrl: `${sinkUrl}/api/v1/write`,
          relabelConfigYaml: vmagentRelabelConfig(
            (process.env['BENCH_VMAGENT_RELABEL_STYLE'] as
              RelabelStyle | undefined) ?? 'per-label'
          ),
        }
      : { remoteWriteUrl: `${sinkUrl}/api/v1/write` }
  );
  return {
    pid: vm.pid,
    writeUrl: `${vm.url}/api/v1/write`,
    withClusterTokens: false,
    diagnostics: () => vm.diagnostics(),
    stop: () => vm.stop(),
  };
}

// ---------------------------------------------------------------------------
// One run

interface SystemResult {
  system: SystemName;
  error?: string;
  run?: RunResult;
  warmup?: RunResult;
  cpuS: number;
  loadgenCpuS: number;
  sinkCpuS: number;
  wallS: number;
  rssIdle: number;
  rssEnd: number;
  peakRss: number;
  sink?: SinkStats;
  expectedAtSink: number;
  drained: boolean;
}

async function runSystem(
  name: SystemName,
  options: BenchOptions,
  corpus: ReadyMessage,
  loadgen: Child
): Promise<SystemResult> {
  const result: SystemResult = {
    system: name,
    cpuS: 0,
    loadgenCpuS: 0,
    sinkCpuS: 0,
    wallS: 0,
    rssIdle: 0,
    rssEnd: 0,
    peakRss: 0,
    expectedAtSink: 0,
    drained: false,
  };
  const sink = await startSink();
  let sut: SystemUnderTest | undefined;
  try {
    try {
      sut = await startSystem(name, sink.url);
    } catch (err) {
      result.error = `cannot start: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
      return result;
    }
    await sleep(1000);
    result.rssIdle = memoryBytes(sut.pid).rss;
    const spec = (
      maxRequests: number,
      maxDurationMs: number
    ): RunSpec & { type: 'run' } => ({
      type: 'run',
      url: sut!.writeUrl,
      withClusterTokens: sut!.withClusterTokens,
      concurrency: options.concurrency,
      maxRequests,
      maxDurationMs,
    });
    const runTimeoutMs = (options.durationS + 120) * 1000;
    loadgen.process.send(spec(options.warmupRequests, 15_000));
    result.warmup = await loadgen.next(
      isType<RunResult>('result'),
      runTimeoutMs
    );
    await drain(sink, result.warmup.acceptedSamples, DRAIN_TIMEOUT_MS);

    const cpu0 = cpuSeconds(sut.pid);
    const lg0 = cpuSeconds(loadgen.pid);
    const sink0 = cpuSeconds(sink.child.pid);
    const t0 = performance.now();
    loadgen.process.send(spec(options.maxRequests, options.durationS * 1000));
    result.run = await loadgen.next(isType<RunResult>('result'), runTimeoutMs);
    result.expectedAtSink =
      result.warmup.acceptedSamples + result.run.acceptedSamples;
    // Forwarding finishes after the ack: the window ends when the sink has it all.
    result.drained = await drain(sink, result.expectedAtSink, DRAIN_TIMEOUT_MS);
    result.cpuS = cpuSeconds(sut.pid) - cpu0;
    result.loadgenCpuS = cpuSeconds(loadgen.pid) - lg0;
    result.sinkCpuS = cpuSeconds(sink.child.pid) - sink0;
    result.wallS = (performance.now() - t0) / 1000;
    const mem = memoryBytes(sut.pid);
    result.rssEnd = mem.rss;
    result.peakRss = mem.peakRss;
    // Anything beyond the expected count (duplicates, derived series) shows up now.
    await sleep(SETTLE_AFTER_DRAIN_MS);
    result.sink = await sink.stats();
    if (result.run.okRequests < result.run.requests) {
      result.error = `${result.run.requests - result.run.okRequests} requests refused; last: ${result.run.lastError.slice(0, 200)}`;
    }
    return result;
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    if (sut !== undefined) console.error(sut.diagnostics().slice(-4000));
    return result;
  } finally {
    await sut?.stop().catch(() => undefined);
    await sink.child.stop();
  }
}

// ---------------------------------------------------------------------------
// Report

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

function samplesPerCpuSecond(r: SystemResult): number {
  return r.run !== undefined && r.cpuS > 0 ? r.run.acceptedSamples / r.cpuS : 0;
}

/** Samples at the sink against what was acknowledged (warm-up + run). */
function sinkVerdict(r: SystemResult): string {
  if (r.sink === undefined) return '–';
  const got = r.sink.samples;
  const want = r.expectedAtSink;
  if (got === want) return `${fmt(got)}/${fmt(want)} ✓`;
  if (got > want) return `${fmt(got)}/${fmt(want)} (+${fmt(got - want)})`;
  return `${fmt(got)}/${fmt(want)} ✗ missing ${fmt(want - got)}`;
}

function normalizedVerdict(r: SystemResult): string {
  const s = r.sink;
  if (s === undefined || s.checkedSeries === 0) return '–';
  const canonical = s.canonicalSeries / s.checkedSeries;
  const alias = s.aliasSeries / s.checkedSeries;
  return `${fmt(canonical * 100)}% canonical, ${fmt(alias * 100)}% alias`;
}

function renderTable(
  results: readonly SystemResult[],
  activeSeries: number
): string {
  const lines = [
    '| system | requests 2xx/sent | samples accepted | at sink / acked incl. warm-up | labels at sink (sampled) | SUT CPU s | **samples/CPU-s** | wall s | samples/s | RSS idle → end MiB | peak RSS MiB | B/active series | p50/p99 ms | loadgen CPU s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    if (r.run === undefined) {
      lines.push(
        `| ${r.system} | ${r.error ?? 'not run'} | | | | | | | | | | | | |`
      );
      continue;
    }
    const perSeries =
      activeSeries > 0 ? (r.rssEnd - r.rssIdle) / activeSeries : 0;
    lines.push(
      `| ${r.system} | ${fmt(r.run.okRequests)}/${fmt(r.run.requests)} | ${fmt(r.run.acceptedSamples)} | ${sinkVerdict(r)} | ${normalizedVerdict(r)} | ${fmt(r.cpuS, 2)} | **${fmt(samplesPerCpuSecond(r))}** | ${fmt(r.wallS, 1)} | ${fmt(r.run.acceptedSamples / Math.max(r.wallS, 1e-9))} | ${fmt(r.rssIdle / MIB)} → ${fmt(r.rssEnd / MIB)} | ${fmt(r.peakRss / MIB)} | ${fmt(perSeries)} | ${fmt(r.run.latencyMsP50, 1)}/${fmt(r.run.latencyMsP99, 1)} | ${fmt(r.loadgenCpuS, 2)} |`
    );
  }
  return lines.join('\n');
}

function renderRatios(results: readonly SystemResult[]): string {
  const by = new Map(results.map(r => [r.system, samplesPerCpuSecond(r)]));
  const fg = by.get('fleetgate') ?? 0;
  const out: string[] = [];
  for (const other of ['vmagent-relabel', 'vmagent'] as const) {
    const v = by.get(other) ?? 0;
    out.push(
      `- fleetgate / ${other} (samples per CPU-second): ${fg > 0 && v > 0 ? `**${fmt(fg / v, 3)}**` : 'n/a'}`
    );
  }
  const rel = by.get('vmagent-relabel') ?? 0;
  const plain = by.get('vmagent') ?? 0;
  if (rel > 0 && plain > 0)
    out.push(
      `- vmagent-relabel / vmagent (cost of relabeling): ${fmt(rel / plain, 3)}`
    );
  return out.join('\n');
}

/**
 * The per-stage figures: the limit stage's samples per CPU-second, bytes per
 * active series of exact tracking at 1M series, the SLO stage with 50 SLOs
 * over 100 clusters, and remote write 2.0 decoding with its series cache.
 * Each runs in its own process, so one's heap does not weigh on another's
 * numbers.
 */
async function runStageBenches(): Promise<string> {
  const runs: { title: string; args: string[] }[] = [
    {
      title: 'Limit stage (label limits + cardinality budgets)',
      args: [join(REPO_ROOT, 'dist/bench/limit-stage.js')],
    },
    {
      title: 'Exact active-series tracking, bytes per series at 1M series',
      args: [
        '--expose-gc',
        join(REPO_ROOT, 'dist/bench/active-series-memory.js'),
        '--series=1000000',
      ],
    },
    {
      title: 'SLO stage, 50 SLOs over 100 clusters',
      args: [join(REPO_ROOT, 'dist/bench/slo-bench.js')],
    },
    {
      title: 'Remote write 2.0: decode, stages and forward encoding',
      args: [join(REPO_ROOT, 'dist/bench/rw2-decode.js')],
    },
  ];
  const sections: string[] = [];
  for (const run of runs) {
    console.log(`\n▶ ${run.title} …`);
    try {
      const { stdout } = await execFileAsync(process.execPath, run.args, {
        maxBuffer: 16 * 1024 * 1024,
        timeout: 600_000,
      });
      sections.push(`### ${run.title}\n\n${stdout.trim()}`);
    } catch (err) {
      sections.push(`### ${run.title}\n\nfailed: ${(err as Error).message}`);
    }
  }
  return sections.join('\n\n');
}

// ---------------------------------------------------------------------------
// Soak (--soak=SECONDS)

const SOAK_CLUSTERS = 50;
const SOAK_REQUESTS_PER_CLUSTER = 1;
const SOAK_MAX_IN_FLIGHT = 32;
const RSS_SAMPLE_EVERY_MS = 5_000;
/** How long past its end an interval's report may take to arrive. */
const SOAK_TICK_GRACE_MS = 120_000;

/**
 * The soak: fleetgate with 50 simulated clusters (their own tokens and
 * cluster names, realistic Kubernetes series, one 2,000-series request per
 * cluster per round). Capacity is measured first, in the same run and on the
 * same gateway (closed loop, `--concurrency` requests in flight); then the
 * load generator offers 80% of it, open loop, for `--soak` seconds. RSS
 * (/proc, sampled every 5 s) and p99 latency are reported per interval (each
 * minute for 10 minutes or more) and judged flat after the warm-up intervals.
 * Bounded: it stops after the soak and a drain of at most a minute.
 */
async function runSoak(options: BenchOptions, machine: string): Promise<void> {
  const plan = planSoak(options.soakS);
  const clusters = benchClusters(SOAK_CLUSTERS);
  const loadgen = forkChild('loadgen.js');
  const sink = await startSink();
  let sut: SystemUnderTest | undefined;
  try {
    loadgen.process.send({
      type: 'init',
      requestsPerCluster: SOAK_REQUESTS_PER_CLUSTER,
      seriesPerRequest: SERIES_PER_REQUEST,
      clusters: SOAK_CLUSTERS,
    });
    const corpus = await loadgen.next(isType<ReadyMessage>('ready'), 120_000);
    const corpusLine = `corpus: ${SOAK_CLUSTERS} clusters (own tokens and cluster names), ${fmt(corpus.activeSeries)} active series in ${corpus.templates} request bodies of ${fmt(corpus.seriesPerRequest)} series, ${corpus.labelsPerSeries.min}–${corpus.labelsPerSeries.max} labels per series, cluster under \`${CLUSTER_ALIAS_LABEL}\``;
    console.log(corpusLine);
    sut = await startSystem('fleetgate', sink.url, clusters);
    await sleep(1000);
    const rssIdle = memoryBytes(sut.pid).rss;
    const closedLoop = (maxRequests: number, maxDurationMs: number) => ({
      type: 'run' as const,
      url: sut!.writeUrl,
      withClusterTokens: true,
      concurrency: options.concurrency,
      maxRequests,
      maxDurationMs,
    });

    // Capacity: warm-up, then a closed loop; samples acknowledged per wall second.
    loadgen.process.send(closedLoop(options.warmupRequests, 15_000));
    const warmup = await loadgen.next(isType<RunResult>('result'), 120_000);
    console.log(`▶ measuring capacity for ${plan.capacityS} s …`);
    await drain(sink, warmup.acceptedSamples, DRAIN_TIMEOUT_MS);
    const capacityStart = performance.now();
    loadgen.process.send(closedLoop(1e9, plan.capacityS * 1000));
    const measured = await loadgen.next(
      isType<RunResult>('result'),
      (plan.capacityS + 120) * 1000
    );
    let expectedAtSink = warmup.acceptedSamples + measured.acceptedSamples;
    // Forwarding finishes after the ack: capacity is what the gateway can
    // take *and* deliver, so its window ends when the sink has it all (and
    // the soak starts from a drained queue).
    await drain(sink, expectedAtSink, DRAIN_TIMEOUT_MS);
    const capacityWindowS = (performance.now() - capacityStart) / 1000;
    const capacity = measured.acceptedSamples / capacityWindowS;
    if (!(capacity > 0))
      throw new Error(
        `cannot soak: the capacity run accepted nothing (${measured.lastError.slice(0, 200)})`
      );
    const rate = SOAK_LOAD_SHARE * capacity;
    const loadLine = `capacity: ${fmt(capacity)} samples/s acknowledged and delivered (closed loop, ${options.concurrency} in flight, ${fmt(measured.elapsedMs / 1000, 1)} s + ${fmt(capacityWindowS - measured.elapsedMs / 1000, 1)} s to drain, p99 ${fmt(measured.latencyMsP99, 1)} ms); soak: ${fmt(rate)} samples/s (${fmt(SOAK_LOAD_SHARE * 100)}%, open loop, ≤ ${SOAK_MAX_IN_FLIGHT} in flight) for ${plan.durationS} s in ${plan.intervals} intervals of ${plan.intervalS} s, the first ${plan.warmupIntervals} warm-up; RSS idle ${fmt(rssIdle / MIB)} MiB`;
    console.log(loadLine);

    const rss: { atMs: number; bytes: number }[] = [];
    const soakStart = performance.now();
    const sampler = setInterval(() => {
      rss.push({
        atMs: performance.now() - soakStart,
        bytes: memoryBytes(sut!.pid).rss,
      });
    }, RSS_SAMPLE_EVERY_MS);
    const spec: SoakSpec & { type: 'soak' } = {
      type: 'soak',
      url: sut.writeUrl,
      withClusterTokens: true,
      samplesPerSecond: rate,
      durationMs: plan.durationS * 1000,
      intervalMs: plan.intervalS * 1000,
      maxInFlight: SOAK_MAX_IN_FLIGHT,
    };
    loadgen.process.send(spec);
    const intervals: SoakInterval[] = [];
    let cpuBefore = cpuSeconds(sut.pid);
    try {
      for (let i = 0; i < plan.intervals; i++) {
        const tick = await loadgen.next(
          isType<SoakTick>('tick'),
          plan.intervalS * 1000 + SOAK_TICK_GRACE_MS
        );
        const fromMs = tick.index * plan.intervalS * 1000;
        const toMs = fromMs + plan.intervalS * 1000;
        let inside = rss.filter(r => r.atMs >= fromMs && r.atMs < toMs);
        if (inside.length === 0)
          inside = [{ atMs: toMs, bytes: memoryBytes(sut.pid).rss }];
        const cpuNow = cpuSeconds(sut.pid);
        const interval: SoakInterval = {
          index: tick.index,
          endS: toMs / 1000,
          requests: tick.requests,
          okRequests: tick.okRequests,
          acceptedSamples: tick.acceptedSamples,
          latencyMsP50: tick.latencyMsP50,
          latencyMsP99: tick.latencyMsP99,
          rssMeanBytes:
            inside.reduce((sum, r) => sum + r.bytes, 0) / inside.length,
          rssMaxBytes: Math.max(...inside.map(r => r.bytes)),
          behindMs: tick.behindMs,
          cpuS: cpuNow - cpuBefore,
          loadAverage: loadavg()[0] ?? 0,
        };
        cpuBefore = cpuNow;
        intervals.push(interval);
        expectedAtSink += tick.acceptedSamples;
        console.log(
          `  ${fmt(interval.endS)} s: ${fmt(tick.okRequests)}/${fmt(tick.requests)} requests 2xx, ${fmt(tick.acceptedSamples / plan.intervalS)} samples/s, p50 ${fmt(tick.latencyMsP50, 1)} ms, p99 ${fmt(tick.latencyMsP99, 1)} ms, RSS ${fmt(interval.rssMeanBytes / MIB)} MiB (max ${fmt(interval.rssMaxBytes / MIB)}), gateway CPU ${fmt((100 * interval.cpuS) / plan.intervalS)}%, load ${fmt(interval.loadAverage, 1)}${tick.lastError === '' ? '' : `; last error ${tick.lastError.slice(0, 120)}`}`
        );
      }
      await loadgen.next(isType<{ type: 'soak-done' }>('soak-done'), 60_000);
    } finally {
      clearInterval(sampler);
    }
    const drained = await drain(sink, expectedAtSink, DRAIN_TIMEOUT_MS);
    await sleep(SETTLE_AFTER_DRAIN_MS);
    const atSink = (await sink.stats()).samples;
    const verdict = judgeSoak(intervals, plan.warmupIntervals);
    const table = renderSoakTable(intervals, plan);
    const extra =
      atSink > expectedAtSink ? ` (+${fmt(atSink - expectedAtSink)})` : '';
    const verdictText = `${renderSoakVerdict(verdict)}\n- at sink: ${fmt(atSink)} of ${fmt(expectedAtSink)} acknowledged samples${extra}${drained ? ' ✓' : ' ✗ (did not drain in a minute)'}`;
    console.log(`\n${table}\n\n${verdictText}`);
    if (options.writeResults) {
      const file = join(REPO_ROOT, 'bench', 'RESULTS.md');
      appendFileSync(
        file,
        `\n## ${new Date().toISOString()} — soak (\`--soak=${plan.durationS}\`)\n\n- machine: ${machine}\n- ${corpusLine}\n- ${loadLine}\n\n${table}\n\n${verdictText}\n`
      );
      console.log(`\nappended to ${file}`);
    }
    if (!verdict.isPass || !drained) process.exitCode = 1;
  } catch (err) {
    if (sut !== undefined) console.error(sut.diagnostics().slice(-4000));
    throw err;
  } finally {
    await sut?.stop().catch(() => undefined);
    await sink.child.stop();
    await loadgen.stop();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const vmVersion = (await vmagentVersion()) ?? 'not found';
  const machine = `${availableParallelism()} CPUs (nproc), ${cpuModel()}, node ${process.version}, vmagent ${vmVersion}, snappy ${SNAPPY_IMPLEMENTATION}, CLK_TCK ${CLOCK_TICKS_PER_SECOND}`;
  console.log(`fleetgate bench — ${new Date().toISOString()}\n${machine}`);
  if (options.soakS > 0) {
    await runSoak(options, machine);
    return;
  }

  const loadgen = forkChild('loadgen.js');
  const results: SystemResult[] = [];
  let corpus: ReadyMessage;
  try {
    loadgen.process.send({
      type: 'init',
      requestsPerCluster: options.requestsPerCluster,
      seriesPerRequest: SERIES_PER_REQUEST,
    });
    corpus = await loadgen.next(isType<ReadyMessage>('ready'), 120_000);
    const corpusLine =
      `corpus: ${BENCH_CLUSTERS.length} clusters, ${fmt(corpus.activeSeries)} active series in ${corpus.templates} request bodies of ${fmt(corpus.seriesPerRequest)} series ` +
      `(${fmt(corpus.uncompressedBytesPerRequest / 1024)} KiB protobuf, ${fmt(corpus.compressedBytesPerRequest / 1024)} KiB snappy), ` +
      `${corpus.labelsPerSeries.min}–${corpus.labelsPerSeries.max} labels per series (mean ${fmt(corpus.labelsPerSeries.mean, 1)}), cluster under \`${CLUSTER_ALIAS_LABEL}\`; ` +
      `metrics: ${corpus.metricNames.join(', ')}`;
    const loadLine = `load: ${options.concurrency} concurrent keep-alive requests, ${options.warmupRequests} warm-up requests, then up to ${fmt(options.maxRequests)} requests or ${options.durationS} s`;
    console.log(`${corpusLine}\n${loadLine}`);

    for (const system of options.systems) {
      console.log(`\n▶ ${system} …`);
      const r = await runSystem(system, options, corpus, loadgen);
      results.push(r);
      if (r.error !== undefined) console.log(`  ${system}: ${r.error}`);
      if (r.run !== undefined) {
        console.log(
          `  ${fmt(r.run.acceptedSamples)} samples accepted in ${fmt(r.run.elapsedMs / 1000, 1)} s (+${fmt(r.wallS - r.run.elapsedMs / 1000, 1)} s to drain), ` +
            `${fmt(r.cpuS, 2)} CPU s → ${fmt(samplesPerCpuSecond(r))} samples/CPU-s; sink ${sinkVerdict(r)}${r.drained ? '' : ' (did not drain in time)'}; ` +
            `loadgen ${fmt(r.loadgenCpuS, 1)} CPU s, sink ${fmt(r.sinkCpuS, 1)} CPU s`
        );
      }
    }

    const table = renderTable(results, corpus.activeSeries);
    const ratios = renderRatios(results);
    console.log(`\n${table}\n\n${ratios}`);
    const stages = options.systems.includes('fleetgate')
      ? await runStageBenches()
      : '';
    if (stages !== '') console.log(`\n${stages}`);
    const failed = results.filter(
      r => r.sink !== undefined && r.sink.samples < r.expectedAtSink
    );
    if (failed.length > 0)
      console.log(
        `\nWARNING: the sink is missing samples for ${failed.map(r => r.system).join(', ')}`
      );

    if (options.writeResults) {
      const file = join(REPO_ROOT, 'bench', 'RESULTS.md');
      if (!existsSync(file)) {
        writeFileSync(
          file,
          '# Bench results\n\nAppended by `npm run bench` (bench/run-bench.ts).\n\n' +
            '- **samples/CPU-s**: samples the system acknowledged (2xx) in the measured run, divided by the user+system CPU time of its ' +
            'process tree (/proc/<pid>/stat) from the start of the run until the sink has received every acknowledged sample ' +
            '(so deferred forwarding work is counted).\n' +
            '- **at sink / acked**: samples the sink decoded against those acknowledged, warm-up included; ✓ means nothing was lost.\n' +
            '- **labels at sink**: one request in ten is checked for `cluster`, `region`, `env`, `team` and for the alias label.\n' +
            '- **B/active series**: (RSS at the end − RSS idle) / active series in the corpus; it includes queues and buffers.\n' +
            '- The sink and the load generator are separate processes; their CPU is not counted. Wall-clock columns depend on ' +
            'whatever else the machine runs; the CPU-time columns much less.\n'
        );
      }
      appendFileSync(
        file,
        `\n## ${new Date().toISOString()}\n\n- machine: ${machine}\n- ${corpusLine}\n- ${loadLine}\n\n${table}\n\n${ratios}\n${stages === '' ? '' : `\n${stages}\n`}`
      );
      console.log(`\nappended to ${file}`);
    }
  } finally {
    await loadgen.stop();
  }
}

main().catch((err: unknown) => {
  console.error(
    err instanceof Error ? (err.stack ?? err.message) : String(err)
  );
  process.exitCode = 1;
});
