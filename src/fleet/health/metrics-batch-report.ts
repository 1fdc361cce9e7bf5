/**
 * One metrics request as the fleet tracker wants it: per cluster, points
 * and series that landed, drops by reason from the stage tally, and the
 * newest sample timestamp (clock skew). Called once per request after the
 * pipeline ran and the forwarder took the batch, so only acknowledged data
 * counts; dropped series are left out of the skew too (a non-elected HA
 * replica is another Prometheus, with its own clock).
 *
 * O(series): samples of a series are in timestamp order (remote write
 * spec; OTLP points become one sample per series and timestamp), so the
 * newest of a series is its last sample.
 */
import { getLabel, type SeriesBatch } from '../../model/index.js';
import type { IngestReport } from './fleet-recorder.js';

/** The stage tally's drops: `${cluster}\x00${reason}` → [series, samples] (StageTally fits). */
export interface DropTally {
  readonly drops: ReadonlyMap<string, readonly [number, number]>;
}

interface ClusterAccumulator {
  samples: number;
  series: number;
  newestSampleMs: number;
  drops: Map<string, number> | undefined;
}

/**
 * Reports per cluster for one metrics request.
 *
 * @param cluster the token's cluster, or undefined for anonymous data (each
 *   series then names its cluster in its `cluster` label, set by normalize).
 * @param unknownCluster the cluster of a series without a `cluster` label.
 */
export function summarizeMetricsBatch(
  batch: SeriesBatch,
  tally: DropTally,
  cluster: string | undefined,
  unknownCluster = 'unknown'
): Map<string, IngestReport> {
  const byCluster = new Map<string, ClusterAccumulator>();
  const accumulatorOf = (name: string): ClusterAccumulator => {
    let acc = byCluster.get(name);
    if (acc === undefined) {
      acc = { samples: 0, series: 0, newestSampleMs: 0, drops: undefined };
      byCluster.set(name, acc);
    }
    return acc;
  };
  if (cluster !== undefined) accumulatorOf(cluster);
  let acc: ClusterAccumulator | undefined;
  let accName: string | undefined;
  // Indexed loop over series only (no per-sample work): see the header.
  for (let s = 0; s < batch.seriesCount; s++) {
    if (batch.dropped[s] !== 0) continue;
    const name =
      cluster ?? getLabel(batch.labels[s]!, 'cluster') ?? unknownCluster;
    if (name !== accName || acc === undefined) {
      acc = accumulatorOf(name);
      accName = name;
    }
    acc.series++;
    acc.samples += batch.pointsOf(s);
    const end = batch.sampleStart[s + 1]!;
    if (end > batch.sampleStart[s]!) {
      const ts = batch.timestamps[end - 1]!;
      if (ts > acc.newestSampleMs) acc.newestSampleMs = ts;
    }
    const histogramEnd = batch.histogramStart[s + 1]!;
    if (histogramEnd > batch.histogramStart[s]!) {
      const ts = batch.histograms[histogramEnd - 1]!.timestampMs;
      if (ts > acc.newestSampleMs) acc.newestSampleMs = ts;
    }
  }
  for (const [key, [series]] of tally.drops) {
    const at = key.indexOf('\x00');
    const name = cluster ?? key.slice(0, at);
    const reason = key.slice(at + 1);
    const target = accumulatorOf(name);
    target.drops ??= new Map();
    target.drops.set(reason, (target.drops.get(reason) ?? 0) + series);
  }
  const reports = new Map<string, IngestReport>();
  for (const [name, a] of byCluster) {
    reports.set(name, {
      samples: a.samples,
      series: a.series,
      ...(a.drops === undefined ? {} : { drops: a.drops }),
      ...(a.newestSampleMs > 0 ? { newestSampleMs: a.newestSampleMs } : {}),
    });
  }
  return reports;
}
