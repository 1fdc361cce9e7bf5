import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig, type LimitsConfig } from '../../config/index.js';
import { ClusterRegistry } from '../../fleet/index.js';
import { SeriesBatch, labelsFromRecord } from '../../model/index.js';
import type { Identity } from '../../pipeline/index.js';
import { StageTally } from '../../pipeline/index.js';
import {
  CardinalityLimiter,
  CardinalityQueries,
  type CardinalitySketchAdd,
  type CardinalityStore,
} from '../../pipeline/index.js';
import { SelfMetrics, silentLogger } from '../../telemetry/index.js';
import { createErrorHandler } from '../error-handler.js';
import {
  CARDINALITY_SCOPE_HEADER,
  cardinalityLabelNamesHandler,
  cardinalityLabelValuesHandler,
  cardinalityMetricsHandler,
} from './cardinality.js';
import type { ReplicaSnapshot } from '../../state/index.js';

/** In-test shared store: only snapshots matter to the API. */
class FakeStore implements CardinalityStore {
  readonly isShared = true;
  private readonly _snapshots = new Map<string, ReplicaSnapshot>();
  addActiveSeries(_adds: readonly CardinalitySketchAdd[]): Promise<void> {
    return Promise.resolve();
  }
  countActiveSeries(): Promise<number> {
    return Promise.resolve(0);
  }
  publishSnapshot(
    _kind: string,
    replicaId: string,
    payload: string,
    _ttlMs: number,
    nowMs: number
  ): Promise<void> {
    this._snapshots.set(replicaId, {
      replicaId,
      payload,
      publishedAtMs: nowMs,
    });
    return Promise.resolve();
  }
  readSnapshots(): Promise<ReplicaSnapshot[]> {
    return Promise.resolve([...this._snapshots.values()]);
  }
}

const clusters = new ClusterRegistry([
  {
    name: 'prod',
    region: 'eu',
    env: 'prod',
    team: 't',
    token: 'prod-token-0123456789',
    labels: {},
  },
  {
    name: 'dev',
    region: 'us',
    env: 'dev',
    team: 't2',
    token: 'dev-token-0123456789ab',
    labels: {},
  },
]);
const PROD: Identity = { kind: 'cluster', cluster: clusters.byName('prod')! };
const DEV: Identity = { kind: 'cluster', cluster: clusters.byName('dev')! };

const PROD_SERIES = [
  { __name__: 'up', job: 'api', instance: 'a' },
  { __name__: 'up', job: 'api', instance: 'b' },
  { __name__: 'up', job: 'db', instance: 'c' },
  { __name__: 'http_requests_total', job: 'api', instance: 'a', code: '200' },
  { __name__: 'http_requests_total', job: 'api', instance: 'a', code: '500' },
  // Over prod's per-metric budget of 3: dropped, and counted for `up`.
  { __name__: 'up', job: 'db', instance: 'z' },
];
const DEV_SERIES = [{ __name__: 'up', job: 'api', instance: 'd' }];

function limits(): LimitsConfig {
  return {
    ...defaultConfig().limits,
    max_series_per_cluster: 0,
    max_series_per_metric: 10,
    max_series_per_metric_fleet: 0,
    per_cluster: { prod: { max_series_per_metric: 3 } },
  };
}

function feed(
  limiter: CardinalityLimiter,
  identity: Identity,
  list: Record<string, string>[]
): void {
  const cluster = identity.kind === 'cluster' ? identity.cluster : undefined;
  const batch = new SeriesBatch();
  for (const record of list) {
    batch.addSeries(
      labelsFromRecord({
        ...record,
        cluster: cluster!.name,
        env: cluster!.env,
        region: cluster!.region,
        team: cluster!.team,
      })
    );
    batch.addSample(1, 1);
  }
  limiter.process(batch, {
    identity,
    protocol: 'remote_write_v1',
    receivedAtMs: 0,
    tally: new StageTally(),
  });
}

const servers: Server[] = [];

async function serve(queries: CardinalityQueries): Promise<string> {
  const app = express();
  const deps = { queries: () => queries };
  app.get(
    '/api/v1/cardinality/label_names',
    cardinalityLabelNamesHandler(deps)
  );
  app.get(
    '/api/v1/cardinality/label_values',
    cardinalityLabelValuesHandler(deps)
  );
  app.get('/api/v1/cardinality/metrics', cardinalityMetricsHandler(deps));
  app.use(
    createErrorHandler({
      logger: silentLogger(),
      metrics: new SelfMetrics({ collectProcessMetrics: false }),
      remoteWriteOverloadStatus: () => 503,
    })
  );
  const server = await new Promise<Server>(resolve => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/cardinality`;
}

/** One replica holding both clusters. */
async function single(): Promise<string> {
  const limiter = new CardinalityLimiter(limits());
  feed(limiter, PROD, PROD_SERIES);
  feed(limiter, DEV, DEV_SERIES);
  return serve(new CardinalityQueries(limiter));
}

async function get(
  url: string
): Promise<{ status: number; body: unknown; scope: string | null }> {
  const response = await fetch(url);
  return {
    status: response.status,
    body: await response.json(),
    scope: response.headers.get(CARDINALITY_SCOPE_HEADER),
  };
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(s => new Promise(resolve => s.close(resolve)))
  );
});

describe('cardinality routes', () => {
  describe('GET label_names', () => {
    it("answers Mimir's bare shape, sorted by values count desc then name asc", async () => {
      const base = await single();
      const { status, body, scope } = await get(
        `${base}/label_names?cluster=prod`
      );
      expect(status).toBe(200);
      expect(scope).toBe('fleet');
      expect(body).toStrictEqual({
        label_values_count_total: 13,
        label_names_count: 8,
        cardinality: [
          { label_name: 'instance', label_values_count: 3 },
          { label_name: '__name__', label_values_count: 2 },
          { label_name: 'code', label_values_count: 2 },
          { label_name: 'job', label_values_count: 2 },
          { label_name: 'cluster', label_values_count: 1 },
          { label_name: 'env', label_values_count: 1 },
          { label_name: 'region', label_values_count: 1 },
          { label_name: 'team', label_values_count: 1 },
        ],
      });
    });

    it('counts distinct values over the fleet and applies limit after the totals', async () => {
      const base = await single();
      const { body } = await get(
        `${base}/label_names?limit=2&count_method=active`
      );
      expect(body).toStrictEqual({
        label_values_count_total: 18,
        label_names_count: 8,
        cardinality: [
          { label_name: 'instance', label_values_count: 4 },
          { label_name: '__name__', label_values_count: 2 },
        ],
      });
    });

    it('filters by a selector', async () => {
      const base = await single();
      const { body } = await get(
        `${base}/label_names?cluster=prod&selector=${encodeURIComponent('{__name__="up"}')}`
      );
      expect(body).toStrictEqual({
        label_values_count_total: 10,
        label_names_count: 7,
        cardinality: [
          { label_name: 'instance', label_values_count: 3 },
          { label_name: 'job', label_values_count: 2 },
          { label_name: '__name__', label_values_count: 1 },
          { label_name: 'cluster', label_values_count: 1 },
          { label_name: 'env', label_values_count: 1 },
          { label_name: 'region', label_values_count: 1 },
          { label_name: 'team', label_values_count: 1 },
        ],
      });
    });
  });

  describe('GET label_values', () => {
    it("answers Mimir's bare shape, sorted by series desc then name/value asc, without absent names", async () => {
      const base = await single();
      const { status, body } = await get(
        `${base}/label_values?cluster=prod&label_names[]=job&label_names[]=code&label_names[]=nope`
      );
      expect(status).toBe(200);
      expect(body).toStrictEqual({
        series_count_total: 5,
        labels: [
          {
            label_name: 'job',
            label_values_count: 2,
            series_count: 5,
            cardinality: [
              { label_value: 'api', series_count: 4 },
              { label_value: 'db', series_count: 1 },
            ],
          },
          {
            label_name: 'code',
            label_values_count: 2,
            series_count: 2,
            cardinality: [
              { label_value: '200', series_count: 1 },
              { label_value: '500', series_count: 1 },
            ],
          },
        ],
      });
    });

    it('limits values per label and filters by selector, "" matching a missing label', async () => {
      const base = await single();
      const limited = await get(
        `${base}/label_values?cluster=prod&label_names[]=job&limit=1`
      );
      expect(
        (limited.body as { labels: { cardinality: unknown[] }[] }).labels[0]!
          .cardinality
      ).toStrictEqual([{ label_value: 'api', series_count: 4 }]);
      const selected = await get(
        `${base}/label_values?label_names[]=job&selector=${encodeURIComponent('up{code=""}')}`
      );
      expect(selected.body).toStrictEqual({
        series_count_total: 4,
        labels: [
          {
            label_name: 'job',
            label_values_count: 2,
            series_count: 4,
            cardinality: [
              { label_value: 'api', series_count: 3 },
              { label_value: 'db', series_count: 1 },
            ],
          },
        ],
      });
    });
  });

  describe('GET metrics', () => {
    it('lists metrics by active series with their budget use per cluster', async () => {
      const base = await single();
      const { status, body } = await get(`${base}/metrics?cluster=prod`);
      expect(status).toBe(200);
      expect(body).toStrictEqual({
        status: 'success',
        data: {
          cluster: 'prod',
          metrics: [
            {
              metric: 'up',
              series: 3,
              limit: 3,
              utilization: 1,
              dropped_series: 1,
            },
            {
              metric: 'http_requests_total',
              series: 2,
              limit: 3,
              utilization: 0.6667,
              dropped_series: 0,
            },
          ],
        },
      });
    });

    it('sums the fleet against the fleet budget (unlimited: utilization null), honouring limit and sort', async () => {
      const base = await single();
      const { body } = await get(`${base}/metrics?limit=1&sort=dropped`);
      expect(body).toStrictEqual({
        status: 'success',
        data: {
          cluster: null,
          metrics: [
            {
              metric: 'up',
              series: 4,
              limit: 0,
              utilization: null,
              dropped_series: 1,
            },
          ],
        },
      });
    });
  });

  describe('bad parameters', () => {
    it.each([
      ['label_names?limit=-1', /'limit' param -1: it cannot be less than 0/],
      ['label_names?limit=501', /cannot be greater than 500/],
      ['label_names?limit=ten', /cannot parse 'limit' param "ten"/],
      ['label_names?limit=1&limit=2', /'limit' param: it is given 2 times/],
      [
        'label_names?count_method=exact',
        /'count_method' param "exact": valid options are \[active,inmemory\]/,
      ],
      [
        'label_names?selector=' + encodeURIComponent('{job=~"a.*"}'),
        /only equality matchers/,
      ],
      ['label_values', /'label_names\[\]' param is required/],
      [
        'label_values?label_names[]=1abc',
        /invalid 'label_names\[\]' param "1abc"/,
      ],
      [
        `label_values?${Array.from({ length: 101 }, (_, i) => `label_names[]=l${i}`).join('&')}`,
        /101 'label_names\[\]' params, at most 100/,
      ],
      ['metrics?sort=name', /'sort' param "name": want series or dropped/],
    ])('answers 400 bad_data for %s', async (path, want) => {
      const base = await single();
      const { status, body } = await get(`${base}/${path}`);
      expect(status).toBe(400);
      expect(Object.keys(body as object).sort()).toEqual([
        'error',
        'errorType',
        'status',
      ]);
      expect(body).toMatchObject({ status: 'error', errorType: 'bad_data' });
      expect((body as { error: string }).error).toMatch(want);
    });
  });

  describe('with replicas sharing a store', () => {
    it('answers alike from every replica, merging the published snapshots', async () => {
      const store = new FakeStore();
      const a = new CardinalityLimiter(limits(), { store, replicaId: 'a' });
      const b = new CardinalityLimiter(limits(), { store, replicaId: 'b' });
      feed(a, PROD, PROD_SERIES);
      feed(b, DEV, DEV_SERIES);
      await Promise.all([a.publishSnapshot(), b.publishSnapshot()]);
      const [baseA, baseB, baseSingle] = await Promise.all([
        serve(new CardinalityQueries(a)),
        serve(new CardinalityQueries(b)),
        single(),
      ]);
      for (const path of [
        'label_names',
        'label_values?label_names[]=job&label_names[]=instance',
        'metrics',
        'metrics?cluster=prod',
      ]) {
        const [fromA, fromB, fromSingle] = await Promise.all([
          get(`${baseA}/${path}`),
          get(`${baseB}/${path}`),
          get(`${baseSingle}/${path}`),
        ]);
        expect(fromA.body, path).toStrictEqual(fromB.body);
        expect(fromA.body, path).toStrictEqual(fromSingle.body);
        expect(fromA.scope).toBe('fleet');
      }
    });

    it('says when a selector answer covers this replica only', async () => {
      const store = new FakeStore();
      const a = new CardinalityLimiter(limits(), { store, replicaId: 'a' });
      feed(a, PROD, PROD_SERIES);
      const base = await serve(new CardinalityQueries(a));
      const { scope } = await get(`${base}/label_names?selector=up`);
      expect(scope).toBe('replica');
    });
  });
});
