/**
 * Every panel of every dashboard in dashboards/ shows data, and the alerts
 * of the central Prometheus' rules reach on-call through Alertmanager,
 * checked against the topology docker-compose.yml runs, from the real
 * binaries on this machine:
 *
 *   workload targets ─scrape─ Prometheus agents (one per cluster, 2.42)
 *        │ remote_write with the cluster's token
 *        ▼
 *   fleetgate ×2 (built dist/, shared state in a private redis-server)
 *        │ remote_write "central"          │ remote_write      │ own SLO and
 *        ▼                                 ▼ "archive"         │ fleet alerts
 *   central Prometheus (remote-write     a flaky downstream    │ (API v2)
 *   receiver; generated SLO rules +      (503 and 400 in turn) │
 *   alerts/fleetgate-rules.yml when                            │
 *   present; scrapes both gateways                             │
 *   as job="fleetgate")                                        │
 *        │ rule alerts (API v2)                                │
 *        ▼                                                     ▼
 *   Alertmanager 0.25 (alerts/alertmanager.yml: routing tree, inhibit rules
 *        │            and timings as shipped)
 *        ▼ webhooks, pointed at an in-process sink instead of the relay
 *          on 127.0.0.1:9099 the shipped receivers name
 *
 * Not started, though docker-compose.yml has them: Grafana (no binary and
 * no container engine here: queries are run as Grafana would, see below)
 * and Loki (Debian's `loki` package is a genetics tool, not Grafana Loki),
 * so the gateways forward no logs. The central Prometheus scrapes only the
 * gateways (compose's also scrapes itself and Alertmanager; no panel reads
 * those). Timings are test-sized: 2s scrapes and evaluations, SLO rules
 * generated with `--group-interval 5s`, alerts re-sent every few seconds.
 *
 * The fleet has what a dashboard exists to show, so every panel has
 * something to draw: prod-eu is healthy; prod-us burns its SLOs and blows
 * a per-metric series budget with a session-id label; dev-sandbox is over
 * its ingestion rate; a sender with an unknown token is refused; one
 * collector sends a wrong `region`; a downstream fails. The 30d SLO panels
 * read recording rules that evaluate from the first minute of data.
 *
 * Each query is run as Grafana would: variables replaced by values found
 * with the variable's own label_values query (multi-value variables as
 * "All", i.e. their allValue; the Cluster detail dashboard on prod-us, the
 * cluster with an incident), and $__rate_interval and friends by concrete
 * durations. A query passes when Prometheus returns a non-empty result.
 *
 * Panels on the gateway's SLO engine (fleetgate_slo_*) are skipped, with a
 * note, while the gateway does not expose those metrics at all.
 *
 * Alerts: the generated SLO alerts have no `for:`, so they fire within a
 * minute of data. Checked in Alertmanager's API (labels, `receivers`, which
 * must also be what `amtool config routes test` answers for the labels on
 * alerts/alertmanager.yml, and `status`): prod-us' availability page
 * (payments-page, and its webhook notification after the route's 30s
 * group_wait), its ticket for the same SLO (payments-ticket, inhibited by
 * that page), prod-eu's latency ticket (payments-ticket, no page to
 * inhibit it), and dev-sandbox's latency ticket (nonprod: per-cluster SLO
 * alerts carry the cluster's region and env, and a dev cluster's never reach
 * the team). The gateways' SLO engine posts alerts with the same names,
 * labels and annotations, which Alertmanager merges into one; the newest post
 * sets the generatorURL, so an alert counts as the rules' once Alertmanager
 * holds it with the central Prometheus' generatorURL. The gateways' own alerts are
 * checked by their delivery counters and by FleetgateClusterDegraded, which
 * only they send. The rules of alerts/fleetgate-rules.yml wait 1m to 15m
 * (`for:`) or need 10m without a delivery, so none fires within the test;
 * they are only checked to be loaded.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALERTMANAGER_CONFIG_FILE,
  amtoolRouteReceivers,
  getAlertmanagerAlerts,
  rewriteAlertmanagerConfig,
  startAlertmanager,
  startWebhookSink,
  type AlertmanagerApiAlert,
  type AlertmanagerPeer,
  type WebhookSink,
} from '../helpers/alertmanager.js';
import { LOOPBACK_HOST, getFreePort } from '../helpers/free-port.js';
import {
  REPO_ROOT,
  resolveGatewayEntry,
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import {
  makeTempDir,
  queryPrometheus,
  scrapeMetrics,
  sleep,
  startPrometheusAgent,
  startProcess,
  waitFor,
  type InstantSample,
  type ManagedProcess,
} from '../helpers/peers.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import {
  interpolate,
  loadDashboards,
  parseLabelValues,
  queriesOf,
  variableQueryText,
  variablesOf,
  type DashboardFile,
  type PanelQuery,
} from '../unit/deploy/dashboard-model.js';
import { sloAlertAnnotations } from '../../src/slo/rules/index.js';

interface ClusterSpec {
  readonly name: string;
  readonly region: string;
  readonly env: string;
  readonly team: string;
  readonly token: string;
}

const PROD_EU: ClusterSpec = {
  name: 'prod-eu',
  region: 'eu-west-1',
  env: 'prod',
  team: 'payments',
  token: 'e2e-dash-token-prod-eu-0123456789',
};
const PROD_US: ClusterSpec = {
  name: 'prod-us',
  region: 'us-east-1',
  env: 'prod',
  team: 'search',
  token: 'e2e-dash-token-prod-us-0123456789',
};
const DEV_SANDBOX: ClusterSpec = {
  name: 'dev-sandbox',
  region: 'eu-west-1',
  env: 'dev',
  team: 'platform',
  token: 'e2e-dash-token-dev-sandbox-01234',
};
const UNKNOWN_TOKEN = 'e2e-dash-token-nobody-0123456789';

/** The workload's scrape job: the SLOs select it. */
const WORKLOAD_JOB = 'checkout';
/** prod-us' per-metric budget; its session gauge has more series than this. */
const PROD_US_MAX_SERIES_PER_METRIC = 40;
const SESSION_SERIES = 60;
const SESSION_METRIC = 'http_sessions_active';

/** How a dashboard's single-value variables are set (others: "All"). */
const SCENARIO: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'fleetgate-cluster-detail.json': { cluster: PROD_US.name },
  'fleetgate-gateway-internals.json': { job: 'fleetgate' },
};

/** Long enough for the clock-skew estimate (6 samples, 10s apart) and the rules. */
const DATA_TIMEOUT_MS = 180_000;
const POLL_INTERVAL_MS = 3_000;

/**
 * Test-sized alert timings (compose keeps the defaults, 1m for both): the
 * gateways post their alerts every 10s; Prometheus re-sends a firing alert
 * at every evaluation of its group (5s for the SLO rules) instead of every
 * minute, so Alertmanager soon holds the rule's copy of an alert the
 * gateways post too (same labels: one alert, the newest post wins).
 */
const GATEWAY_ALERT_RESEND_INTERVAL = '10s';
const PROMETHEUS_ALERT_RESEND_DELAY = '2s';
/** Alerts are in Alertmanager well before the panels have data; this is a bound. */
const ALERT_TIMEOUT_MS = 90_000;
/** The shipped group_wait of the payments-page route (30s), with room to spare. */
const NOTIFICATION_TIMEOUT_MS = 90_000;

/** Two SLOs on the workload: availability (ratio) and latency (histogram). */
const SLOS = [
  {
    name: 'checkout-availability',
    service: 'checkout',
    objective: 0.999,
    window: '30d',
    labels: { team: 'payments' },
    sli: {
      ratio: {
        bad: `http_requests_total{job="${WORKLOAD_JOB}",code=~"5.."}`,
        total: `http_requests_total{job="${WORKLOAD_JOB}"}`,
      },
    },
  },
  {
    name: 'checkout-latency',
    service: 'checkout',
    objective: 0.99,
    window: '30d',
    labels: { team: 'payments' },
    sli: {
      latency: {
        histogram: 'http_request_duration_seconds',
        threshold: 0.25,
        selector: `{job="${WORKLOAD_JOB}"}`,
      },
    },
  },
];

function gatewayConfig(
  centralUrl: string,
  flakyUrl: string,
  redisUrl: string,
  alertmanagerUrl: string
): string {
  const cluster = (c: ClusterSpec): Record<string, string> => ({
    name: c.name,
    region: c.region,
    env: c.env,
    team: c.team,
    token: c.token,
  });
  return stringifyYaml({
    clusters: [cluster(PROD_EU), cluster(PROD_US), cluster(DEV_SANDBOX)],
    limits: {
      per_cluster: {
        [PROD_US.name]: {
          max_series_per_cluster: 2000,
          max_series_per_metric: PROD_US_MAX_SERIES_PER_METRIC,
        },
        // About 15 samples/s arrive from it: requests wait for a full bucket.
        [DEV_SANDBOX.name]: { ingestion_rate: 5, ingestion_burst: 10 },
      },
    },
    slos: SLOS,
    forward: {
      remote_write: [
        { name: 'central', url: `${centralUrl}/api/v1/write` },
        { name: 'archive', url: `${flakyUrl}/api/v1/write` },
      ],
    },
    // The gateways' own SLO and fleet alerts, to the same Alertmanager as
    // the central Prometheus' (docker-compose.yml does the same).
    alerting: {
      alertmanagers: [alertmanagerUrl],
      resend_interval: GATEWAY_ALERT_RESEND_INTERVAL,
    },
    state: {
      redis: redisUrl,
      key_prefix: `e2e-dashboards-${process.pid}`,
    },
  });
}

// ---------------------------------------------------------------------------
// In-process peers: a workload to scrape and a failing downstream.

interface Workload {
  readonly target: string;
  stop(): Promise<void>;
}

const LATENCY_BOUNDS = ['0.05', '0.1', '0.25', '0.5', '1', '+Inf'];

/**
 * A service's /metrics: http_requests_total{code} and the latency histogram
 * the SLOs select, moving on every scrape; optionally a gauge with one
 * series per session id (the cardinality mistake).
 */
async function startWorkload(options: {
  errorsPerScrape: number;
  /** Observations per scrape in each latency bucket (not cumulative). */
  latencyPerScrape: readonly number[];
  sessions?: number;
}): Promise<Workload> {
  let n = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    n++;
    const lines = [
      '# TYPE http_requests_total counter',
      `http_requests_total{code="200"} ${n * 100}`,
      `http_requests_total{code="500"} ${Math.floor(n * options.errorsPerScrape)}`,
      '# TYPE http_request_duration_seconds histogram',
    ];
    let cumulative = 0;
    LATENCY_BOUNDS.forEach((le, i) => {
      cumulative += (options.latencyPerScrape[i] ?? 0) * n;
      lines.push(
        `http_request_duration_seconds_bucket{le="${le}"} ${cumulative}`
      );
    });
    lines.push(`http_request_duration_seconds_sum ${(n * 12.5).toFixed(2)}`);
    lines.push(`http_request_duration_seconds_count ${cumulative}`);
    if (options.sessions !== undefined) {
      lines.push(`# TYPE ${SESSION_METRIC} gauge`);
      for (let i = 0; i < options.sessions; i++)
        lines.push(`${SESSION_METRIC}{session_id="s-${i}"} 1`);
    }
    res
      .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      .end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    target: `${LOOPBACK_HOST}:${port}`,
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A downstream that answers 503 and 400 in turn (retried, then refused for good). */
async function startFlakyDownstream(): Promise<{
  url: string;
  stop(): Promise<void>;
}> {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      if (requests % 2 === 1)
        res.writeHead(503, { 'retry-after': '1' }).end('busy');
      else res.writeHead(400).end('out of order sample');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK_HOST}:${port}`,
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null)
        reject(
          new Error(
            `cannot run ${command} ${args.join(' ')}: ${err.message}\n${stderr}`,
            { cause: err }
          )
        );
      else resolve(stdout);
    });
  });
}

/**
 * The central Prometheus: remote-write receiver, SLO and alert rules whose
 * alerts go to `alertmanagerTarget` (`host:port`), scrapes the gateways.
 */
async function startCentralPrometheus(
  sloConfigYaml: string,
  alertmanagerTarget: string
): Promise<{
  prometheus: ManagedProcess;
  targetsFile: string;
  ruleFiles: string[];
}> {
  const dataDir = await makeTempDir('prom-central');
  const port = await getFreePort();
  // The SLO rules, generated by the built CLI from the gateways' SLOs.
  const sloConfig = join(dataDir, 'slos.yml');
  await writeFile(sloConfig, sloConfigYaml);
  const sloRules = join(dataDir, 'fleetgate-slo-rules.yml');
  await run(process.execPath, [
    resolveGatewayEntry(),
    'slo',
    'rules',
    '--config',
    sloConfig,
    '--output',
    sloRules,
    '--group-interval',
    '5s',
  ]);
  const ruleFiles = [sloRules];
  const alertRules = join(REPO_ROOT, 'alerts/fleetgate-rules.yml');
  if (existsSync(alertRules)) ruleFiles.push(alertRules);
  const targetsFile = join(dataDir, 'fleetgate-targets.json');
  await writeFile(targetsFile, '[]');
  const configFile = join(dataDir, 'prometheus.yml');
  await writeFile(
    configFile,
    stringifyYaml({
      global: {
        scrape_interval: '2s',
        scrape_timeout: '2s',
        evaluation_interval: '2s',
      },
      rule_files: ruleFiles,
      alerting: {
        alertmanagers: [
          { static_configs: [{ targets: [alertmanagerTarget] }] },
        ],
      },
      scrape_configs: [
        {
          job_name: 'fleetgate',
          file_sd_configs: [{ files: [targetsFile], refresh_interval: '1s' }],
        },
      ],
    })
  );
  const prometheus = await startProcess({
    name: 'prometheus-central',
    command: process.env['PROMETHEUS_BIN'] ?? 'prometheus',
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dataDir, 'tsdb')}`,
      `--web.listen-address=${LOOPBACK_HOST}:${port}`,
      '--web.enable-remote-write-receiver',
      '--storage.tsdb.retention.time=1d',
      // The alerts' generatorURL names this server (the default takes the
      // machine's hostname), so the test can tell the rules' alerts apart.
      `--web.external-url=http://${LOOPBACK_HOST}:${port}`,
      `--rules.alert.resend-delay=${PROMETHEUS_ALERT_RESEND_DELAY}`,
      '--log.level=warn',
    ],
    port,
    dataDir,
    readyUrl: `http://${LOOPBACK_HOST}:${port}/-/ready`,
  });
  return { prometheus, targetsFile, ruleFiles };
}

/** A write request the gateway must refuse as bad_data (not snappy). */
async function postGarbage(gatewayUrl: string, token: string): Promise<number> {
  const res = await fetch(`${gatewayUrl}/api/v1/write`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
    },
    body: 'this is not snappy',
  });
  await res.text();
  return res.status;
}

/** Grafana's label_values(): the label's values on series matching the selector. */
async function labelValues(
  prometheusUrl: string,
  label: string,
  selector: string | undefined
): Promise<string[]> {
  const params = new URLSearchParams();
  if (selector !== undefined) params.append('match[]', selector);
  params.set('start', String(Math.floor(Date.now() / 1000) - 3600));
  const res = await fetch(
    `${prometheusUrl}/api/v1/label/${encodeURIComponent(label)}/values?${params.toString()}`,
    { signal: AbortSignal.timeout(10_000) }
  );
  const body = (await res.json()) as {
    status: string;
    data?: string[];
    error?: string;
  };
  if (body.status !== 'success')
    throw new Error(
      `cannot get label values of ${label} for ${selector ?? '(all)'}: ${body.error ?? res.status}`
    );
  return (body.data ?? []).filter(v => v !== '').sort();
}

interface ResolvedVariables {
  readonly values: Record<string, string>;
  /** Variables whose label_values query found nothing. */
  readonly empty: string[];
  /** Every variable's options, for messages. */
  readonly options: Record<string, string[]>;
}

/** Sets each variable like a user would: All where offered, else the scenario's value. */
async function resolveVariables(
  prometheusUrl: string,
  d: DashboardFile
): Promise<ResolvedVariables> {
  const values: Record<string, string> = {};
  const empty: string[] = [];
  const options: Record<string, string[]> = {};
  for (const v of variablesOf(d.json)) {
    if (v.type === 'datasource') {
      values[v.name] = 'prometheus';
      continue;
    }
    const lv = parseLabelValues(variableQueryText(v) ?? '');
    if (lv === undefined)
      throw new Error(`${d.file}: variable ${v.name} is not label_values()`);
    const found = await labelValues(
      prometheusUrl,
      lv.label,
      lv.selector === undefined ? undefined : interpolate(lv.selector, values)
    );
    options[v.name] = found;
    if (found.length === 0) empty.push(v.name);
    const wanted = SCENARIO[d.file]?.[v.name];
    values[v.name] =
      v.includeAll === true
        ? (v.allValue ?? `(${found.join('|')})`)
        : wanted !== undefined && found.includes(wanted)
          ? wanted
          : (found[0] ?? '');
  }
  return { values, empty, options };
}

interface QueryOutcome {
  readonly query: PanelQuery;
  readonly promql: string;
  readonly result: InstantSample[] | undefined;
  readonly error: string | undefined;
}

describe('dashboards against the e2e topology', () => {
  const dashboards = loadDashboards();
  const panelQueries = dashboards.flatMap(queriesOf);

  let redis: RedisServer | undefined;
  let sink: WebhookSink | undefined;
  let alertmanager: AlertmanagerPeer | undefined;
  let central: ManagedProcess | undefined;
  let gateways: GatewayProcess[] = [];
  let agents: ManagedProcess[] = [];
  let workloads: Workload[] = [];
  let flaky: { url: string; stop(): Promise<void> } | undefined;
  let ruleFiles: string[] = [];
  let isSloEngineExposed = false;
  let dataWaitMs = 0;
  /** By PanelQuery.where. */
  const outcomes = new Map<string, QueryOutcome>();
  let lastRunError: string | undefined;
  const variables = new Map<string, ResolvedVariables>();

  const diagnostics = (): string =>
    [
      ...gateways.map(g => g.logs().slice(-4000)),
      ...agents.map(a => a.diagnostics().slice(-2000)),
      central?.diagnostics().slice(-4000),
      alertmanager?.diagnostics().slice(-4000),
    ]
      .filter(x => x !== undefined)
      .join('\n');

  /** Resolves variables and runs every query once; returns the queries still empty. */
  const runAll = async (centralUrl: string): Promise<PanelQuery[]> => {
    const pending: PanelQuery[] = [];
    for (const d of dashboards) {
      const resolved = await resolveVariables(centralUrl, d);
      variables.set(d.file, resolved);
      for (const q of queriesOf(d)) {
        let promql = q.expr;
        let outcome: QueryOutcome;
        try {
          promql = interpolate(q.expr, resolved.values);
          const result = await queryPrometheus(centralUrl, promql);
          outcome = { query: q, promql, result, error: undefined };
        } catch (err) {
          outcome = {
            query: q,
            promql,
            result: undefined,
            error: err instanceof Error ? err.message : String(err),
          };
        }
        outcomes.set(q.where, outcome);
        if ((outcome.result?.length ?? 0) === 0 && !isSkipped(q))
          pending.push(q);
      }
    }
    return pending;
  };

  const isSkipped = (q: PanelQuery): boolean =>
    !isSloEngineExposed && q.expr.includes('fleetgate_slo_');

  beforeAll(async () => {
    redis = await startRedisServer();
    flaky = await startFlakyDownstream();
    // Alertmanager on the shipped routing tree, inhibitions and timings; only
    // its webhooks point at the sink instead of the relay on :9099.
    sink = await startWebhookSink();
    alertmanager = await startAlertmanager(
      rewriteAlertmanagerConfig(
        await readFile(ALERTMANAGER_CONFIG_FILE, 'utf8'),
        {
          webhookBaseUrl: sink.url,
          // The shipped routing and group_wait, but a test-sized
          // group_interval: the page's alert is posted by the central
          // Prometheus and by both gateways (one merged alert). If a flush
          // finds it resolved for a moment (a sender starved on a loaded
          // CI machine lets its endsAt pass), the next flush comes in 10 s,
          // not the shipped 5 min.
          groupInterval: '10s',
        }
      )
    );
    // The central Prometheus next, so the gateways forward from the start;
    // its scrape targets (the gateways) arrive later through file_sd.
    const started = await startCentralPrometheus(
      stringifyYaml({ slos: SLOS }),
      `${LOOPBACK_HOST}:${alertmanager.port}`
    );
    central = started.prometheus;
    ruleFiles = started.ruleFiles;
    const config = gatewayConfig(
      central.url,
      flaky.url,
      redis.url,
      alertmanager.url
    );
    gateways = [await startGateway(config), await startGateway(config)];
    const [gw1, gw2] = gateways as [GatewayProcess, GatewayProcess];
    await writeFile(
      started.targetsFile,
      JSON.stringify([
        { targets: gateways.map(g => `${LOOPBACK_HOST}:${g.port}`) },
      ])
    );

    // Workloads: healthy, burning with a cardinality mistake, quiet.
    const healthy = [60, 20, 15, 4, 1, 0];
    const slow = [40, 20, 20, 12, 8, 5];
    workloads = [
      await startWorkload({ errorsPerScrape: 0.1, latencyPerScrape: healthy }),
      await startWorkload({
        errorsPerScrape: 5,
        latencyPerScrape: slow,
        sessions: SESSION_SERIES,
      }),
      await startWorkload({ errorsPerScrape: 0.1, latencyPerScrape: healthy }),
    ];
    const [euTarget, usTarget, devTarget] = workloads as [
      Workload,
      Workload,
      Workload,
    ];
    // Clusters are routed to one replica each, as the load balancer does.
    agents = [
      await startPrometheusAgent({
        scrapeTargets: [euTarget.target],
        remoteWriteUrl: `${gw1.url}/api/v1/write`,
        bearerToken: PROD_EU.token,
        jobName: WORKLOAD_JOB,
        // A collector configured with the wrong region: fleetgate keeps the
        // registry's and counts the conflict.
        externalLabels: { cluster: PROD_EU.name, region: 'eu-central-1' },
      }),
      await startPrometheusAgent({
        scrapeTargets: [usTarget.target],
        remoteWriteUrl: `${gw2.url}/api/v1/write`,
        bearerToken: PROD_US.token,
        jobName: WORKLOAD_JOB,
        externalLabels: { cluster: PROD_US.name },
      }),
      await startPrometheusAgent({
        scrapeTargets: [devTarget.target],
        remoteWriteUrl: `${gw1.url}/api/v1/write`,
        bearerToken: DEV_SANDBOX.token,
        jobName: WORKLOAD_JOB,
      }),
      // Nobody registered this token.
      await startPrometheusAgent({
        scrapeTargets: [euTarget.target],
        remoteWriteUrl: `${gw2.url}/api/v1/write`,
        bearerToken: UNKNOWN_TOKEN,
        jobName: 'intruder',
      }),
    ];
    // An operator reloads one replica's config.
    const reload = await fetch(`${gw1.url}/-/reload`, { method: 'POST' });
    expect(reload.status, await reload.text()).toBeLessThan(300);

    const centralUrl = central.url;
    const startedAt = Date.now();
    const deadline = startedAt + DATA_TIMEOUT_MS;
    for (;;) {
      // A broken client keeps sending garbage now and then.
      for (const g of gateways)
        await postGarbage(g.url, PROD_EU.token).catch(() => 0);
      const page = await fetch(`${gw1.url}/metrics`)
        .then(r => r.text())
        .catch(() => '');
      isSloEngineExposed = /^fleetgate_slo_/m.test(page);
      const pending = await runAll(centralUrl).catch((err: unknown) => {
        lastRunError = err instanceof Error ? err.message : String(err);
        return panelQueries;
      });
      if (pending.length === 0 || Date.now() > deadline) {
        dataWaitMs = Date.now() - startedAt;
        break;
      }
      await sleep(POLL_INTERVAL_MS);
    }
  }, DATA_TIMEOUT_MS + 120_000);

  afterAll(async () => {
    process.stdout.write(
      `dashboards e2e: ${panelQueries.length} panel queries, data complete after ${Math.round(dataWaitMs / 1000)}s\n`
    );
    await Promise.allSettled(agents.map(a => a.stop()));
    await Promise.allSettled(workloads.map(w => w.stop()));
    await Promise.allSettled(gateways.map(g => g.stop()));
    await central?.stop();
    await alertmanager?.stop();
    await sink?.close();
    await flaky?.stop();
    await redis?.stop();
  }, 60_000);

  it('loads the SLO rules (and alerts/fleetgate-rules.yml when present) into the central Prometheus', async () => {
    const res = await fetch(`${central!.url}/api/v1/rules`);
    const body = (await res.json()) as {
      data: { groups: { file: string; rules: unknown[] }[] };
    };
    const files = new Set(body.data.groups.map(g => g.file));
    for (const f of ruleFiles) expect(files, f).toContain(f);
  });

  it.each(dashboards.map(d => [d.file, d] as const))(
    '%s: every variable query finds values',
    (file: string) => {
      const resolved = variables.get(file);
      expect(resolved, 'variables were never resolved').toBeDefined();
      expect(resolved?.empty, JSON.stringify(resolved?.options)).toEqual([]);
      const wanted = SCENARIO[file] ?? {};
      for (const [name, value] of Object.entries(wanted))
        expect(resolved?.options[name], name).toContain(value);
    }
  );

  it.for(panelQueries.map(q => [q.where, q] as const))(
    '%s returns data',
    ([, q], ctx) => {
      if (isSkipped(q)) {
        ctx.skip(
          'the gateway exposes no fleetgate_slo_* metrics yet (the SLO engine is not wired into serve)'
        );
        return;
      }
      const outcome = outcomes.get(q.where);
      expect(
        outcome,
        `the query never ran: ${lastRunError ?? ''}`
      ).toBeDefined();
      expect(outcome?.error, outcome?.promql).toBeUndefined();
      expect(
        outcome?.result?.length ?? 0,
        `no data for ${outcome?.promql ?? q.expr}\n${diagnostics()}`
      ).toBeGreaterThan(0);
    }
  );

  describe('shows the incidents where an operator would look', () => {
    const resultOf = (
      file: string,
      title: string,
      refId = 'A'
    ): InstantSample[] => {
      const q = panelQueries.find(
        p => p.dashboard === file && p.panelTitle === title && p.refId === refId
      );
      expect(q, `${file} › ${title}`).toBeDefined();
      return outcomes.get(q!.where)?.result ?? [];
    };

    it("names the metric that blew prod-us' series budget", () => {
      const offenders = resultOf(
        'fleetgate-cluster-detail.json',
        'Top offending metrics'
      );
      expect(offenders.map(s => s.metric['metric'])).toContain(SESSION_METRIC);
    });

    it('shows refusals by reason: unknown token, garbage, rate limit', () => {
      const reasons = resultOf(
        'fleetgate-fleet-overview.json',
        'Requests refused by reason'
      ).map(s => s.metric['reason']);
      expect(reasons).toEqual(
        expect.arrayContaining(['unauthorized', 'bad_data', 'rate_limited'])
      );
    });

    it('shows prod-us burning its availability budget faster than prod-eu', () => {
      const burn = resultOf(
        'fleetgate-slos.json',
        'Burn rate (1h) per cluster'
      ).filter(s => s.metric['slo'] === 'checkout-availability');
      const of = (cluster: string): number =>
        Number(burn.find(s => s.metric['cluster'] === cluster)?.value[1]);
      expect(of(PROD_US.name)).toBeGreaterThan(14.4);
      expect(of(PROD_US.name)).toBeGreaterThan(of(PROD_EU.name));
    });

    it('lists every registered cluster in the fleet table', () => {
      const states = resultOf('fleetgate-fleet-overview.json', 'Clusters', 'A');
      expect(states.map(s => s.metric['cluster']).sort()).toEqual(
        [DEV_SANDBOX.name, PROD_EU.name, PROD_US.name].sort()
      );
    });
  });

  describe('alerts reach on-call through Alertmanager', () => {
    const [availability, latency] = SLOS as [
      (typeof SLOS)[number],
      (typeof SLOS)[number],
    ];
    /**
     * Labels of a per-cluster burn alert, of the generated SLO rules and of
     * the gateways alike: the cluster's region and env come with it.
     */
    const burnAlert = (
      slo: (typeof SLOS)[number],
      cluster: ClusterSpec,
      severity: 'page' | 'ticket'
    ): Record<string, string> => ({
      alertname: 'SLOErrorBudgetBurn',
      cluster: cluster.name,
      region: cluster.region,
      env: cluster.env,
      severity,
      scope: 'cluster',
      slo: slo.name,
      service: slo.service,
      ...slo.labels,
    });
    // prod-us: 5 errors in 105 requests burn the 0.1% budget about 48×,
    // over the page's 14.4× (1h and 5m) and the ticket's 3× (1d and 2h).
    const US_AVAILABILITY_PAGE = burnAlert(availability, PROD_US, 'page');
    const US_AVAILABILITY_TICKET = burnAlert(availability, PROD_US, 'ticket');
    // prod-eu: 5% of requests slower than 250ms burn the 1% budget 5×: over
    // the ticket's 3×, under the page's 6× (6h and 30m) and 14.4×.
    const EU_LATENCY_TICKET = burnAlert(latency, PROD_EU, 'ticket');
    const EU_LATENCY_PAGE = burnAlert(latency, PROD_EU, 'page');
    // dev-sandbox scrapes the same healthy workload as prod-eu: the same
    // latency ticket, in a dev cluster.
    const DEV_LATENCY_TICKET = burnAlert(latency, DEV_SANDBOX, 'ticket');

    const hasLabels = (
      got: Readonly<Record<string, string>>,
      want: Readonly<Record<string, string>>
    ): boolean => {
      const names = Object.keys(got);
      return (
        names.length === Object.keys(want).length &&
        names.every(name => got[name] === want[name])
      );
    };
    const receiversOf = (a: AlertmanagerApiAlert): string[] =>
      a.receivers.map(r => r.name);
    const summarize = (alerts: readonly AlertmanagerApiAlert[]): string =>
      alerts
        .map(
          a =>
            `${JSON.stringify(a.labels)} ${a.status.state} from ${a.generatorURL ?? '?'}`
        )
        .join('\n');

    /**
     * The alert with exactly `labels`, once Alertmanager holds the central
     * Prometheus' copy of it: the gateways' SLO engine posts alerts with the
     * same labels, and the newest post sets generatorURL and annotations.
     */
    const ruleAlert = async (
      labels: Readonly<Record<string, string>>
    ): Promise<AlertmanagerApiAlert> => {
      const generator = `${central!.url}/graph?`;
      let seen: AlertmanagerApiAlert[] = [];
      try {
        return await waitFor(
          async () => {
            seen = await getAlertmanagerAlerts(alertmanager!.url);
            return seen.find(
              a =>
                hasLabels(a.labels, labels) &&
                a.generatorURL?.startsWith(generator) === true
            );
          },
          ALERT_TIMEOUT_MS,
          { intervalMs: 500, description: JSON.stringify(labels) }
        );
      } catch (err) {
        throw new Error(
          `Alertmanager never held the rule's alert: ${err instanceof Error ? err.message : String(err)}\n` +
            `it holds:\n${summarize(seen)}\n${diagnostics()}`,
          { cause: err }
        );
      }
    };

    it("has the Alertmanager as the central Prometheus' active one, and the rules fire", async () => {
      const res = await fetch(`${central!.url}/api/v1/alertmanagers`);
      const body = (await res.json()) as {
        data: { activeAlertmanagers: { url: string }[] };
      };
      expect(body.data.activeAlertmanagers.map(a => a.url)).toEqual([
        `${alertmanager!.url}/api/v2/alerts`,
      ]);
      const firing = await waitFor(
        async () => {
          const r = await fetch(`${central!.url}/api/v1/alerts`);
          const alerts = (
            (await r.json()) as {
              data: {
                alerts: { labels: Record<string, string>; state: string }[];
              };
            }
          ).data.alerts.filter(a => a.state === 'firing');
          const want = [
            US_AVAILABILITY_PAGE,
            US_AVAILABILITY_TICKET,
            EU_LATENCY_TICKET,
          ];
          return want.every(w => alerts.some(a => hasLabels(a.labels, w)))
            ? alerts
            : undefined;
        },
        ALERT_TIMEOUT_MS,
        {
          intervalMs: 1_000,
          description: 'the burn alerts firing in Prometheus',
        }
      );
      expect(firing.some(a => hasLabels(a.labels, EU_LATENCY_PAGE))).toBe(
        false
      );
    });

    it('pages payments for the prod-us availability burn, routed as amtool says', async () => {
      const page = await ruleAlert(US_AVAILABILITY_PAGE);
      // Prometheus rendered the rule's annotation templates into the text
      // the gateways send for the same alert (one text, whoever posted last).
      expect(page.annotations['summary']).toBe(
        `SLO ${availability.name} (${availability.service}) is burning its error budget too fast in cluster ${PROD_US.name}`
      );
      expect(page.annotations).toEqual(
        sloAlertAnnotations(
          { ...availability, description: '' },
          'cluster',
          'page',
          { cluster: PROD_US.name }
        )
      );
      expect(page.status).toEqual({
        state: 'active',
        silencedBy: [],
        inhibitedBy: [],
      });
      expect(receiversOf(page)).toEqual(['payments-page']);
      expect(receiversOf(page)).toEqual(
        await amtoolRouteReceivers(US_AVAILABILITY_PAGE)
      );
    });

    it('inhibits the ticket for the same SLO and cluster while the page fires', async () => {
      const page = await ruleAlert(US_AVAILABILITY_PAGE);
      const ticket = await ruleAlert(US_AVAILABILITY_TICKET);
      expect(receiversOf(ticket)).toEqual(['payments-ticket']);
      expect(receiversOf(ticket)).toEqual(
        await amtoolRouteReceivers(US_AVAILABILITY_TICKET)
      );
      expect(ticket.status.state).toBe('suppressed');
      expect(ticket.status.inhibitedBy).toEqual([page.fingerprint]);
    });

    it('files a ticket for the prod-eu latency burn, which no page inhibits', async () => {
      const ticket = await ruleAlert(EU_LATENCY_TICKET);
      expect(receiversOf(ticket)).toEqual(['payments-ticket']);
      expect(receiversOf(ticket)).toEqual(
        await amtoolRouteReceivers(EU_LATENCY_TICKET)
      );
      expect(ticket.status).toEqual({
        state: 'active',
        silencedBy: [],
        inhibitedBy: [],
      });
    });

    it("routes dev-sandbox's latency ticket to nonprod on the cluster's env, not to the team", async () => {
      const ticket = await ruleAlert(DEV_LATENCY_TICKET);
      expect(receiversOf(ticket)).toEqual(['nonprod']);
      expect(receiversOf(ticket)).toEqual(
        await amtoolRouteReceivers(DEV_LATENCY_TICKET)
      );
    });

    it("labels every per-cluster SLO alert, the rules' and the gateways', with its cluster's region and env", async () => {
      // A sender that left them out would post an alert of its own (labels
      // differ) instead of merging with the other's, and route it by team.
      const specs = [PROD_EU, PROD_US, DEV_SANDBOX];
      const burns = (await getAlertmanagerAlerts(alertmanager!.url)).filter(
        a => a.labels['alertname'] === 'SLOErrorBudgetBurn'
      );
      expect(burns.length).toBeGreaterThan(0);
      for (const a of burns) {
        const spec = specs.find(c => c.name === a.labels['cluster']);
        expect(spec, JSON.stringify(a.labels)).toBeDefined();
        expect(
          { region: a.labels['region'], env: a.labels['env'] },
          `${JSON.stringify(a.labels)} from ${a.generatorURL ?? '?'}`
        ).toEqual({ region: spec!.region, env: spec!.env });
      }
    });

    it("notifies the payments pager, and only it, after the route's group_wait", async () => {
      const isPage = (labels: Record<string, string>): boolean =>
        hasLabels(labels, US_AVAILABILITY_PAGE);
      const notification = await waitFor(
        () =>
          sink!.received.find(
            n =>
              n.body.status === 'firing' &&
              n.body.alerts.some(a => isPage(a.labels))
          ),
        NOTIFICATION_TIMEOUT_MS,
        { intervalMs: 500, description: 'the prod-us page at the webhook sink' }
      );
      expect(notification.path).toBe('/page/payments');
      expect(notification.body.receiver).toBe('payments-page');
      expect(notification.body.groupLabels).toEqual({
        alertname: 'SLOErrorBudgetBurn',
        cluster: PROD_US.name,
        slo: availability.name,
      });
      const paths = sink!.received
        .filter(n => n.body.alerts.some(a => isPage(a.labels)))
        .map(n => n.path);
      expect(new Set(paths)).toEqual(new Set(['/page/payments']));
    });

    it('routes every alert it holds where amtool routes its labels', async () => {
      const alerts = await getAlertmanagerAlerts(alertmanager!.url);
      expect(alerts.length).toBeGreaterThan(0);
      for (const a of alerts)
        expect(receiversOf(a), JSON.stringify(a.labels)).toEqual(
          await amtoolRouteReceivers(a.labels)
        );
    });

    it("gets the gateways' own alerts from both replicas", async () => {
      const alertmanagerName = `${LOOPBACK_HOST}:${alertmanager!.port}`;
      for (const g of gateways) {
        const sent = await waitFor(
          async () => {
            const samples = (await scrapeMetrics(g.url)).filter(
              s =>
                s.name === 'fleetgate_alerts_sent_total' &&
                s.labels['alertmanager'] === alertmanagerName
            );
            const of = (result: string): number =>
              samples.find(s => s.labels['result'] === result)?.value ?? 0;
            return of('success') > 0
              ? {
                  success: of('success'),
                  failed: of('failed'),
                  rejected: of('rejected'),
                }
              : undefined;
          },
          ALERT_TIMEOUT_MS,
          { intervalMs: 1_000, description: `alerts sent by ${g.url}` }
        );
        expect(sent.failed + sent.rejected, g.url).toBe(0);
      }
    });

    it("routes a gateway's alert on the registry's env: dev-sandbox's degraded ticket to nonprod", async () => {
      // dev-sandbox is over its ingestion rate, so the fleet tracker calls
      // it degraded. Only the gateways send this alert (no rule has its
      // name), with the cluster's region, env and team from the registry.
      const degraded = {
        alertname: 'FleetgateClusterDegraded',
        severity: 'ticket',
        cluster: DEV_SANDBOX.name,
        region: DEV_SANDBOX.region,
        env: DEV_SANDBOX.env,
        team: DEV_SANDBOX.team,
      };
      let seen: AlertmanagerApiAlert[] = [];
      const alert = await waitFor(
        async () => {
          seen = await getAlertmanagerAlerts(alertmanager!.url);
          return seen.find(a => hasLabels(a.labels, degraded));
        },
        ALERT_TIMEOUT_MS,
        { intervalMs: 500, description: JSON.stringify(degraded) }
      ).catch((err: unknown) => {
        throw new Error(
          `${err instanceof Error ? err.message : String(err)}\nAlertmanager holds:\n${summarize(seen)}`,
          { cause: err }
        );
      });
      expect(gateways.map(g => g.url)).toContain(alert.generatorURL);
      expect(receiversOf(alert)).toEqual(['nonprod']);
      expect(receiversOf(alert)).toEqual(await amtoolRouteReceivers(degraded));
    });
  });
});
