/**
 * The Kubernetes manifests in collectors/kubernetes/ (the per-cluster
 * collector and fleetgate itself), checked without a cluster:
 * - every object against Kubernetes' OpenAPI-derived JSON schemas, as
 *   compiled into `kubernetes-models` (types, formats, required fields,
 *   enums), and against its TypeScript interfaces from the same package so
 *   that unknown or misspelled keys fail too (what `kubeconform -strict`
 *   adds to the schema check);
 * - the objects fit together: selectors match pod labels, Services and
 *   probes name ports the containers have, mounts name volumes, referenced
 *   ConfigMaps/Secrets/keys/ServiceAccounts exist, everything lives in the
 *   namespace the set creates, HPA and PDB target the fleetgate Deployment;
 * - the collector's ConfigMap holds collectors/otel-collector.yaml as it is,
 *   its ClusterRole grants what that config reads, and fleetgate's ConfigMap
 *   is a config fleetgate's own parser accepts with the Secret's tokens;
 * - each kustomization.yaml lists every manifest of its folder (and
 *   `kubectl kustomize` builds it, when kubectl is installed).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as rbacV1 from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { parseConfig } from '../../../src/config/index.js';
import { REPO_ROOT } from './dashboard-model.js';
import { typecheckJson } from './typecheck-json.js';
import { itWithPeer } from '../../helpers/peer-gate.js';

const K8S_DIR = join(REPO_ROOT, 'collectors/kubernetes');
const FOLDERS = ['collector', 'fleetgate'] as const;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
  };
  [key: string]: unknown;
}

interface Manifest {
  readonly folder: string;
  readonly file: string;
  readonly object: K8sObject;
  /** `folder/file Kind/name`, for messages. */
  readonly where: string;
}

/** A kubernetes-models class: constructed from the object, validate() throws on schema errors. */
type ModelClass = new (data: never) => { validate(): void };

/** apiVersion/kind → the model class (validation) and its interface (strict keys). */
const MODELS: Readonly<
  Record<string, { model: ModelClass; iface: string; module: string }>
> = {
  'v1/Namespace': {
    model: coreV1.Namespace,
    iface: 'INamespace',
    module: 'kubernetes-models/v1',
  },
  'v1/ServiceAccount': {
    model: coreV1.ServiceAccount,
    iface: 'IServiceAccount',
    module: 'kubernetes-models/v1',
  },
  'v1/Secret': {
    model: coreV1.Secret,
    iface: 'ISecret',
    module: 'kubernetes-models/v1',
  },
  'v1/ConfigMap': {
    model: coreV1.ConfigMap,
    iface: 'IConfigMap',
    module: 'kubernetes-models/v1',
  },
  'v1/Service': {
    model: coreV1.Service,
    iface: 'IService',
    module: 'kubernetes-models/v1',
  },
  'apps/v1/Deployment': {
    model: appsV1.Deployment,
    iface: 'IDeployment',
    module: 'kubernetes-models/apps/v1',
  },
  'apps/v1/DaemonSet': {
    model: appsV1.DaemonSet,
    iface: 'IDaemonSet',
    module: 'kubernetes-models/apps/v1',
  },
  'rbac.authorization.k8s.io/v1/ClusterRole': {
    model: rbacV1.ClusterRole,
    iface: 'IClusterRole',
    module: 'kubernetes-models/rbac.authorization.k8s.io/v1',
  },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': {
    model: rbacV1.ClusterRoleBinding,
    iface: 'IClusterRoleBinding',
    module: 'kubernetes-models/rbac.authorization.k8s.io/v1',
  },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    model: autoscalingV2.HorizontalPodAutoscaler,
    iface: 'IHorizontalPodAutoscaler',
    module: 'kubernetes-models/autoscaling/v2',
  },
  'policy/v1/PodDisruptionBudget': {
    model: policyV1.PodDisruptionBudget,
    iface: 'IPodDisruptionBudget',
    module: 'kubernetes-models/policy/v1',
  },
};

function loadManifests(): Manifest[] {
  const out: Manifest[] = [];
  for (const folder of FOLDERS) {
    const dir = join(K8S_DIR, folder);
    for (const file of readdirSync(dir)
      .filter(f => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .sort()) {
      for (const doc of parseAllDocuments(
        readFileSync(join(dir, file), 'utf8')
      )) {
        expect(doc.errors, `${folder}/${file}`).toEqual([]);
        const object = doc.toJS() as K8sObject | null;
        if (object === null) continue;
        out.push({
          folder,
          file,
          object,
          where: `${folder}/${file} ${object.kind}/${object.metadata.name}`,
        });
      }
    }
  }
  return out;
}

const manifests = loadManifests();
const inFolder = (folder: string): Manifest[] =>
  manifests.filter(m => m.folder === folder);
const find = (
  folder: string,
  kind: string,
  name: string
): Manifest | undefined =>
  inFolder(folder).find(
    m => m.object.kind === kind && m.object.metadata.name === name
  );

interface Container {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  env?: {
    name: string;
    valueFrom?: {
      secretKeyRef?: { name: string; key: string };
      configMapKeyRef?: { name: string; key: string };
    };
  }[];
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: { httpGet?: { port: string | number } };
  livenessProbe?: { httpGet?: { port: string | number } };
}
interface PodSpec {
  serviceAccountName?: string;
  containers: Container[];
  volumes?: {
    name: string;
    configMap?: { name: string };
    secret?: { secretName: string };
  }[];
}
interface Workload {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

const podTemplateOf = (m: Manifest): Workload['spec']['template'] =>
  (m.object as unknown as Workload).spec.template;
const matches = (
  selector: Record<string, string>,
  labels: Record<string, string>
): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);

function dataOf(m: Manifest | undefined): Record<string, string> {
  const o = m?.object as
    | { data?: Record<string, string>; stringData?: Record<string, string> }
    | undefined;
  return { ...o?.data, ...o?.stringData };
}

const itWithKubectl = itWithPeer('kubectl', hasKubectl());

describe('Kubernetes manifests (collectors/kubernetes)', () => {
  it('include what the collector and fleetgate need', () => {
    const kinds = (folder: string): string[] =>
      [...new Set(inFolder(folder).map(m => m.object.kind))].sort();
    expect(kinds('collector')).toEqual(
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'ConfigMap',
        'Deployment',
        'Namespace',
        'Secret',
        'Service',
        'ServiceAccount',
      ].sort()
    );
    expect(kinds('fleetgate')).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Namespace',
        'PodDisruptionBudget',
        'Secret',
        'Service',
        'ServiceAccount',
      ].sort()
    );
    const fleetgate = find('fleetgate', 'Deployment', 'fleetgate');
    expect(
      (fleetgate?.object as { spec?: { replicas?: number } }).spec?.replicas
    ).toBeGreaterThanOrEqual(2);
    expect(find('fleetgate', 'Deployment', 'fleetgate-redis')).toBeDefined();
    expect(find('fleetgate', 'Service', 'fleetgate-redis')).toBeDefined();
  });

  it.each(manifests.map(m => [m.where, m] as const))(
    '%s conforms to the Kubernetes schema',
    (_where, m) => {
      const entry = MODELS[`${m.object.apiVersion}/${m.object.kind}`];
      expect(
        entry,
        `no schema known for ${m.object.apiVersion} ${m.object.kind}`
      ).toBeDefined();
      const model = new entry!.model(m.object as never);
      expect(() => model.validate()).not.toThrow();
    }
  );

  it('has no field the Kubernetes types do not know (strict)', () => {
    const modules = [...new Set(Object.values(MODELS).map(e => e.module))];
    const header = modules
      .map(
        mod =>
          `import type { ${Object.values(MODELS)
            .filter(e => e.module === mod)
            .map(e => e.iface)
            .join(', ')} } from '${mod}';`
      )
      .join('\n');
    const problems = typecheckJson(
      header,
      manifests.map(m => ({
        name: m.where,
        value: m.object,
        type:
          MODELS[`${m.object.apiVersion}/${m.object.kind}`]?.iface ?? 'never',
      }))
    );
    expect(problems.map(p => `${p.name}: ${p.messages.join('; ')}`)).toEqual(
      []
    );
  }, 120_000);

  it('catches a misspelled field and a wrong type (the checks bite)', () => {
    const bad = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: {
        replicas: 'two',
        selector: { matchLabels: { a: 'b' } },
        template: {
          spec: {
            containers: [
              {
                name: 'c',
                image: 'i',
                imagePullPolicy: 'Always',
                resoures: {},
              },
            ],
          },
        },
      },
    };
    expect(() => new appsV1.Deployment(bad as never).validate()).toThrow(
      /replicas/
    );
    const problems = typecheckJson(
      `import type { IDeployment } from 'kubernetes-models/apps/v1';`,
      [
        {
          name: 'bad',
          value: { ...bad, spec: { ...bad.spec, replicas: 2 } },
          type: 'IDeployment',
        },
      ]
    );
    expect(problems.flatMap(p => p.messages).join('\n')).toMatch(/resoures/);
  }, 60_000);

  describe.each(FOLDERS.map(f => [f] as const))('%s/', folder => {
    const objects = inFolder(folder);
    const namespace = objects.find(m => m.object.kind === 'Namespace')?.object
      .metadata.name;

    it('puts every namespaced object in the namespace it creates', () => {
      expect(namespace).toBeDefined();
      for (const m of objects) {
        if (
          ['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(
            m.object.kind
          )
        ) {
          expect(m.object.metadata.namespace, m.where).toBeUndefined();
        } else expect(m.object.metadata.namespace, m.where).toBe(namespace);
      }
    });

    it('wires workloads: selectors, ports, probes, volumes, env and service accounts resolve', () => {
      const problems: string[] = [];
      for (const m of objects.filter(
        o => o.object.kind === 'Deployment' || o.object.kind === 'DaemonSet'
      )) {
        const w = m.object as unknown as Workload;
        const labels = w.spec.template.metadata.labels;
        if (!matches(w.spec.selector.matchLabels, labels))
          problems.push(`${m.where}: selector does not match the pod labels`);
        const pod = w.spec.template.spec;
        if (
          pod.serviceAccountName !== undefined &&
          find(folder, 'ServiceAccount', pod.serviceAccountName) === undefined
        )
          problems.push(
            `${m.where}: no ServiceAccount ${pod.serviceAccountName}`
          );
        const volumes = new Map((pod.volumes ?? []).map(v => [v.name, v]));
        for (const v of volumes.values()) {
          if (
            v.configMap !== undefined &&
            find(folder, 'ConfigMap', v.configMap.name) === undefined
          )
            problems.push(
              `${m.where}: volume ${v.name} names a missing ConfigMap ${v.configMap.name}`
            );
          if (
            v.secret !== undefined &&
            find(folder, 'Secret', v.secret.secretName) === undefined
          )
            problems.push(
              `${m.where}: volume ${v.name} names a missing Secret ${v.secret.secretName}`
            );
        }
        for (const c of pod.containers) {
          const ports = new Set<string | number>(
            (c.ports ?? []).flatMap(p => [
              p.containerPort,
              ...(p.name === undefined ? [] : [p.name]),
            ])
          );
          for (const probe of [c.readinessProbe, c.livenessProbe])
            if (probe?.httpGet !== undefined && !ports.has(probe.httpGet.port))
              problems.push(
                `${m.where}: probe port ${probe.httpGet.port} is not a container port`
              );
          for (const mount of c.volumeMounts ?? [])
            if (!volumes.has(mount.name))
              problems.push(`${m.where}: mount ${mount.name} has no volume`);
          for (const e of c.env ?? []) {
            const ref = e.valueFrom?.secretKeyRef;
            if (
              ref !== undefined &&
              dataOf(find(folder, 'Secret', ref.name))[ref.key] === undefined
            )
              problems.push(
                `${m.where}: env ${e.name} names a missing Secret key ${ref.name}/${ref.key}`
              );
          }
          for (const e of c.envFrom ?? [])
            if (
              e.secretRef !== undefined &&
              find(folder, 'Secret', e.secretRef.name) === undefined
            )
              problems.push(
                `${m.where}: envFrom names a missing Secret ${e.secretRef.name}`
              );
        }
      }
      for (const m of objects.filter(o => o.object.kind === 'Service')) {
        const spec = m.object['spec'] as {
          selector: Record<string, string>;
          ports: { port: number; targetPort?: string | number }[];
        };
        const targets = objects.filter(
          o =>
            (o.object.kind === 'Deployment' || o.object.kind === 'DaemonSet') &&
            matches(spec.selector, podTemplateOf(o).metadata.labels)
        );
        if (targets.length !== 1) {
          problems.push(
            `${m.where}: selector matches ${targets.length} workloads, want 1`
          );
          continue;
        }
        const ports = new Set<string | number>(
          podTemplateOf(targets[0]!).spec.containers.flatMap(c =>
            (c.ports ?? []).flatMap(p => [
              p.containerPort,
              ...(p.name === undefined ? [] : [p.name]),
            ])
          )
        );
        for (const p of spec.ports)
          if (!ports.has(p.targetPort ?? p.port))
            problems.push(
              `${m.where}: targetPort ${String(p.targetPort ?? p.port)} is not a container port`
            );
      }
      expect(problems).toEqual([]);
    });

    it('lists every manifest in kustomization.yaml', () => {
      const k = parseYaml(
        readFileSync(join(K8S_DIR, folder, 'kustomization.yaml'), 'utf8')
      ) as { resources: string[] };
      const files = readdirSync(join(K8S_DIR, folder)).filter(
        f => f.endsWith('.yaml') && f !== 'kustomization.yaml'
      );
      expect([...k.resources].sort()).toEqual(files.sort());
    });

    itWithKubectl('builds with kubectl kustomize', () => {
      const out = execFileSync(
        'kubectl',
        ['kustomize', join(K8S_DIR, folder)],
        { encoding: 'utf8' }
      );
      expect(parseAllDocuments(out).length).toBe(objects.length);
    });
  });

  describe('the collector', () => {
    it('mounts collectors/otel-collector.yaml unchanged', () => {
      const cm = dataOf(find('collector', 'ConfigMap', 'fleetgate-collector'));
      const file = readFileSync(
        join(REPO_ROOT, 'collectors/otel-collector.yaml'),
        'utf8'
      );
      expect(cm['otel-collector.yaml']).toBe(file);
      const deployment = find('collector', 'Deployment', 'fleetgate-collector');
      const container = podTemplateOf(deployment!).spec.containers[0];
      const mount = container?.volumeMounts?.find(v => v.name === 'config');
      expect((container as { args?: string[] } | undefined)?.args).toContain(
        `--config=${mount?.mountPath ?? '?'}/otel-collector.yaml`
      );
      // The collector config reads these from the environment.
      const env = new Set((container?.env ?? []).map(e => e.name));
      for (const name of file.matchAll(/\$\{env:([A-Z_]+)\}/g))
        expect(env, name[1]).toContain(name[1]);
    });

    it('runs one replica, as the events receivers require', () => {
      const spec = find('collector', 'Deployment', 'fleetgate-collector')
        ?.object['spec'] as { replicas: number; strategy: { type: string } };
      expect(spec.replicas).toBe(1);
      expect(spec.strategy.type).toBe('Recreate');
    });

    it('may read events (both APIs), pods, namespaces, nodes and kubelet metrics', () => {
      const role = find('collector', 'ClusterRole', 'fleetgate-collector')
        ?.object as unknown as {
        rules: {
          apiGroups?: string[];
          resources?: string[];
          verbs: string[];
          nonResourceURLs?: string[];
        }[];
      };
      const can = (group: string, resource: string, verb: string): boolean =>
        role.rules.some(
          r =>
            (r.apiGroups ?? []).includes(group) &&
            (r.resources ?? []).includes(resource) &&
            r.verbs.includes(verb)
        );
      for (const verb of ['list', 'watch']) {
        expect(can('', 'events', verb), `core events ${verb}`).toBe(true);
        expect(
          can('events.k8s.io', 'events', verb),
          `events.k8s.io ${verb}`
        ).toBe(true);
        for (const r of ['pods', 'namespaces', 'nodes', 'endpoints'])
          expect(can('', r, verb), `${r} ${verb}`).toBe(true);
        expect(can('apps', 'replicasets', verb), `replicasets ${verb}`).toBe(
          true
        );
      }
      expect(can('', 'nodes/proxy', 'get')).toBe(true);
      expect(
        role.rules.some(r => (r.nonResourceURLs ?? []).includes('/metrics'))
      ).toBe(true);
      const binding = find(
        'collector',
        'ClusterRoleBinding',
        'fleetgate-collector'
      )?.object as unknown as {
        roleRef: { name: string };
        subjects: { kind: string; name: string; namespace: string }[];
      };
      expect(binding.roleRef.name).toBe('fleetgate-collector');
      expect(binding.subjects).toEqual([
        {
          kind: 'ServiceAccount',
          name: 'fleetgate-collector',
          namespace: 'fleetgate-collector',
        },
      ]);
    });
  });

  describe('fleetgate', () => {
    it('ships a config that fleetgate accepts, with the tokens from the Secret', () => {
      const text = dataOf(find('fleetgate', 'ConfigMap', 'fleetgate'))[
        'fleetgate.yml'
      ];
      expect(text).toBeDefined();
      const tokens = dataOf(
        find('fleetgate', 'Secret', 'fleetgate-cluster-tokens')
      );
      const config = parseConfig(
        text ?? '',
        tokens,
        'collectors/kubernetes/fleetgate/configmap.yaml'
      );
      expect(config.server.listen).toBe('0.0.0.0:9201');
      expect(config.clusters.length).toBeGreaterThanOrEqual(2);
      expect(config.state.redis).toMatch(
        /^redis:\/\/fleetgate-redis\.fleetgate\.svc:6379/
      );
      // The queue lives on the writable volume.
      const container = podTemplateOf(
        find('fleetgate', 'Deployment', 'fleetgate')!
      ).spec.containers[0];
      const queueMount = container?.volumeMounts?.find(v => v.name === 'queue');
      expect(
        config.forward.queue_dir.startsWith(queueMount?.mountPath ?? '?')
      ).toBe(true);
      expect((container as { args?: string[] } | undefined)?.args).toEqual([
        'serve',
        '--config',
        '/etc/fleetgate/fleetgate.yml',
      ]);
    });

    it('scales from two replicas and keeps one through disruptions', () => {
      const hpa = find('fleetgate', 'HorizontalPodAutoscaler', 'fleetgate')
        ?.object['spec'] as {
        scaleTargetRef: { kind: string; name: string };
        minReplicas: number;
        maxReplicas: number;
      };
      expect(hpa.scaleTargetRef).toMatchObject({
        kind: 'Deployment',
        name: 'fleetgate',
      });
      expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa.maxReplicas).toBeGreaterThan(hpa.minReplicas);
      const pdb = find('fleetgate', 'PodDisruptionBudget', 'fleetgate')?.object[
        'spec'
      ] as {
        minAvailable: number;
        selector: { matchLabels: Record<string, string> };
      };
      expect(pdb.minAvailable).toBeGreaterThanOrEqual(1);
      expect(
        matches(
          pdb.selector.matchLabels,
          podTemplateOf(find('fleetgate', 'Deployment', 'fleetgate')!).metadata
            .labels
        )
      ).toBe(true);
    });
  });
});

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
