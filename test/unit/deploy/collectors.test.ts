/**
 * The per-cluster collector configs in collectors/:
 * - prometheus-agent.yml through the real `promtool check config --agent`
 *   (Debian's prometheus 2.42). Debian builds Prometheus without the
 *   Kubernetes service discovery, and promtool insists that credential and
 *   CA files exist, so promtool checks a copy where each
 *   kubernetes_sd_configs block becomes a file_sd_configs block and each
 *   file path points at a stand-in file; the kubernetes_sd_configs blocks
 *   themselves are checked here (known roles and keys);
 * - otel-collector.yaml structurally (no collector binary here): every
 *   component a pipeline names is defined, the processors are in the order
 *   the collector needs, the exporter reaches fleetgate's OTLP routes with
 *   the token, and Prometheus' `$` is escaped from the collector's expansion;
 * - config.alloy structurally (no Alloy binary here): blocks balance, every
 *   component referenced is declared, endpoints are fleetgate's routes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './dashboard-model.js';

const COLLECTORS_DIR = join(REPO_ROOT, 'collectors');
const PROMTOOL_TIMEOUT_MS = 60_000;

/** fleetgate's routes (docs/architecture.md "Public surface"). */
const REMOTE_WRITE_PATH = '/api/v1/write';
const OTLP_PATHS = {
  metrics: ['/v1/metrics', '/otlp/v1/metrics'],
  logs: ['/v1/logs', '/otlp/v1/logs'],
};

/** Roles and keys of Prometheus' kubernetes_sd_config (docs: configuration.md). */
const KUBERNETES_SD_ROLES = [
  'node',
  'pod',
  'service',
  'endpoints',
  'endpointslice',
  'ingress',
];
const KUBERNETES_SD_KEYS = [
  'role',
  'api_server',
  'kubeconfig_file',
  'namespaces',
  'selectors',
  'attach_metadata',
  'basic_auth',
  'authorization',
  'oauth2',
  'proxy_url',
  'follow_redirects',
  'enable_http2',
  'tls_config',
];

function promtool(
  args: readonly string[]
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'promtool',
      args,
      { timeout: PROMTOOL_TIMEOUT_MS },
      (err, stdout, stderr) => {
        if (err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new Error(
              'cannot run promtool: not installed (apt-get install -y prometheus)',
              { cause: err }
            )
          );
          return;
        }
        const code =
          err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, output: `${stdout}${stderr}` });
      }
    );
  });
}

type Json = Record<string, unknown>;
const asRecord = (v: unknown): Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * A copy for promtool: kubernetes_sd_configs → file_sd_configs on an empty
 * targets file, and every *_file / ca_file path → a stand-in file in `dir`.
 * Returns the copy and the SD blocks it replaced.
 */
function promtoolCopy(
  config: Json,
  dir: string
): { copy: Json; kubernetesSd: Json[]; files: Set<string> } {
  const kubernetesSd: Json[] = [];
  const files = new Set<string>();
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const out: Json = {};
    for (const [key, value] of Object.entries(node as Json)) {
      if (key === 'kubernetes_sd_configs') {
        kubernetesSd.push(...asArray(value).map(asRecord));
        out['file_sd_configs'] = [{ files: [join(dir, 'targets.json')] }];
      } else if (/(^|_)file$/.test(key) && typeof value === 'string') {
        files.add(value);
        out[key] = join(dir, basename(value));
      } else out[key] = visit(value);
    }
    return out;
  };
  return { copy: visit(config) as Json, kubernetesSd, files };
}

describe('collectors/prometheus-agent.yml', () => {
  const text = readFileSync(
    join(COLLECTORS_DIR, 'prometheus-agent.yml'),
    'utf8'
  );
  const config = parseYaml(text) as Json;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetgate-collectors-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes promtool check config --agent (Kubernetes SD and in-pod files stood in for)', async () => {
    const { copy, kubernetesSd, files } = promtoolCopy(config, dir);
    expect(kubernetesSd.length).toBeGreaterThan(0);
    await writeFile(join(dir, 'targets.json'), '[]');
    for (const f of files)
      await writeFile(join(dir, basename(f)), 'stand-in\n');
    const file = join(dir, 'prometheus-agent.yml');
    await writeFile(file, stringifyYaml(copy));
    const got = await promtool(['check', 'config', '--agent', file]);
    expect(got.output).toMatch(/SUCCESS/);
    expect(got.code, got.output).toBe(0);
  });

  it('fails promtool when something is wrong (the check bites)', async () => {
    const { copy, files } = promtoolCopy(config, dir);
    await writeFile(join(dir, 'targets.json'), '[]');
    for (const f of files)
      await writeFile(join(dir, basename(f)), 'stand-in\n');
    // Agent mode has no rule evaluation.
    const file = join(dir, 'not-agent.yml');
    await writeFile(
      file,
      stringifyYaml({ ...copy, rule_files: ['rules.yml'] })
    );
    const got = await promtool(['check', 'config', '--agent', file]);
    expect(got.output).toMatch(/rule_files is not allowed in agent mode/);
    expect(got.code).not.toBe(0);
  });

  it('uses only Kubernetes SD roles and keys Prometheus knows', () => {
    const { kubernetesSd } = promtoolCopy(config, '/nonexistent');
    for (const sd of kubernetesSd) {
      expect(KUBERNETES_SD_ROLES).toContain(sd['role']);
      for (const key of Object.keys(sd))
        expect(KUBERNETES_SD_KEYS, key).toContain(key);
    }
  });

  it('remote-writes to fleetgate with the cluster token and retries 429', () => {
    const targets = asArray(config['remote_write']).map(asRecord);
    expect(targets).toHaveLength(1);
    const rw = targets[0]!;
    expect(new URL(String(rw['url'])).pathname).toBe(REMOTE_WRITE_PATH);
    const auth = asRecord(rw['authorization']);
    expect(auth['type']).toBe('Bearer');
    expect(auth['credentials_file']).toBe('/etc/fleetgate/token');
    const queue = asRecord(rw['queue_config']);
    expect(queue['retry_on_http_429']).toBe(true);
    expect(Number(queue['max_samples_per_send'])).toBeGreaterThanOrEqual(500);
  });
});

describe('collectors/otel-collector.yaml', () => {
  const text = readFileSync(
    join(COLLECTORS_DIR, 'otel-collector.yaml'),
    'utf8'
  );
  const config = parseYaml(text) as Json;
  const section = (name: string): Json => asRecord(config[name]);
  const typeOf = (id: string): string => id.split('/')[0] ?? id;
  const pipelines = asRecord(section('service')['pipelines']);

  it('defines every component a pipeline or the service names', () => {
    const problems: string[] = [];
    for (const [name, pipeline] of Object.entries(pipelines)) {
      for (const kind of ['receivers', 'processors', 'exporters'] as const) {
        for (const id of asArray(asRecord(pipeline)[kind])) {
          if (!(String(id) in section(kind)))
            problems.push(
              `pipeline ${name}: ${kind.slice(0, -1)} ${String(id)} is not defined`
            );
        }
      }
      expect(['metrics', 'logs', 'traces'], name).toContain(name.split('/')[0]);
    }
    for (const id of asArray(section('service')['extensions']))
      if (!(String(id) in section('extensions')))
        problems.push(`extension ${String(id)} is not defined`);
    expect(problems).toEqual([]);
  });

  it('has the receivers a cluster needs: OTLP, Prometheus, k8sobjects watching events, k8s_events', () => {
    const receivers = section('receivers');
    expect(
      Object.keys(asRecord(asRecord(receivers['otlp'])['protocols'])).sort()
    ).toEqual(['grpc', 'http']);
    expect(
      asArray(
        asRecord(asRecord(receivers['prometheus'])['config'])['scrape_configs']
      ).length
    ).toBeGreaterThan(0);
    const objects = asArray(asRecord(receivers['k8sobjects'])['objects']).map(
      asRecord
    );
    expect(objects).toContainEqual(
      expect.objectContaining({ name: 'events', mode: 'watch' })
    );
    expect(receivers).toHaveProperty('k8s_events');
    const used = new Set(
      Object.values(pipelines).flatMap(p =>
        asArray(asRecord(p)['receivers']).map(String)
      )
    );
    for (const r of ['otlp', 'prometheus', 'k8sobjects'])
      expect(used, r).toContain(r);
  });

  it('orders processors: memory_limiter first, batch last, k8sattributes before batch', () => {
    for (const [name, pipeline] of Object.entries(pipelines)) {
      const processors = asArray(asRecord(pipeline)['processors']).map(p =>
        typeOf(String(p))
      );
      expect(processors[0], name).toBe('memory_limiter');
      expect(processors.at(-1), name).toBe('batch');
      expect(processors, name).toContain('resource');
    }
    const metrics = asArray(asRecord(pipelines['metrics'])['processors']).map(
      String
    );
    expect(metrics).toContain('k8sattributes');
  });

  it('names the cluster with k8s.cluster.name (upsert)', () => {
    const attrs = asArray(
      asRecord(section('processors')['resource'])['attributes']
    ).map(asRecord);
    expect(attrs).toContainEqual({
      key: 'k8s.cluster.name',
      value: '${env:CLUSTER_NAME}',
      action: 'upsert',
    });
  });

  it('exports over OTLP/HTTP to fleetgate routes with the bearer token', () => {
    const exporters = Object.entries(section('exporters'));
    expect(exporters.length).toBeGreaterThan(0);
    for (const [id, raw] of exporters) {
      expect(typeOf(id)).toBe('otlphttp');
      const e = asRecord(raw);
      expect(asRecord(e['headers'])['Authorization']).toBe(
        'Bearer ${env:FLEETGATE_TOKEN}'
      );
      const base = new URL(String(e['endpoint']));
      // otlphttp appends /v1/<signal> to endpoint unless <signal>_endpoint is set.
      for (const signal of ['metrics', 'logs'] as const) {
        const explicit = e[`${signal}_endpoint`];
        const path =
          explicit === undefined
            ? `${base.pathname.replace(/\/$/, '')}/v1/${signal}`
            : new URL(explicit as string).pathname;
        expect(OTLP_PATHS[signal], `${id} ${signal}`).toContain(path);
      }
      expect(asRecord(e['retry_on_failure'])['enabled']).toBe(true);
    }
  });

  it("escapes Prometheus `$` from the collector's variable expansion", () => {
    const prom = stringifyYaml(asRecord(section('receivers')['prometheus']));
    const unescaped = [...prom.matchAll(/\$+(?!\{env:)/g)].filter(
      m => m[0].length % 2 === 1
    );
    expect(
      unescaped.map(m =>
        prom.slice(Math.max(0, (m.index ?? 0) - 20), (m.index ?? 0) + 10)
      )
    ).toEqual([]);
  });
});

describe('collectors/config.alloy', () => {
  const text = readFileSync(join(COLLECTORS_DIR, 'config.alloy'), 'utf8');
  // Comments and strings out of the way for the structure checks.
  const code = text
    .replace(/\/\/[^\n]*/g, '')
    .replace(/"(?:[^"\\]|\\.)*"/g, '""');

  it('balances its blocks and brackets', () => {
    let depth = 0;
    for (const ch of code) {
      if (ch === '{' || ch === '[' || ch === '(') depth++;
      if (ch === '}' || ch === ']' || ch === ')') depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
  });

  it('declares every component it references, once', () => {
    const declared = [
      ...text.matchAll(
        /^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)\s+"([^"]+)"\s*\{/gm
      ),
    ].map(m => `${m[1] ?? ''}.${m[2] ?? ''}`);
    expect(new Set(declared).size).toBe(declared.length);
    const references = [
      ...code.matchAll(
        /\b([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*){2,})\.(receiver|input|output|targets)\b/g
      ),
    ].map(m => m[1] ?? '');
    expect(references.length).toBeGreaterThan(0);
    for (const ref of references) expect(declared, ref).toContain(ref);
  });

  it('sends metrics and logs to fleetgate routes with the token from the environment', () => {
    const urls = [...text.matchAll(/\burl\s*=\s*"([^"]+)"/g)].map(
      m => new URL(m[1] ?? '').pathname
    );
    expect(urls).toEqual([REMOTE_WRITE_PATH]);
    const endpoints = [...text.matchAll(/\bendpoint\s*=\s*"([^"]+)"/g)].map(m =>
      new URL(m[1] ?? '').pathname.replace(/\/$/, '')
    );
    for (const e of endpoints)
      expect(OTLP_PATHS.logs).toContain(`${e}/v1/logs`);
    expect(text).toMatch(/credentials\s*=\s*sys\.env\("FLEETGATE_TOKEN"\)/);
    expect(text).toMatch(
      /"Authorization"\s*=\s*"Bearer "\s*\+\s*sys\.env\("FLEETGATE_TOKEN"\)/
    );
    expect(text).toMatch(/retry_on_http_429\s*=\s*true/);
  });
});
