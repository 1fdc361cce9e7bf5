/**
 * The hostile but plausible inputs of issue 11 ("What we measured"), sent to
 * a running gateway as a prologue before a fault: a 1 MiB and a 10 MiB label
 * value, 100,000 series in one request, an OTLP/JSON request with 10^6
 * attributes, uploads aborted mid-body, and slow-header and slow-body
 * connections (kept open, trickling, until `stop`). Meanwhile `/-/healthy`
 * is polled; every probe that goes unanswered is recorded.
 *
 * Every series here is named `EXTREME_METRIC_PREFIX…`, so a downstream can
 * tell them from a test's own samples. Nothing here imports vitest.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { snappyCompress } from '../../src/protocol/index.js';
import { LOOPBACK_HOST } from './free-port.js';
import { sleep } from './peers.js';
import { encodeV1Request } from './remote-write-reference.js';

const gzipAsync = promisify(gzip);

export const EXTREME_METRIC_PREFIX = 'fault_extreme_';
/** The outcome name of the OTLP request with 10^6 attributes. */
export const MANY_ATTRIBUTES_PROBE = 'OTLP 10^6 attributes';

const MiB = 1024 * 1024;
const OTLP_ATTRIBUTES = 1_000_000;
const SERIES_IN_BIG_REQUEST = 100_000;
const ABORTED_UPLOADS = 10;
const SLOW_CONNECTIONS = 10;
const HEALTH_PROBE_INTERVAL_MS = 250;
/** A probe of `/-/healthy` slower than this counts as unanswered. */
export const HEALTH_PROBE_TIMEOUT_MS = 5_000;
/** Consecutive unanswered probes after which the gateway counts as frozen. */
const FROZEN_AFTER_PROBES = 3;
const REQUEST_TIMEOUT_MS = 60_000;
const TRICKLE_INTERVAL_MS = 2_000;

/** The request bodies, built once per test file (the OTLP one takes seconds). */
export interface ExtremeBodies {
  readonly labelValue1MiB: Uint8Array;
  readonly labelValue10MiB: Uint8Array;
  readonly series100k: Uint8Array;
  /** gzip of OTLP/JSON with 10^6 resource attributes. */
  readonly otlpAttributes1M: Uint8Array;
}

function hugeLabelValueBody(bytes: number, nowMs: number): Uint8Array {
  return snappyCompress(
    encodeV1Request({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: `${EXTREME_METRIC_PREFIX}label_value` },
            { name: 'huge', value: 'x'.repeat(bytes) },
          ],
          samples: [{ value: 1, timestamp: nowMs }],
        },
      ],
    })
  );
}

function manySeriesBody(nowMs: number): Uint8Array {
  const timeseries = [];
  for (let i = 0; i < SERIES_IN_BIG_REQUEST; i++) {
    timeseries.push({
      labels: [
        { name: '__name__', value: `${EXTREME_METRIC_PREFIX}many_series` },
        { name: 'i', value: String(i) },
      ],
      samples: [{ value: i, timestamp: nowMs }],
    });
  }
  return snappyCompress(encodeV1Request({ timeseries }));
}

async function manyAttributesBody(nowMs: number): Promise<Uint8Array> {
  const attributes: string[] = [];
  for (let i = 0; i < OTLP_ATTRIBUTES; i++)
    attributes.push(`{"key":"attr_${i}","value":{"stringValue":"v${i % 10}"}}`);
  const json =
    `{"resourceMetrics":[{"resource":{"attributes":[${attributes.join(',')}]},` +
    `"scopeMetrics":[{"scope":{"name":"fault-matrix"},"metrics":[{"name":"${EXTREME_METRIC_PREFIX}otlp",` +
    `"gauge":{"dataPoints":[{"asDouble":1,"timeUnixNano":"${BigInt(nowMs) * 1_000_000n}"}]}}]}]}]}`;
  return new Uint8Array(await gzipAsync(json));
}

/** Builds the bodies (timestamps: now; fine for a test run's length). */
export async function buildExtremeBodies(): Promise<ExtremeBodies> {
  const nowMs = Date.now();
  return {
    labelValue1MiB: hugeLabelValueBody(MiB, nowMs),
    labelValue10MiB: hugeLabelValueBody(10 * MiB, nowMs),
    series100k: manySeriesBody(nowMs),
    otlpAttributes1M: await manyAttributesBody(nowMs),
  };
}

/** How one probe request ended. */
export interface ProbeOutcome {
  readonly name: string;
  /** HTTP status, or 0 when no answer came. */
  readonly status: number;
  readonly durationMs: number;
  readonly body: string;
}

export interface ExtremeInputsReport {
  readonly outcomes: readonly ProbeOutcome[];
  /** `/-/healthy` probes that were not answered 200 in time, with when. */
  readonly healthFailures: readonly string[];
  /** True when the gateway stopped answering `/-/healthy` and the prologue gave up. */
  readonly isFrozen: boolean;
}

/** Slow-header and slow-body connections, trickling until stopped. */
export interface SlowConnections {
  /** How many the gateway has closed so far (reaped). */
  closedByServer(): number;
  readonly opened: number;
  stop(): void;
}

/** Watches `/-/healthy` until stopped; tells when it looks frozen. */
class HealthWatch {
  readonly failures: string[] = [];
  private _consecutive = 0;
  private _isRunning = true;
  private readonly _loop: Promise<void>;
  private readonly _startedAt = performance.now();

  constructor(private readonly _url: string) {
    this._loop = this._run();
  }

  isFrozen(): boolean {
    return this._consecutive >= FROZEN_AFTER_PROBES;
  }

  async stop(): Promise<void> {
    this._isRunning = false;
    await this._loop;
  }

  private async _run(): Promise<void> {
    while (this._isRunning) {
      const at = Math.round(performance.now() - this._startedAt);
      let problem: string | undefined;
      try {
        const res = await fetch(`${this._url}/-/healthy`, {
          signal: AbortSignal.timeout(HEALTH_PROBE_TIMEOUT_MS),
        });
        await res.arrayBuffer();
        if (res.status !== 200) problem = `status ${res.status}`;
      } catch (err) {
        problem = err instanceof Error ? err.message : String(err);
      }
      if (problem === undefined) this._consecutive = 0;
      else {
        this._consecutive++;
        this.failures.push(`at ${at} ms: ${problem}`);
      }
      await sleep(HEALTH_PROBE_INTERVAL_MS);
    }
  }
}

async function post(
  name: string,
  url: string,
  headers: Record<string, string>,
  body: Uint8Array,
  watch: HealthWatch
): Promise<ProbeOutcome> {
  const started = performance.now();
  const abort = new AbortController();
  // Give up as soon as the gateway looks frozen: waiting on it only burns CPU.
  const frozenCheck = setInterval(() => {
    if (watch.isFrozen()) abort.abort(new Error('the gateway looks frozen'));
  }, HEALTH_PROBE_INTERVAL_MS);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.any([
        abort.signal,
        AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      ]),
    });
    const text = await res.text();
    return {
      name,
      status: res.status,
      durationMs: performance.now() - started,
      body: text.slice(0, 300),
    };
  } catch (err) {
    return {
      name,
      status: 0,
      durationMs: performance.now() - started,
      body: err instanceof Error ? err.message : String(err),
    };
  } finally {
    clearInterval(frozenCheck);
  }
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: LOOPBACK_HOST, port }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function requestHead(path: string, token: string, length: number): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: ${LOOPBACK_HOST}\r\n` +
    'Content-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\n' +
    `X-Prometheus-Remote-Write-Version: 0.1.0\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Length: ${length}\r\n\r\n`
  );
}

/** Uploads that stop half-way through the body and close the connection. */
async function abortUploads(
  port: number,
  token: string,
  body: Uint8Array
): Promise<void> {
  for (let i = 0; i < ABORTED_UPLOADS; i++) {
    const socket = await openSocket(port);
    socket.on('error', () => {
      // the gateway may cut it first
    });
    const cut = Math.max(
      1,
      Math.floor((body.length * (i + 1)) / (ABORTED_UPLOADS + 1))
    );
    await new Promise<void>(resolve =>
      socket.write(requestHead('/api/v1/write', token, body.length), () =>
        socket.write(body.subarray(0, cut), () => resolve())
      )
    );
    socket.destroy();
  }
}

/**
 * Opens `SLOW_CONNECTIONS` slow-header and as many slow-body connections:
 * each sends one more byte every TRICKLE_INTERVAL_MS, never finishing.
 */
export async function openSlowConnections(
  port: number,
  token: string
): Promise<SlowConnections> {
  const sockets: Socket[] = [];
  let closedByServer = 0;
  let isStopped = false;
  for (let i = 0; i < 2 * SLOW_CONNECTIONS; i++) {
    const socket = await openSocket(port);
    socket.on('error', () => {
      // reaped by the gateway: counted on close
    });
    socket.once('close', () => {
      if (!isStopped) closedByServer++;
    });
    const isSlowBody = i >= SLOW_CONNECTIONS;
    // Slow body: whole headers promising 1 MiB; slow header: a header line never ended.
    socket.write(
      isSlowBody
        ? requestHead('/api/v1/write', token, MiB)
        : `POST /api/v1/write HTTP/1.1\r\nHost: ${LOOPBACK_HOST}\r\nX-Slow: `
    );
    sockets.push(socket);
  }
  const trickle = setInterval(() => {
    for (const socket of sockets) if (!socket.destroyed) socket.write('a');
  }, TRICKLE_INTERVAL_MS);
  return {
    opened: sockets.length,
    closedByServer: () => closedByServer,
    stop: () => {
      isStopped = true;
      clearInterval(trickle);
      for (const socket of sockets) socket.destroy();
    },
  };
}

export interface ExtremeInputsOptions {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly bodies: ExtremeBodies;
  /** Run between the inputs: finding 3's probe restarted the downstream mid-run. */
  readonly restartDownstream?: () => Promise<void>;
}

/**
 * Sends every extreme input once, in turn, while watching `/-/healthy`.
 * Stops early (isFrozen) when the gateway stops answering.
 */
export async function sendExtremeInputs(
  options: ExtremeInputsOptions
): Promise<ExtremeInputsReport> {
  const { url, token, bodies } = options;
  const watch = new HealthWatch(url);
  const outcomes: ProbeOutcome[] = [];
  const remoteWriteHeaders = {
    'content-type': 'application/x-protobuf',
    'content-encoding': 'snappy',
    'x-prometheus-remote-write-version': '0.1.0',
    authorization: `Bearer ${token}`,
  };
  const writeUrl = `${url}/api/v1/write`;
  try {
    const steps: [string, () => Promise<void>][] = [
      [
        'label value 1 MiB',
        async () => {
          outcomes.push(
            await post(
              'label value 1 MiB',
              writeUrl,
              remoteWriteHeaders,
              bodies.labelValue1MiB,
              watch
            )
          );
        },
      ],
      [
        'label value 10 MiB',
        async () => {
          outcomes.push(
            await post(
              'label value 10 MiB',
              writeUrl,
              remoteWriteHeaders,
              bodies.labelValue10MiB,
              watch
            )
          );
        },
      ],
      [
        '100,000 series',
        async () => {
          outcomes.push(
            await post(
              '100,000 series',
              writeUrl,
              remoteWriteHeaders,
              bodies.series100k,
              watch
            )
          );
        },
      ],
      [
        'aborted uploads',
        () => abortUploads(options.port, token, bodies.series100k),
      ],
      [
        'downstream restart',
        () => options.restartDownstream?.() ?? Promise.resolve(),
      ],
      [
        MANY_ATTRIBUTES_PROBE,
        async () => {
          outcomes.push(
            await post(
              MANY_ATTRIBUTES_PROBE,
              `${url}/v1/metrics`,
              {
                'content-type': 'application/json',
                'content-encoding': 'gzip',
                authorization: `Bearer ${token}`,
              },
              bodies.otlpAttributes1M,
              watch
            )
          );
        },
      ],
    ];
    for (const [, step] of steps) {
      if (watch.isFrozen()) break;
      await step();
    }
  } finally {
    await watch.stop();
  }
  return {
    outcomes,
    healthFailures: watch.failures,
    isFrozen: watch.isFrozen(),
  };
}
