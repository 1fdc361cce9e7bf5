/**
 * The after-acknowledgement taps: read-only observers that see a batch
 * once its data is safe (appended to every forward queue, or fully applied
 * when nothing forwards), the same for metrics, logs and events. They
 * never see a refused request's batch, so a sender's retry of a request
 * the gateway refused (rate limit, full queue) is observed once, when it
 * lands; what they count is what was forwarded.
 *
 * The SLO tap is one of them, not a pipeline stage, for that reason
 * (docs/architecture.md "Data flow: one remote write request"): an
 * SLO must count the events the central store receives, so its figures
 * agree with PromQL over the forwarded series. Counted before the
 * acknowledgement, the samples of a request a full queue refused would be
 * in the SLO and never in the store (the sender may give up on them), and
 * the retry that lands would be skipped as not newer than what was seen.
 *
 * Hot path: an observer gets the whole batch (dropped series marked) and
 * the request's facts, never one object per series or sample.
 */
import type { StageContext } from './stage.js';

/** What a route knows about the sender besides the data. */
export interface SenderInfo {
  readonly userAgent?: string | undefined;
  /** OTLP resource attributes of the first resource (collector identity). */
  readonly resource?:
    | readonly { readonly key: string; readonly value: unknown }[]
    | Readonly<Record<string, unknown>>
    | undefined;
}

/** One acknowledged (or refused) write, besides its batch. */
export interface ObservedWrite extends StageContext {
  readonly sender: SenderInfo;
}

export interface BatchObserver<B> {
  /** Bounded name, for the observer error metric and logs. */
  readonly name: string;
  /**
   * Sees one acknowledged batch; entries a stage dropped are marked (skip
   * them). Must not change the batch. A returned promise is awaited before
   * the response; a throw is reported and the request still succeeds.
   */
  observe(batch: B, write: ObservedWrite): void | Promise<void>;
  /**
   * Hears of a request refused before acknowledgement with an error the
   * sender retries (`reason`: e.g. `rate_limited`, `overloaded`); its data
   * did not land and is not observed.
   */
  refused?(write: ObservedWrite, reason: string): void;
}

/**
 * Runs every observer over one batch. Synchronous observers cost no tick;
 * only when one returns a promise does the caller have one to await.
 */
export function notifyObservers<B>(
  observers: readonly BatchObserver<B>[],
  batch: B,
  write: ObservedWrite,
  onError: (err: unknown, observer: string) => void
): Promise<void> | undefined {
  let pending: Promise<void>[] | undefined;
  for (const observer of observers) {
    try {
      const result = observer.observe(batch, write);
      if (result !== undefined)
        (pending ??= []).push(
          result.catch((err: unknown) => onError(err, observer.name))
        );
    } catch (err) {
      onError(err, observer.name);
    }
  }
  return pending === undefined
    ? undefined
    : Promise.all(pending).then(() => undefined);
}

/** Tells every observer that hears refusals about one. */
export function notifyRefused<B>(
  observers: readonly BatchObserver<B>[],
  write: ObservedWrite,
  reason: string
): void {
  for (const observer of observers) observer.refused?.(write, reason);
}
