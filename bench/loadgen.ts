/**
 * The bench's load generator, run as its own child process
 * (`node dist/bench/loadgen.js`) so its CPU is not counted as the system
 * under test's. Over IPC it takes:
 *   {type:'init', requestsPerCluster, seriesPerRequest}  → {type:'ready', …corpus facts}
 *   {type:'run', …RunSpec}                                → {type:'result', …RunResult}
 * A run keeps `concurrency` keep-alive requests in flight until it has sent
 * `maxRequests` or `maxDurationMs` has passed, whichever comes first.
 */
import { Agent, request } from 'node:http';
import { ProtobufWriter } from '../src/protocol/wire/index.js';
import {
  BENCH_CLUSTERS,
  describeLabelCounts,
  generateClusterSeries,
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

function init(msg: InitMessage): ReadyMessage {
  const now = Date.now();
  const writer = new ProtobufWriter(1024 * 1024);
  const perCluster: BenchSeries[][] = BENCH_CLUSTERS.map((_, c) =>
    generateClusterSeries(c, msg.requestsPerCluster * msg.seriesPerRequest)
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
        ? BENCH_CLUSTERS[template.clusterIndex]!.token
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

function reply(message: unknown): void {
  if (process.send !== undefined) process.send(message);
}

process.on('message', (raw: unknown) => {
  const msg = raw as InitMessage | RunMessage;
  try {
    if (msg.type === 'init') reply(init(msg));
    else {
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
