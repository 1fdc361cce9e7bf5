/**
 * Builders shared by the forwarding tests: targets, batches, loggers that
 * keep their lines, metric reads. Test-only.
 */
import { OverloadedError } from '../../errors.js';
import type { ForwardQueue } from '../forward-queue.js';
import { MemoryForwardQueue } from '../memory-forward-queue.js';
import type { RemoteWriteTargetConfig } from '../../config/index.js';
import {
  labelsFromRecord,
  SeriesBatch,
  type MetricMetadata,
} from '../../model/index.js';
import {
  createLogger,
  type Logger,
  type SelfMetrics,
} from '../../telemetry/index.js';

/** A target with small, fast settings; `overrides` win. */
export function testTarget(
  url: string,
  overrides: Partial<RemoteWriteTargetConfig> = {}
): RemoteWriteTargetConfig {
  return {
    url,
    headers: {},
    timeout: 2000,
    shards: 4,
    max_samples_per_send: 100,
    capacity: 100_000,
    batch_send_deadline: 10,
    min_backoff: 5,
    max_backoff: 20,
    ...overrides,
  };
}

export interface TestSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** `[value, timestampMs]` pairs. */
  readonly samples: readonly (readonly [number, number])[];
  readonly metadata?: MetricMetadata;
  readonly isDropped?: boolean;
}

export function buildBatch(
  series: readonly TestSeries[],
  familyMetadata: MetricMetadata[] = []
): SeriesBatch {
  const batch = new SeriesBatch();
  for (const s of series) {
    const index = batch.addSeries(labelsFromRecord(s.labels), s.metadata);
    for (const [value, timestampMs] of s.samples)
      batch.addSample(value, timestampMs);
    if (s.isDropped === true) batch.dropped[index] = 1;
  }
  batch.familyMetadata.push(...familyMetadata);
  return batch;
}

/**
 * `seriesCount` series of one metric, each with `samplesPerSeries` samples
 * whose timestamps continue from `round` (so rounds stay in order).
 */
export function buildRound(
  round: number,
  seriesCount: number,
  samplesPerSeries = 1
): SeriesBatch {
  const series: TestSeries[] = [];
  for (let i = 0; i < seriesCount; i++) {
    const samples: [number, number][] = [];
    for (let k = 0; k < samplesPerSeries; k++) {
      const t = round * samplesPerSeries + k;
      samples.push([t, 1_700_000_000_000 + t * 1000]);
    }
    series.push({
      labels: { __name__: 'test_metric', instance: `i-${i}` },
      samples,
    });
  }
  return buildBatch(series);
}

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A debug-level logger whose lines are parsed into `lines`. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: {
      write: (line: string) => void lines.push(JSON.parse(line) as LogLine),
    },
  });
  return { logger, lines };
}

type ForwardMetricName =
  | 'forwardedSamples'
  | 'forwardRequests'
  | 'forwardRetries'
  | 'forwardFailedSamples'
  | 'forwardQueueSamples'
  | 'forwardQueueCapacity'
  | 'forwardLastSuccess';

/** The value of a forward metric for exactly these labels (0 when absent). */
export async function metricValue(
  metrics: SelfMetrics,
  name: ForwardMetricName,
  labels: Readonly<Record<string, string>>
): Promise<number> {
  const data = await metrics[name].get();
  const wanted = Object.entries(labels);
  for (const entry of data.values) {
    const entryLabels = entry.labels as Record<string, unknown>;
    if (Object.keys(entryLabels).length !== wanted.length) continue;
    if (wanted.every(([k, v]) => entryLabels[k] === v)) return entry.value;
  }
  return 0;
}

/**
 * Appends `fragment` and releases it at once, as an acknowledged request's
 * AppendLedger does: for tests that drive a queue without a forwarder.
 */
export function appendReleased(
  queue: ForwardQueue,
  fragment: Uint8Array,
  points: number
): boolean {
  const isAppended = queue.tryAppend(fragment, points);
  queue.release(queue.tailSeq);
  return isAppended;
}

/**
 * A memory queue whose appends throw, as a disk queue's do on ENOSPC
 * (OverloadedError `queue_unwritable`), while `isFailing()` says so.
 */
export function unwritableWhile(
  capacity: { capacityPoints: number; capacityBytes: number },
  isFailing: () => boolean
): ForwardQueue {
  const queue = new MemoryForwardQueue(capacity);
  const append = queue.tryAppend.bind(queue);
  queue.tryAppend = (fragment, points) => {
    if (isFailing()) {
      throw new OverloadedError(
        'cannot append: ENOSPC',
        'queue_unwritable',
        1000
      );
    }
    return append(fragment, points);
  };
  return queue;
}
