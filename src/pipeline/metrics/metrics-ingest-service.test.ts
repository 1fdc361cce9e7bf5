import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { OverloadedError } from '../errors.js';
import { ClusterRegistry } from '../fleet/index.js';
import { DeltaToCumulative, OtlpMetricsConverter } from '../ingest/index.js';
import { SeriesBatch } from '../model/index.js';
import {
  Identifier,
  Pipeline,
  type BatchObserver,
  type Identity,
} from '../pipeline/index.js';
import { SelfMetrics } from '../telemetry/index.js';
import {
  IngestService,
  type IngestRuntime,
  type MetricsForwarder,
} from './ingest-service.js';

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
  const config = parseConfig('', {});
  const registry = new ClusterRegistry(config.clusters);
  const runtime: IngestRuntime = {
    config,
    registry,
    identifier: new Identifier(registry, '127.0.0.1'),
    pipeline: new Pipeline([]),
    otlpConverter: new OtlpMetricsConverter({
      promoteResourceAttributes: [],
      deltaState: new DeltaToCumulative(),
    }),
    forwarder,
    observers,
  };
  const errors: string[] = [];
  const service = new IngestService(
    new SelfMetrics({ version: 'test' }),
    (err, observer) => errors.push(`${observer}: ${(err as Error).message}`)
  );
  return { runtime, service, errors };
}

describe('IngestService observers', () => {
  it('observe a batch only once the forwarders made it durable', async () => {
    const events: string[] = [];
    let makeDurable: () => void = () => undefined;
    const { runtime, service } = setup(
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
    const accepted = service.acceptMetrics(
      runtime,
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
    const { runtime, service } = setup(
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
      service.acceptMetrics(runtime, oneSeries(), ANONYMOUS, 'otlp', NOW)
    ).rejects.toThrow('cannot queue samples: queue full');
    expect(observed).toEqual([]);
    expect(refusals).toEqual(['queue_full']);
  });

  it('acknowledge a write whose observer throws, and report the observer', async () => {
    const observed: string[] = [];
    const { runtime, service, errors } = setup({ enqueue: () => undefined }, [
      {
        name: 'broken',
        observe: () => {
          throw new Error('cannot count: boom');
        },
      },
      { name: 'later', observe: () => void observed.push('later') },
    ]);
    const outcome = await service.acceptMetrics(
      runtime,
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
