import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../config/index.js';
import { logsSchema } from '../../config/index.js';
import { OverloadedError } from '../../errors.js';
import { ClusterRegistry } from '../../fleet/index.js';
import {
  buildLogBatch,
  type ResourceSpec,
} from '../../../test/helpers/otlp-logs-fixtures.js';
import { LogDropReason, type LogBatch } from '../../model/index.js';
import { MemoryStateStore } from '../../state/index.js';
import type { Identity } from '../identify.js';
import {
  LOG_LABEL_CONFLICTS_METRIC,
  LOG_OBSERVER_ERRORS_METRIC,
  RECEIVED_LOG_BYTES_METRIC,
  RECEIVED_LOG_RECORDS_METRIC,
  REFUSED_LOG_BYTES_METRIC,
  REJECTED_LOG_RECORDS_METRIC,
} from './log-ingest-metrics.js';
import {
  LogsIngestService,
  type LogBatchObserver,
  type LogsIngestServiceDeps,
} from './logs-ingest-service.js';

const NOW = 1_700_000_000_000;
const registry = new ClusterRegistry([
  {
    name: 'prod-eu',
    region: 'eu-west-1',
    env: 'prod',
    team: 'payments',
    token: 'prod-eu-token-0123456789',
    labels: {},
  },
]);
const prodEu: Identity = {
  kind: 'cluster',
  cluster: registry.byName('prod-eu')!,
};

function setup(
  overrides: Omit<Partial<LogsIngestServiceDeps>, 'logs'> & {
    logs?: Record<string, unknown>;
  } = {}
) {
  const metricsRegistry = new Registry();
  const enqueued: { records: string[]; clusters: string[] }[] = [];
  const forwarder = {
    enqueue: vi.fn((batch: LogBatch): undefined => {
      const live = batch.records.filter(
        (_, i) => batch.dropped[i] === LogDropReason.NONE
      );
      enqueued.push({
        records: live.map(r =>
          typeof r.body === 'string' ? r.body : JSON.stringify(r.body)
        ),
        clusters: live.map(r => batch.resourceOf(r).cluster),
      });
      return undefined;
    }),
  };
  const { logs, ...rest } = overrides;
  const service = new LogsIngestService({
    registry,
    normalize: {
      aliases: defaultConfig().normalize.aliases,
      unknownCluster: 'unknown',
    },
    logs: logsSchema.parse(logs ?? {}),
    store: new MemoryStateStore(),
    metricsRegistry,
    forwarder,
    ...rest,
  });
  const metric = async (
    name: string,
    labels: Record<string, string>
  ): Promise<number> => {
    const values = (await metricsRegistry.getSingleMetric(name)!.get()).values;
    const found = values.find(v =>
      Object.entries(labels).every(([k, want]) => v.labels[k] === want)
    );
    return found?.value ?? 0;
  };
  return { service, forwarder, enqueued, metric };
}

const REQUEST: ResourceSpec[] = [
  {
    attributes: { 'service.name': 'checkout', 'k8s.cluster.name': 'prod-us' },
    records: [{ body: 'hello' }, { body: 'wörld' }],
  },
];

describe('LogsIngestService', () => {
  describe('accept()', () => {
    it('normalizes, forwards and counts the records', async () => {
      const { service, enqueued, metric } = setup();
      const outcome = await service.accept(buildLogBatch(REQUEST), prodEu, NOW);
      expect(outcome).toEqual({
        acceptedRecords: 2,
        rejectedRecords: 0,
        message: '',
      });
      expect(enqueued).toEqual([
        { records: ['hello', 'wörld'], clusters: ['prod-eu', 'prod-eu'] },
      ]);
      expect(
        await metric(RECEIVED_LOG_RECORDS_METRIC, { cluster: 'prod-eu' })
      ).toBe(2);
      // UTF-8 bytes: "wörld" is 6.
      expect(
        await metric(RECEIVED_LOG_BYTES_METRIC, { cluster: 'prod-eu' })
      ).toBe(11);
      expect(
        await metric(LOG_LABEL_CONFLICTS_METRIC, {
          cluster: 'prod-eu',
          label: 'cluster',
        })
      ).toBe(1);
    });

    it('refuses records over max_line_bytes one by one and lands the rest', async () => {
      const { service, enqueued, metric } = setup({
        logs: { max_line_bytes: 5 },
      });
      const outcome = await service.accept(buildLogBatch(REQUEST), prodEu, NOW);
      expect(outcome).toEqual({
        acceptedRecords: 1,
        rejectedRecords: 1,
        message:
          '1 log records refused for cluster prod-eu: body longer than the 5-byte limit (logs.max_line_bytes)',
      });
      expect(enqueued[0]!.records).toEqual(['hello']);
      expect(
        await metric(REJECTED_LOG_RECORDS_METRIC, {
          cluster: 'prod-eu',
          reason: 'line_too_long',
        })
      ).toBe(1);
    });

    it('refuses the whole request over the rate limit, before forwarding', async () => {
      const { service, forwarder, metric } = setup({
        logs: {
          limits: { ingestion_rate_bytes: 10, ingestion_burst_bytes: 10 },
        },
      });
      await service.accept(
        buildLogBatch([{ records: [{ body: '0123456789' }] }]),
        prodEu,
        NOW
      );
      const error = await service
        .accept(buildLogBatch(REQUEST), prodEu, NOW)
        .catch((err: unknown) => err);
      expect(error).toBeInstanceOf(OverloadedError);
      expect((error as OverloadedError).httpStatus).toBe(429);
      expect(forwarder.enqueue).toHaveBeenCalledTimes(1);
      expect(
        await metric(REFUSED_LOG_BYTES_METRIC, {
          cluster: 'prod-eu',
          reason: 'log_rate_limited',
        })
      ).toBe(11);
      expect(
        await metric(RECEIVED_LOG_RECORDS_METRIC, { cluster: 'prod-eu' })
      ).toBe(1);
    });

    it('passes a full queue on to the sender and observes nothing', async () => {
      const observe = vi.fn();
      const { service, forwarder } = setup({
        observers: [{ name: 'tap', observe }],
      });
      forwarder.enqueue.mockImplementation(() => {
        throw new OverloadedError('queue full', 'queue_full', 1000, 429);
      });
      await expect(
        service.accept(buildLogBatch(REQUEST), prodEu, NOW)
      ).rejects.toThrow('queue full');
      expect(observe).not.toHaveBeenCalled();
    });

    it('does not enqueue a request with no live record', async () => {
      const { service, forwarder } = setup();
      expect(await service.accept(buildLogBatch([]), prodEu, NOW)).toEqual({
        acceptedRecords: 0,
        rejectedRecords: 0,
        message: '',
      });
      expect(forwarder.enqueue).not.toHaveBeenCalled();
    });

    it('counts anonymous data under unregistered', async () => {
      const { service, metric } = setup();
      await service.accept(buildLogBatch(REQUEST), { kind: 'anonymous' }, NOW);
      expect(
        await metric(RECEIVED_LOG_RECORDS_METRIC, { cluster: 'unregistered' })
      ).toBe(2);
    });

    it('stamps the receive time on the batch', async () => {
      const { service } = setup();
      const batch = buildLogBatch(REQUEST);
      await service.accept(batch, prodEu, NOW);
      expect(batch.receivedAtMs).toBe(NOW);
    });
  });

  describe('observers', () => {
    it('see each accepted batch, normalized, with the identity and arrival time', async () => {
      const seen: {
        clusters: string[];
        dropped: number[];
        identity: Identity;
        receivedAtMs: number;
      }[] = [];
      const tap: LogBatchObserver = {
        name: 'kubernetes_events',
        observe: (batch, write) => {
          seen.push({
            clusters: batch.resources.map(r => r.cluster),
            dropped: [...batch.dropped],
            identity: write.identity,
            receivedAtMs: write.receivedAtMs,
          });
        },
      };
      const { service } = setup({
        logs: { max_line_bytes: 5 },
        observers: [tap],
      });
      await service.accept(buildLogBatch(REQUEST), prodEu, NOW);
      expect(seen).toEqual([
        {
          clusters: ['prod-eu'],
          dropped: [0, LogDropReason.LINE_TOO_LONG],
          identity: prodEu,
          receivedAtMs: NOW,
        },
      ]);
    });

    it('can be added later and are awaited', async () => {
      const { service } = setup();
      let done = false;
      service.addObserver({
        name: 'slow',
        observe: async () => {
          await new Promise(resolve => setTimeout(resolve, 10));
          done = true;
        },
      });
      await service.accept(buildLogBatch(REQUEST), prodEu, NOW);
      expect(done).toBe(true);
    });

    it('that throw are counted and reported, and the request still succeeds', async () => {
      const onObserverError = vi.fn();
      const other = vi.fn();
      const { service, metric } = setup({
        onObserverError,
        observers: [
          {
            name: 'broken',
            observe: () => Promise.reject(new Error('redis down')),
          },
          { name: 'fine', observe: other },
        ],
      });
      const outcome = await service.accept(buildLogBatch(REQUEST), prodEu, NOW);
      expect(outcome.acceptedRecords).toBe(2);
      expect(other).toHaveBeenCalledOnce();
      expect(onObserverError).toHaveBeenCalledExactlyOnceWith(
        new Error('redis down'),
        'broken'
      );
      expect(
        await metric(LOG_OBSERVER_ERRORS_METRIC, { observer: 'broken' })
      ).toBe(1);
    });
  });

  it('shares its metrics with a service rebuilt on reload', () => {
    const metricsRegistry = new Registry();
    const deps = {
      registry,
      normalize: {
        aliases: defaultConfig().normalize.aliases,
        unknownCluster: 'unknown',
      },
      logs: logsSchema.parse({}),
      store: new MemoryStateStore(),
      metricsRegistry,
    };
    new LogsIngestService(deps);
    expect(() => new LogsIngestService(deps)).not.toThrow();
  });
});
