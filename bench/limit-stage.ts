/**
 * Samples per CPU-second of the limit stages (label limits + cardinality
 * budgets) on the bench corpus: 10 clusters, 2000-series requests, first the
 * admission of every series (new series), then steady state (known series,
 * stable label arrays as the decoder's series cache hands them out).
 *
 * Run: node dist/bench/limit-stage.js [--rounds=20] [--json]
 */
import { Registry } from 'prom-client';
import { defaultConfig } from '../src/config/index.js';
import { ClusterRegistry } from '../src/fleet/index.js';
import { SeriesBatch, sortLabels } from '../src/model/index.js';
import {
  CardinalityLimiter,
  LabelLimits,
  StageTally,
  type Identity,
} from '../src/pipeline/index.js';
import {
  BENCH_CLUSTERS,
  CLUSTER_ALIAS_LABEL,
  generateClusterSeries,
} from './k8s-corpus.js';

const SERIES_PER_REQUEST = 2000;
const REQUESTS_PER_CLUSTER = 4;

interface Phase {
  name: string;
  samples: number;
  cpuMs: number;
}

function cpuMsNow(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** The labels normalization would produce: the alias dropped, the canonical four added. */
function withCanonicalLabels(
  labels: readonly string[],
  cluster: (typeof BENCH_CLUSTERS)[number]
): string[] {
  const out: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] !== CLUSTER_ALIAS_LABEL) out.push(labels[i]!, labels[i + 1]!);
  }
  out.push(
    'cluster',
    cluster.name,
    'region',
    cluster.region,
    'env',
    cluster.env,
    'team',
    cluster.team
  );
  return sortLabels(out);
}

function main(): void {
  const rounds = Number(
    /--rounds=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 20
  );
  const config = defaultConfig();
  const registry = new ClusterRegistry(
    BENCH_CLUSTERS.map(c => ({
      name: c.name,
      region: c.region,
      env: c.env,
      team: c.team,
      labels: {},
    }))
  );
  const labelLimits = new LabelLimits(config.limits);
  const limiter = new CardinalityLimiter(config.limits, {
    registry: new Registry(),
  });

  // Requests as the pipeline sees them after normalization: canonical labels added, stable arrays.
  const requests: { identity: Identity; labels: string[][] }[] = [];
  BENCH_CLUSTERS.forEach((cluster, index) => {
    const series = generateClusterSeries(
      index,
      SERIES_PER_REQUEST * REQUESTS_PER_CLUSTER
    );
    const identity: Identity = {
      kind: 'cluster',
      cluster: registry.byName(cluster.name)!,
    };
    for (let r = 0; r < REQUESTS_PER_CLUSTER; r++) {
      const labels = series
        .slice(r * SERIES_PER_REQUEST, (r + 1) * SERIES_PER_REQUEST)
        .map(s => withCanonicalLabels(s.labels, cluster));
      requests.push({ identity, labels });
    }
  });

  const batch = new SeriesBatch();
  const runOnce = (): number => {
    let samples = 0;
    for (const request of requests) {
      batch.reset();
      for (const labels of request.labels) {
        const i = batch.addSeries(labels);
        batch.stable[i] = 1;
        batch.addSample(1, 0);
      }
      const context = {
        identity: request.identity,
        protocol: 'remote_write_v1' as const,
        receivedAtMs: Date.now(),
        tally: new StageTally(),
      };
      labelLimits.process(batch, context);
      limiter.process(batch, context);
      samples += batch.sampleCount;
    }
    return samples;
  };

  const phases: Phase[] = [];
  let start = cpuMsNow();
  phases.push({
    name: 'new series (admission)',
    samples: runOnce(),
    cpuMs: cpuMsNow() - start,
  });
  start = cpuMsNow();
  let samples = 0;
  for (let r = 0; r < rounds; r++) samples += runOnce();
  phases.push({
    name: 'known series (steady state)',
    samples,
    cpuMs: cpuMsNow() - start,
  });

  const rows = phases.map(p => ({
    ...p,
    samplesPerCpuSecond: Math.round(p.samples / (p.cpuMs / 1000)),
  }));
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows));
    return;
  }
  console.log(
    '| limit stage phase | samples | CPU ms | samples/CPU-s |\n|---|---|---|---|'
  );
  for (const r of rows)
    console.log(
      `| ${r.name} | ${r.samples.toLocaleString('en-US')} | ${Math.round(r.cpuMs)} | **${r.samplesPerCpuSecond.toLocaleString('en-US')}** |`
    );
}

main();
