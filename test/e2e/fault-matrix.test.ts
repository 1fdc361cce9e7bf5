/**
 * The fault matrix (issue 11, item 6): no fault strands acknowledged data.
 *
 * Every case starts its own built gateway with the durable disk queue
 * (`fsync: always`), forwarding to its own fault proxy
 * (test/helpers/fault-proxy.ts) in front of one real Prometheus 2.42
 * (`--web.enable-remote-write-receiver`, an out-of-order window because a
 * retried attempt may land before an earlier one). The proxy relays while
 * healthy and injects what Prometheus cannot: 500s, 400s for some batches,
 * a peer that never answers, a closed port, 2 s per request.
 *
 * Each case:
 * 1. runs the extreme inputs of the issue as a prologue (1 MiB and 10 MiB
 *    label values, 100,000 series, an OTLP request with 10^6 attributes,
 *    uploads aborted mid-body, a downstream restart, and slow-header and
 *    slow-body connections kept open for the whole case), asserting that
 *    `/-/healthy` answers throughout and every input gets an answer;
 * 2. starts a bounded sender loop of uniquely numbered samples
 *    (test/helpers/fault-load.ts), injects its fault, clears it;
 * 3. waits until delivery settles, prints sent / acknowledged / delivered /
 *    duplicated, and asserts: nothing acknowledged is lost (samples the
 *    downstream refused with 400 are accounted by the gateway's metrics, not
 *    lost); no sample of a request the gateway refused is delivered; and the
 *    gateway sends a record twice at most one batch per gateway restart.
 *
 * The cases are independent (own gateway, proxy, queue, series), so they
 * run concurrently (vitest runs up to 5 at once).
 */
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { scrapeValue } from '../helpers/gateway-client.js';
import {
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import {
  awaitSettled,
  DeliveryLedger,
  someOf,
  type CaseAccount,
} from '../helpers/fault-ledger.js';
import { FaultLoad, type FaultLoadOptions } from '../helpers/fault-load.js';
import {
  startFaultProxy,
  type FaultMode,
  type FaultProxy,
  type SeriesLabels,
} from '../helpers/fault-proxy.js';
import {
  buildExtremeBodies,
  EXTREME_METRIC_PREFIX,
  MANY_ATTRIBUTES_PROBE,
  openSlowConnections,
  sendExtremeInputs,
  type ExtremeBodies,
  type ExtremeInputsReport,
  type SlowConnections,
} from '../helpers/extreme-inputs.js';
import {
  makeTempDir,
  sleep,
  startPrometheusReceiver,
  waitFor,
  type ManagedProcess,
} from '../helpers/peers.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { mountTmpfs, type Tmpfs } from '../helpers/tmpfs.js';
import { rm } from 'node:fs/promises';
import { stringify as stringifyYaml } from 'yaml';

const CLUSTER = {
  name: 'fault-matrix',
  region: 'eu-west-1',
  env: 'test',
  team: 'sre',
  token: 'fault-matrix-token-0123456789abcdef',
};
const METRIC = 'fault_matrix_sample';
/** The gateway's batch size; duplicates are bounded by one batch per restart. */
const MAX_SAMPLES_PER_SEND = 500;
const SHARDS = 2;
/** 2 senders × 10 requests/s × 10 samples = 200 samples/s. */
const DEFAULT_LOAD = {
  senders: 2,
  seriesPerRequest: 10,
  requestIntervalMs: 100,
  maxSamples: 60_000,
} as const;
const WARMUP_MS = 3_000;
const RECOVERY_MS = 3_000;
/** Pending requests are retried this long after the load stops. */
const SETTLE_MS = 45_000;
const DELIVERY_TIMEOUT_MS = 90_000;
const PROLOGUE_DRAIN_TIMEOUT_MS = 60_000;
const CASE_TIMEOUT_MS = 300_000;
const DISK_FULL_BYTES = 2 * 1024 * 1024;
const DOWNSTREAM_RESTART_MS = 2_000;

let receiver: ManagedProcess | undefined;
let bodies: ExtremeBodies | undefined;

beforeAll(async () => {
  [receiver, bodies] = await Promise.all([
    startPrometheusReceiver({ outOfOrderTimeWindow: '2h' }),
    buildExtremeBodies(),
  ]);
});

afterAll(async () => {
  await receiver?.stop();
});

// ---------------------------------------------------------------------------
// One case's parts.

interface CaseOptions {
  readonly shards?: number;
  readonly queue?: Record<string, unknown>;
  readonly queueDir?: string;
  readonly redisUrl?: string;
  readonly load?: Partial<
    Pick<
      FaultLoadOptions,
      'senders' | 'seriesPerRequest' | 'requestIntervalMs' | 'maxSamples'
    >
  >;
  /** A request holding such a series is answered 400 while poisoning is on. */
  readonly isPoison?: (labels: SeriesLabels) => boolean;
}

class FaultCase {
  readonly proxy: FaultProxy;
  readonly ledger: DeliveryLedger;
  readonly load: FaultLoad;
  readonly gateways: GatewayProcess[] = [];
  prologue: ExtremeInputsReport | undefined;
  private _slow: SlowConnections | undefined;
  private readonly _cleanups: (() => Promise<void>)[] = [];
  private readonly _config: string;

  private constructor(
    readonly name: string,
    /** The test's own expect: concurrent tests must not share the global one. */
    readonly expect: ExpectStatic,
    proxy: FaultProxy,
    options: CaseOptions
  ) {
    this.proxy = proxy;
    this.ledger = new DeliveryLedger(name, proxy);
    this._config = gatewayConfig(proxy.url, options);
    this.load = new FaultLoad({
      caseName: name,
      metric: METRIC,
      url: () => this.gateway.url,
      token: CLUSTER.token,
      ...DEFAULT_LOAD,
      ...options.load,
    });
  }

  static async start(
    name: string,
    expect: ExpectStatic,
    options: CaseOptions
  ): Promise<FaultCase> {
    const proxy = await startFaultProxy({
      upstreamUrl: receiver!.url,
      isWithheld: labels =>
        (labels['__name__'] ?? '').startsWith(EXTREME_METRIC_PREFIX),
      ...(options.isPoison === undefined ? {} : { isPoison: options.isPoison }),
    });
    const run = new FaultCase(name, expect, proxy, options);
    run.onCleanup(() => proxy.stop());
    await run.startGateway();
    return run;
  }

  get gateway(): GatewayProcess {
    return this.gateways[this.gateways.length - 1]!;
  }

  onCleanup(cleanup: () => Promise<void>): void {
    this._cleanups.push(cleanup);
  }

  async startGateway(): Promise<GatewayProcess> {
    const gateway = await startGateway(this._config);
    this.gateways.push(gateway);
    return gateway;
  }

  /**
   * The extreme inputs, then a wait until their forwardable part has left
   * the queue (so a case's counts are its load's alone).
   */
  async runPrologue(): Promise<void> {
    const gateway = this.gateway;
    this._slow = await openSlowConnections(gateway.port, CLUSTER.token);
    const proxy = this.proxy;
    this.prologue = await sendExtremeInputs({
      url: gateway.url,
      port: gateway.port,
      token: CLUSTER.token,
      bodies: bodies!,
      restartDownstream: async () => {
        await proxy.setMode('closed');
        await sleep(DOWNSTREAM_RESTART_MS);
        await proxy.setMode('relay');
      },
    });
    const report = this.prologue;
    if (report.isFrozen) {
      // Waiting on a frozen gateway only burns the machine's CPU.
      process.kill(gateway.pid, 'SIGKILL');
      throw new Error(
        `[${this.name}] the gateway stopped answering /-/healthy during the extreme inputs ` +
          `(${report.healthFailures.length} unanswered probes: ${report.healthFailures.slice(0, 5).join('; ')}); ` +
          `answers so far: ${describeOutcomes(report)}`
      );
    }
    this.expect
      .soft(
        report.healthFailures,
        `[${this.name}] /-/healthy during the extreme inputs`
      )
      .toEqual([]);
    for (const outcome of report.outcomes) {
      this.expect
        .soft(
          outcome.status,
          `[${this.name}] ${outcome.name} got no answer: ${outcome.body}`
        )
        .not.toBe(0);
    }
    // Issue 11's acceptance: refused by a decode-time cap, not worked through.
    const manyAttributes = report.outcomes.find(
      o => o.name === MANY_ATTRIBUTES_PROBE
    );
    this.expect
      .soft(
        [400, 413],
        `[${this.name}] answer to the OTLP request with 10^6 attributes: ${manyAttributes?.body ?? 'none'}`
      )
      .toContain(manyAttributes?.status);
    try {
      await waitFor(
        async () =>
          (await scrapeValue(
            gateway.url,
            'fleetgate_forward_queue_samples'
          )) === 0,
        PROLOGUE_DRAIN_TIMEOUT_MS,
        {
          description: 'the extreme inputs to leave the queue',
          intervalMs: 500,
        }
      );
    } catch (err) {
      this.expect
        .soft(
          undefined,
          `[${this.name}] ${err instanceof Error ? err.message : String(err)}`
        )
        .toBeDefined();
    }
  }

  /** Starts the load and lets it run for WARMUP_MS. */
  async startLoad(): Promise<void> {
    this.load.start();
    await sleep(WARMUP_MS);
  }

  /**
   * Turns a fault on for `ms`, then off, then lets the load run RECOVERY_MS
   * more; returns how many samples were acknowledged while it was on.
   */
  async inject(
    ms: number,
    turnOn: () => Promise<void> | void,
    turnOff: () => Promise<void> | void
  ): Promise<number> {
    await turnOn();
    const ackedBefore = this.load.acknowledged.size;
    await sleep(ms);
    const ackedDuring = this.load.acknowledged.size - ackedBefore;
    await turnOff();
    await sleep(RECOVERY_MS);
    return ackedDuring;
  }

  /** `inject` with the proxy in `mode` while the fault lasts. */
  injectMode(mode: FaultMode, ms: number): Promise<number> {
    return this.inject(
      ms,
      () => this.proxy.setMode(mode),
      () => this.proxy.setMode('relay')
    );
  }

  /** Stops the load, waits until delivery settles, prints and returns the account. */
  async settle(): Promise<CaseAccount> {
    await this.load.stop(SETTLE_MS);
    const held = await awaitSettled(this.load, this.ledger, {
      receiverUrl: receiver!.url,
      metric: METRIC,
      caseName: this.name,
      timeoutMs: DELIVERY_TIMEOUT_MS,
    });
    const account = this.ledger.account(this.load, held);
    const summary = this.load.summary();
    const stats = this.proxy.stats();
    console.log(
      `[fault-matrix ${this.name}] sent=${account.sent} acknowledged=${account.acknowledged} ` +
        `delivered=${account.delivered} duplicated=${account.duplicated} ` +
        `(resent_records=${account.resentRecords} resent_by_sender=${account.resentBySender}) ` +
        `refused_by_downstream=${account.refusedByDownstream} lost=${account.lost.length} ` +
        `refused_but_delivered=${account.refusedButDelivered.length} ` +
        `answers=${JSON.stringify(summary.statuses)} retry_after=${summary.retryAfters} ` +
        `downstream=${JSON.stringify(Object.fromEntries(stats.answers))} ` +
        `prologue=[${this.prologue === undefined ? '' : describeOutcomes(this.prologue)}] ` +
        `slow_connections_reaped=${this._slow?.closedByServer() ?? 0}/${this._slow?.opened ?? 0}`
    );
    return account;
  }

  /** The assertions every case makes; `restarts` counts gateway restarts. */
  expectNothingLost(account: CaseAccount, restarts: number): void {
    const why = this.diagnostics();
    const summary = this.load.summary();
    this.expect
      .soft(summary.unexpected, `[${this.name}] unexpected answers\n${why}`)
      .toEqual([]);
    this.expect
      .soft(
        this.proxy.stats().upstreamErrors,
        `[${this.name}] the receiver itself refused data`
      )
      .toEqual([]);
    this.expect
      .soft(
        account.missingInReceiver.length,
        `[${this.name}] accepted by the receiver but not queryable: ${someOf(account.missingInReceiver)}`
      )
      .toBe(0);
    this.expect
      .soft(
        account.lost.length,
        `[${this.name}] acknowledged but never delivered nor refused by the downstream: ${someOf(account.lost)}\n${why}`
      )
      .toBe(0);
    this.expect
      .soft(
        account.refusedButDelivered.length,
        `[${this.name}] samples of requests the gateway refused were delivered (seq@attempt): ${someOf(account.refusedButDelivered)}`
      )
      .toBe(0);
    this.expect
      .soft(
        account.resentRecords,
        `[${this.name}] records the gateway sent more than once (bound: ${MAX_SAMPLES_PER_SEND} per restart, ${restarts} restarts)`
      )
      .toBeLessThanOrEqual(restarts * MAX_SAMPLES_PER_SEND);
  }

  diagnostics(): string {
    return this.gateways
      .map(g => g.logs())
      .join('\n')
      .slice(-15_000);
  }

  async cleanup(): Promise<void> {
    this._slow?.stop();
    await Promise.allSettled(this.gateways.map(g => g.stop()));
    for (const cleanup of this._cleanups.reverse()) {
      await cleanup().catch(() => undefined);
    }
  }
}

function describeOutcomes(report: ExtremeInputsReport): string {
  return report.outcomes
    .map(
      o =>
        `${o.name}: ${o.status === 0 ? 'no answer' : o.status} in ${Math.round(o.durationMs)} ms`
    )
    .join(', ');
}

function gatewayConfig(downstreamUrl: string, options: CaseOptions): string {
  return stringifyYaml({
    clusters: [CLUSTER],
    limits: {
      max_series_per_cluster: 1_000_000,
      max_series_per_metric: 1_000_000,
      ingestion_rate: 10_000_000,
      ingestion_burst: 10_000_000,
    },
    ...(options.redisUrl === undefined
      ? {}
      : { state: { redis: options.redisUrl, key_prefix: 'fault-matrix' } }),
    forward: {
      ...(options.queueDir === undefined
        ? {}
        : { queue_dir: options.queueDir }),
      queue: { type: 'disk', fsync: 'always', ...options.queue },
      remote_write: [
        {
          url: `${downstreamUrl}/api/v1/write`,
          name: 'central',
          shards: options.shards ?? SHARDS,
          max_samples_per_send: MAX_SAMPLES_PER_SEND,
          batch_send_deadline: '200ms',
          min_backoff: '50ms',
          max_backoff: '1s',
          timeout: '5s',
        },
      ],
    },
  });
}

/** Runs `body` on a started case with its prologue done; always cleans up. */
async function withCase(
  name: string,
  expect: ExpectStatic,
  options: CaseOptions,
  body: (run: FaultCase) => Promise<void>
): Promise<void> {
  const run = await FaultCase.start(name, expect, options);
  try {
    await run.runPrologue();
    await body(run);
  } finally {
    await run.cleanup();
  }
}

async function gatewayValue(
  gateway: GatewayProcess,
  name: string,
  labels: Readonly<Record<string, string>> = {}
): Promise<number> {
  return scrapeValue(gateway.url, name, labels);
}

// ---------------------------------------------------------------------------

describe.concurrent('fault matrix: no fault strands acknowledged data', () => {
  it(
    'the downstream answers 500 for 60 s',
    async ({ expect }) => {
      await withCase('http-500', expect, {}, async run => {
        await run.startLoad();
        const ackedDuringOutage = await run.injectMode('error-500', 60_000);
        const account = await run.settle();

        run.expectNothingLost(account, 0);
        expect(run.proxy.stats().answers.get('500') ?? 0).toBeGreaterThan(0);
        // The queue absorbed the outage: senders kept being acknowledged.
        expect(ackedDuringOutage).toBeGreaterThan(1000);
      });
    },
    CASE_TIMEOUT_MS
  );

  it(
    'the downstream answers 400 for some batches: those samples are refused, and counted by the gateway',
    async ({ expect }) => {
      // About 1 sample in 100 is poison; a batch holding one is refused whole.
      const isPoison = (labels: SeriesLabels): boolean =>
        labels['case'] === 'http-400' && Number(labels['seq']) % 97 === 13;
      await withCase('http-400', expect, { isPoison }, async run => {
        await run.startLoad();
        await run.inject(
          15_000,
          () => run.proxy.setPoisoning(true),
          () => run.proxy.setPoisoning(false)
        );
        const account = await run.settle();

        run.expectNothingLost(account, 0);
        expect(run.proxy.stats().answers.get('400') ?? 0).toBeGreaterThan(0);
        expect(account.refusedByDownstream).toBeGreaterThan(0);
        // Whatever the gateway does with a refused batch (drop it whole,
        // split it, set it aside), each sample it gave up on is counted.
        const counted = await gatewayValue(
          run.gateway,
          'fleetgate_forward_failed_samples_total',
          { reason: 'http_400' }
        );
        expect(
          counted,
          'fleetgate_forward_failed_samples_total{reason="http_400"} against the refused samples that never arrived'
        ).toBe(account.refusedPointsUndelivered);
      });
    },
    CASE_TIMEOUT_MS
  );

  it(
    'the downstream accepts TCP and never answers',
    async ({ expect }) => {
      await withCase('never-answers', expect, {}, async run => {
        await run.startLoad();
        await run.injectMode('never-answer', 15_000);
        const account = await run.settle();

        run.expectNothingLost(account, 0);
        expect(run.proxy.stats().answers.get('held') ?? 0).toBeGreaterThan(0);
      });
    },
    CASE_TIMEOUT_MS
  );

  it(
    'the downstream refuses connections (closed port)',
    async ({ expect }) => {
      await withCase('refuses-connections', expect, {}, async run => {
        const errors = (): Promise<number> =>
          gatewayValue(run.gateway, 'fleetgate_forward_requests_total', {
            status_code: 'error',
          });
        await run.startLoad();
        const errorsBefore = await errors();
        await run.injectMode('closed', 15_000);
        const errorsDuring = (await errors()) - errorsBefore;
        const account = await run.settle();

        run.expectNothingLost(account, 0);
        expect(errorsDuring).toBeGreaterThan(0);
      });
    },
    CASE_TIMEOUT_MS
  );

  it(
    'the downstream is slow (2 s a request)',
    async ({ expect }) => {
      await withCase('slow', expect, {}, async run => {
        await run.startLoad();
        await run.injectMode('slow', 20_000);
        const account = await run.settle();

        run.expectNothingLost(account, 0);
        expect(run.proxy.stats().answers.get('delayed') ?? 0).toBeGreaterThan(
          3
        );
      });
    },
    CASE_TIMEOUT_MS
  );

  it(
    'Redis is killed mid-load and restarted',
    async ({ expect }) => {
      let redis: RedisServer = await startRedisServer();
      const { port, dir } = redis;
      try {
        await withCase(
          'redis-restart',
          expect,
          { redisUrl: `redis://127.0.0.1:${port}/0` },
          async run => {
            await run.startLoad();
            let wasDegraded = false;
            await run.inject(
              10_000,
              // By its PID, keeping its dir for the restart in place.
              () => redis.stop('SIGKILL', true),
              async () => {
                wasDegraded =
                  (await gatewayValue(
                    run.gateway,
                    'fleetgate_state_degraded'
                  )) > 0;
                redis = await startRedisServer({ port, dir });
              }
            );
            const account = await run.settle();

            run.expectNothingLost(account, 0);
            expect(
              wasDegraded,
              'fleetgate_state_degraded while Redis was down'
            ).toBe(true);
          }
        );
      } finally {
        await redis.stop();
      }
    },
    CASE_TIMEOUT_MS
  );

  it(
    'the gateway is SIGKILLed mid-append and restarted on the same queue dir',
    async ({ expect }) => {
      const queueDir = await makeTempDir('fault-matrix-kill-queue');
      try {
        // One shard: the batch in flight at the kill is the one batch that may come twice.
        await withCase(
          'sigkill',
          expect,
          { queueDir, shards: 1, load: { senders: 4 } },
          async run => {
            await run.startLoad();
            const killed = run.gateway;
            let backlogAtKill = 0;
            // A backlog in the queue at the kill: the downstream fails for a while.
            await run.inject(
              3_000,
              () => run.proxy.setMode('error-500'),
              async () => {
                const ackedAtKill = [...run.load.acknowledged];
                process.kill(killed.pid, 'SIGKILL');
                await waitFor(
                  () => killed.process.exitStatus() !== undefined,
                  10_000,
                  { description: 'the killed gateway to exit' }
                );
                backlogAtKill = ackedAtKill.filter(
                  seq => !run.ledger.isDelivered(seq)
                ).length;
                await run.proxy.setMode('relay');
                await run.startGateway();
              }
            );
            const account = await run.settle();
            console.log(
              `[fault-matrix sigkill] acknowledged before the kill but not yet delivered: ${backlogAtKill}`
            );

            run.expectNothingLost(account, 1);
            expect(killed.process.exitStatus()).toBe('signal SIGKILL');
            // The restarted gateway replayed what the killed one had acknowledged.
            expect(backlogAtKill).toBeGreaterThan(0);
          }
        );
      } finally {
        await rm(queueDir, { recursive: true, force: true });
      }
    },
    CASE_TIMEOUT_MS
  );

  it(
    'the disk is full: the queue on a 2 MiB tmpfs',
    async ({ expect, skip }) => {
      let tmpfs: Tmpfs;
      try {
        tmpfs = await mountTmpfs(DISK_FULL_BYTES);
      } catch (err) {
        // CI runs as root, so there it must work; elsewhere only root can mount.
        if (process.env['CI'] !== 'true' && process.getuid?.() !== 0)
          skip(`not root: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
      try {
        await withCase(
          'disk-full',
          expect,
          {
            queueDir: `${tmpfs.dir}/queue`,
            // 4 senders × 50 samples × 10 requests/s: 2 MiB fills in seconds.
            load: { senders: 4, seriesPerRequest: 50, maxSamples: 200_000 },
          },
          async run => {
            await run.startLoad();
            let freeWhenFull = 0;
            await run.inject(
              10_000,
              async () => {
                await run.proxy.setMode('error-500');
                await waitFor(() => run.load.answers('503') > 0, 60_000, {
                  description:
                    'the gateway to refuse writes with 503 as the disk fills',
                });
                freeWhenFull = await tmpfs.freeBytes();
              },
              () => run.proxy.setMode('relay')
            );
            const account = await run.settle();
            const summary = run.load.summary();
            console.log(
              `[fault-matrix disk-full] free bytes when the first 503 came: ${freeWhenFull}, after: ${await tmpfs.freeBytes()}`
            );

            run.expectNothingLost(account, 0);
            expect(summary.retryAfters).toBeGreaterThan(0);
            // Space came back after delivery: the senders' retries were all taken.
            expect(
              summary.acknowledged,
              `acknowledged of sent (the last refusal: ${summary.lastRefusal})`
            ).toBe(summary.sent);
          }
        );
      } finally {
        await tmpfs.unmount();
      }
    },
    CASE_TIMEOUT_MS
  );

  it(
    'the queue is at its byte limit (64 KiB): senders get 503 with Retry-After and retry',
    async ({ expect }) => {
      await withCase(
        'queue-limit',
        expect,
        { queue: { max_bytes: '64KiB' } },
        async run => {
          await run.startLoad();
          await run.inject(
            5_000,
            async () => {
              await run.proxy.setMode('error-500');
              await waitFor(() => run.load.answers('503') > 0, 30_000, {
                description:
                  'the gateway to refuse writes with 503 at its queue limit',
              });
            },
            () => run.proxy.setMode('relay')
          );
          const account = await run.settle();
          const summary = run.load.summary();

          run.expectNothingLost(account, 0);
          expect(summary.retryAfters).toBeGreaterThan(0);
          expect(
            summary.acknowledged,
            `acknowledged of sent (the last refusal: ${summary.lastRefusal})`
          ).toBe(summary.sent);
        }
      );
    },
    CASE_TIMEOUT_MS
  );
});
