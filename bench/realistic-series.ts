/**
 * A realistic Kubernetes series generator shared by the memory bench and the
 * series-hash collision test: container, HTTP, apiserver and node families,
 * 9-13 labels each, distinct per (cluster, index), labels sorted by name.
 */
const CODES = ['200', '201', '204', '400', '404', '500', '503'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const HANDLERS = [
  '/api/v1/orders',
  '/api/v1/cart',
  '/healthz',
  '/api/v1/search',
  '/metrics',
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
const MODES = [
  'idle',
  'iowait',
  'irq',
  'nice',
  'softirq',
  'steal',
  'system',
  'user',
];
const NAMESPACES = [
  'checkout',
  'payments',
  'search',
  'catalog',
  'ingress-nginx',
  'monitoring',
  'kube-system',
];
function podName(p: number, cluster: number): string {
  return `api-${(Math.imul(p + 1, 2654435761) >>> 0).toString(36)}-c${cluster}`;
}

/** The i-th series of cluster c (distinct per (c, i)), labels sorted by name. */
export function realisticSeries(c: number, i: number): string[] {
  const j = Math.floor(i / 4);
  const cluster = `prod-${c}`;
  const node = (n: number): string =>
    `ip-10-${c}-${(n >>> 8) & 255}-${n & 255}.compute.internal`;
  switch (i % 4) {
    case 0: {
      const p = j >>> 1;
      const ns = NAMESPACES[p % NAMESPACES.length]!;
      return [
        '__name__',
        'container_cpu_usage_seconds_total',
        'cluster',
        cluster,
        'container',
        j & 1 ? 'istio-proxy' : 'app',
        'env',
        'prod',
        'image',
        `registry.example.com/${ns}/api:v1.${p % 17}.0`,
        'instance',
        `${node(p % 60)}:10250`,
        'job',
        'kubelet',
        'namespace',
        ns,
        'node',
        node(p % 60),
        'pod',
        podName(p, c),
        'region',
        'eu-west-1',
        'team',
        'payments',
      ];
    }
    case 1: {
      const p = Math.floor(j / 140);
      const x = j % 140;
      const ns = NAMESPACES[p % NAMESPACES.length]!;
      return [
        '__name__',
        'http_requests_total',
        'cluster',
        cluster,
        'code',
        CODES[x % 7]!,
        'container',
        'app',
        'env',
        'prod',
        'handler',
        HANDLERS[Math.floor(x / 28)]!,
        'instance',
        `10.${100 + (p >>> 16)}.${(p >>> 8) & 255}.${p & 255}:8080`,
        'job',
        `${ns}/api`,
        'method',
        METHODS[Math.floor(x / 7) % 4]!,
        'namespace',
        ns,
        'pod',
        podName(p, c),
        'region',
        'eu-west-1',
        'team',
        'payments',
      ];
    }
    case 2: {
      const r = Math.floor(j / 756);
      const x = j % 756;
      const resource = RESOURCES[Math.floor(x / 84)]!;
      return [
        '__name__',
        'apiserver_request_duration_seconds_bucket',
        'cluster',
        cluster,
        'component',
        'apiserver',
        'env',
        'prod',
        'instance',
        `10.0.${r & 255}.${10 + (r >>> 8)}:6443`,
        'job',
        'apiserver',
        'le',
        LE[x % 14]!,
        'region',
        'eu-west-1',
        'resource',
        resource,
        'scope',
        resource === 'nodes' ? 'cluster' : 'namespace',
        'team',
        'platform',
        'verb',
        VERBS[Math.floor(x / 14) % 6]!,
      ];
    }
    default: {
      const n = j >>> 7;
      return [
        '__name__',
        'node_cpu_seconds_total',
        'cluster',
        cluster,
        'cpu',
        String((j >>> 3) & 15),
        'env',
        'prod',
        'instance',
        `${node(n)}:9100`,
        'job',
        'node-exporter',
        'mode',
        MODES[j & 7]!,
        'namespace',
        'monitoring',
        'node',
        node(n),
        'pod',
        `node-exporter-${podName(n, c)}`,
        'region',
        'eu-west-1',
        'team',
        'sre',
      ];
    }
  }
}
