/**
 * The gateway's own alerts reach a real Alertmanager 0.25 running the
 * shipped routing tree (alerts/alertmanager.yml): a registered cluster that
 * stops sending goes down, fleetgate posts FleetgateClusterDown with the
 * cluster's team and env, Alertmanager routes it to that team's pager, and
 * the alert resolves when the cluster sends again.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { snappyCompress } from '../../src/protocol/wire/index.js';
import {
  ALERTMANAGER_CONFIG_FILE,
  getAlertmanagerAlerts,
  startAlertmanager,
  type AlertmanagerPeer,
} from '../helpers/alertmanager.js';
import {
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import { waitFor } from '../helpers/peers.js';
import { encodeV1Request } from '../helpers/remote-write-reference.js';

const TOKEN = 'payments-eu-token-0123456789';
let alertmanager: AlertmanagerPeer;
let gateway: GatewayProcess;

async function send(): Promise<void> {
  const body = snappyCompress(
    encodeV1Request({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'up' },
            { name: 'job', value: 'node' },
          ],
          samples: [{ value: 1, timestamp: Date.now() }],
        },
      ],
    })
  );
  const res = await fetch(`${gateway.url}/api/v1/write`, {
    method: 'POST',
    body,
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      Authorization: `Bearer ${TOKEN}`,
    },
  });
  expect(res.status).toBe(204);
}

beforeAll(async () => {
  alertmanager = await startAlertmanager(
    await readFile(ALERTMANAGER_CONFIG_FILE, 'utf8')
  );
  gateway = await startGateway(`
clusters:
  - {name: payments-eu, region: eu-west-1, env: prod, team: payments, token: ${TOKEN}}
fleet: {stale_after: 2s, down_after: 4s}
alerting:
  alertmanagers: ["${alertmanager.url}"]
  resend_interval: 1s
`);
});

afterAll(async () => {
  await gateway?.stop();
  await alertmanager?.stop();
});

it('sends FleetgateClusterDown for a silent cluster, routed to its team, and resolves it', async () => {
  await send();
  const down = await waitFor(
    async () => {
      const alerts = await getAlertmanagerAlerts(alertmanager.url);
      return alerts.find(
        a =>
          a.labels['alertname'] === 'FleetgateClusterDown' &&
          a.status.state !== 'unprocessed'
      );
    },
    60_000,
    { description: 'FleetgateClusterDown in Alertmanager' }
  );
  expect(down.labels).toMatchObject({
    cluster: 'payments-eu',
    severity: 'page',
    team: 'payments',
    env: 'prod',
    region: 'eu-west-1',
  });
  expect(down.receivers.map(r => r.name)).toEqual(['payments-page']);
  expect(down.annotations['summary']).toBe('cluster payments-eu is down');

  // The cluster is back: fleetgate resolves the alert (endsAt now), and Alertmanager lets it go.
  await send();
  await waitFor(
    async () => {
      const alerts = await getAlertmanagerAlerts(alertmanager.url);
      const still = alerts.find(
        a =>
          a.labels['alertname'] === 'FleetgateClusterDown' &&
          Date.parse(a.endsAt) > Date.now()
      );
      return still === undefined;
    },
    30_000,
    { description: 'FleetgateClusterDown resolved' }
  );
});
