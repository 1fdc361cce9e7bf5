import type { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.js';
import { OverloadedError, UnavailableError } from '../../errors.js';
import { ClusterRegistry } from '../../fleet/index.js';
import {
  SeriesBatch,
  labelsFromRecord,
  type NativeHistogram,
} from '../../model/index.js';
import { MemoryStateStore } from '../../state/index.js';
import { SelfMetrics } from '../../telemetry/index.js';
import { nativeHistogram } from '../../../test/helpers/slo-fixtures.js';
import type { BatchObserver } from '../batch-observer.js';
import { buildMetricsPipeline } from '../build-pipeline.js';
import type { Identity } from '../identify.js';
import { Pipeline } from '../pipeline.js';
import type { Stage } from '../stage.js';
import {
  MetricsIngestService,
  metricClusterOf,
  type MetricsForwarder,
} from './metrics-ingest-service.js';

const NOW = 1_700_000_000_000;
const ANONYMOUS: Identity = { kind: 'anonymous' };

function oneSeries(): SeriesBatch {
  const batch = new SeriesBatch();
  batch.addSeries(['__name__', 'up', 'cluster', 'prod']);
  batch.addSample(1, NOW);
  return batch;
}

function setup(
  forwarder: MetricsForwarder,
  observers: BatchObserver<SeriesBatch>[]
) {
  const errors: string[] = [];
  const service = new MetricsIngestService({
    pipeline: new Pipeline([]),
    forwarder,
    observers,
    metrics: new SelfMetrics({ version: 'test' }),
    onObserverError: (err, observer) =>
      errors.push(`${observer}: ${(err as Error).message}`),
  });
  return { service, errors };
}

describe('MetricsIngestService observers', () => {
  it('observe a batch only once the forwarders made it durable', async () => {
    const events: string[] = [];
    let makeDurable: () => void = () => undefined;
    const { service } = setup(
      {
        enqueue: () => {
          events.push('enqueued');
          return new Promise<void>(resolve => {
            makeDurable = () => {
              events.push('durable');
              resolve();
            };
          });
        },
      },
      [
        {
          name: 'tap',
          observe: (batch, write) => {
            events.push(
              `observed ${batch.sampleCount} at ${write.receivedAtMs}`
            );
          },
        },
      ]
    );
    const accepted = service.accept(
      oneSeries(),
      ANONYMOUS,
      'remote_write_v1',
      NOW
    );
    await Promise.resolve();
    expect(events).toEqual(['enqueued']);
    makeDurable();
    await accepted;
    expect(events).toEqual(['enqueued', 'durable', `observed 1 at ${NOW}`]);
  });

  it('do not observe a batch a full queue refused, and hear the refusal', async () => {
    const observed: number[] = [];
    const refusals: string[] = [];
    const { service } = setup(
      {
        enqueue: () => {
          throw new OverloadedError(
            'cannot queue samples: queue full',
            'queue_full',
            1000
          );
        },
      },
      [
        {
          name: 'tap',
          observe: batch => void observed.push(batch.sampleCount),
          refused: (_write, reason) => void refusals.push(reason),
        },
      ]
    );
    await expect(
      service.accept(oneSeries(), ANONYMOUS, 'otlp', NOW)
    ).rejects.toThrow('cannot queue samples: queue full');
    expect(observed).toEqual([]);
    expect(refusals).toEqual(['queue_full']);
  });

  it('acknowledge a write whose observer throws, and report the observer', async () => {
    const observed: string[] = [];
    const { service, errors } = setup({ enqueue: () => undefined }, [
      {
        name: 'broken',
        observe: () => {
          throw new Error('cannot count: boom');
        },
      },
      { name: 'later', observe: () => void observed.push('later') },
    ]);
    const outcome = await service.accept(
      oneSeries(),
      ANONYMOUS,
      'remote_write_v2',
      NOW
    );
    expect(outcome.samplesWritten).toBe(1);
    expect(observed).toEqual(['later']);
    expect(errors).toEqual(['broken: cannot count: boom']);
  });
});

const CONFIG = parseConfig(
  `
clusters:
  - {name: prod-eu, region: eu-west-1, env: prod}
relabel_configs:
  - source_labels: [job]
    regex: drop-me
    action: drop
limits:
  ingestion_rate: 0
`,
  {}
);
const registry = new ClusterRegistry(CONFIG.clusters);
const PROD_EU: Identity = {
  kind: 'cluster',
  cluster: registry.byName('prod-eu')!,
};
const noCardinality: Stage = {
  name: 'cardinality',
  process: () => undefined,
};

function histogram(): NativeHistogram {
  return nativeHistogram({ schema: 0, positive: new Map([[0, 2]]) });
}

/** A forwarder that keeps what it was given (copied: the batch may be reused). */
function recordingForwarder() {
  const forwarded: string[][] = [];
  const forwarder: MetricsForwarder = {
    enqueue: batch => {
      const live: string[] = [];
      for (let s = 0; s < batch.seriesCount; s++)
        if (batch.dropped[s] === 0) live.push(batch.labels[s]!.join(','));
      forwarded.push(live);
      return undefined;
    },
  };
  return { forwarded, forwarder };
}

function realService(
  forwarder: MetricsForwarder,
  observers: BatchObserver<SeriesBatch>[] = []
) {
  const metrics = new SelfMetrics({ version: 'test' });
  const service = new MetricsIngestService({
    pipeline: buildMetricsPipeline(CONFIG, {
      registry,
      store: new MemoryStateStore(),
      metricsRegistry: metrics.registry,
      cardinality: noCardinality,
    }),
    forwarder,
    observers,
    metrics,
    onObserverError: err => {
      throw err;
    },
  });
  return { service, metrics };
}

async function countsOf(counter: Counter): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const { labels, value } of (await counter.get()).values)
    out[Object.values(labels).join('/')] = value;
  return out;
}

function batchOf(...series: Record<string, string>[]): SeriesBatch {
  const batch = new SeriesBatch();
  for (const labels of series) {
    batch.addSeries(labelsFromRecord(labels));
    batch.addSample(1, NOW);
    batch.addSample(2, NOW + 1000);
  }
  return batch;
}

describe('MetricsIngestService over a real pipeline', () => {
  it('forwards the normalized live series and counts the write per cluster and protocol', async () => {
    const { forwarded, forwarder } = recordingForwarder();
    const { service, metrics } = realService(forwarder);
    const batch = batchOf({ __name__: 'up', job: 'api' });
    batch.addHistogram(histogram());
    batch.addExemplar({
      labels: ['trace_id', 'abc'],
      value: 1,
      timestampMs: NOW,
    });

    const outcome = await service.accept(
      batch,
      PROD_EU,
      'remote_write_v2',
      NOW
    );

    expect(outcome).toEqual({
      samplesWritten: 2,
      histogramsWritten: 1,
      exemplarsWritten: 1,
      seriesDropped: 0,
      pointsDropped: 0,
      dropMessages: [],
    });
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]![0]).toContain('cluster,prod-eu');
    expect(await countsOf(metrics.receivedRequests)).toEqual({
      'prod-eu/remote_write': 1,
    });
    expect(await countsOf(metrics.receivedSeries)).toEqual({
      'prod-eu/remote_write': 1,
    });
    expect(await countsOf(metrics.receivedSamples)).toEqual({
      'prod-eu/remote_write': 2,
    });
    expect(await countsOf(metrics.receivedHistograms)).toEqual({
      'prod-eu/remote_write': 1,
    });
  });

  it('counts OTLP apart from remote write, and no histograms when none came', async () => {
    const { forwarder } = recordingForwarder();
    const { service, metrics } = realService(forwarder);
    await service.accept(batchOf({ __name__: 'up' }), PROD_EU, 'otlp', NOW);
    await service.accept(
      batchOf({ __name__: 'up' }),
      PROD_EU,
      'remote_write_v1',
      NOW
    );
    expect(await countsOf(metrics.receivedRequests)).toEqual({
      'prod-eu/otlp': 1,
      'prod-eu/remote_write': 1,
    });
    expect(await countsOf(metrics.receivedHistograms)).toEqual({});
  });

  it('reports series a stage dropped, writes only the live ones and explains the drop', async () => {
    const { forwarded, forwarder } = recordingForwarder();
    const observedLive: number[] = [];
    const { service, metrics } = realService(forwarder, [
      {
        name: 'tap',
        observe: batch => void observedLive.push(batch.liveSeriesCount()),
      },
    ]);
    const batch = batchOf(
      { __name__: 'up', job: 'drop-me' },
      { __name__: 'up', job: 'keep' },
      { __name__: 'down', job: 'drop-me' }
    );
    batch.addHistogram(histogram());
    batch.addExemplar({ labels: [], value: 1, timestampMs: NOW });

    const outcome = await service.accept(batch, PROD_EU, 'otlp', NOW);

    // The histogram and exemplar belong to the third series, which relabel dropped.
    expect(outcome).toEqual({
      samplesWritten: 2,
      histogramsWritten: 0,
      exemplarsWritten: 0,
      seriesDropped: 2,
      pointsDropped: 5,
      dropMessages: [
        '5 points of 2 series dropped for cluster prod-eu: dropped by relabel_configs',
      ],
    });
    expect(forwarded[0]).toHaveLength(1);
    expect(forwarded[0]![0]).toContain('job,keep');
    expect(observedLive).toEqual([1]);
    expect(await countsOf(metrics.droppedSeries)).toEqual({
      'prod-eu/relabel': 2,
    });
    expect(await countsOf(metrics.droppedSamples)).toEqual({
      'prod-eu/relabel': 5,
    });
  });

  it('counts a label the sender set that the registered cluster overwrote', async () => {
    const { service, metrics } = realService(recordingForwarder().forwarder);
    await service.accept(
      batchOf(
        { __name__: 'up', cluster: 'somewhere-else' },
        { __name__: 'down', cluster: 'somewhere-else' }
      ),
      PROD_EU,
      'remote_write_v1',
      NOW
    );
    expect(await countsOf(metrics.labelConflicts)).toEqual({
      'prod-eu/cluster': 2,
    });
  });

  it('acknowledges a non-elected HA replica without a drop message', async () => {
    const { forwarded, forwarder } = recordingForwarder();
    const { service, metrics } = realService(forwarder);
    const replica = (name: string) =>
      batchOf({ __name__: 'up', __replica__: name });
    await service.accept(replica('a'), PROD_EU, 'otlp', NOW);

    const outcome = await service.accept(replica('b'), PROD_EU, 'otlp', NOW);

    expect(outcome.seriesDropped).toBe(1);
    expect(outcome.pointsDropped).toBe(0);
    expect(outcome.dropMessages).toEqual([]);
    expect(outcome.samplesWritten).toBe(0);
    expect(forwarded).toEqual([[expect.any(String)], []]);
    expect(await countsOf(metrics.droppedSeries)).toEqual({
      'prod-eu/ha_replica_not_elected': 1,
    });
  });
});

describe('MetricsIngestService refusals', () => {
  function refusing(err: unknown) {
    const refusals: string[] = [];
    const observed: number[] = [];
    const { service, metrics } = realService(
      {
        enqueue: () => {
          throw err;
        },
      },
      [
        {
          name: 'tap',
          observe: batch => void observed.push(batch.seriesCount),
          refused: (write, reason) =>
            void refusals.push(`${metricClusterOf(write.identity)} ${reason}`),
        },
        // An observer without a refusal hook is skipped, not called.
        {
          name: 'quiet',
          observe: batch => void observed.push(batch.seriesCount),
        },
      ]
    );
    return { service, metrics, refusals, observed };
  }

  it('tell observers a stopping forwarder refused, by error code, and propagate the typed error', async () => {
    const { service, metrics, refusals, observed } = refusing(
      new UnavailableError('cannot forward samples: forwarding is stopping')
    );
    const accepted = service.accept(
      batchOf({ __name__: 'up' }),
      PROD_EU,
      'remote_write_v1',
      NOW
    );
    await expect(accepted).rejects.toBeInstanceOf(UnavailableError);
    expect(refusals).toEqual(['prod-eu GW_ERR_UNAVAILABLE']);
    expect(observed).toEqual([]);
    expect(await countsOf(metrics.receivedRequests)).toEqual({});
  });

  it('name an overload without a reason "overloaded"', async () => {
    const overloaded = new OverloadedError(
      'cannot queue samples: full',
      'x',
      1
    );
    // The service guards against an overload that names no reason.
    Object.defineProperty(overloaded, 'reason', { value: undefined });
    const { service, refusals } = refusing(overloaded);
    await expect(
      service.accept(batchOf({ __name__: 'up' }), ANONYMOUS, 'otlp', NOW)
    ).rejects.toBe(overloaded);
    expect(refusals).toEqual(['unregistered overloaded']);
  });

  it('do not call an untyped failure a refusal, and still propagate it', async () => {
    const failure = new Error('disk on fire');
    const { service, refusals, observed } = refusing(failure);
    await expect(
      service.accept(batchOf({ __name__: 'up' }), PROD_EU, 'otlp', NOW)
    ).rejects.toBe(failure);
    expect(refusals).toEqual([]);
    expect(observed).toEqual([]);
  });

  it('hear a refusal by a pipeline stage before anything is forwarded', async () => {
    const { forwarded, forwarder } = recordingForwarder();
    const refusals: string[] = [];
    const limited: Stage = {
      name: 'ingestion_rate',
      process: () => {
        throw new OverloadedError(
          'cannot accept samples: rate limit of 10/s exceeded',
          'rate_limited',
          1000,
          429
        );
      },
    };
    const service = new MetricsIngestService({
      pipeline: new Pipeline([limited]),
      forwarder,
      observers: [
        {
          name: 'tap',
          observe: () => undefined,
          refused: (_w, reason) => void refusals.push(reason),
        },
      ],
      metrics: new SelfMetrics({ version: 'test' }),
      onObserverError: () => undefined,
    });
    await expect(
      service.accept(batchOf({ __name__: 'up' }), ANONYMOUS, 'otlp', NOW)
    ).rejects.toBeInstanceOf(OverloadedError);
    expect(refusals).toEqual(['rate_limited']);
    expect(forwarded).toEqual([]);
  });
});

describe('metricClusterOf()', () => {
  it('names a registered cluster and folds anonymous senders into one value', () => {
    expect(metricClusterOf(PROD_EU)).toBe('prod-eu');
    expect(metricClusterOf(ANONYMOUS)).toBe('unregistered');
  });
});
