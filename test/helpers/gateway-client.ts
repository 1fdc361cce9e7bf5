/**
 * Talking to running gateway processes from integration tests: remote write
 * 1.0 requests that never throw (outcomes are values, so a background load
 * can count failures), /metrics values picked by labels, readiness, the
 * cardinality API, and what a private redis-server holds for the gateways
 * (HyperLogLog counts, HA elections).
 *
 * Nothing here imports vitest.
 */
import { performance } from 'node:perf_hooks';
import { snappyCompress } from '../../src/protocol/wire/index.js';
import { scrapeMetrics, type ExpositionSample } from './peers.js';
import { redisCli } from './redis-server.js';
import { encodeV1Request } from './remote-write-reference.js';

const V1_CONTENT_TYPE = 'application/x-protobuf';
const DEFAULT_WRITE_TIMEOUT_MS = 15_000;
const API_TIMEOUT_MS = 10_000;

/** One series of a write: its labels (`__name__` included) and one sample. */
export interface SeriesSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** ms since the epoch; default the send time. */
  readonly timestampMs?: number;
}

/** How one write ended: a status, or 0 and `error` when no answer came. */
export interface WriteOutcome {
  readonly status: number;
  readonly body: string;
  readonly durationMs: number;
  /** When the request was sent (Date.now()). */
  readonly sentAtMs: number;
  readonly error?: string;
}

/** Encodes `series` as a snappy-compressed remote write 1.0 body. */
export function encodeWriteBody(
  series: readonly SeriesSample[],
  nowMs: number
): Uint8Array {
  return snappyCompress(
    encodeV1Request({
      timeseries: series.map(s => ({
        labels: Object.entries(s.labels).map(([name, value]) => ({
          name,
          value,
        })),
        samples: [{ value: s.value, timestamp: s.timestampMs ?? nowMs }],
      })),
    })
  );
}

/**
 * POSTs `series` to `baseUrl`/api/v1/write as remote write 1.0 with a bearer
 * token. Never rejects: a network error or timeout is status 0 with `error`.
 */
export async function remoteWrite(
  baseUrl: string,
  token: string,
  series: readonly SeriesSample[],
  timeoutMs = DEFAULT_WRITE_TIMEOUT_MS
): Promise<WriteOutcome> {
  const sentAtMs = Date.now();
  const start = performance.now();
  try {
    const res = await fetch(`${baseUrl}/api/v1/write`, {
      method: 'POST',
      body: encodeWriteBody(series, sentAtMs),
      headers: {
        'Content-Type': V1_CONTENT_TYPE,
        'Content-Encoding': 'snappy',
        'X-Prometheus-Remote-Write-Version': '0.1.0',
        Authorization: `Bearer ${token}`,
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.text();
    return {
      status: res.status,
      body,
      durationMs: performance.now() - start,
      sentAtMs,
    };
  } catch (err) {
    return {
      status: 0,
      body: '',
      durationMs: performance.now() - start,
      sentAtMs,
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

/**
 * Sum of the samples of `name` whose labels include every pair of
 * `labels` (0 when there are none).
 */
export function metricValue(
  samples: readonly ExpositionSample[],
  name: string,
  labels: Readonly<Record<string, string>> = {}
): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    let matches = true;
    for (const key of Object.keys(labels)) {
      if (s.labels[key] !== labels[key]) {
        matches = false;
        break;
      }
    }
    if (matches) total += s.value;
  }
  return total;
}

/** Scrapes `baseUrl`/metrics and returns one value (see metricValue). */
export async function scrapeValue(
  baseUrl: string,
  name: string,
  labels: Readonly<Record<string, string>> = {}
): Promise<number> {
  return metricValue(await scrapeMetrics(baseUrl), name, labels);
}

/** GET `baseUrl`/-/ready: its status and body. */
export async function readiness(
  baseUrl: string
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${baseUrl}/-/ready`, {
    signal: AbortSignal.timeout(API_TIMEOUT_MS),
  });
  return { status: res.status, body: await res.text() };
}

/** GETs `url` and parses its JSON body; throws unless the status is 200. */
export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(API_TIMEOUT_MS) });
  const text = await res.text();
  if (res.status !== 200)
    throw new Error(`cannot get ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** One metric of `GET /api/v1/cardinality/metrics`. */
export interface MetricCardinalityEntry {
  metric: string;
  series: number;
  limit: number;
  utilization: number | null;
  dropped_series: number;
}

/** `GET /api/v1/cardinality/metrics?cluster=…` and `label_names?cluster=…` of one gateway. */
export interface CardinalityAnswers {
  metrics: {
    status: string;
    data: { cluster: string | null; metrics: MetricCardinalityEntry[] };
  };
  labelNames: {
    label_values_count_total: number;
    label_names_count: number;
    cardinality: { label_name: string; label_values_count: number }[];
  };
}

/** Reads the cardinality API's metrics and label names for `cluster`. */
export async function readCardinality(
  baseUrl: string,
  cluster: string
): Promise<CardinalityAnswers> {
  const c = encodeURIComponent(cluster);
  const [metrics, labelNames] = await Promise.all([
    getJson<CardinalityAnswers['metrics']>(
      `${baseUrl}/api/v1/cardinality/metrics?cluster=${c}`
    ),
    getJson<CardinalityAnswers['labelNames']>(
      `${baseUrl}/api/v1/cardinality/label_names?cluster=${c}&limit=500`
    ),
  ]);
  return { metrics, labelNames };
}

/** Keys of a private redis-server matching a glob pattern (SCAN). */
export async function redisKeys(
  port: number,
  pattern: string
): Promise<string[]> {
  const out = await redisCli(port, ['--scan', '--pattern', pattern]);
  return out.split('\n').filter(line => line !== '');
}

/**
 * PFCOUNT over every active-series bucket of `cluster` under `keyPrefix`:
 * the union the gateways read as the cluster's shared count (state-keys.ts).
 */
export async function sharedClusterSeries(
  port: number,
  keyPrefix: string,
  cluster: string
): Promise<number> {
  const keys = await redisKeys(
    port,
    `${keyPrefix}:{c:${cluster}}:hll:series:*`
  );
  if (keys.length === 0) return 0;
  return Number((await redisCli(port, ['pfcount', ...keys])).trim());
}

/** The HA leader Redis holds for `cluster` (undefined when none). */
export async function sharedHaLeader(
  port: number,
  keyPrefix: string,
  cluster: string
): Promise<string | undefined> {
  const out = await redisCli(port, [
    'hget',
    `${keyPrefix}:{c:${cluster}}:ha`,
    'leader',
  ]);
  const leader = out.trim();
  return leader === '' ? undefined : leader;
}
