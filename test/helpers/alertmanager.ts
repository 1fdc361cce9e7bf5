/**
 * A real Alertmanager (Debian's `prometheus-alertmanager` 0.25, or
 * `alertmanager` upstream; ALERTMANAGER_BIN overrides) for e2e tests, on
 * 127.0.0.1 with a free port, a temporary config and storage dir, clustering
 * off, stopped by PID. Also the webhook receiver the tests point its
 * receivers at, a rewrite of alerts/alertmanager.yml for tests, and amtool's
 * answer for where a label set is routed.
 *
 * Nothing here imports vitest.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { LOOPBACK_HOST, getFreePort } from './free-port.js';
import { makeTempDir, startProcess, type ManagedProcess } from './peers.js';

/** The shipped routing config. */
export const ALERTMANAGER_CONFIG_FILE = fileURLToPath(
  new URL('../../alerts/alertmanager.yml', import.meta.url)
);

const BINARY_NAMES = ['prometheus-alertmanager', 'alertmanager'];
const AMTOOL_TIMEOUT_MS = 30_000;

/** The Alertmanager binary: ALERTMANAGER_BIN, else the first of BINARY_NAMES on PATH. */
export function alertmanagerBinary(): string {
  const fromEnv = process.env['ALERTMANAGER_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const dirs = (process.env['PATH'] ?? '').split(delimiter);
  for (const name of BINARY_NAMES) {
    for (const dir of dirs) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  // Let spawn fail with a message that names it.
  return BINARY_NAMES[0] ?? 'alertmanager';
}

/** A running Alertmanager and its config file. */
export interface AlertmanagerPeer extends ManagedProcess {
  readonly configFile: string;
}

/** Starts Alertmanager on `configYaml`; resolves once /-/ready answers 200. */
export async function startAlertmanager(
  configYaml: string
): Promise<AlertmanagerPeer> {
  const dataDir = await makeTempDir('alertmanager');
  const port = await getFreePort();
  const configFile = join(dataDir, 'alertmanager.yml');
  await writeFile(configFile, configYaml);
  const peer = await startProcess({
    name: 'alertmanager',
    command: alertmanagerBinary(),
    args: [
      `--config.file=${configFile}`,
      `--storage.path=${join(dataDir, 'data')}`,
      `--web.listen-address=${LOOPBACK_HOST}:${port}`,
      // Clustering off: no gossip port, ready at once.
      '--cluster.listen-address=',
      '--log.level=debug',
    ],
    port,
    dataDir,
    readyUrl: `http://${LOOPBACK_HOST}:${port}/-/ready`,
  });
  return Object.assign(peer, { configFile });
}

/** An alert as `GET /api/v2/alerts` returns it (gettableAlert). */
export interface AlertmanagerApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  generatorURL?: string;
  fingerprint: string;
  receivers: { name: string }[];
  status: {
    state: 'unprocessed' | 'active' | 'suppressed';
    silencedBy: string[];
    inhibitedBy: string[];
  };
}

/** `GET /api/v2/alerts` (active, silenced, inhibited and unprocessed ones). */
export async function getAlertmanagerAlerts(
  baseUrl: string
): Promise<AlertmanagerApiAlert[]> {
  const res = await fetch(`${baseUrl}/api/v2/alerts`, {
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok)
    throw new Error(
      `cannot list alerts: HTTP ${res.status} ${await res.text()}`
    );
  return (await res.json()) as AlertmanagerApiAlert[];
}

/**
 * The receivers `amtool config routes test` routes `labels` to under
 * `configFile` (the routing tree, read by Alertmanager's own code), in the
 * tree's order. AMTOOL_BIN overrides the `amtool` on PATH.
 */
export function amtoolRouteReceivers(
  labels: Readonly<Record<string, string>>,
  configFile: string = ALERTMANAGER_CONFIG_FILE
): Promise<string[]> {
  const fromEnv = process.env['AMTOOL_BIN'];
  const command = fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'amtool';
  const args = [
    'config',
    'routes',
    'test',
    `--config.file=${configFile}`,
    // Quoted, so that values with spaces or commas stay one label.
    ...Object.entries(labels).map(
      ([name, value]) => `${name}=${JSON.stringify(value)}`
    ),
  ];
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: AMTOOL_TIMEOUT_MS },
      (err, stdout, stderr) => {
        if (err !== null) {
          reject(
            new Error(
              `cannot run ${command} ${args.join(' ')}: ${err.message}\n${stderr}`,
              { cause: err }
            )
          );
          return;
        }
        // One line: the receivers, comma-separated.
        resolve(
          stdout
            .trim()
            .split(',')
            .map(name => name.trim())
            .filter(name => name !== '')
        );
      }
    );
  });
}

/** The body Alertmanager's webhook receiver posts (version 4). */
export interface WebhookNotification {
  version: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: {
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }[];
}

/** One POST the webhook sink received. */
export interface ReceivedNotification {
  /** The request path: which receiver it was (alerts/alertmanager.yml gives each its own). */
  readonly path: string;
  readonly body: WebhookNotification;
}

/** An HTTP server on 127.0.0.1, port 0, that keeps every webhook notification. */
export interface WebhookSink {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly received: ReceivedNotification[];
  close(): Promise<void>;
}

export async function startWebhookSink(): Promise<WebhookSink> {
  const received: ReceivedNotification[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        received.push({
          path: req.url ?? '',
          body: JSON.parse(
            Buffer.concat(chunks).toString('utf8')
          ) as WebhookNotification,
        });
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end('not JSON');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK_HOST}:${port}`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}

export interface RewriteOptions {
  /** Every webhook URL's origin is replaced by this one; its path is kept. */
  webhookBaseUrl: string;
  /** Set on the root route and every child route, e.g. `1s`. */
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
}

interface RouteNode {
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: RouteNode[];
}

interface ConfigShape {
  route?: RouteNode;
  receivers?: { webhook_configs?: { url: string }[] }[];
}

/**
 * alerts/alertmanager.yml (or any config) with its webhooks pointed at a
 * local sink and, when given, test-sized timings on every route.
 */
export function rewriteAlertmanagerConfig(
  yamlText: string,
  options: RewriteOptions
): string {
  const config = parseYaml(yamlText) as ConfigShape;
  for (const receiver of config.receivers ?? []) {
    for (const webhook of receiver.webhook_configs ?? []) {
      const from = new URL(webhook.url);
      webhook.url = `${options.webhookBaseUrl}${from.pathname}${from.search}`;
    }
  }
  const retime = (route: RouteNode): void => {
    if (options.groupWait !== undefined) route.group_wait = options.groupWait;
    if (options.groupInterval !== undefined)
      route.group_interval = options.groupInterval;
    if (options.repeatInterval !== undefined)
      route.repeat_interval = options.repeatInterval;
    for (const child of route.routes ?? []) retime(child);
  };
  if (config.route !== undefined) retime(config.route);
  return stringifyYaml(config);
}
