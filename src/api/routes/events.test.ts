import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  KubernetesEventService,
  type EventQuery,
  type KubernetesEvent,
} from '../../fleet/index.js';
import {
  EVENT_T0,
  coreEvent,
  eventsV1Event,
  k8sEventsRecord,
  k8sObjectsPullEndRecord,
  k8sObjectsWatchRecord,
} from '../../../test/helpers/receiver-records.js';
import { MemoryEventLog } from '../../state/index.js';
import { SelfMetrics, silentLogger } from '../../telemetry/index.js';
import { createErrorHandler } from '../error-handler.js';
import {
  DEFAULT_EVENTS_LIMIT,
  eventsHandler,
  type EventReader,
} from './events.js';

const MIN = 60_000;
const NOW = EVENT_T0 + 60 * MIN;
const REGISTERED = ['prod', 'dev'];

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(s => new Promise(resolve => s.close(resolve)))
  );
});

async function serve(events: EventReader): Promise<string> {
  const app = express();
  app.get(
    '/api/v1/events',
    eventsHandler({ events, clusters: () => REGISTERED, now: () => NOW })
  );
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
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/events`;
}

async function get(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

/** A reader that records the query it was given. */
function spyReader(): EventReader & { queries: EventQuery[] } {
  const queries: EventQuery[] = [];
  return {
    queries,
    query: q => {
      queries.push(q);
      return Promise.resolve([]);
    },
  };
}

/** The service over a memory log, fed the receivers' records of two clusters. */
async function feededService(): Promise<KubernetesEventService> {
  const service = new KubernetesEventService({
    store: new MemoryEventLog(),
    registry: new Registry(),
    now: () => NOW,
  });
  await service.observe(
    [
      k8sEventsRecord(coreEvent({ count: 7, lastMs: EVENT_T0 + 5 * MIN })),
      k8sObjectsPullEndRecord(NOW),
    ],
    'prod'
  );
  await service.observe(
    [
      k8sObjectsWatchRecord('ADDED', eventsV1Event(), NOW),
      k8sObjectsWatchRecord(
        'ADDED',
        coreEvent({
          uid: 'node-1',
          namespace: '',
          kind: 'Node',
          objectName: 'ip-10-0-1-23.ec2.internal',
          reason: 'NodeNotReady',
          message: 'Node ip-10-0-1-23.ec2.internal status is now: NodeNotReady',
          component: 'node-controller',
          count: 1,
          firstMs: EVENT_T0 + 2 * MIN,
        }),
        NOW
      ),
    ],
    'dev'
  );
  return service;
}

describe('GET /api/v1/events', () => {
  it('answers the events of every registered cluster, newest first, in the envelope', async () => {
    const base = await serve(await feededService());
    const { status, body } = await get(base);
    expect(status).toBe(200);
    expect(body).toStrictEqual({
      status: 'success',
      data: {
        events: [
          {
            cluster: 'prod',
            type: 'Warning',
            reason: 'BackOff',
            namespace: 'payments',
            object: { kind: 'Pod', name: 'api-7d9f8-x2k4q' },
            count: 7,
            first_seen: '2030-01-01T00:00:00.000Z',
            last_seen: '2030-01-01T00:05:00.000Z',
            message:
              'Back-off restarting failed container api in pod api-7d9f8-x2k4q_payments(c0d1e2f3-0000-4000-8000-000000000001)',
            reporting_component: '',
          },
          {
            cluster: 'dev',
            type: 'Warning',
            reason: 'NodeNotReady',
            namespace: '',
            object: { kind: 'Node', name: 'ip-10-0-1-23.ec2.internal' },
            count: 1,
            first_seen: '2030-01-01T00:02:00.000Z',
            last_seen: '2030-01-01T00:02:00.000Z',
            message:
              'Node ip-10-0-1-23.ec2.internal status is now: NodeNotReady',
            reporting_component: 'node-controller',
          },
          {
            cluster: 'dev',
            type: 'Normal',
            reason: 'Scheduled',
            namespace: 'shop',
            object: { kind: 'Pod', name: 'web-0' },
            count: 1,
            first_seen: '2030-01-01T00:00:00.000Z',
            last_seen: '2030-01-01T00:00:00.000Z',
            message:
              'Successfully assigned shop/web-0 to ip-10-0-2-7.ec2.internal',
            reporting_component: 'default-scheduler',
          },
        ],
      },
    });
  });

  it.each<[string, string[]]>([
    ['?cluster=dev', ['NodeNotReady', 'Scheduled']],
    ['?cluster=dev&cluster=prod', ['BackOff', 'NodeNotReady', 'Scheduled']],
    ['?cluster=staging', []],
    ['?type=warning', ['BackOff', 'NodeNotReady']],
    ['?type=Normal', ['Scheduled']],
    ['?reason=Scheduled', ['Scheduled']],
    ['?namespace=payments', ['BackOff']],
    ['?since=1h', ['BackOff', 'NodeNotReady', 'Scheduled']],
    ['?since=58m', ['BackOff', 'NodeNotReady']],
    ['?since=2030-01-01T00:03:00Z', ['BackOff']],
    [`?since=${(EVENT_T0 + 3 * MIN) / 1000}`, ['BackOff']],
    ['?limit=1', ['BackOff']],
    ['?type=Warning&cluster=dev&limit=5', ['NodeNotReady']],
  ])('filters %s', async (params, reasons) => {
    const base = await serve(await feededService());
    const { status, body } = await get(`${base}${params}`);
    expect(status).toBe(200);
    const events = (body as { data: { events: KubernetesEvent[] } }).data
      .events;
    expect(events.map(e => e.reason)).toEqual(reasons);
  });

  it('asks the store for every registered cluster and the default limit', async () => {
    const reader = spyReader();
    await get(await serve(reader));
    expect(reader.queries).toEqual([
      {
        clusters: REGISTERED,
        type: undefined,
        reason: undefined,
        namespace: undefined,
        sinceMs: undefined,
        limit: DEFAULT_EVENTS_LIMIT,
      },
    ]);
  });

  it.each<[string, RegExp]>([
    ['?since=yesterday', /cannot parse 'since' param "yesterday"/],
    ['?since=2030-13-01T00:00:00Z', /cannot parse 'since' param/],
    ['?limit=abc', /cannot parse 'limit' param "abc": want an integer/],
    ['?limit=0', /cannot use 'limit' param 0: want 1 to 1000/],
    ['?limit=1001', /cannot use 'limit' param 1001/],
    ['?type=Normal&type=Warning', /'type' param: it is given 2 times/],
  ])('answers 400 bad_data for %s', async (params, message) => {
    const reader = spyReader();
    const { status, body } = await get(`${await serve(reader)}${params}`);
    expect(status).toBe(400);
    expect(body).toMatchObject({ status: 'error', errorType: 'bad_data' });
    expect((body as { error: string }).error).toMatch(message);
    expect(reader.queries).toEqual([]);
  });
});
