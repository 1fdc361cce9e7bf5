/**
 * Forwarding of log records to one downstream through a ForwardQueue, with
 * the same sender loop as remote write (QueueSender): records are
 * encoded once at enqueue time, inside the ingest request, into one byte
 * fragment (a run of top-level repeated entries, so any run of fragments
 * joins into one valid request body) and appended to the downstream's
 * queue; the loop sends whole fragments and, per outcome:
 *
 * - success: commits (the records leave the queue);
 * - 5xx, 429, network error, timeout: waits (Retry-After, else backoff with
 *   jitter) and sends the same body again, until it lands; the queue fills
 *   and back-pressure reaches senders as 429, so nothing is lost;
 * - any other 4xx: the batch is set aside: committed, counted
 *   (`fleetgate_forward_set_aside_log_records_total{reason="http_<status>"}`)
 *   and logged with the downstream's own message; the queue moves on, so a
 *   bad record never blocks the ones behind it.
 *
 * One queue and one loop per downstream: records reach it in the order they
 * were acknowledged. What a fragment holds (Loki streams, OTLP ResourceLogs),
 * the headers and the compression are the subclass's: LokiForwarder,
 * OtlpLogsForwarder.
 */
import { Buffer } from 'node:buffer';
import type { Config } from '../../config/index.js';
import type { LogForwardConfig } from '../../config/index.js';
import { ProtobufWriter } from '../../protocol/index.js';
import {
  OverloadedError,
  UnavailableError,
  type GatewayError,
} from '../../errors.js';
import type { LogBatch } from '../../model/index.js';
import type { Logger, SelfMetrics } from '../../telemetry/index.js';
import { AppendLedger, type LedgerShard } from '../append-ledger.js';
import { Backoff } from '../backoff.js';
import { downstreamNameOf } from '../downstream-name.js';
import { readFleetgateVersion } from '../fleetgate-version.js';
import type { ForwardQueue } from '../forward-queue.js';
import type {
  Forwarder,
  ForwarderStats,
  ForwarderStopReport,
} from '../forwarder.js';
import { HttpExportClient } from '../http-export-client.js';
import { MemoryForwardQueue } from '../memory-forward-queue.js';
import {
  MAX_QUEUE_FULL_RETRY_AFTER_MS,
  MIN_QUEUE_FULL_RETRY_AFTER_MS,
  type QueueCapacity,
} from '../remote-write-forwarder.js';
import { QueueSender } from '../queue-sender.js';
import { LogForwardInstruments } from './log-forward-instruments.js';

/** One `forward.loki` or `forward.otlp` entry (validated; durations in ms). */
export type LogTargetConfig = Config['forward']['loki'][number];

export type LogDownstreamKind = 'loki' | 'otlp';

/**
 * Queue bytes allowed per record of capacity: a Kubernetes log line with its
 * attributes encodes to a few hundred bytes; the byte bound is what stops a
 * run of huge lines from exhausting memory (or disk) before the record bound.
 */
export const LOG_QUEUE_BYTES_PER_RECORD = 2048;
/** Uncompressed body cap per send (one larger fragment is sent alone). */
export const MAX_LOG_SEND_BYTES = 4 * 1024 * 1024;
const INITIAL_WRITER_BYTES = 16 * 1024;

/** Builds the queue of one log downstream; `downstream` is unique per kind (a durable queue's directory). */
export type LogQueueFactory = (
  kind: LogDownstreamKind,
  downstream: string,
  capacity: QueueCapacity
) => ForwardQueue;

export interface LogForwarderDeps {
  readonly logger: Logger;
  readonly metrics: SelfMetrics;
  /** Sent as `User-Agent: fleetgate/<version>`; defaults to package.json's version. */
  readonly version?: string | undefined;
  /** Defaults to the global fetch (undici). */
  readonly fetch?: typeof globalThis.fetch | undefined;
  /** Unix time in ms; defaults to Date.now. */
  readonly now?: (() => number) | undefined;
  /** [0, 1) for backoff jitter; defaults to Math.random. */
  readonly random?: (() => number) | undefined;
  /** The queue of each downstream; defaults to a MemoryForwardQueue. */
  readonly createQueue?: LogQueueFactory | undefined;
  /** Whole-or-nothing appends across the log downstreams (the fan-out passes its own). */
  readonly appendLedger?: AppendLedger | undefined;
}

/** What a subclass decides: the encoding, the headers and the compression. */
export interface LogEncoding {
  readonly kind: LogDownstreamKind;
  /** Appends the live records of `batch` to `writer` as one fragment; returns how many records it holds. */
  readonly encode: (batch: LogBatch, writer: ProtobufWriter) => number;
  /** Content-Type and Content-Encoding (configured headers cannot replace them). */
  readonly contentHeaders: Readonly<Record<string, string>>;
  /** The joined fragments → the request body. */
  readonly compress: (body: Uint8Array) => Uint8Array;
}

/** A log downstream as the fan-out sees it. */
export interface LogForwarder extends Forwarder<LogBatch> {
  readonly kind: LogDownstreamKind;
}

// Headers a configured `headers:` entry cannot set: the protocol owns them.
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-encoding',
  'user-agent',
]);

export class LogQueueForwarder implements LogForwarder {
  readonly name: string;
  readonly kind: LogDownstreamKind;
  private readonly _encoding: LogEncoding;
  private readonly _logger: Logger;
  private readonly _instruments: LogForwardInstruments;
  private readonly _shard: QueueSender;
  private readonly _ledger: AppendLedger;
  private readonly _writer = new ProtobufWriter(INITIAL_WRITER_BYTES);
  private _admitted: LogBatch | undefined;
  private _admittedRecords = 0;
  private _loop: Promise<void> | undefined;
  private _isStopping = false;
  private _stopped: Promise<ForwarderStopReport> | undefined;

  /**
   * `target`: one validated `forward.loki`/`forward.otlp` entry; `forward`:
   * `logs.forward` (queue size, batching, backoff). Sends
   * `X-Scope-OrgID: <tenant>` when the target has a tenant.
   */
  constructor(
    target: LogTargetConfig,
    forward: LogForwardConfig,
    encoding: LogEncoding,
    deps: LogForwarderDeps
  ) {
    this.name = downstreamNameOf(target);
    this.kind = encoding.kind;
    this._encoding = encoding;
    this._ledger = deps.appendLedger ?? new AppendLedger();
    this._logger = deps.logger.child({
      component: 'forward',
      downstream: this.name,
      kind: encoding.kind,
    });
    this._instruments = new LogForwardInstruments(deps.metrics, this.name);
    const now = deps.now ?? Date.now;

    const { url, headers } = buildRequest(
      target,
      encoding.contentHeaders,
      deps.version ?? readFleetgateVersion()
    );
    const client = new HttpExportClient({
      url,
      headers,
      timeoutMs: target.timeout,
      downstream: this.name,
      fetch: deps.fetch,
      now,
    });
    const capacity: QueueCapacity = {
      capacityPoints: forward.capacity_records,
      capacityBytes: forward.capacity_records * LOG_QUEUE_BYTES_PER_RECORD,
    };
    const queue = (
      deps.createQueue ?? ((_k, _d, c) => new MemoryForwardQueue(c))
    )(encoding.kind, this.name, capacity);
    this._shard = new QueueSender({
      index: 0,
      queue,
      client,
      backoff: new Backoff(
        forward.min_backoff,
        forward.max_backoff,
        deps.random
      ),
      instruments: this._instruments,
      logger: this._logger,
      maxPointsPerSend: forward.max_records_per_send,
      maxBytesPerSend: MAX_LOG_SEND_BYTES,
      batchSendDeadlineMs: forward.batch_send_deadline,
      minBackoffMs: forward.min_backoff,
      now,
      compress: encoding.compress,
    });
    this._instruments.setCapacity(queue.capacityPoints);
  }

  admit(batch: LogBatch): GatewayError | undefined {
    this._admitted = undefined;
    if (this._isStopping)
      return new UnavailableError(
        `cannot enqueue to ${this.name}: forwarding is shutting down`
      );
    const writer = this._writer;
    writer.reset();
    const records = this._encoding.encode(batch, writer);
    const queue = this._shard.queue;
    if (records > 0 && !queue.hasRoom(records, writer.pos)) {
      return new OverloadedError(
        `cannot enqueue to ${this.name}: log forward queue full (${queue.points} of ${queue.capacityPoints} records queued)`,
        'queue_full',
        this._retryAfterMs(records),
        429
      );
    }
    this._admitted = batch;
    this._admittedRecords = records;
    return undefined;
  }

  append(batch: LogBatch): void {
    if (this._admitted !== batch)
      throw new Error(
        `cannot append to ${this.name}: the batch was not just admitted`
      );
    this._admitted = undefined;
    const records = this._admittedRecords;
    if (records === 0) return;
    // A copy: the writer's buffer is reused by the next enqueue.
    const fragment = this._writer.finish().slice();
    if (!this._shard.queue.tryAppend(fragment, records)) {
      // admit checked the room in this same turn; only a broken queue gets here.
      throw new Error(
        `cannot append to ${this.name}: queue refused a fragment it had room for`
      );
    }
    // The ledger releases it to the sender once the request is durable.
    this._instruments.addQueued(records);
  }

  get ledgerShards(): readonly LedgerShard[] {
    return [this._shard];
  }

  async sync(): Promise<void> {
    await this._shard.queue.sync?.();
  }

  enqueue(batch: LogBatch): Promise<void> {
    const error = this.admit(batch);
    if (error !== undefined) throw error;
    return this._ledger.append(
      [this._shard],
      () => this.append(batch),
      () => this.sync()
    );
  }

  start(): void {
    if (this._loop !== undefined || this._isStopping) return;
    this._loop = this._shard.run();
  }

  stop(drainTimeoutMs: number): Promise<ForwarderStopReport> {
    this._isStopping = true;
    this._stopped ??= this._stop(drainTimeoutMs);
    return this._stopped;
  }

  stats(): ForwarderStats {
    const queue = this._shard.queue;
    return {
      downstream: this.name,
      queuedPoints: queue.points,
      capacityPoints: queue.capacityPoints,
      shards: [
        {
          shard: 0,
          queuedPoints: queue.points,
          queuedBytes: queue.bytes,
          queuedFragments: queue.fragmentCount,
          capacityPoints: queue.capacityPoints,
        },
      ],
    };
  }

  /** How long a refused sender should wait: the excess at the recent drain rate, within [1 s, 30 s]. */
  private _retryAfterMs(records: number): number {
    const queue = this._shard.queue;
    const excess = Math.max(1, queue.points + records - queue.capacityPoints);
    const rate = this._shard.drainRatePerMs();
    const waitMs = rate > 0 ? excess / rate : MAX_QUEUE_FULL_RETRY_AFTER_MS;
    return Math.ceil(
      Math.min(
        MAX_QUEUE_FULL_RETRY_AFTER_MS,
        Math.max(MIN_QUEUE_FULL_RETRY_AFTER_MS, waitMs)
      )
    );
  }

  private async _stop(drainTimeoutMs: number): Promise<ForwarderStopReport> {
    const loop = this._loop ?? Promise.resolve();
    this._shard.drain();
    let timer: NodeJS.Timeout | undefined;
    const isTimedOut = await new Promise<boolean>(resolve => {
      timer = setTimeout(() => resolve(true), drainTimeoutMs);
      void loop.then(() => resolve(false));
    });
    clearTimeout(timer);
    if (isTimedOut) {
      this._shard.halt();
      await loop;
    }
    const queue = this._shard.queue;
    const report = {
      downstream: this.name,
      leftPoints: queue.points,
      isDrained: queue.fragmentCount === 0,
    };
    // This forwarder no longer sends them; a successor (after a reload) counts its own.
    this._instruments.addQueued(-report.leftPoints);
    if (report.isDrained) this._logger.info('log forward queue drained');
    else
      this._logger.warn(
        { leftRecords: report.leftPoints },
        'log forward queue not drained before the timeout; records left'
      );
    return report;
  }
}

/**
 * The URL without userinfo (fetch refuses it; it becomes basic auth) and
 * the headers, built and validated once: configured headers first, then the
 * tenant, then the protocol's own.
 */
function buildRequest(
  target: LogTargetConfig,
  contentHeaders: Readonly<Record<string, string>>,
  version: string
): { url: string; headers: Headers } {
  const url = new URL(target.url);
  const headers = new Headers();
  for (const [name, value] of Object.entries(target.headers)) {
    if (!RESERVED_HEADERS.has(name.toLowerCase())) headers.set(name, value);
  }
  if (url.username !== '' || url.password !== '') {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.set(
      'Authorization',
      `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`
    );
    url.username = '';
    url.password = '';
  }
  if (target.tenant !== undefined && target.tenant !== '')
    headers.set('X-Scope-OrgID', target.tenant);
  for (const [name, value] of Object.entries(contentHeaders))
    headers.set(name, value);
  headers.set('User-Agent', `fleetgate/${version}`);
  return { url: url.href, headers };
}
