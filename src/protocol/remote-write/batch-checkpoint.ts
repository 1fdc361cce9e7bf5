/**
 * Lets a decoder that refuses a request take back what it already appended,
 * so a 400 never leaves half a request in a shared batch.
 */
import type { SeriesBatch } from '../../model/index.js';

/** The batch's fill levels, so a refused request leaves no partial series behind. */
export interface BatchCheckpoint {
  series: number;
  samples: number;
  histograms: number;
  exemplars: number;
  familyMetadata: number;
}

/** Notes how far `batch` is filled. */
export function checkpointOf(batch: SeriesBatch): BatchCheckpoint {
  return {
    series: batch.seriesCount,
    samples: batch.sampleCount,
    histograms: batch.histograms.length,
    exemplars: batch.exemplars.length,
    familyMetadata: batch.familyMetadata.length,
  };
}

/**
 * Truncates the batch back to a checkpoint. The offset arrays need no
 * repair: entries at or below the checkpoint's series were final when it
 * was taken, and the next addSeries rewrites the one after.
 */
export function restoreCheckpoint(
  batch: SeriesBatch,
  checkpoint: BatchCheckpoint
): void {
  batch.seriesCount = checkpoint.series;
  batch.sampleCount = checkpoint.samples;
  batch.labels.length = checkpoint.series;
  batch.metadata.length = checkpoint.series;
  batch.histograms.length = checkpoint.histograms;
  batch.exemplars.length = checkpoint.exemplars;
  batch.familyMetadata.length = checkpoint.familyMetadata;
}
