/**
 * The bench's load generator, run as its own child process
 * (`node dist/bench/loadgen.js`) so its CPU is not counted as the system
 * under test's. Over IPC it takes:
 *   {type:'init', requestsPerCluster, seriesPerRequest}  → {type:'ready', …corpus facts}
 *   {type:'run', …RunSpec}                                → {type:'result', …RunResult}
 *   {type:'soak', …SoakSpec}                              → {type:'tick', …SoakTick} per interval, then {type:'soak-done'}
 * A run keeps `concurrency` keep-alive requests in flight until it has sent
 * `maxRequests` or `maxDurationMs` has passed, whichever comes first. A
 * soak is open-loop: it sends at a fixed rate whatever the answers, so
 * latency is measured at a load the gateway does not set itself.
 */
import { Agent, request } from 'node:http';
import { ProtobufWriter } from '../src/protocol/wire/index.js';
import {
  BENCH_CLUSTERS,
  benchClusters,
  describeLabelCounts,
  generateClusterSeries,
  type BenchCluster,
  type BenchSeries,
} from './k8s-corpus.js';
import {
  makeTemplate,
  stampAndCompress,
  type WriteRequestTemplate,
} from './remote-write-template.js';

export interface InitMessage {
  type: 'init';
  requestsPerCluster: number;
  seriesPerRequest: number;
  /** Simulated clusters (default the ten of BENCH_CLUSTERS). */
  clusters?: number;
}

export interface ReadyMessage {
  type: 'ready';
  templates: number;
  seriesPerRequest: number;
  activeSeries: number;
  uncompressedBytesPerRequest: number;
  compressedBytesPerRequest: number;
  labelsPerSeries: { min: number; max: number; mean: number };
  metricNames: string[];
}

export interface RunSpec {
  /** Full URL of the write endpoint. */
  url: string;
  /** Send `Authorization: Bearer <token of the body's cluster>`. */
  withClusterTokens: boolean;
  concurrency: number;
  maxRequests: number;
  maxDurationMs: number;
}

export interface RunMessage extends RunSpec {
  type: 'run';
}

/** An open-loop soak: `samplesPerSecond` offered for `durationMs`, reported every `intervalMs`. */
export interface SoakSpec {
  url: string;
  withClusterTokens: boolean;
  samplesPerSecond: number;
  durationMs: number;
  intervalMs: number;
  /** Requests in flight at most; past it the schedule waits (and falls behind). */
  maxInFlight: number;
}

export interface SoakMessage extends SoakSpec {
  type: 'soak';
}

/** What one soak interval saw (requests that ended in it). */
export interface SoakTick {
  type: 'tick';
  index: number;
  requests: number;
  okRequests: number;
  acceptedSamples: number;
  latencyMsP50: number;
  latencyMsP99: number;
  lastError: string;
  /** How far behind its schedule a send in this interval went out, at most. */
  behindMs: number;
}

export interface RunResult {
  type: 'result';
  requests: number;
  okRequests: number;
  /** Samples in 2xx-answered requests. */
  acceptedSamples: number;
  statusCounts: Record<string, number>;
  lastError: string;
  bytesSent: number;
  elapsedMs: number;
  latencyMsP50: number;
  latencyMsP99: number;
}

const REQUEST_TIMEOUT_MS = 30_000;
const MAX_RETRY_AFTER_MS = 1000;

let templates: WriteRequestTemplate[] = [];
let clusters: readonly BenchCluster[] = BENCH_CLUSTERS;

function init(msg: InitMessage): ReadyMessage {
  const now = Date.now();
  const writer = new ProtobufWriter(1024 * 1024);
  clusters = benchClusters(msg.clusters ?? BENCH_CLUSTERS.length);
  const perCluster: BenchSeries[][] = clusters.map((_, c) =>
    generateClusterSeries(
      c,
      msg.requestsPerCluster * msg.seriesPerRequest,
      clusters
    )
  );
  const all: BenchSeries[] = perCluster.flat();
  const names = new Set<string>();
  for (const s of all) names.add(s.labels[1]!);
  // Interleave clusters, so consecutive requests come from different clusters
  // as they would from a fleet.
  templates = [];
  for (let r = 0; r < msg.requestsPerCluster; r++) {
    for (let c = 0; c < perCluster.length; c++) {
      const chunk = perCluster[c]!.slice(
        r * msg.seriesPerRequest,
        (r + 1) * msg.seriesPerRequest
      );
      templates.push(makeTemplate(chunk, c, now, writer));
    }
  }
  let uncompressed = 0;
  let compressed = 0;
  for (const t of templates) {
    uncompressed += t.body.length;
    compressed += stampAndCompress(t, now).length;
  }
  return {
    type: 'ready',
    templates: templates.length,
    seriesPerRequest: msg.seriesPerRequest,
    activeSeries: all.length,
    uncompressedBytesPerRequest: Math.round(uncompressed / templates.length),
    compressedBytesPerRequest: Math.round(compressed / templates.length),
    labelsPerSeries: describeLabelCounts(all),
    metricNames: [...names].sort(),
  };
}

function post(
  agent: Agent,
  url: URL,
  body: Uint8Array,
  token: string | undefined
): Promise<{ status: number; retryAfterMs: number; error: string }> {
  return new Promise(resolve => {
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      'User-Agent': 'fleetgate-bench/0.1',
      'Content-Length': body.length,
    };
    if (token !== undefined) headers['Authorization'] = `Bearer ${token}`;
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'POST',
        headers,
        timeout: REQUEST_TIMEOUT_MS,
      },
      res => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (text.length < 512) text += c;
        });
        res.on('end', () => {
          const retryAfter = Number(res.headers['retry-after']);
          resolve({
            status: res.statusCode ?? 0,
            retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : 0,
            error:
              (res.statusCode ?? 0) >= 300
                ? `${res.statusCode}: ${text.trim()}`
                : '',
          });
        });
      }
    );
    req.on('timeout', () =>
      req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`))
    );
    req.on('error', err =>
      resolve({ status: 0, retryAfterMs: 100, error: err.message })
    );
    req.end(body);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[
    Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))
  ]!;
}

async function run(spec: RunSpec): Promise<RunResult> {
  if (templates.length === 0)
    throw new Error('cannot run: no corpus (send init first)');
  const url = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const started = Date.now();
  const deadline = started + spec.maxDurationMs;
  const result: RunResult = {
    type: 'result',
    requests: 0,
    okRequests: 0,
    acceptedSamples: 0,
    statusCounts: {},
    lastError: '',
    bytesSent: 0,
    elapsedMs: 0,
    latencyMsP50: 0,
    latencyMsP99: 0,
  };
  const latencies: number[] = [];
  let issued = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (issued >= spec.maxRequests || Date.now() >= deadline) return;
      const template = templates[issued % templates.length]!;
      issued++;
      const body = stampAndCompress(template, Date.now());
      const token = spec.withClusterTokens
        ? clusters[template.clusterIndex]!.token
        : undefined;
      const t0 = performance.now();
      const answer = await post(agent, url, body, token);
      latencies.push(performance.now() - t0);
      result.requests++;
      result.bytesSent += body.length;
      const key = String(answer.status);
      result.statusCounts[key] = (result.statusCounts[key] ?? 0) + 1;
      if (answer.status >= 200 && answer.status < 300) {
        result.okRequests++;
        result.acceptedSamples += template.samples;
      } else {
        result.lastError = answer.error;
        // A retryable refusal (429/503) says back off; honour it, bounded.
        if (
          answer.status === 0 ||
          answer.status === 429 ||
          answer.status >= 500
        ) {
          await new Promise(r =>
            setTimeout(
              r,
              Math.min(MAX_RETRY_AFTER_MS, Math.max(answer.retryAfterMs, 50))
            )
          );
        }
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, () => worker()));
  agent.destroy();
  result.elapsedMs = Date.now() - started;
  latencies.sort((a, b) => a - b);
  result.latencyMsP50 = percentile(latencies, 50);
  result.latencyMsP99 = percentile(latencies, 99);
  return result;
}

/**
 * Sends one template every 1 / (samplesPerSecond / samples per request)
 * seconds, cycling through the corpus, and reports each interval.
 */
async function soak(spec: SoakSpec): Promise<void> {
  if (templates.length === 0)
    throw new Error('cannot soak: no corpus (send init first)');
  const url = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.maxInFlight });
  const samplesPerRequest = templates[0]!.samples;
  const gapMs = (1000 * samplesPerRequest) / spec.samplesPerSecond;
  const started = performance.now();
  const ends = started + spec.durationMs;
  let tick = newTick(0);
  let latencies: number[] = [];
  let nextTickAt = started + spec.intervalMs;
  let inFlight = 0;
  let slotFreed: (() => void) | undefined;
  const pending = new Set<Promise<void>>();
  const flushTick = (): void => {
    latencies.sort((a, b) => a - b);
    tick.latencyMsP50 = percentile(latencies, 50);
    tick.latencyMsP99 = percentile(latencies, 99);
    reply(tick);
    tick = newTick(tick.index + 1);
    latencies = [];
    nextTickAt += spec.intervalMs;
  };
  for (let k = 0; ; k++) {
    const scheduledAt = started + k * gapMs;
    if (scheduledAt >= ends) break;
    const wait = scheduledAt - performance.now();
    if (wait > 0) await new Promise(r => setTimeout(r, wait));
    while (inFlight >= spec.maxInFlight)
      await new Promise<void>(r => (slotFreed = r));
    while (performance.now() >= nextTickAt) flushTick();
    tick.behindMs = Math.max(tick.behindMs, performance.now() - scheduledAt);
    const template = templates[k % templates.length]!;
    const body = stampAndCompress(template, Date.now());
    const token = spec.withClusterTokens
      ? clusters[template.clusterIndex]!.token
      : undefined;
    inFlight++;
    const t0 = performance.now();
    const sent = post(agent, url, body, token).then(answer => {
      inFlight--;
      latencies.push(performance.now() - t0);
      tick.requests++;
      if (answer.status >= 200 && answer.status < 300) {
        tick.okRequests++;
        tick.acceptedSamples += template.samples;
      } else tick.lastError = answer.error;
      const wake = slotFreed;
      slotFreed = undefined;
      wake?.();
    });
    pending.add(sent);
    void sent.finally(() => pending.delete(sent));
  }
  await Promise.all(pending);
  // The last interval, and any the schedule skipped past, are reported too.
  while (tick.index * spec.intervalMs < spec.durationMs) flushTick();
  agent.destroy();
  reply({ type: 'soak-done' });
}

function newTick(index: number): SoakTick {
  return {
    type: 'tick',
    index,
    requests: 0,
    okRequests: 0,
    acceptedSamples: 0,
    latencyMsP50: 0,
    latencyMsP99: 0,
    lastError: '',
    behindMs: 0,
  };
}

function reply(message: unknown): void {
  if (process.send !== undefined) process.send(message);
}

process.on('message', (raw: unknown) => {
  const msg = raw as InitMessage | RunMessage | SoakMessage;
  try {
    if (msg.type === 'init') reply(init(msg));
    else if (msg.type === 'soak') {
      soak(msg).catch((err: unknown) =>
        reply({
          type: 'error',
          error: err instanceof Error ? err.message : String(err),
        })
      );
    } else {
      run(msg).then(reply, (err: unknown) =>
        reply({
          type: 'error',
          error: err instanceof Error ? err.message : String(err),
        })
      );
    }
  } catch (err) {
    reply({
      type: 'error',
      error: err instanceof Error ? err.message : String(err),
    });
  }
});
process.on('disconnect', () => process.exit(0));
