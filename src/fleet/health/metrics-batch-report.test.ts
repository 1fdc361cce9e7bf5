import { describe, expect, it } from 'vitest';
import {
  DropReason,
  SeriesBatch,
  labelsFromRecord,
  type NativeHistogram,
} from '../../model/index.js';
import { StageTally } from '../../pipeline/index.js';
import { summarizeMetricsBatch } from './metrics-batch-report.js';

const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);

function histogramAt(timestampMs: number): NativeHistogram {
  return {
    countInt: 1,
    countFloat: 0,
    sum: 1,
    schema: 0,
    zeroThreshold: 0,
    zeroCountInt: 0,
    zeroCountFloat: 0,
    negativeSpans: [],
    negativeDeltas: [],
    negativeCounts: [],
    positiveSpans: [],
    positiveDeltas: [],
    positiveCounts: [],
    resetHint: 0,
    timestampMs,
    customValues: [],
    startTimestampMs: 0,
  };
}

describe('summarizeMetricsBatch()', () => {
  it("reports a token cluster's live points, series, newest timestamp and drops", () => {
    const batch = new SeriesBatch();
    batch.addSeries(labelsFromRecord({ __name__: 'up', cluster: 'prod-eu' }));
    batch.addSample(1, T0 - 30_000);
    batch.addSample(1, T0 - 15_000);
    batch.addSeries(
      labelsFromRecord({ __name__: 'req_seconds', cluster: 'prod-eu' })
    );
    batch.addHistogram(histogramAt(T0 - 5_000));
    // Dropped: its future timestamp (another HA replica's clock) must not count.
    batch.addSeries(
      labelsFromRecord({ __name__: 'up', cluster: 'prod-eu', __replica__: 'b' })
    );
    batch.addSample(1, T0 + 600_000);
    batch.dropped[2] = DropReason.HA_REPLICA;
    const tally = new StageTally();
    tally.addDrop('prod-eu', 'ha_not_elected', 1);
    tally.addDrop('prod-eu', 'series_limit_metric', 4);
    tally.addDrop('prod-eu', 'series_limit_metric', 2);

    const reports = summarizeMetricsBatch(batch, tally, 'prod-eu');
    expect([...reports]).toEqual([
      [
        'prod-eu',
        {
          samples: 3,
          series: 2,
          newestSampleMs: T0 - 5_000,
          drops: new Map([
            ['ha_not_elected', 1],
            ['series_limit_metric', 2],
          ]),
        },
      ],
    ]);
  });

  it('splits anonymous data by its cluster label', () => {
    const batch = new SeriesBatch();
    batch.addSeries(labelsFromRecord({ __name__: 'up', cluster: 'kind-a' }));
    batch.addSample(1, T0);
    batch.addSeries(labelsFromRecord({ __name__: 'up' }));
    batch.addSample(1, T0 - 1000);
    batch.addSeries(labelsFromRecord({ __name__: 'up', cluster: 'kind-b' }));
    batch.dropped[2] = DropReason.CARDINALITY;
    const tally = new StageTally();
    tally.addDrop('kind-b', 'series_limit_cluster', 0);
    const reports = summarizeMetricsBatch(batch, tally, undefined, 'unknown');
    expect(reports.get('kind-a')).toEqual({
      samples: 1,
      series: 1,
      newestSampleMs: T0,
    });
    expect(reports.get('unknown')).toEqual({
      samples: 1,
      series: 1,
      newestSampleMs: T0 - 1000,
    });
    expect(reports.get('kind-b')).toEqual({
      samples: 0,
      series: 0,
      drops: new Map([['series_limit_cluster', 1]]),
    });
  });

  it('reports an empty request of a token cluster (it still counts as contact)', () => {
    const reports = summarizeMetricsBatch(
      new SeriesBatch(),
      new StageTally(),
      'prod-eu'
    );
    expect(reports.get('prod-eu')).toEqual({ samples: 0, series: 0 });
  });
});
