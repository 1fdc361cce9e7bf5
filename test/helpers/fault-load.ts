/**
 * The sender side of the fault matrix: a bounded remote write load whose
 * every sample is identifiable, and the ledger that tells what became of it.
 *
 * Each sample is its own series `<metric>{case, sender, seq}` with value
 * `seq`, so a sample sent twice is never an out-of-order rejection that
 * would hide a loss. Each *attempt* of a request carries its own timestamp
 * (unique per sender), so a delivered sample names the attempt it came from:
 * a sample of an attempt the gateway refused (non-2xx) that still reached
 * the receiver is caught, and so is the gateway sending the same record
 * twice (same attempt delivered twice). The receiver needs an out-of-order
 * window, since a retried attempt can land before an earlier one.
 *
 * Senders retry as Prometheus does: 5xx, 429 and network errors with
 * backoff, honouring Retry-After (capped, to keep the test short); any other
 * status is recorded as unexpected.
 *
 * Nothing here imports vitest.
 */
import { snappyCompress } from '../../src/protocol/index.js';
import type { SeriesLabels } from './fault-proxy.js';
import { sleep } from './peers.js';
import { encodeV1Request } from './remote-write-reference.js';

export interface FaultLoadOptions {
  /** The `case` label of every sample. */
  readonly caseName: string;
  readonly metric: string;
  /** The gateway's current base URL (it changes when the gateway restarts). */
  readonly url: () => string;
  readonly token: string;
  readonly senders: number;
  readonly seriesPerRequest: number;
  /** Pause between one sender's requests (from the start of one to the next). */
  readonly requestIntervalMs: number;
  /** No sample numbered beyond this is made (bounds a run's size). */
  readonly maxSamples: number;
  readonly sendTimeoutMs?: number;
  readonly retryAfterCapMs?: number;
  readonly maxBackoffMs?: number;
}

/** What one attempt ended with. */
type AttemptOutcome = 'acknowledged' | 'refused' | 'no-answer';

export interface LoadSummary {
  readonly sent: number;
  readonly acknowledged: number;
  /** Answers by status (`error` for no answer). */
  readonly statuses: Readonly<Record<string, number>>;
  readonly retryAfters: number;
  /** Non-retryable answers (a test bug, or a gateway bug). */
  readonly unexpected: readonly string[];
  /** The last non-2xx answer: status and the start of its body. */
  readonly lastRefusal: string | undefined;
}

/** The bounded, retrying sender loops of one case. */
export class FaultLoad {
  /** Every seq put in a request. */
  readonly sent = new Set<number>();
  /** Every seq in an attempt answered 2xx. */
  readonly acknowledged = new Set<number>();
  private readonly _options: FaultLoadOptions;
  // `${sender}:${timestampMs}` of every attempt → how it ended.
  private readonly _attempts = new Map<string, AttemptOutcome>();
  private readonly _statuses: Record<string, number> = {};
  private _retryAfters = 0;
  private readonly _unexpected: string[] = [];
  private _lastRefusal: string | undefined;
  private _nextSeq = 0;
  private _isGenerating = false;
  private _giveUpAtMs = Number.POSITIVE_INFINITY;
  private readonly _loops: Promise<void>[] = [];
  private readonly _lastTimestampMs: number[] = [];

  constructor(options: FaultLoadOptions) {
    this._options = options;
  }

  start(): void {
    this._isGenerating = true;
    for (let s = 0; s < this._options.senders; s++) {
      this._lastTimestampMs.push(0);
      this._loops.push(this._run(s));
    }
  }

  /** Stops making requests; pending ones are retried until acknowledged or `settleMs` passes. */
  async stop(settleMs: number): Promise<LoadSummary> {
    this._isGenerating = false;
    this._giveUpAtMs = Date.now() + settleMs;
    await Promise.all(this._loops);
    return this.summary();
  }

  summary(): LoadSummary {
    return {
      sent: this.sent.size,
      acknowledged: this.acknowledged.size,
      statuses: { ...this._statuses },
      retryAfters: this._retryAfters,
      unexpected: [...this._unexpected],
      lastRefusal: this._lastRefusal,
    };
  }

  /** Answers with `status` so far (`error`: no answer). */
  answers(status: string): number {
    return this._statuses[status] ?? 0;
  }

  /** How the attempt that made a sample with these labels and timestamp ended. */
  attemptOf(
    labels: SeriesLabels,
    timestampMs: number
  ): AttemptOutcome | undefined {
    return this._attempts.get(`${labels['sender']}:${timestampMs}`);
  }

  private async _run(sender: number): Promise<void> {
    const options = this._options;
    while (this._isGenerating && this._nextSeq < options.maxSamples) {
      const startedAt = Date.now();
      const seqs: number[] = [];
      for (
        let i = 0;
        i < options.seriesPerRequest && this._nextSeq < options.maxSamples;
        i++
      )
        seqs.push(this._nextSeq++);
      for (const seq of seqs) this.sent.add(seq);
      await this._deliver(sender, seqs);
      await sleep(
        Math.max(0, options.requestIntervalMs - (Date.now() - startedAt))
      );
    }
  }

  /** A fresh timestamp for one attempt of `sender`: unique per sender. */
  private _attemptTimestamp(sender: number): number {
    const ts = Math.max(Date.now(), (this._lastTimestampMs[sender] ?? 0) + 1);
    this._lastTimestampMs[sender] = ts;
    return ts;
  }

  private _body(
    sender: number,
    seqs: readonly number[],
    ts: number
  ): Uint8Array {
    const options = this._options;
    return snappyCompress(
      encodeV1Request({
        // Label names sorted, as the spec wants.
        timeseries: seqs.map(seq => ({
          labels: [
            { name: '__name__', value: options.metric },
            { name: 'case', value: options.caseName },
            { name: 'sender', value: String(sender) },
            { name: 'seq', value: String(seq) },
          ],
          samples: [{ value: seq, timestamp: ts }],
        })),
      })
    );
  }

  private _count(status: string): void {
    this._statuses[status] = (this._statuses[status] ?? 0) + 1;
  }

  /** Sends `seqs` until an attempt is answered 2xx (or the settle time is over). */
  private async _deliver(
    sender: number,
    seqs: readonly number[]
  ): Promise<void> {
    const options = this._options;
    const maxBackoffMs = options.maxBackoffMs ?? 1_000;
    let backoffMs = 30;
    const nextBackoff = (): number => {
      const wait = backoffMs;
      backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
      return wait;
    };
    while (Date.now() < this._giveUpAtMs) {
      const ts = this._attemptTimestamp(sender);
      const attempt = `${sender}:${ts}`;
      // Until an answer comes, the gateway may or may not have taken it.
      this._attempts.set(attempt, 'no-answer');
      let res: Response;
      try {
        res = await fetch(`${options.url()}/api/v1/write`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-protobuf',
            'content-encoding': 'snappy',
            'x-prometheus-remote-write-version': '0.1.0',
            'user-agent': 'fault-matrix-sender/1.0',
            authorization: `Bearer ${options.token}`,
          },
          body: this._body(sender, seqs, ts),
          signal: AbortSignal.timeout(options.sendTimeoutMs ?? 10_000),
        });
        const text = await res.text();
        if (!res.ok) this._lastRefusal = `${res.status} ${text.slice(0, 300)}`;
      } catch {
        this._count('error');
        await sleep(nextBackoff());
        continue;
      }
      this._count(String(res.status));
      if (res.ok) {
        this._attempts.set(attempt, 'acknowledged');
        for (const seq of seqs) this.acknowledged.add(seq);
        return;
      }
      this._attempts.set(attempt, 'refused');
      if (res.status >= 500 || res.status === 429) {
        const retryAfter = Number(res.headers.get('retry-after') ?? '');
        if (retryAfter > 0) {
          this._retryAfters++;
          await sleep(
            Math.min(retryAfter * 1000, options.retryAfterCapMs ?? 2_000)
          );
        } else {
          await sleep(nextBackoff());
        }
        continue;
      }
      this._unexpected.push(
        `${res.status} for seqs ${seqs[0]}..${seqs[seqs.length - 1]}`
      );
      return;
    }
  }
}
