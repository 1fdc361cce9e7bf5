/**
 * The simulated fleet of `fleetgate demo`: 12 clusters sending remote write
 * every ~2s, some also OTLP metrics and Kubernetes events (OTLP logs), with
 * three planned anomalies (a cluster that goes silent, one whose clock is
 * 8 minutes ahead, one whose checkout service returns many 5xx).
 */
import { encodeWriteRequestV1 } from '../protocol/index.js';
import { SeriesBatch, sortLabels } from '../model/index.js';
import { snappyCompress } from '../protocol/index.js';

export interface DemoCluster {
  readonly name: string;
  readonly region: string;
  readonly env: string;
  readonly team: string;
  readonly token: string;
  /** Stops sending after this many ms (the silent cluster). */
  readonly silentAfterMs?: number;
  /** Added to every sample timestamp (the skewed cluster). */
  readonly clockOffsetMs?: number;
  /** Fraction of checkout requests answered 5xx. */
  readonly errorRatio: number;
  readonly sendsOtlp: boolean;
  readonly sendsEvents: boolean;
}

const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'] as const;
const ENVS = ['dev', 'staging', 'prod'] as const;
const SHORT: Record<string, string> = {
  'eu-west-1': 'eu',
  'us-east-1': 'us',
  'ap-southeast-1': 'ap',
};

export const SILENT_CLUSTER = 'staging-us-1';
export const SKEWED_CLUSTER = 'dev-ap-1';
export const BURNING_CLUSTER = 'prod-eu-2';

/** The 12 demo clusters (names like prod-eu-1), with their anomalies. */
export function demoClusters(): DemoCluster[] {
  const clusters: DemoCluster[] = [];
  let i = 0;
  for (const region of REGIONS)
    for (let k = 0; k < 4; k++) {
      const env = k === 0 || k === 3 ? 'prod' : ENVS[k - 1]!;
      const nth = k === 3 ? 2 : 1;
      const name = `${env}-${SHORT[region]}-${nth}`;
      clusters.push({
        name,
        region,
        env,
        team: ['payments', 'search', 'platform'][i % 3]!,
        token: `demo-${name}-token-${(0x1f2e3d4c + i * 7919).toString(16)}`,
        ...(name === SILENT_CLUSTER ? { silentAfterMs: 10_000 } : {}),
        ...(name === SKEWED_CLUSTER ? { clockOffsetMs: 8 * 60_000 } : {}),
        errorRatio: name === BURNING_CLUSTER ? 0.08 : 0.001,
        sendsOtlp: i % 4 === 1,
        sendsEvents: i % 3 === 0,
      });
      i++;
    }
  return clusters;
}

/** The generated config (YAML; JSON is YAML). */
export function demoConfigYaml(
  clusters: readonly DemoCluster[],
  queueDir: string
): string {
  const config = {
    clusters: clusters.map(c => ({
      name: c.name,
      region: c.region,
      env: c.env,
      team: c.team,
      token: c.token,
    })),
    fleet: { stale_after: '20s', down_after: '40s', max_clock_skew: '5m' },
    slos: [
      {
        name: 'checkout-availability',
        service: 'checkout',
        description: 'Checkout requests answered without a 5xx',
        objective: 0.99,
        window: '1d',
        sli: {
          ratio: {
            bad: 'http_requests_total{job="checkout",code=~"5.."}',
            total: 'http_requests_total{job="checkout"}',
          },
        },
        alerting: {
          windows: [
            {
              severity: 'page',
              long: '1h',
              short: '5m',
              budget_consumed: 0.02,
            },
            {
              severity: 'ticket',
              long: '6h',
              short: '30m',
              budget_consumed: 0.05,
            },
          ],
        },
      },
    ],
    forward: { queue_dir: queueDir },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

const PODS = ['api-7d9f', 'web-5c2a', 'worker-81bb'];
const NODES = ['node-1', 'node-2', 'node-3'];

interface ClusterState {
  readonly cluster: DemoCluster;
  readonly startedMs: number;
  /** Counter values of http_requests_total by code. */
  readonly requests: Map<string, number>;
  cpuSeconds: number;
  ticks: number;
  eventCount: number;
}

export interface DemoFleetOptions {
  readonly baseUrl: string;
  readonly clusters: readonly DemoCluster[];
  readonly intervalMs?: number;
  /** Reports a failed send (default: ignored). */
  readonly onError?: (cluster: string, message: string) => void;
}

/** A running simulated fleet; stop() waits for in-flight sends. */
export interface DemoFleet {
  stop(): Promise<void>;
}

export function startDemoFleet(options: DemoFleetOptions): DemoFleet {
  const intervalMs = options.intervalMs ?? 2000;
  const controller = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const states: ClusterState[] = options.clusters.map(cluster => ({
    cluster,
    startedMs: Date.now(),
    requests: new Map([
      ['200', 1000 + Math.floor(Math.random() * 1000)],
      ['404', 10],
      ['500', 0],
      ['503', 0],
    ]),
    cpuSeconds: 1000,
    ticks: 0,
    eventCount: 1,
  }));
  const timers: NodeJS.Timeout[] = [];
  states.forEach((state, i) => {
    // Spread the clusters over the interval so requests do not all land at once.
    const tick = (): void => {
      if (controller.signal.aborted) return;
      const p = sendTick(state, options, controller.signal).catch(
        (err: unknown) => {
          if (!controller.signal.aborted)
            options.onError?.(
              state.cluster.name,
              err instanceof Error ? err.message : String(err)
            );
        }
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    };
    const first = setTimeout(
      () => {
        tick();
        const every = setInterval(tick, intervalMs);
        timers.push(every);
      },
      Math.floor((i * intervalMs) / states.length)
    );
    timers.push(first);
  });
  return {
    async stop(): Promise<void> {
      controller.abort();
      for (const t of timers) clearTimeout(t);
      await Promise.allSettled([...inFlight]);
    },
  };
}

async function sendTick(
  state: ClusterState,
  options: DemoFleetOptions,
  signal: AbortSignal
): Promise<void> {
  const c = state.cluster;
  const nowMs = Date.now();
  if (
    c.silentAfterMs !== undefined &&
    nowMs - state.startedMs > c.silentAfterMs
  )
    return;
  state.ticks++;
  const ts = nowMs + (c.clockOffsetMs ?? 0);
  await post(
    options.baseUrl,
    '/api/v1/write',
    c.token,
    remoteWriteBody(state, ts),
    signal,
    {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    }
  );
  if (c.sendsOtlp)
    await post(
      options.baseUrl,
      '/v1/metrics',
      c.token,
      otlpMetricsBody(state, ts),
      signal,
      { 'Content-Type': 'application/json' }
    );
  // Kubernetes events every ~10s; a Warning BackOff every third time.
  if (c.sendsEvents && state.ticks % 5 === 1)
    await post(
      options.baseUrl,
      '/v1/logs',
      c.token,
      k8sEventsBody(state, ts),
      signal,
      { 'Content-Type': 'application/json' }
    );
}

async function post(
  baseUrl: string,
  path: string,
  token: string,
  body: Uint8Array | string,
  signal: AbortSignal,
  headers: Record<string, string>
): Promise<void> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    body,
    headers: {
      ...headers,
      Authorization: `Bearer ${token}`,
      'User-Agent': 'fleetgate-demo/1.0',
    },
    signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`POST ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
}

function remoteWriteBody(state: ClusterState, ts: number): Uint8Array {
  const c = state.cluster;
  const batch = new SeriesBatch();
  const add = (labels: Record<string, string>, value: number): void => {
    const flat: string[] = [];
    for (const [k, v] of Object.entries(labels)) flat.push(k, v);
    batch.addSeries(sortLabels(flat));
    batch.addSample(value, ts);
  };
  // Traffic: ~50 req/s with some jitter, a share of them 5xx.
  const requests = Math.round(80 + Math.random() * 40);
  const errors = Math.round(requests * c.errorRatio * (0.5 + Math.random()));
  const bump = (code: string, n: number): number => {
    const v = (state.requests.get(code) ?? 0) + n;
    state.requests.set(code, v);
    return v;
  };
  const counts: [string, number][] = [
    ['200', Math.max(0, requests - errors - 1)],
    ['404', Math.random() < 0.5 ? 1 : 0],
    ['500', Math.ceil(errors / 2)],
    ['503', Math.floor(errors / 2)],
  ];
  for (const [code, n] of counts)
    add(
      {
        __name__: 'http_requests_total',
        job: 'checkout',
        code,
        namespace: 'shop',
        pod: PODS[0]!,
      },
      bump(code, n)
    );
  state.cpuSeconds += 2 * (0.5 + Math.random());
  for (const node of NODES) {
    add(
      {
        __name__: 'node_load1',
        job: 'node-exporter',
        instance: `${node}:9100`,
      },
      0.5 + Math.random() * 2
    );
    add(
      {
        __name__: 'node_memory_MemAvailable_bytes',
        job: 'node-exporter',
        instance: `${node}:9100`,
      },
      4e9 + Math.random() * 1e9
    );
    add(
      {
        __name__: 'node_cpu_seconds_total',
        job: 'node-exporter',
        instance: `${node}:9100`,
        cpu: '0',
        mode: 'user',
      },
      state.cpuSeconds
    );
  }
  for (const pod of PODS) {
    add(
      {
        __name__: 'kube_pod_status_ready',
        job: 'kube-state-metrics',
        namespace: 'shop',
        pod,
        condition: 'true',
      },
      1
    );
    add(
      {
        __name__: 'kube_pod_container_status_restarts_total',
        job: 'kube-state-metrics',
        namespace: 'shop',
        pod,
        container: pod.split('-')[0]!,
      },
      pod === PODS[0] && c.sendsEvents ? state.eventCount : 0
    );
  }
  add(
    { __name__: 'up', job: 'node-exporter', instance: `${NODES[0]}:9100` },
    1
  );
  return snappyCompress(encodeWriteRequestV1(batch));
}

const str = (
  key: string,
  value: string
): { key: string; value: { stringValue: string } } => ({
  key,
  value: { stringValue: value },
});

function otlpMetricsBody(state: ClusterState, ts: number): string {
  const ns = `${ts}000000`;
  const startNs = `${state.startedMs}000000`;
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: {
          attributes: [
            str('service.name', 'cart'),
            str('k8s.namespace.name', 'shop'),
            str('k8s.pod.name', PODS[1]!),
          ],
        },
        scopeMetrics: [
          {
            scope: { name: 'fleetgate-demo' },
            metrics: [
              {
                name: 'cart.items',
                unit: '{item}',
                gauge: {
                  dataPoints: [
                    {
                      timeUnixNano: ns,
                      asDouble: Math.round(Math.random() * 500),
                    },
                  ],
                },
              },
              {
                name: 'cart.checkouts',
                unit: '{checkout}',
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      startTimeUnixNano: startNs,
                      timeUnixNano: ns,
                      asInt: String(state.ticks * 7),
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  });
}

/** One event as the Collector's k8s_events receiver emits it. */
function k8sEventsBody(state: ClusterState, ts: number): string {
  const c = state.cluster;
  const isWarning = state.ticks % 15 === 1;
  if (isWarning) state.eventCount++;
  const pod = isWarning ? PODS[0]! : PODS[2]!;
  const record = {
    timeUnixNano: `${ts}000000`,
    severityText: isWarning ? 'Warning' : 'Normal',
    severityNumber: isWarning ? 13 : 9,
    body: {
      stringValue: isWarning
        ? `Back-off restarting failed container api in pod ${pod}`
        : `Successfully pulled image "worker:1.4.2"`,
    },
    attributes: [
      str('k8s.event.reason', isWarning ? 'BackOff' : 'Pulled'),
      str('k8s.event.action', ''),
      str('k8s.event.start_time', new Date(state.startedMs).toISOString()),
      str('k8s.event.name', `${pod}.${isWarning ? '17a1' : `p${state.ticks}`}`),
      str(
        'k8s.event.uid',
        `${c.name}-${isWarning ? 'backoff' : `pulled-${state.ticks}`}`
      ),
      str('k8s.namespace.name', 'shop'),
      {
        key: 'k8s.event.count',
        value: { intValue: String(isWarning ? state.eventCount : 1) },
      },
    ],
  };
  return JSON.stringify({
    resourceLogs: [
      {
        resource: {
          attributes: [
            str('k8s.node.name', NODES[0]!),
            str('k8s.object.kind', 'Pod'),
            str('k8s.object.name', pod),
            str('k8s.object.uid', `${c.name}-${pod}-uid`),
            str('k8s.object.fieldpath', 'spec.containers{api}'),
            str('k8s.object.api_version', 'v1'),
            str('k8s.object.resource_version', String(1000 + state.ticks)),
            str('k8s.cluster.name', c.name),
          ],
        },
        scopeLogs: [{ logRecords: [record] }],
      },
    ],
  });
}
