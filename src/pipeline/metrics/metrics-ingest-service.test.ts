import { describe, expect, it } from 'vitest';
import { OverloadedError } from '../../errors.js';
import { SeriesBatch } from '../../model/index.js';
import { SelfMetrics } from '../../telemetry/index.js';
import type { BatchObserver } from '../batch-observer.js';
import type { Identity } from '../identify.js';
import { Pipeline } from '../pipeline.js';
import {
  MetricsIngestService,
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
