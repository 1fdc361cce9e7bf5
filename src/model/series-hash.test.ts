import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from './labels.js';
import { formatSeriesHash, hashSeries } from './series-hash.js';

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

/** A pod-like name, distinct per p (multiplying by an odd constant is a bijection mod 2³²). */
function podName(p: number, cluster: number): string {
  return `api-${(Math.imul(p + 1, 2654435761) >>> 0).toString(36)}-c${cluster}`;
}

/**
 * The i-th of a set of distinct, realistic Kubernetes series (cAdvisor,
 * application, apiserver and node-exporter shapes over ten clusters), in
 * sorted label order. (cluster, family, j) is unique per i, and each family
 * encodes j in its labels, so no two series are equal.
 */
function realisticSeries(i: number): string[] {
  const c = i % 10;
  const k = Math.floor(i / 10);
  const j = Math.floor(k / 4);
  const cluster = `prod-${c}`;
  const node = (n: number): string =>
    `ip-10-${c}-${(n >>> 8) & 255}-${n & 255}.compute.internal`;
  switch (k % 4) {
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

/** Equal neighbours after sorting. */
function countDuplicates(values: BigUint64Array | Uint32Array): number {
  values.sort();
  let duplicates = 0;
  for (let i = 1; i < values.length; i++)
    if (values[i] === values[i - 1]) duplicates++;
  return duplicates;
}

function hashOf(labels: readonly string[]): [number, number] {
  const out = new Uint32Array(2);
  hashSeries(labels, out);
  return [out[0]!, out[1]!];
}

describe('hashSeries()', () => {
  it('gives equal label sets equal hashes', () => {
    const a = labelsFromRecord({
      __name__: 'up',
      job: 'api',
      instance: 'a:9090',
    });
    const b = labelsFromRecord({
      instance: 'a:9090',
      __name__: 'up',
      job: 'api',
    });
    expect(hashOf(a)).toEqual(hashOf(b));
  });

  it('keeps the boundaries between strings in both words', () => {
    const cases: [string[], string[]][] = [
      [
        ['ab', 'c'],
        ['a', 'bc'],
      ],
      [
        ['a', ''],
        ['', 'a'],
      ],
      [
        ['abc', 'd'],
        ['ab', 'cd'],
      ],
      [
        ['__name__', 'up'],
        ['__name__', 'up', '', ''],
      ],
    ];
    for (const [x, y] of cases) {
      const [hx, lx] = hashOf(x);
      const [hy, ly] = hashOf(y);
      expect(lx, `${x.join('|')} vs ${y.join('|')}`).not.toBe(ly);
      expect(hx === hy && lx === ly).toBe(false);
    }
  });

  it('writes unsigned words at the given offset', () => {
    const out = new Uint32Array(6);
    hashSeries(['__name__', 'x'], out, 2);
    expect(out[0]).toBe(0);
    expect(out[2]).toBe(hashOf(['__name__', 'x'])[0]);
    expect(out[3]).toBe(hashOf(['__name__', 'x'])[1]);
    expect(out[4]).toBe(0);
  });

  it('has no 64-bit collision among 1M realistic Kubernetes series', () => {
    const count = 1_000_000;
    const keys = new BigUint64Array(count);
    const highs = new Uint32Array(count);
    const lows = new Uint32Array(count);
    const out = new Uint32Array(2);
    for (let i = 0; i < count; i++) {
      hashSeries(realisticSeries(i), out);
      keys[i] = (BigInt(out[0]!) << 32n) | BigInt(out[1]!);
      highs[i] = out[0]!;
      lows[i] = out[1]!;
    }
    expect(countDuplicates(keys)).toBe(0);
    // Each 32-bit word alone collides about n²/2³³ ≈ 116 times when it mixes
    // well (the table compares both words).
    expect(countDuplicates(highs)).toBeLessThan(300);
    expect(countDuplicates(lows)).toBeLessThan(300);
  }, 60_000);

  it('is fed distinct series by the collision test', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) seen.add(realisticSeries(i).join('\x00'));
    expect(seen.size).toBe(50_000);
  });
});

describe('formatSeriesHash()', () => {
  it.each([
    [0, 0, '0000000000000000'],
    [0xdeadbeef, 0x1, 'deadbeef00000001'],
    [0xffffffff, 0xffffffff, 'ffffffffffffffff'],
  ])('renders %d, %d as %s', (hi, lo, want) => {
    expect(formatSeriesHash(hi, lo)).toBe(want);
  });
});
