/**
 * The sender loop of one shard of a remote write downstream. It takes whole
 * fragments from its queue (up to `max_samples_per_send` points, or less once
 * `batch_send_deadline` has passed), joins them into one WriteRequest body,
 * compresses it once and sends it until the outcome is final:
 * - success: commit (the points leave the queue);
 * - failure (4xx but 429): commit too (dropped), counted and logged;
 * - retryable: wait (Retry-After, else backoff) and send the same body again,
 *   forever: the queue fills and back-pressure reaches ingest, nothing is lost.
 *
 * Timers are per shard and per wait (STYLE rule 18), never per sample.
 *
 * Nothing in the loop is specific to remote write but the default
 * compression: the log forwarders (forward/logs) run the same loop over
 * their own queues, clients and compression.
 */
import { snappyCompress } from '../protocol/index.js';
import type { Logger } from '../telemetry/index.js';
import type { Backoff } from './backoff.js';
import { DrainRate } from './drain-rate.js';
import type { ExportResult } from './export-result.js';
import type { ForwardInstruments } from './forward-instruments.js';
import type { ForwardQueue, QueuedBatch } from './forward-queue.js';

/** What the loop needs of a client: one POST, classified (RemoteWriteClient, HttpExportClient). */
export interface ShardClient {
  send(body: Uint8Array, signal?: AbortSignal): Promise<ExportResult>;
}

/** What the loop records (ForwardInstruments; the log forwarders count records instead of samples). */
export type ShardInstruments = Pick<
  ForwardInstruments,
  | 'addQueued'
  | 'recordRequest'
  | 'recordRetry'
  | 'recordDelivered'
  | 'recordRefused'
>;

/** What wakes a waiting loop before its timer. */
type WakeOn = 'any-append' | 'full-batch' | 'stop-only';

export interface RemoteWriteShardOptions {
  readonly index: number;
  readonly queue: ForwardQueue;
  readonly client: ShardClient;
  readonly backoff: Backoff;
  readonly instruments: ShardInstruments;
  readonly logger: Logger;
  readonly maxPointsPerSend: number;
  readonly maxBytesPerSend: number;
  readonly batchSendDeadlineMs: number;
  readonly minBackoffMs: number;
  /** Unix time in ms. */
  readonly now: () => number;
  /** Turns the joined fragments into the request body; defaults to snappy (remote write, Loki). */
  readonly compress?: (body: Uint8Array) => Uint8Array;
}

export class RemoteWriteShard {
  readonly index: number;
  readonly queue: ForwardQueue;
  private readonly _options: RemoteWriteShardOptions;
  private readonly _drainRate: DrainRate;
  private readonly _abort = new AbortController();
  // When the oldest unsent data started waiting; undefined while empty.
  private _pendingSinceMs: number | undefined;
  private _isDraining = false;
  private _isHalted = false;
  private _wakeOn: WakeOn = 'stop-only';
  private _wake: (() => void) | undefined;
  // Reused across sends: the joined body of several fragments (STYLE rule 17).
  private _joinBuffer = new Uint8Array(0);

  constructor(options: RemoteWriteShardOptions) {
    this._options = options;
    this.index = options.index;
    this.queue = options.queue;
    this._drainRate = new DrainRate(options.now());
  }

  /** Points per ms this shard's queue drained at lately. */
  drainRatePerMs(): number {
    return this._drainRate.perMs(this._options.now());
  }

  /** Called after a fragment was appended to this shard's queue. */
  notifyAppended(): void {
    this._pendingSinceMs ??= this._options.now();
    if (
      this._wakeOn === 'any-append' ||
      (this._wakeOn === 'full-batch' && this._hasFullBatch())
    ) {
      this._wakeUp();
    }
  }

  /** Send what is queued without waiting for the deadline, then end the loop. */
  drain(): void {
    this._isDraining = true;
    if (this._wakeOn !== 'stop-only') this._wakeUp();
  }

  /** End the loop now; a send in flight is aborted and its batch stays queued. */
  halt(): void {
    this._isHalted = true;
    this._abort.abort();
    this._wakeUp();
  }

  /** The loop; resolves when drained (after `drain`) or halted. Never rejects. */
  async run(): Promise<void> {
    const options = this._options;
    while (!this._isHalted) {
      try {
        if (this.queue.fragmentCount === 0) {
          if (this._isDraining) return;
          await this._wait(undefined, 'any-append');
          continue;
        }
        if (!this._isDraining && !this._hasFullBatch()) {
          const nowMs = options.now();
          const waitedMs = nowMs - (this._pendingSinceMs ?? nowMs);
          if (waitedMs < options.batchSendDeadlineMs) {
            await this._wait(
              options.batchSendDeadlineMs - waitedMs,
              'full-batch'
            );
            continue;
          }
        }
        await this._sendHead();
      } catch (err) {
        // Nothing above should throw; if something does (a durable queue's
        // I/O), keep the loop alive and do not spin.
        options.logger.error(
          { err, shard: this.index },
          'forward shard loop failed; retrying'
        );
        await this._wait(options.backoff.nextDelayMs(), 'stop-only');
      }
    }
  }

  private async _sendHead(): Promise<void> {
    const options = this._options;
    const queue = this.queue;
    const batch = await queue.peek(
      options.maxPointsPerSend,
      options.maxBytesPerSend
    );
    if (batch === undefined) return;
    const takenAtMs = options.now();
    const body = (options.compress ?? snappyCompress)(this._join(batch));
    let retries = 0;
    for (;;) {
      const startedAt = performance.now();
      const result = await options.client.send(body, this._abort.signal);
      // A stop that ran out of time aborted this send: keep the batch queued.
      if (this._isHalted && result.status !== 'success') return;
      options.instruments.recordRequest(
        result.httpStatus,
        (performance.now() - startedAt) / 1000
      );

      if (result.status === 'retryable') {
        retries++;
        options.instruments.recordRetry(result.reason);
        const delayMs =
          result.retryInMillis === undefined
            ? options.backoff.nextDelayMs()
            : Math.max(options.minBackoffMs, result.retryInMillis);
        const fields = {
          err: result.error,
          shard: this.index,
          points: batch.points,
          attempt: retries,
          retryInMs: delayMs,
        };
        // One warning per batch, not per attempt: an outage would flood the log.
        if (retries === 1)
          options.logger.warn(fields, 'cannot forward batch; retrying');
        else options.logger.debug(fields, 'cannot forward batch; retrying');
        await this._wait(delayMs, 'stop-only');
        if (this._isHalted) return;
        continue;
      }

      await queue.commit(batch);
      const nowMs = options.now();
      options.instruments.addQueued(-batch.points);
      this._drainRate.record(batch.points, nowMs);
      options.backoff.reset();
      if (result.status === 'success') {
        options.instruments.recordDelivered(batch.points, nowMs);
        if (retries > 0) {
          options.logger.info(
            { shard: this.index, points: batch.points, retries },
            'forwarded batch after retries'
          );
        }
      } else {
        options.instruments.recordRefused(
          `http_${result.httpStatus}`,
          batch.points
        );
        options.logger.warn(
          {
            err: result.error,
            shard: this.index,
            status: result.httpStatus,
            body: result.responseBody,
            points: batch.points,
          },
          'downstream refused batch; dropped it'
        );
      }
      break;
    }
    // What is left was queued before this send started, or during it.
    this._pendingSinceMs = queue.fragmentCount > 0 ? takenAtMs : undefined;
  }

  private _hasFullBatch(): boolean {
    const options = this._options;
    return (
      this.queue.points >= options.maxPointsPerSend ||
      this.queue.bytes >= options.maxBytesPerSend
    );
  }

  /** The fragments as one WriteRequest body (a view; valid until the next join). */
  private _join(batch: QueuedBatch): Uint8Array {
    const fragments = batch.fragments;
    if (fragments.length === 1) return fragments[0]!;
    if (this._joinBuffer.length < batch.bytes)
      this._joinBuffer = new Uint8Array(batch.bytes);
    let at = 0;
    for (let i = 0; i < fragments.length; i++) {
      this._joinBuffer.set(fragments[i]!, at);
      at += fragments[i]!.byteLength;
    }
    return this._joinBuffer.subarray(0, at);
  }

  /** Waits `ms` (undefined: no timer), or until woken as `wakeOn` says, or halted. */
  private _wait(ms: number | undefined, wakeOn: WakeOn): Promise<void> {
    if (this._isHalted) return Promise.resolve();
    return new Promise(resolve => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this._wake = undefined;
        this._wakeOn = 'stop-only';
        resolve();
      };
      this._wake = done;
      this._wakeOn = wakeOn;
      if (ms !== undefined) timer = setTimeout(done, ms);
    });
  }

  private _wakeUp(): void {
    const wake = this._wake;
    if (wake !== undefined) wake();
  }
}
