/**
 * What every pipeline stage sees besides the batch: who sent it and when.
 * Stages mutate the batch in place (rewrite labels, mark series dropped) and
 * add their counts to `tally`, which the caller turns into metrics once per
 * request instead of once per series.
 */
import type { SeriesBatch } from '../model/index.js';
import type { Identity } from './identify.js';

export type IngestProtocol = 'remote_write_v1' | 'remote_write_v2' | 'otlp';

export interface StageContext {
  readonly identity: Identity;
  readonly protocol: IngestProtocol;
  readonly receivedAtMs: number;
  readonly tally: StageTally;
}

/** Per-request counts kept by stages; keys are small bounded sets. */
export class StageTally {
  /** `${cluster}\x00${label}` → series whose sent value was overwritten. */
  readonly conflicts = new Map<string, number>();
  /** `${cluster}\x00${reason}` → [series, samples] dropped. */
  readonly drops = new Map<string, [number, number]>();

  addConflict(cluster: string, label: string): void {
    const key = `${cluster}\x00${label}`;
    this.conflicts.set(key, (this.conflicts.get(key) ?? 0) + 1);
  }

  /** Human explanation per drop reason, set by the stage that dropped (e.g. the budget that was hit). */
  readonly reasons = new Map<string, string>();

  /** The explanation of a reason, or the reason itself. */
  reasonText(reason: string): string {
    return this.reasons.get(reason) ?? reason;
  }

  addDrop(
    cluster: string,
    reason: string,
    samples: number,
    explanation?: string
  ): void {
    if (explanation !== undefined && !this.reasons.has(reason))
      this.reasons.set(reason, explanation);
    const key = `${cluster}\x00${reason}`;
    const entry = this.drops.get(key);
    if (entry === undefined) this.drops.set(key, [1, samples]);
    else {
      entry[0] += 1;
      entry[1] += samples;
    }
  }
}

/**
 * A step of a pipeline, over a batch type (SeriesBatch for metrics,
 * LogBatch for logs) and the context its pipeline gives. Most stages are synchronous; a stage that must ask
 * shared state (rate limits, HA elections) returns a promise, and the runner
 * awaits only those. A stage refuses the whole request by throwing a
 * GatewayError (e.g. OverloadedError); it drops single series by marking
 * `batch.dropped` and tallying the reason.
 */
export interface Stage<B = SeriesBatch, C extends StageContext = StageContext> {
  readonly name: string;
  process(batch: B, context: C): void | Promise<void>;
}
