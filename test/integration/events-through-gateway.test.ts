/**
 * Kubernetes events through a running gateway: OTLP logs in the exact shape
 * the Collector's k8s_events receiver emits reach GET /api/v1/events under
 * the token's cluster, deduplicated when two collectors (no leader election)
 * send the same event, and the fleet view counts the events signal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import { waitFor } from '../helpers/peers.js';

const TOKEN = 'prod-eu-token-0123456789';
let gateway: GatewayProcess;

const str = (key: string, value: string) => ({
  key,
  value: { stringValue: value },
});

/** One event as the k8s_events receiver turns it into an OTLP log record. */
function k8sEventsPayload(count: number, reason = 'BackOff'): string {
  const nowNs = `${Date.now()}000000`;
  return JSON.stringify({
    resourceLogs: [
      {
        resource: {
          attributes: [
            str('k8s.node.name', 'node-1'),
            str('k8s.object.kind', 'Pod'),
            str('k8s.object.name', 'api-7d9f'),
            str('k8s.object.uid', 'pod-uid-1'),
            str('k8s.object.fieldpath', 'spec.containers{api}'),
            str('k8s.object.api_version', 'v1'),
            str('k8s.object.resource_version', '1234'),
            str('k8s.cluster.name', 'prod-eu'),
          ],
        },
        scopeLogs: [
          {
            logRecords: [
              {
                timeUnixNano: nowNs,
                severityText: 'Warning',
                severityNumber: 13,
                body: {
                  stringValue:
                    'Back-off restarting failed container api in pod api-7d9f',
                },
                attributes: [
                  str('k8s.event.reason', reason),
                  str('k8s.event.action', ''),
                  str(
                    'k8s.event.start_time',
                    new Date(Date.now() - 60_000).toISOString()
                  ),
                  str('k8s.event.name', 'api-7d9f.17a1'),
                  str('k8s.event.uid', 'event-uid-1'),
                  str('k8s.namespace.name', 'shop'),
                  {
                    key: 'k8s.event.count',
                    value: { intValue: String(count) },
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  });
}

async function postLogs(body: string): Promise<Response> {
  return fetch(`${gateway.url}/v1/logs`, {
    method: 'POST',
    body,
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${TOKEN}`,
    },
  });
}

interface EventJson {
  cluster: string;
  type: string;
  reason: string;
  namespace: string;
  object: { kind: string; name: string };
  count: number;
  message: string;
}

beforeAll(async () => {
  gateway = await startGateway(
    `clusters:\n  - {name: prod-eu, region: eu-west-1, env: prod, team: payments, token: ${TOKEN}}\n`
  );
});

afterAll(async () => {
  await gateway.stop();
});

describe('Kubernetes events through the gateway', () => {
  it('lands k8s_events records in the events API, deduplicated across two collectors', async () => {
    // Two collectors without leader election send the same observation.
    expect((await postLogs(k8sEventsPayload(3))).status).toBe(200);
    expect((await postLogs(k8sEventsPayload(3))).status).toBe(200);
    const events = await waitFor(async () => {
      const res = (await (
        await fetch(`${gateway.url}/api/v1/events?cluster=prod-eu&type=Warning`)
      ).json()) as {
        data: { events: EventJson[] };
      };
      return res.data.events.length > 0 && res.data.events;
    }, 10_000);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      cluster: 'prod-eu',
      type: 'Warning',
      reason: 'BackOff',
      namespace: 'shop',
      object: { kind: 'Pod', name: 'api-7d9f' },
      count: 3,
      message: 'Back-off restarting failed container api in pod api-7d9f',
    });

    // The same event seen again later (higher count) is a new observation of one event.
    expect((await postLogs(k8sEventsPayload(4))).status).toBe(200);
    await waitFor(async () => {
      const res = (await (
        await fetch(`${gateway.url}/api/v1/events?reason=BackOff`)
      ).json()) as { data: { events: EventJson[] } };
      return res.data.events.length === 1 && res.data.events[0]!.count === 4;
    }, 10_000);
  });

  it('refuses bad filters with 400 bad_data', async () => {
    const res = await fetch(`${gateway.url}/api/v1/events?limit=-3`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      status: 'error',
      errorType: 'bad_data',
    });
  });

  it('shows the logs and events signals in the fleet view', async () => {
    const detail = (await (
      await fetch(`${gateway.url}/api/v1/fleet/clusters/prod-eu`)
    ).json()) as {
      data: { last_seen: Record<string, string | null> };
    };
    expect(detail.data.last_seen['logs']).toBeTruthy();
    expect(detail.data.last_seen['events']).toBeTruthy();
  });
});
