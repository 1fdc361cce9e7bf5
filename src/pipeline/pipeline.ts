/**
 * The stage runner: applies the configured stages in order to one batch
 * (metrics or logs).
 * Built anew on config reload, so a running request keeps the pipeline it
 * started with.
 */
import type { SeriesBatch } from '../model/index.js';
import type { Stage, StageContext } from './stage.js';

export class Pipeline<B = SeriesBatch, C extends StageContext = StageContext> {
  readonly stages: readonly Stage<B, C>[];

  constructor(stages: readonly Stage<B, C>[]) {
    this.stages = stages;
  }

  async run(batch: B, context: C): Promise<void> {
    for (const stage of this.stages) {
      const pending = stage.process(batch, context);
      // Only stages that talk to shared state return a promise; the rest run without a tick.
      if (pending !== undefined) await pending;
    }
  }
}
