/**
 * What became of a fault case's samples: the fault proxy's record of what
 * the receiver accepted or the proxy refused (400), per sample and attempt,
 * checked against what Prometheus holds and what the senders were told.
 *
 * Nothing here imports vitest.
 */
import type { FaultLoad } from './fault-load.js';
import type { FaultProxy, SeriesLabels } from './fault-proxy.js';
import { queryPrometheus, sleep } from './peers.js';

/** One case's outcome, as printed and asserted. */
export interface CaseAccount {
  readonly sent: number;
  readonly acknowledged: number;
  /** Distinct samples the receiver (Prometheus) holds. */
  readonly delivered: number;
  /** Deliveries beyond the first of a sample (both kinds below). */
  readonly duplicated: number;
  /** The same attempt delivered more than once: the gateway sent a record twice. */
  readonly resentRecords: number;
  /** A sample delivered from more than one attempt: the sender resent it. */
  readonly resentBySender: number;
  /** Acknowledged samples the downstream refused (400) and that never arrived: accounted, not lost. */
  readonly refusedByDownstream: number;
  /** Points of the case the downstream refused and that were never delivered, by attempt. */
  readonly refusedPointsUndelivered: number;
  /** Acknowledged, not delivered, not refused by the downstream. */
  readonly lost: readonly number[];
  /** Delivered samples of attempts the gateway answered non-2xx (`seq@timestamp`). */
  readonly refusedButDelivered: readonly string[];
  /** Samples the proxy saw accepted that Prometheus does not hold (an infrastructure problem). */
  readonly missingInReceiver: readonly number[];
}

interface SampleRecord {
  readonly labels: SeriesLabels;
  /** Attempt timestamp → times the receiver accepted it. */
  readonly deliveries: Map<number, number>;
  /** Attempt timestamps the proxy answered 400. */
  readonly refusals: Set<number>;
}

/** The per-sample record of one case, fed by a fault proxy. */
export class DeliveryLedger {
  private readonly _samples = new Map<number, SampleRecord>();
  private _events = 0;

  constructor(
    private readonly _caseName: string,
    proxy: FaultProxy
  ) {
    proxy.onLedger((labels, timestamps, outcome) => {
      if (labels['case'] !== this._caseName || outcome === 'fault') return;
      const seq = Number(labels['seq']);
      let record = this._samples.get(seq);
      if (record === undefined) {
        record = { labels, deliveries: new Map(), refusals: new Set() };
        this._samples.set(seq, record);
      }
      this._events++;
      for (const ts of timestamps) {
        if (outcome === 'delivered')
          record.deliveries.set(ts, (record.deliveries.get(ts) ?? 0) + 1);
        else record.refusals.add(ts);
      }
    });
  }

  /** Deliveries and refusals seen so far (grows while anything arrives). */
  events(): number {
    return this._events;
  }

  isDelivered(seq: number): boolean {
    return (this._samples.get(seq)?.deliveries.size ?? 0) > 0;
  }

  isRefused(seq: number): boolean {
    return (this._samples.get(seq)?.refusals.size ?? 0) > 0;
  }

  deliveredSeqs(): number[] {
    const out: number[] = [];
    for (const [seq, record] of this._samples)
      if (record.deliveries.size > 0) out.push(seq);
    return out;
  }

  /** Accounts for every sample of `load`, given the seqs Prometheus holds. */
  account(load: FaultLoad, inReceiver: ReadonlySet<number>): CaseAccount {
    let resentRecords = 0;
    let resentBySender = 0;
    let refusedByDownstream = 0;
    let refusedPointsUndelivered = 0;
    const refusedButDelivered: string[] = [];
    const missingInReceiver: number[] = [];
    for (const [seq, record] of this._samples) {
      for (const [ts, times] of record.deliveries) {
        resentRecords += times - 1;
        if (load.attemptOf(record.labels, ts) === 'refused')
          refusedButDelivered.push(`${seq}@${ts}`);
      }
      if (record.deliveries.size > 1)
        resentBySender += record.deliveries.size - 1;
      for (const ts of record.refusals)
        if (!record.deliveries.has(ts)) refusedPointsUndelivered++;
      if (record.deliveries.size > 0 && !inReceiver.has(seq))
        missingInReceiver.push(seq);
      if (
        record.deliveries.size === 0 &&
        record.refusals.size > 0 &&
        load.acknowledged.has(seq)
      )
        refusedByDownstream++;
    }
    const lost: number[] = [];
    for (const seq of load.acknowledged)
      if (!inReceiver.has(seq) && !this.isRefused(seq)) lost.push(seq);
    lost.sort((a, b) => a - b);
    return {
      sent: load.sent.size,
      acknowledged: load.acknowledged.size,
      delivered: inReceiver.size,
      duplicated: resentRecords + resentBySender,
      resentRecords,
      resentBySender,
      refusedByDownstream,
      refusedPointsUndelivered,
      lost,
      refusedButDelivered,
      missingInReceiver,
    };
  }
}

/** Seqs of `caseName` that Prometheus holds. */
export async function receiverSeqs(
  receiverUrl: string,
  metric: string,
  caseName: string
): Promise<Set<number>> {
  const result = await queryPrometheus(
    receiverUrl,
    `count_over_time(${metric}{case="${caseName}"}[1h])`
  );
  return new Set(result.map(sample => Number(sample.metric['seq'])));
}

export interface SettleOptions {
  readonly receiverUrl: string;
  readonly metric: string;
  readonly caseName: string;
  readonly timeoutMs: number;
  /** How long nothing new must arrive before delivery counts as settled. */
  readonly quietMs?: number;
}

/**
 * Waits until every acknowledged sample was delivered or refused by the
 * downstream, and nothing more arrives for `quietMs` (late duplicates
 * included), or until `timeoutMs`; then returns what Prometheus holds.
 */
export async function awaitSettled(
  load: FaultLoad,
  ledger: DeliveryLedger,
  options: SettleOptions
): Promise<Set<number>> {
  const deadline = Date.now() + options.timeoutMs;
  const quietMs = options.quietMs ?? 3_000;
  let lastEvents = -1;
  let quietSince = Date.now();
  for (;;) {
    let isAccounted = true;
    for (const seq of load.acknowledged) {
      if (!ledger.isDelivered(seq) && !ledger.isRefused(seq)) {
        isAccounted = false;
        break;
      }
    }
    const events = ledger.events();
    if (events !== lastEvents) {
      lastEvents = events;
      quietSince = Date.now();
    }
    const isQuiet = Date.now() - quietSince >= quietMs;
    if ((isAccounted && isQuiet) || Date.now() > deadline) break;
    await sleep(250);
  }
  // Prometheus answered 2xx to every relayed sample, so it holds them now;
  // poll a little in case a query races the last append.
  const wanted = ledger.deliveredSeqs();
  const receiverDeadline = Date.now() + 15_000;
  for (;;) {
    let held = new Set<number>();
    try {
      held = await receiverSeqs(
        options.receiverUrl,
        options.metric,
        options.caseName
      );
    } catch {
      // a query timeout under load: try again
    }
    if (wanted.every(seq => held.has(seq)) || Date.now() > receiverDeadline)
      return held;
    await sleep(500);
  }
}

/** First few of a list, for a readable assertion message. */
export function someOf(values: readonly (number | string)[]): string {
  return values.length <= 20
    ? values.join(', ')
    : `${values.slice(0, 20).join(', ')}, … (${values.length} in all)`;
}
