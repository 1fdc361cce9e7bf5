/**
 * Real peers for e2e tests and the bench: Prometheus (receiver and agent) and
 * vmagent from the Debian packages, each on 127.0.0.1 with a free port and a
 * temporary data dir, stopped by PID. Also a small in-process scrape target
 * and the query/polling helpers the tests share.
 *
 * Nothing here imports vitest: the bench (compiled into dist/) uses it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { stringify as stringifyYaml } from 'yaml';
import { LOOPBACK_HOST, getFreePort } from './free-port.js';

/** Bytes of a peer's output kept for diagnostics (the newest ones). */
const OUTPUT_CAP_BYTES = 256 * 1024;
const READY_POLL_INTERVAL_MS = 100;
const DEFAULT_READY_TIMEOUT_MS = 60_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const PROBE_TIMEOUT_MS = 2_000;

/** A child process we started, with its captured output. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Temporary directory owned by the process; removed on stop. */
  readonly dataDir: string;
  /** Captured stderr (the last OUTPUT_CAP_BYTES). */
  stderr(): string;
  /** Captured stdout (the last OUTPUT_CAP_BYTES). */
  stdout(): string;
  /** Both streams, labelled, for an assertion or error message. */
  diagnostics(): string;
  /** The exit code or signal once the process has ended. */
  exitStatus(): string | undefined;
  /** SIGTERM, then SIGKILL after `timeoutMs`; removes `dataDir`. Idempotent. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface StartProcessOptions {
  name: string;
  command: string;
  args: readonly string[];
  port: number;
  dataDir: string;
  /** Polled until it answers 200. */
  readyUrl: string;
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Remove dataDir on stop (default true). */
  removeDataDir?: boolean;
}

/** Appends to a string buffer, keeping only its newest `cap` characters. */
class TailBuffer {
  private _text = '';
  constructor(private readonly _cap: number) {}
  append(chunk: string): void {
    this._text += chunk;
    if (this._text.length > this._cap)
      this._text = this._text.slice(this._text.length - this._cap);
  }
  toString(): string {
    return this._text;
  }
}

// Children still running; SIGKILLed if the test process exits without
// stopping them, so no peer outlives a crashed test run.
const liveChildren = new Set<ChildProcess>();
let isExitHookInstalled = false;

function installExitHook(): void {
  if (isExitHookInstalled) return;
  isExitHookInstalled = true;
  process.once('exit', () => {
    for (const child of liveChildren) {
      if (
        child.pid !== undefined &&
        child.exitCode === null &&
        child.signalCode === null
      ) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
}

/** Creates a fresh temporary directory, named after `prefix`. */
export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `fleetgate-${prefix}-`));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** GET with a timeout; resolves to the status and body, or undefined when unreachable. */
async function probe(
  url: string
): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve(true);
  return new Promise(resolve => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * Spawns a long-running peer, captures its output and waits until
 * `readyUrl` answers 200. If the process exits or never becomes ready, it is
 * stopped and the error carries its output.
 */
export async function startProcess(
  options: StartProcessOptions
): Promise<ManagedProcess> {
  installExitHook();
  const stdoutBuf = new TailBuffer(OUTPUT_CAP_BYTES);
  const stderrBuf = new TailBuffer(OUTPUT_CAP_BYTES);
  const child = spawn(options.command, options.args, {
    cwd: options.cwd ?? options.dataDir,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveChildren.add(child);
  child.stdout
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => stdoutBuf.append(chunk));
  child.stderr
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => stderrBuf.append(chunk));
  let spawnError: Error | undefined;
  child.once('error', err => {
    spawnError = err;
  });
  child.once('exit', () => liveChildren.delete(child));

  const exitStatus = (): string | undefined => {
    if (child.exitCode !== null) return `exit code ${child.exitCode}`;
    if (child.signalCode !== null) return `signal ${child.signalCode}`;
    return undefined;
  };
  const diagnostics = (): string =>
    `--- ${options.name} (pid ${child.pid ?? '?'}, ${exitStatus() ?? 'running'}) stderr ---\n${stderrBuf.toString()}` +
    `\n--- ${options.name} stdout ---\n${stdoutBuf.toString()}`;

  let stopping: Promise<void> | undefined;
  const stop = (timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<void> => {
    stopping ??= (async () => {
      const pid = child.pid;
      if (pid !== undefined && exitStatus() === undefined) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // exited between the check and the signal
        }
        if (!(await waitForExit(child, timeoutMs))) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // exited just now
          }
          await waitForExit(child, timeoutMs);
        }
      }
      liveChildren.delete(child);
      if (options.removeDataDir !== false) {
        await rm(options.dataDir, {
          recursive: true,
          force: true,
          maxRetries: 3,
        });
      }
    })();
    return stopping;
  };

  const managed: ManagedProcess = {
    name: options.name,
    get pid() {
      return child.pid ?? -1;
    },
    url: `http://${LOOPBACK_HOST}:${options.port}`,
    port: options.port,
    dataDir: options.dataDir,
    stderr: () => stderrBuf.toString(),
    stdout: () => stdoutBuf.toString(),
    diagnostics,
    exitStatus,
    stop,
  };

  const deadline =
    Date.now() + (options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  for (;;) {
    if (spawnError !== undefined) {
      await stop();
      throw new Error(
        `cannot start ${options.name} (${options.command}): ${spawnError.message}`,
        {
          cause: spawnError,
        }
      );
    }
    const status = exitStatus();
    if (status !== undefined) {
      await stop();
      throw new Error(
        `cannot start ${options.name}: it ended (${status}) before ready\n${diagnostics()}`
      );
    }
    const res = await probe(options.readyUrl);
    if (res?.status === 200) return managed;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `cannot start ${options.name}: ${options.readyUrl} not ready after ${options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS} ms` +
          ` (last answer: ${res === undefined ? 'unreachable' : `${res.status} ${res.body.slice(0, 200)}`})\n${diagnostics()}`
      );
    }
    await sleep(READY_POLL_INTERVAL_MS);
  }
}

// ---------------------------------------------------------------------------
// Prometheus

/** Path of a peer binary: env override (e.g. PROMETHEUS_BIN), else the name on PATH. */
function binary(envName: string, fallback: string): string {
  const fromEnv = process.env[envName];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : fallback;
}

export interface PrometheusReceiverOptions {
  /**
   * `storage.tsdb.out_of_order_time_window` (e.g. `8h`): lets a test write
   * hours of history without its shards racing the head's compaction.
   */
  outOfOrderTimeWindow?: string;
  /** `--enable-feature` values, e.g. `native-histograms` (2.42 stores them only with it). */
  features?: readonly string[];
}

/** A Prometheus server that stores what it receives over remote write. */
export async function startPrometheusReceiver(
  options: PrometheusReceiverOptions = {}
): Promise<ManagedProcess> {
  const dataDir = await makeTempDir('prom-receiver');
  const port = await getFreePort();
  const configFile = join(dataDir, 'prometheus.yml');
  // No scrape configs: everything in this TSDB came through remote write.
  const config: Record<string, unknown> = {
    global: { scrape_interval: '15s' },
  };
  if (options.outOfOrderTimeWindow !== undefined)
    config['storage'] = {
      tsdb: { out_of_order_time_window: options.outOfOrderTimeWindow },
    };
  await writeFile(configFile, stringifyYaml(config));
  return startProcess({
    name: 'prometheus-receiver',
    command: binary('PROMETHEUS_BIN', 'prometheus'),
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dataDir, 'tsdb')}`,
      `--web.listen-address=${LOOPBACK_HOST}:${port}`,
      '--web.enable-remote-write-receiver',
      '--storage.tsdb.retention.time=1d',
      '--log.level=warn',
      ...(options.features ?? []).map(f => `--enable-feature=${f}`),
    ],
    port,
    dataDir,
    readyUrl: `http://${LOOPBACK_HOST}:${port}/-/ready`,
  });
}

export interface PrometheusAgentOptions {
  /** `host:port` targets scraped at /metrics. */
  scrapeTargets: readonly string[];
  remoteWriteUrl: string;
  /** Sent as `Authorization: Bearer <token>`. */
  bearerToken: string;
  /** Prometheus `global.external_labels`. */
  externalLabels?: Readonly<Record<string, string>>;
  /** `labels` on the static_configs entry (target labels). */
  extraScrapeConfigLabels?: Readonly<Record<string, string>>;
  /** Scrape job name (default `e2e-target`). */
  jobName?: string;
  /** Default `1s`. */
  scrapeInterval?: string;
}

/**
 * Prometheus in agent mode: scrapes `scrapeTargets` every second and remote
 * writes with a short batch deadline so tests see data within seconds.
 */
export async function startPrometheusAgent(
  options: PrometheusAgentOptions
): Promise<ManagedProcess> {
  const dataDir = await makeTempDir('prom-agent');
  const port = await getFreePort();
  const configFile = join(dataDir, 'agent.yml');
  const interval = options.scrapeInterval ?? '1s';
  const staticConfig: Record<string, unknown> = {
    targets: [...options.scrapeTargets],
  };
  if (options.extraScrapeConfigLabels !== undefined)
    staticConfig['labels'] = { ...options.extraScrapeConfigLabels };
  const global: Record<string, unknown> = {
    scrape_interval: interval,
    scrape_timeout: interval,
  };
  if (options.externalLabels !== undefined)
    global['external_labels'] = { ...options.externalLabels };
  const config = {
    global,
    scrape_configs: [
      {
        job_name: options.jobName ?? 'e2e-target',
        scrape_interval: interval,
        scrape_timeout: interval,
        static_configs: [staticConfig],
      },
    ],
    remote_write: [
      {
        url: options.remoteWriteUrl,
        authorization: { type: 'Bearer', credentials: options.bearerToken },
        // Small batches sent quickly, short backoff: data shows up within a
        // second or two, and a retried 5xx does not stall the test.
        queue_config: {
          batch_send_deadline: '200ms',
          max_samples_per_send: 500,
          min_shards: 1,
          max_shards: 2,
          min_backoff: '50ms',
          max_backoff: '1s',
        },
      },
    ],
  };
  await writeFile(configFile, stringifyYaml(config));
  return startProcess({
    name: 'prometheus-agent',
    command: binary('PROMETHEUS_BIN', 'prometheus'),
    args: [
      '--enable-feature=agent',
      `--config.file=${configFile}`,
      `--storage.agent.path=${join(dataDir, 'wal')}`,
      `--web.listen-address=${LOOPBACK_HOST}:${port}`,
      '--log.level=info',
    ],
    port,
    dataDir,
    readyUrl: `http://${LOOPBACK_HOST}:${port}/-/ready`,
  });
}

// ---------------------------------------------------------------------------
// vmagent

export interface VmagentOptions {
  remoteWriteUrl: string;
  /** YAML of `-remoteWrite.relabelConfig` (global relabeling); none when absent. */
  relabelConfigYaml?: string;
  extraArgs?: readonly string[];
}

/** vmagent accepting remote write at `<url>/api/v1/write` and forwarding to `remoteWriteUrl`. */
export async function startVmagent(
  options: VmagentOptions
): Promise<ManagedProcess> {
  const dataDir = await makeTempDir('vmagent');
  const port = await getFreePort();
  const args = [
    `-httpListenAddr=${LOOPBACK_HOST}:${port}`,
    `-remoteWrite.url=${options.remoteWriteUrl}`,
    `-remoteWrite.tmpDataPath=${join(dataDir, 'queue')}`,
    '-loggerLevel=WARN',
  ];
  if (options.relabelConfigYaml !== undefined) {
    const relabelFile = join(dataDir, 'relabel.yml');
    await writeFile(relabelFile, options.relabelConfigYaml);
    args.push(`-remoteWrite.relabelConfig=${relabelFile}`);
  }
  if (options.extraArgs !== undefined) args.push(...options.extraArgs);
  return startProcess({
    name:
      options.relabelConfigYaml === undefined ? 'vmagent' : 'vmagent-relabel',
    command: binary('VMAGENT_BIN', 'vmagent'),
    args,
    port,
    dataDir,
    readyUrl: `http://${LOOPBACK_HOST}:${port}/health`,
  });
}

/** Runs a command and resolves to its trimmed output ('' when it cannot run). */
function commandOutput(
  command: string,
  args: readonly string[]
): Promise<string> {
  return new Promise(resolve => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.once('error', () => resolve(''));
    child.once('exit', () => resolve(out.trim()));
  });
}

/**
 * vmagent's version: `vmagent -version`, or (Debian builds print nothing
 * there) the victoria-metrics package version; undefined when neither works.
 */
export async function vmagentVersion(): Promise<string | undefined> {
  const own =
    (await commandOutput(binary('VMAGENT_BIN', 'vmagent'), ['-version'])).split(
      '\n'
    )[0] ?? '';
  if (own !== '') return own;
  const pkg = await commandOutput('dpkg-query', [
    '-W',
    '-f=${Version}',
    'victoria-metrics',
  ]);
  return pkg !== '' && !pkg.includes('no packages')
    ? `${pkg} (Debian package victoria-metrics)`
    : undefined;
}

// ---------------------------------------------------------------------------
// Queries and polling

/** One element of an instant-vector result. */
export interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Runs an instant query against a Prometheus server's HTTP API, at `atMs` when given (else now). */
export async function queryPrometheus(
  baseUrl: string,
  promql: string,
  atMs?: number
): Promise<InstantSample[]> {
  let url = `${baseUrl}/api/v1/query?query=${encodeURIComponent(promql)}`;
  if (atMs !== undefined) url += `&time=${(atMs / 1000).toFixed(3)}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: {
    status?: string;
    error?: string;
    data?: { resultType?: string; result?: unknown };
  };
  try {
    body = JSON.parse(text) as typeof body;
  } catch (err) {
    throw new Error(
      `cannot query ${baseUrl}: ${res.status} answer is not JSON: ${text.slice(0, 200)}`,
      { cause: err }
    );
  }
  if (res.status !== 200 || body.status !== 'success') {
    throw new Error(
      `cannot query ${baseUrl} for ${promql}: ${res.status} ${body.error ?? text.slice(0, 200)}`
    );
  }
  if (body.data?.resultType !== 'vector') {
    throw new Error(
      `cannot query ${baseUrl} for ${promql}: want a vector, got ${body.data?.resultType ?? 'nothing'}`
    );
  }
  return body.data.result as InstantSample[];
}

/** Series values keyed by sample name (with labels), parsed from Prometheus text exposition. */
export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition (enough for our peers' /metrics pages). */
export function parseExposition(text: string): ExpositionSample[] {
  const out: ExpositionSample[] = [];
  const lineRe = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
  const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = lineRe.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const lm of (m[3] ?? '').matchAll(labelRe))
      labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_s, c: string) =>
        c === 'n' ? '\n' : c
      );
    out.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return out;
}

/** Fetches and parses a peer's /metrics page. */
export async function scrapeMetrics(
  baseUrl: string
): Promise<ExpositionSample[]> {
  const res = await fetch(`${baseUrl}/metrics`, {
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 200)
    throw new Error(`cannot scrape ${baseUrl}/metrics: ${res.status}`);
  return parseExposition(await res.text());
}

/** Sum of every sample of `name` on a parsed page (0 when absent). */
export function sumMetric(
  samples: readonly ExpositionSample[],
  name: string
): number {
  let total = 0;
  for (const s of samples) if (s.name === name) total += s.value;
  return total;
}

export interface WaitForOptions {
  intervalMs?: number;
  /** Says what was awaited, for the timeout error. */
  description?: string;
}

/**
 * Polls `fn` until it returns something other than undefined/false/null,
 * and returns that. Errors thrown by `fn` count as "not yet"; the last one is
 * reported if the time runs out.
 */
export async function waitFor<T>(
  fn: () =>
    Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs: number,
  options: WaitForOptions = {}
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const interval = options.intervalMs ?? 250;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false)
        return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = options.description ?? 'condition';
      const why =
        lastError === undefined
          ? ''
          : `: last error: ${lastError instanceof Error ? lastError.message : inspect(lastError)}`;
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${why}`,
        { cause: lastError }
      );
    }
    await sleep(interval);
  }
}

// ---------------------------------------------------------------------------
// A local scrape target

export interface ScrapeTargetOptions {
  /** Prefix of every metric name (default `fleetgate_e2e`). */
  prefix?: string;
  /** Value of the `k8s_cluster` alias label on the gauge (default `prod-eu`). */
  aliasCluster?: string;
}

export interface ScrapeTarget {
  /** `127.0.0.1:<port>`, as a Prometheus target. */
  readonly target: string;
  readonly url: string;
  /** Every sample name the page exposes (histogram: _bucket, _sum, _count). */
  readonly sampleNames: readonly string[];
  /** Label names that alias the cluster and must not survive normalization. */
  readonly aliasLabelNames: readonly string[];
  /** Times the page was served. */
  scrapes(): number;
  stop(): Promise<void>;
}

const HISTOGRAM_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * An HTTP server on 127.0.0.1 (port 0) serving text exposition with a
 * counter, a gauge carrying `k8s_cluster`, a gauge carrying `cluster_name`
 * and a histogram; values move on every scrape.
 */
export async function startScrapeTarget(
  options: ScrapeTargetOptions = {}
): Promise<ScrapeTarget> {
  const p = options.prefix ?? 'fleetgate_e2e';
  const aliasCluster = options.aliasCluster ?? 'prod-eu';
  let served = 0;
  const render = (): string => {
    served++;
    const n = served;
    const lines: string[] = [
      `# HELP ${p}_http_requests_total Requests handled.`,
      `# TYPE ${p}_http_requests_total counter`,
      `${p}_http_requests_total{code="200",method="GET"} ${n * 10}`,
      `${p}_http_requests_total{code="500",method="GET"} ${n}`,
      `# HELP ${p}_queue_depth Items waiting.`,
      `# TYPE ${p}_queue_depth gauge`,
      `${p}_queue_depth{queue="orders",k8s_cluster="${aliasCluster}"} ${n % 7}`,
      `# HELP ${p}_build_info Build information.`,
      `# TYPE ${p}_build_info gauge`,
      `${p}_build_info{version="1.2.3",cluster_name="${aliasCluster}"} 1`,
      `# HELP ${p}_request_duration_seconds Request latency.`,
      `# TYPE ${p}_request_duration_seconds histogram`,
    ];
    let cumulative = 0;
    for (let i = 0; i < HISTOGRAM_BOUNDS.length; i++) {
      cumulative += n * (i + 1);
      lines.push(
        `${p}_request_duration_seconds_bucket{le="${HISTOGRAM_BOUNDS[i]}"} ${cumulative}`
      );
    }
    lines.push(
      `${p}_request_duration_seconds_bucket{le="+Inf"} ${cumulative + n}`
    );
    lines.push(`${p}_request_duration_seconds_sum ${(n * 1.5).toFixed(3)}`);
    lines.push(`${p}_request_duration_seconds_count ${cumulative + n}`);
    return lines.join('\n') + '\n';
  };

  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res
      .writeHead(200, {
        'content-type': 'text/plain; version=0.0.4; charset=utf-8',
      })
      .end(render());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    target: `${LOOPBACK_HOST}:${port}`,
    url: `http://${LOOPBACK_HOST}:${port}/metrics`,
    sampleNames: [
      `${p}_http_requests_total`,
      `${p}_queue_depth`,
      `${p}_build_info`,
      `${p}_request_duration_seconds_bucket`,
      `${p}_request_duration_seconds_sum`,
      `${p}_request_duration_seconds_count`,
    ],
    aliasLabelNames: ['k8s_cluster', 'cluster_name'],
    scrapes: () => served,
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
