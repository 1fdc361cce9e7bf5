/**
 * Lossless forwarding under faults (issue 4, item 2), counted exactly.
 *
 * A load generator sends remote write 1.0 requests to the built gateway, each
 * sample its own series `fault_test_sample{case, sender, seq}` (one sample
 * per series, so a sample sent twice is a no-op in Prometheus, never an
 * out-of-order rejection that would hide a loss). It retries like
 * Prometheus: 5xx and network errors with backoff, honouring Retry-After
 * (capped, to keep the test short). The gateway forwards through its disk
 * queue to a counting proxy in front of a real Prometheus
 * (`--web.enable-remote-write-receiver`); the proxy relays every request and
 * counts each (case, seq) in the requests Prometheus answered 2xx, which is
 * how duplicates are seen (Prometheus itself deduplicates them silently).
 * When "down", the proxy cuts connections, as a dead downstream does.
 *
 * Each case logs sent (distinct samples tried), acknowledged (2xx to the
 * sender), delivered (distinct samples Prometheus has) and duplicated
 * (deliveries beyond the first), and asserts that every acknowledged sample
 * was delivered. At least once: duplicates are allowed, and counted.
 *
 * The gateway config uses `forward.queue` (src/config/queue-schema.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  snappyCompress,
  snappyUncompress,
} from '../../src/protocol/wire/index.js';
import { LOOPBACK_HOST, getFreePort } from '../helpers/free-port.js';
import {
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import {
  makeTempDir,
  queryPrometheus,
  sleep,
  startProcess,
  type ManagedProcess,
} from '../helpers/peers.js';
import {
  decodeV1Request,
  encodeV1Request,
} from '../helpers/remote-write-reference.js';

const CLUSTER = {
  name: 'fault-test',
  region: 'eu-west-1',
  env: 'test',
  team: 'sre',
  token: 'fault-test-token-0123456789abcdef',
};
const METRIC = 'fault_test_sample';
const SENDERS = 2;
const SERIES_PER_REQUEST = 10;
/** Per sender: 2 senders × 10 requests/s × 10 samples = 200 samples/s. */
const REQUEST_INTERVAL_MS = 100;
/** Prometheus honours Retry-After in full; the test caps it to stay short. */
const RETRY_AFTER_CAP_MS = 2_000;
const MAX_BACKOFF_MS = 1_000;
const SEND_TIMEOUT_MS = 10_000;
const DELIVERY_TIMEOUT_MS = 90_000;
const OUTAGE_MS = 60_000;

// ---------------------------------------------------------------------------
// A Prometheus receiver that can be stopped and started on the same port and
// data dir (the shared helper picks new ones and removes its dir on stop).

interface Receiver {
  readonly url: string;
  process: ManagedProcess;
}

async function startReceiverAt(
  port: number,
  dataDir: string
): Promise<ManagedProcess> {
  const configFile = join(dataDir, 'prometheus.yml');
  await writeFile(
    configFile,
    stringifyYaml({ global: { scrape_interval: '15s' } })
  );
  const bin = process.env['PROMETHEUS_BIN'];
  return startProcess({
    name: 'prometheus-receiver',
    command: bin !== undefined && bin !== '' ? bin : 'prometheus',
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dataDir, 'tsdb')}`,
      `--web.listen-address=${LOOPBACK_HOST}:${port}`,
      '--web.enable-remote-write-receiver',
      '--storage.tsdb.retention.time=1d',
      '--log.level=warn',
    ],
    port,
    dataDir,
    readyUrl: `http://${LOOPBACK_HOST}:${port}/-/ready`,
    removeDataDir: false,
  });
}

// ---------------------------------------------------------------------------
// The counting proxy between the gateway and Prometheus.

interface CountingProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** While down, every connection is cut (as a dead downstream). */
  setDown(isDown: boolean): void;
  /** Times Prometheus accepted (2xx) each seq of `caseName`. */
  deliveries(caseName: string): ReadonlyMap<number, number>;
  stop(): Promise<void>;
}

async function startCountingProxy(upstreamUrl: string): Promise<CountingProxy> {
  let isDown = false;
  const counts = new Map<string, Map<number, number>>();
  const count = (body: Uint8Array): void => {
    const request = decodeV1Request(snappyUncompress(body, 256 * 1024 * 1024));
    for (const series of request.timeseries ?? []) {
      let caseName: string | undefined;
      let seq: number | undefined;
      for (const label of series.labels ?? []) {
        if (label.name === 'case') caseName = label.value;
        if (label.name === 'seq') seq = Number(label.value);
      }
      if (caseName === undefined || seq === undefined) continue;
      let perCase = counts.get(caseName);
      if (perCase === undefined)
        counts.set(caseName, (perCase = new Map<number, number>()));
      perCase.set(seq, (perCase.get(seq) ?? 0) + (series.samples?.length ?? 0));
    }
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (isDown) {
        req.socket.destroy();
        return;
      }
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const name of [
        'content-type',
        'content-encoding',
        'x-prometheus-remote-write-version',
        'user-agent',
      ]) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      fetch(`${upstreamUrl}/api/v1/write`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      })
        .then(async upstream => {
          const text = await upstream.text();
          if (upstream.ok) count(body);
          res.writeHead(upstream.status, { 'content-type': 'text/plain' });
          res.end(text);
        })
        .catch(() => {
          // Prometheus is down: the gateway sees what it would see without us.
          req.socket.destroy();
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK_HOST}:${port}`,
    setDown: value => {
      isDown = value;
      if (value) server.closeAllConnections();
    },
    deliveries: caseName => counts.get(caseName) ?? new Map(),
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------
// The load generator.

interface LoadReport {
  readonly sent: number;
  readonly acknowledged: number;
  readonly refusals: number;
  readonly retryAfters: number;
  readonly networkErrors: number;
  readonly unexpected: readonly string[];
}

class LoadGenerator {
  /** Every seq put in a request (tried at least once). */
  readonly sent = new Set<number>();
  /** Every seq in a request answered 2xx. */
  readonly acked = new Set<number>();
  refusals = 0;
  retryAfters = 0;
  networkErrors = 0;
  readonly unexpected: string[] = [];
  private _nextSeq = 0;
  private _isGenerating = true;
  private _giveUpAtMs = Number.POSITIVE_INFINITY;
  private _loops: Promise<void>[] = [];

  constructor(
    private readonly _caseName: string,
    /** The gateway's current URL (it changes when the gateway is restarted). */
    private readonly _url: () => string
  ) {}

  start(): void {
    for (let s = 0; s < SENDERS; s++) this._loops.push(this._run(s));
  }

  /** Stops making requests; pending ones are retried until acknowledged or `settleMs` passes. */
  async stop(settleMs: number): Promise<LoadReport> {
    this._isGenerating = false;
    this._giveUpAtMs = Date.now() + settleMs;
    await Promise.all(this._loops);
    return {
      sent: this.sent.size,
      acknowledged: this.acked.size,
      refusals: this.refusals,
      retryAfters: this.retryAfters,
      networkErrors: this.networkErrors,
      unexpected: this.unexpected,
    };
  }

  private async _run(sender: number): Promise<void> {
    while (this._isGenerating) {
      const startedAt = Date.now();
      const seqs: number[] = [];
      for (let i = 0; i < SERIES_PER_REQUEST; i++) seqs.push(this._nextSeq++);
      for (const seq of seqs) this.sent.add(seq);
      const timestamp = Date.now();
      const body = snappyCompress(
        encodeV1Request({
          // Label names sorted, as the spec wants.
          timeseries: seqs.map(seq => ({
            labels: [
              { name: '__name__', value: METRIC },
              { name: 'case', value: this._caseName },
              { name: 'sender', value: String(sender) },
              { name: 'seq', value: String(seq) },
            ],
            samples: [{ value: seq, timestamp }],
          })),
        })
      );
      await this._deliver(body, seqs);
      await sleep(Math.max(0, REQUEST_INTERVAL_MS - (Date.now() - startedAt)));
    }
  }

  /** Sends one body until a 2xx, the way Prometheus' queue manager retries. */
  private async _deliver(
    body: Uint8Array,
    seqs: readonly number[]
  ): Promise<void> {
    let backoffMs = 30;
    const nextBackoff = (): number => {
      const wait = backoffMs;
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      return wait;
    };
    while (Date.now() < this._giveUpAtMs) {
      let res: Response;
      try {
        res = await fetch(`${this._url()}/api/v1/write`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-protobuf',
            'content-encoding': 'snappy',
            'x-prometheus-remote-write-version': '0.1.0',
            'user-agent': 'fault-test-sender/1.0',
            authorization: `Bearer ${CLUSTER.token}`,
          },
          body,
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        });
        await res.arrayBuffer();
      } catch {
        this.networkErrors++;
        await sleep(nextBackoff());
        continue;
      }
      if (res.ok) {
        for (const seq of seqs) this.acked.add(seq);
        return;
      }
      if (res.status >= 500 || res.status === 429) {
        this.refusals++;
        const retryAfter = res.headers.get('retry-after');
        if (retryAfter !== null && Number(retryAfter) > 0) {
          this.retryAfters++;
          await sleep(Math.min(Number(retryAfter) * 1000, RETRY_AFTER_CAP_MS));
        } else {
          await sleep(nextBackoff());
        }
        continue;
      }
      // A 4xx is a bug in this test, not a fault under test: report it.
      this.unexpected.push(
        `${res.status} for seqs ${seqs[0]}..${seqs[seqs.length - 1]}`
      );
      return;
    }
  }
}

// ---------------------------------------------------------------------------
// Config, queries, reports.

function gatewayConfig(
  downstreamUrl: string,
  queue: Record<string, unknown>,
  queueDir?: string
): string {
  return stringifyYaml({
    clusters: [CLUSTER],
    limits: {
      max_series_per_cluster: 1_000_000,
      max_series_per_metric: 1_000_000,
    },
    forward: {
      ...(queueDir === undefined ? {} : { queue_dir: queueDir }),
      queue: { type: 'disk', ...queue },
      remote_write: [
        {
          url: `${downstreamUrl}/api/v1/write`,
          name: 'central',
          shards: 2,
          batch_send_deadline: '200ms',
          min_backoff: '50ms',
          max_backoff: '1s',
          timeout: '5s',
        },
      ],
    },
  });
}

/** Distinct seqs of `caseName` in Prometheus (each seq is one series). */
async function deliveredSeqs(
  receiverUrl: string,
  caseName: string
): Promise<Set<number>> {
  const result = await queryPrometheus(
    receiverUrl,
    `last_over_time(${METRIC}{case="${caseName}"}[1h])`
  );
  return new Set(result.map(sample => Number(sample.metric['seq'])));
}

/** Waits until Prometheus holds every acknowledged seq; returns what it holds. */
async function awaitDelivery(
  receiverUrl: string,
  caseName: string,
  acked: ReadonlySet<number>
): Promise<{ delivered: Set<number>; missing: number[] }> {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  for (;;) {
    let delivered = new Set<number>();
    try {
      delivered = await deliveredSeqs(receiverUrl, caseName);
    } catch {
      // Not ready yet (e.g. just restarted): try again.
    }
    const missing = [...acked].filter(seq => !delivered.has(seq));
    if (missing.length === 0 || Date.now() > deadline) {
      return { delivered, missing };
    }
    await sleep(1000);
  }
}

function duplicates(deliveries: ReadonlyMap<number, number>): number {
  let extra = 0;
  for (const times of deliveries.values()) extra += Math.max(0, times - 1);
  return extra;
}

/** First few of a list, for a readable assertion message. */
function some(values: readonly number[]): string {
  return values.length <= 20
    ? values.join(', ')
    : `${values.slice(0, 20).join(', ')}, … (${values.length} in all)`;
}

function logReport(
  caseName: string,
  load: LoadReport,
  delivered: number,
  duplicated: number
): void {
  console.log(
    `[forward-faults ${caseName}] sent=${load.sent} acknowledged=${load.acknowledged} ` +
      `delivered=${delivered} duplicated=${duplicated} refusals=${load.refusals} ` +
      `retry_after=${load.retryAfters} network_errors=${load.networkErrors}`
  );
}

// ---------------------------------------------------------------------------

describe('forwarding faults: every acknowledged sample arrives', () => {
  let receiverPort = 0;
  let receiverDir = '';
  let receiver: Receiver | undefined;
  let proxy: CountingProxy | undefined;
  const gateways: GatewayProcess[] = [];
  const tempDirs: string[] = [];

  const diagnostics = (): string =>
    [...gateways.map(g => g.logs()), receiver?.process.diagnostics() ?? '']
      .join('\n')
      .slice(-20_000);

  beforeAll(async () => {
    receiverPort = await getFreePort();
    receiverDir = await makeTempDir('fault-receiver');
    const url = `http://${LOOPBACK_HOST}:${receiverPort}`;
    receiver = {
      url,
      process: await startReceiverAt(receiverPort, receiverDir),
    };
    proxy = await startCountingProxy(url);
  });

  afterAll(async () => {
    await Promise.allSettled(gateways.map(g => g.stop()));
    await proxy?.stop();
    await receiver?.process.stop();
    await rm(receiverDir, { recursive: true, force: true });
    await Promise.all(
      tempDirs.map(d => rm(d, { recursive: true, force: true }))
    );
  });

  it('(a) the downstream is stopped for 60 s under steady load and started again on the same port and data dir', async () => {
    const rx = receiver!;
    const gateway = await startGateway(
      gatewayConfig(proxy!.url, { fsync: 'interval', fsync_interval: '100ms' })
    );
    gateways.push(gateway);
    const load = new LoadGenerator('a', () => gateway.url);
    load.start();
    await sleep(5_000);

    await rx.process.stop();
    const ackedAtStop = load.acked.size;
    await sleep(OUTAGE_MS);
    const ackedDuringOutage = load.acked.size - ackedAtStop;
    rx.process = await startReceiverAt(receiverPort, receiverDir);
    await sleep(5_000);

    const report = await load.stop(30_000);
    const { delivered, missing } = await awaitDelivery(rx.url, 'a', load.acked);
    logReport('a', report, delivered.size, duplicates(proxy!.deliveries('a')));

    expect(report.unexpected, diagnostics()).toEqual([]);
    // The queue absorbed the outage: senders kept being acknowledged.
    expect(ackedDuringOutage).toBeGreaterThan(1000);
    expect(
      missing,
      `acknowledged but not delivered: ${some(missing)}\n${diagnostics()}`
    ).toEqual([]);
  });

  it('(b) the gateway is SIGKILLed under load and restarted with the same queue_dir', async () => {
    const rx = receiver!;
    const queueDir = await makeTempDir('fault-b-queue');
    tempDirs.push(queueDir);
    const config = gatewayConfig(proxy!.url, { fsync: 'always' }, queueDir);
    let gateway = await startGateway(config);
    gateways.push(gateway);
    const load = new LoadGenerator('b', () => gateway.url);
    load.start();
    await sleep(3_000);
    // A backlog in the queue at the kill: the downstream stalls for a while.
    proxy!.setDown(true);
    await sleep(3_000);

    const killed = gateway;
    const ackedAtKill = new Set(load.acked);
    const deliveredAtKill = new Set(proxy!.deliveries('b').keys());
    process.kill(killed.pid, 'SIGKILL');
    while (killed.process.exitStatus() === undefined) await sleep(20);
    // Removes its temporary dir, not queueDir.
    await killed.stop();
    proxy!.setDown(false);

    gateway = await startGateway(config);
    gateways.push(gateway);
    await sleep(3_000);

    const report = await load.stop(30_000);
    const { delivered, missing } = await awaitDelivery(rx.url, 'b', load.acked);
    logReport('b', report, delivered.size, duplicates(proxy!.deliveries('b')));
    const backlogAtKill = [...ackedAtKill].filter(s => !deliveredAtKill.has(s));
    console.log(
      `[forward-faults b] acknowledged before the kill but not yet delivered: ${backlogAtKill.length}`
    );

    expect(report.unexpected, diagnostics()).toEqual([]);
    expect(killed.process.exitStatus()).toBe('signal SIGKILL');
    // The restarted gateway replayed what the killed one had acknowledged.
    expect(backlogAtKill.length).toBeGreaterThan(0);
    expect(
      missing,
      `acknowledged but not delivered: ${some(missing)}\n${diagnostics()}`
    ).toEqual([]);
  });

  it('(c) a tiny queue limit: senders get 503 with Retry-After, retry, and nothing acknowledged is missing', async () => {
    const rx = receiver!;
    const gateway = await startGateway(
      gatewayConfig(proxy!.url, { fsync: 'never', max_bytes: '64KiB' })
    );
    gateways.push(gateway);
    const load = new LoadGenerator('c', () => gateway.url);
    load.start();
    await sleep(2_000);
    proxy!.setDown(true);
    await sleep(8_000);
    const refusedWhileDown = load.refusals;
    proxy!.setDown(false);
    await sleep(4_000);

    const report = await load.stop(60_000);
    const { delivered, missing } = await awaitDelivery(rx.url, 'c', load.acked);
    logReport('c', report, delivered.size, duplicates(proxy!.deliveries('c')));

    expect(report.unexpected, diagnostics()).toEqual([]);
    expect(refusedWhileDown).toBeGreaterThan(0);
    expect(report.retryAfters).toBeGreaterThan(0);
    // The senders retried until every request was taken.
    expect(report.acknowledged).toBe(report.sent);
    expect(
      missing,
      `acknowledged but not delivered: ${some(missing)}\n${diagnostics()}`
    ).toEqual([]);
  });
});
