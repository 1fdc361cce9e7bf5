/**
 * A deterministic corpus of realistic Kubernetes series for the bench: ten
 * clusters, each with kubelet/cAdvisor, kube-state-metrics, node-exporter,
 * apiserver and application series, 8–12 labels per series, and the cluster
 * named under the alias label `k8s_cluster` the way many agents' external
 * labels do. Same seed, same corpus: every system under test sees the same
 * bytes.
 */

/** Alias label the senders use for the cluster; normalization folds it into `cluster`. */
export const CLUSTER_ALIAS_LABEL = 'k8s_cluster';

/** A registry entry as fleetgate's config and vmagent's relabeling need it. */
export interface BenchCluster {
  name: string;
  region: string;
  env: string;
  team: string;
  token: string;
}

export const BENCH_CLUSTERS: readonly BenchCluster[] = [
  ['prod-eu-west-1', 'eu-west-1', 'prod', 'payments'],
  ['prod-eu-central-1', 'eu-central-1', 'prod', 'checkout'],
  ['prod-us-east-1', 'us-east-1', 'prod', 'payments'],
  ['prod-us-west-2', 'us-west-2', 'prod', 'search'],
  ['prod-ap-southeast-1', 'ap-southeast-1', 'prod', 'growth'],
  ['staging-eu-west-1', 'eu-west-1', 'staging', 'platform'],
  ['staging-us-east-1', 'us-east-1', 'staging', 'platform'],
  ['dev-eu-west-1', 'eu-west-1', 'dev', 'platform'],
  ['dev-us-east-1', 'us-east-1', 'dev', 'data'],
  ['ops-global', 'us-east-1', 'ops', 'sre'],
].map(([name, region, env, team]) => ({
  name: name!,
  region: region!,
  env: env!,
  team: team!,
  token: `bench-token-${name!}-7c1e9a52d04b`,
}));

/**
 * `count` bench clusters: the ten above, then more of the same kinds (a
 * fleet's extra regions and environments), each with its own name and
 * token. Deterministic in `count`.
 */
export function benchClusters(count: number): BenchCluster[] {
  const out: BenchCluster[] = [];
  for (let i = 0; i < count; i++) {
    const base = BENCH_CLUSTERS[i % BENCH_CLUSTERS.length]!;
    if (i < BENCH_CLUSTERS.length) {
      out.push(base);
      continue;
    }
    const name = `${base.name}-${String.fromCharCode(97 + Math.floor(i / BENCH_CLUSTERS.length) - 1)}`;
    out.push({ ...base, name, token: `bench-token-${name}-7c1e9a52d04b` });
  }
  return out;
}

/** One series: label names and values sorted by name (remote write requires it), and one value. */
export interface BenchSeries {
  /** name0, value0, name1, value1, … sorted by name. */
  labels: string[];
  value: number;
}

/** mulberry32: tiny, fast and good enough for a deterministic corpus. */
function makeRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A pod-name-like suffix, unique per `i` (multiplication by an odd constant is a bijection mod 2^32). */
function podHash(i: number, salt: number): string {
  const h = (Math.imul(i + 1, 2654435761) ^ salt) >>> 0;
  const s = h.toString(36).padStart(7, '0');
  return `${s.slice(0, 5)}-${s.slice(5)}${(i % 36).toString(36)}${((i >>> 5) % 36).toString(36)}x`;
}

const NAMESPACES = [
  'checkout',
  'payments',
  'search',
  'catalog',
  'ingress-nginx',
  'monitoring',
  'kube-system',
  'cert-manager',
];
const DEPLOYMENTS = [
  'api',
  'worker',
  'frontend',
  'scheduler',
  'gateway',
  'indexer',
];
const CONTAINERS = ['app', 'istio-proxy'];
const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
const CODES = ['200', '201', '204', '400', '404', '500', '503'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const HANDLERS = [
  '/api/v1/orders',
  '/api/v1/cart',
  '/healthz',
  '/api/v1/search',
  '/metrics',
];
const VERBS = ['GET', 'LIST', 'WATCH', 'POST', 'PATCH', 'DELETE'];
const RESOURCES = [
  'pods',
  'nodes',
  'deployments',
  'configmaps',
  'secrets',
  'services',
  'leases',
  'events',
  'endpointslices',
];
const LE = [
  '0.005',
  '0.025',
  '0.05',
  '0.1',
  '0.2',
  '0.4',
  '0.6',
  '0.8',
  '1',
  '1.25',
  '1.5',
  '2',
  '4',
  '+Inf',
];
const CPU_MODES = [
  'idle',
  'iowait',
  'irq',
  'nice',
  'softirq',
  'steal',
  'system',
  'user',
];
const CPUS_PER_NODE = 16;

/** A family yields its i-th series' labels (unsorted, without cluster and __name__ handled inside). */
type Family = (i: number, cluster: string, salt: number) => [string, string][];

function nodeName(n: number, salt: number): string {
  return `ip-10-${(salt >>> 8) % 200}-${(n >>> 8) % 256}-${n % 256}.compute.internal`;
}

function pod(
  i: number,
  salt: number
): {
  namespace: string;
  deployment: string;
  pod: string;
  node: string;
  ip: string;
} {
  const namespace = NAMESPACES[i % NAMESPACES.length]!;
  const deployment =
    DEPLOYMENTS[Math.floor(i / NAMESPACES.length) % DEPLOYMENTS.length]!;
  return {
    namespace,
    deployment,
    pod: `${deployment}-${podHash(i, salt)}`,
    node: nodeName(i % 60, salt),
    ip: `10.${100 + (i >>> 16)}.${(i >>> 8) % 256}.${i % 256}`,
  };
}

const FAMILIES: readonly { weight: number; family: Family }[] = [
  {
    weight: 3,
    family: (i, cluster, salt) => {
      const p = pod(Math.floor(i / CONTAINERS.length), salt);
      return [
        ['__name__', 'container_cpu_usage_seconds_total'],
        [CLUSTER_ALIAS_LABEL, cluster],
        ['job', 'kubelet'],
        ['metrics_path', '/metrics/cadvisor'],
        ['instance', `${p.node}:10250`],
        ['node', p.node],
        ['namespace', p.namespace],
        ['pod', p.pod],
        ['container', CONTAINERS[i % CONTAINERS.length]!],
        [
          'image',
          `registry.example.com/${p.namespace}/${p.deployment}:v1.${i % 17}.0`,
        ],
      ];
    },
  },
  {
    weight: 3,
    family: (i, cluster, salt) => {
      const p = pod(Math.floor(i / CONTAINERS.length), salt);
      return [
        ['__name__', 'container_memory_working_set_bytes'],
        [CLUSTER_ALIAS_LABEL, cluster],
        ['job', 'kubelet'],
        ['metrics_path', '/metrics/cadvisor'],
        ['instance', `${p.node}:10250`],
        ['node', p.node],
        ['namespace', p.namespace],
        ['pod', p.pod],
        ['container', CONTAINERS[i % CONTAINERS.length]!],
      ];
    },
  },
  {
    weight: 2,
    family: (i, cluster, salt) => {
      const p = pod(Math.floor(i / PHASES.length), salt);
      return [
        ['__name__', 'kube_pod_status_phase'],
        [CLUSTER_ALIAS_LABEL, cluster],
        ['job', 'kube-state-metrics'],
        ['instance', '10.96.12.7:8080'],
        ['service', 'kube-state-metrics'],
        ['namespace', p.namespace],
        ['pod', p.pod],
        ['uid', `6f1c${podHash(i, salt ^ 0x5bd1)}`],
        ['phase', PHASES[i % PHASES.length]!],
      ];
    },
  },
  {
    weight: 4,
    family: (i, cluster, salt) => {
      const combos = CODES.length * METHODS.length * HANDLERS.length;
      const p = pod(Math.floor(i / combos), salt);
      const c = i % combos;
      return [
        ['__name__', 'http_requests_total'],
        [CLUSTER_ALIAS_LABEL, cluster],
        ['job', `${p.namespace}/${p.deployment}`],
        ['instance', `${p.ip}:8080`],
        ['namespace', p.namespace],
        ['pod', p.pod],
        ['container', 'app'],
        ['code', CODES[c % CODES.length]!],
        ['method', METHODS[Math.floor(c / CODES.length) % METHODS.length]!],
        ['handler', HANDLERS[Math.floor(c / (CODES.length * METHODS.length))]!],
      ];
    },
  },
  {
    weight: 3,
    family: (i, cluster) => {
      const le = LE[i % LE.length]!;
      const verb = VERBS[Math.floor(i / LE.length) % VERBS.length]!;
      const r = Math.floor(i / (LE.length * VERBS.length));
      const resource = RESOURCES[r % RESOURCES.length]!;
      const replica = Math.floor(r / RESOURCES.length);
      return [
        ['__name__', 'apiserver_request_duration_seconds_bucket'],
        [CLUSTER_ALIAS_LABEL, cluster],
        ['job', 'apiserver'],
        ['instance', `10.0.${replica % 256}.${10 + (replica >>> 8)}:6443`],
        ['component', 'apiserver'],
        ['verb', verb],
        ['resource', resource],
        ['scope', resource === 'nodes' ? 'cluster' : 'namespace'],
        ['group', resource === 'deployments' ? 'apps' : ''],
        ['version', 'v1'],
        ['le', le],
      ].filter(([, v]) => v !== '') as [string, string][];
    },
  },
  {
    weight: 2,
    family: (i, cluster, salt) => {
      const mode = CPU_MODES[i % CPU_MODES.length]!;
      const cpu = Math.floor(i / CPU_MODES.length) % CPUS_PER_NODE;
      const node = nodeName(
        Math.floor(i / (CPU_MODES.length * CPUS_PER_NODE)),
        salt
      );
      return [
        ['__name__', 'node_cpu_seconds_total'],
        [CLUSTER_ALIAS_LABEL, cluster],
        ['job', 'node-exporter'],
        ['instance', `${node}:9100`],
        ['node', node],
        ['namespace', 'monitoring'],
        [
          'pod',
          `node-exporter-${podHash(Math.floor(i / (CPU_MODES.length * CPUS_PER_NODE)), salt)}`,
        ],
        ['container', 'node-exporter'],
        ['cpu', String(cpu)],
        ['mode', mode],
      ];
    },
  },
  {
    weight: 1,
    family: (i, cluster, salt) => {
      const p = pod(i, salt);
      return [
        ['__name__', 'kube_deployment_status_replicas_available'],
        [CLUSTER_ALIAS_LABEL, cluster],
        ['job', 'kube-state-metrics'],
        ['instance', '10.96.12.7:8080'],
        ['service', 'kube-state-metrics'],
        ['endpoint', 'http'],
        ['namespace', p.namespace],
        ['deployment', `${p.deployment}-${i}`],
      ];
    },
  },
];

/** Values look like the real thing: counters grow, gauges hover, phases are 0/1. */
function valueFor(name: string, random: () => number): number {
  if (name === 'kube_pod_status_phase') return random() < 0.2 ? 1 : 0;
  if (name === 'container_memory_working_set_bytes')
    return Math.floor(64e6 + random() * 2e9);
  if (name === 'kube_deployment_status_replicas_available')
    return 1 + Math.floor(random() * 5);
  if (name.endsWith('_total') || name.endsWith('_bucket'))
    return Math.floor(random() * 1e7) / 10;
  return random() * 100;
}

/**
 * `count` distinct series of one cluster of `clusters`, families
 * interleaved by weight. Deterministic in (cluster index, count).
 */
export function generateClusterSeries(
  clusterIndex: number,
  count: number,
  clusters: readonly BenchCluster[] = BENCH_CLUSTERS
): BenchSeries[] {
  const cluster = clusters[clusterIndex];
  if (cluster === undefined)
    throw new Error(
      `cannot generate series: no bench cluster #${clusterIndex}`
    );
  const salt = (clusterIndex + 1) * 0x9e3779b1;
  const random = makeRandom(0xf1ee7 + clusterIndex);
  const next = new Array<number>(FAMILIES.length).fill(0);
  const out: BenchSeries[] = [];
  const seen = new Set<string>();
  while (out.length < count) {
    for (let f = 0; f < FAMILIES.length && out.length < count; f++) {
      const { weight, family } = FAMILIES[f]!;
      for (let w = 0; w < weight && out.length < count; w++) {
        const pairs = family(next[f]!++, cluster.name, salt);
        pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        const labels: string[] = [];
        for (const [n, v] of pairs) labels.push(n, v);
        const key = labels.join('\u0000');
        // Families are built to be unique; this guards the corpus against a
        // future edit that would quietly make two series collide.
        if (seen.has(key))
          throw new Error(
            `cannot generate series: duplicate ${key.replaceAll('\u0000', ' ')}`
          );
        seen.add(key);
        out.push({ labels, value: valueFor(pairs[0]![1], random) });
      }
    }
  }
  return out;
}

/** Label counts over a set of series, for the bench header. */
export function describeLabelCounts(series: readonly BenchSeries[]): {
  min: number;
  max: number;
  mean: number;
} {
  let min = Infinity;
  let max = 0;
  let sum = 0;
  for (const s of series) {
    const n = s.labels.length / 2;
    min = Math.min(min, n);
    max = Math.max(max, n);
    sum += n;
  }
  return { min, max, mean: series.length === 0 ? 0 : sum / series.length };
}
