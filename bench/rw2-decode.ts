/**
 * Samples per CPU-second of the remote write 2.0 decoder, alone, followed by
 * the synchronous ingest stages (normalize, label limits, cardinality
 * limiter), and followed by those and the forwarder's encoding of the series
 * (remote write 1.0, stable labels from its EncodedLabelsCache), on the bench
 * corpus: 10 clusters, 4 requests of 2000 series each, one sample per series. Each request is encoded twice, with its series (and
 * so its symbol table) in opposite orders, and the rounds alternate between
 * the two, as a sender's shards do: the same series arrives under other refs.
 *
 * Phases: the first round (every series new), then steady state (every
 * series seen before), each with a fresh series cache, stages and encoder.
 *
 * Run: node dist/bench/rw2-decode.js [--rounds=20] [--no-cache] [--json]
 */
import { Registry } from 'prom-client';
import { ProtobufWriter } from '../src/protocol/wire/index.js';
import { EncodedLabelsCache } from '../src/forward/encoded-labels-cache.js';
import { defaultConfig } from '../src/config/index.js';
import { ClusterRegistry } from '../src/fleet/index.js';
import {
  SeriesLabelCache,
  decodeWriteRequestV2,
  encodeSeriesV1,
  type DecodeStats,
} from '../src/protocol/remote-write/index.js';
import { SeriesBatch } from '../src/model/index.js';
import {
  CardinalityLimiter,
  LabelLimits,
  NormalizeLabels,
  StageTally,
  type Identity,
  type Stage,
} from '../src/pipeline/index.js';
import {
  BENCH_CLUSTERS,
  CLUSTER_ALIAS_LABEL,
  generateClusterSeries,
  type BenchSeries,
} from './k8s-corpus.js';

const SERIES_PER_REQUEST = 2000;
const REQUESTS_PER_CLUSTER = 4;
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const TIMESTAMP_MS = 1_800_000_000_000;

type DecodeV2 = (
  body: Uint8Array,
  batch: SeriesBatch,
  cache?: SeriesLabelCache
) => DecodeStats;
// Typed with the optional cache so that the bench also builds against a decoder without one.
const decode: DecodeV2 = decodeWriteRequestV2;

interface Request {
  readonly identity: Identity;
  /** The same series, in opposite orders (different symbol tables). */
  readonly bodies: readonly [Uint8Array, Uint8Array];
}

interface Phase {
  name: string;
  samples: number;
  cpuMs: number;
}

function cpuMsNow(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * An `io.prometheus.write.v2.Request` as Prometheus writes one: symbols in
 * order of first use, "" first, then a TimeSeries per series with packed
 * labels_refs and one sample.
 */
function encodeRequestV2(
  series: readonly BenchSeries[],
  writer: ProtobufWriter
): Uint8Array {
  const refs = new Map<string, number>([['', 0]]);
  const symbols: string[] = [''];
  const refOf = (text: string): number => {
    let ref = refs.get(text);
    if (ref === undefined) {
      ref = symbols.length;
      refs.set(text, ref);
      symbols.push(text);
    }
    return ref;
  };
  const labelRefs = series.map(s => s.labels.map(refOf));
  writer.reset();
  for (const symbol of symbols) {
    writer.tag(4, WIRE_LENGTH_DELIMITED);
    writer.string(symbol);
  }
  series.forEach((s, i) => {
    writer.tag(5, WIRE_LENGTH_DELIMITED);
    writer.fork();
    writer.tag(1, WIRE_LENGTH_DELIMITED);
    writer.fork();
    for (const ref of labelRefs[i]!) writer.uint32(ref);
    writer.join();
    writer.tag(2, WIRE_LENGTH_DELIMITED);
    writer.fork();
    writer.tag(1, WIRE_FIXED64);
    writer.double(s.value);
    writer.tag(2, WIRE_VARINT);
    writer.int64(TIMESTAMP_MS);
    writer.join();
    writer.join();
  });
  return writer.finish().slice();
}

function buildRequests(registry: ClusterRegistry): Request[] {
  const writer = new ProtobufWriter(1024 * 1024);
  const requests: Request[] = [];
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
      const part = series.slice(
        r * SERIES_PER_REQUEST,
        (r + 1) * SERIES_PER_REQUEST
      );
      const forward = encodeRequestV2(part, writer);
      const backward = encodeRequestV2(part.slice().reverse(), writer);
      requests.push({ identity, bodies: [forward, backward] });
    }
  });
  return requests;
}

function main(): void {
  const rounds = Number(
    /--rounds=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 20
  );
  const useCache = !process.argv.includes('--no-cache');
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
  const requests = buildRequests(registry);
  const batch = new SeriesBatch();
  const writer = new ProtobufWriter(1024 * 1024);

  /** The forwarder's work per request: each live series encoded, stable labels from their cached bytes. */
  const encodeBatch = (labelsCache: EncodedLabelsCache): void => {
    writer.reset();
    for (let i = 0; i < batch.seriesCount; i++) {
      if (batch.dropped[i] !== 0) continue;
      const labelFields =
        batch.stable[i] === 1
          ? labelsCache.labelFieldsOf(batch.labels[i]!)
          : undefined;
      encodeSeriesV1(batch, i, writer, labelFields);
    }
  };

  const runRound = (
    round: number,
    cache: SeriesLabelCache | undefined,
    stages: readonly Stage[],
    labelsCache: EncodedLabelsCache | undefined
  ): number => {
    let samples = 0;
    for (const request of requests) {
      batch.reset();
      decode(request.bodies[round % 2]!, batch, cache);
      if (stages.length !== 0) {
        const context = {
          identity: request.identity,
          protocol: 'remote_write_v2' as const,
          receivedAtMs: Date.now(),
          tally: new StageTally(),
        };
        for (const stage of stages) void stage.process(batch, context);
      }
      if (labelsCache !== undefined) encodeBatch(labelsCache);
      samples += batch.sampleCount;
    }
    return samples;
  };

  /** A first round then `rounds` more, with a fresh series cache. */
  const measure = (
    label: string,
    stages: readonly Stage[],
    labelsCache?: EncodedLabelsCache
  ): Phase[] => {
    const cache = useCache ? new SeriesLabelCache() : undefined;
    let start = cpuMsNow();
    const first = {
      name: `${label}, new series`,
      samples: runRound(0, cache, stages, labelsCache),
      cpuMs: cpuMsNow() - start,
    };
    start = cpuMsNow();
    let samples = 0;
    for (let r = 1; r <= rounds; r++)
      samples += runRound(r, cache, stages, labelsCache);
    return [
      first,
      { name: `${label}, known series`, samples, cpuMs: cpuMsNow() - start },
    ];
  };

  const newStages = (): Stage[] => [
    new NormalizeLabels(registry, {
      aliases: {
        cluster: [CLUSTER_ALIAS_LABEL],
        region: [],
        env: [],
        team: [],
      },
      unknownCluster: config.normalize.unknown_cluster,
    }),
    new LabelLimits(config.limits),
    new CardinalityLimiter(config.limits, { registry: new Registry() }),
  ];

  const phases = [
    ...measure('decode', []),
    ...measure('decode + stages', newStages()),
    ...measure(
      'decode + stages + forward encoding',
      newStages(),
      new EncodedLabelsCache()
    ),
  ];

  const rows = phases.map(p => ({
    ...p,
    samplesPerCpuSecond: Math.round(p.samples / (p.cpuMs / 1000)),
  }));
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ cache: useCache, rows }));
    return;
  }
  console.log(
    `| RW2 phase (${useCache ? 'series cache' : 'no cache'}) | samples | CPU ms | samples/CPU-s |\n|---|---|---|---|`
  );
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.samples.toLocaleString('en-US')} | ${Math.round(r.cpuMs)} | **${r.samplesPerCpuSecond.toLocaleString('en-US')}** |`
    );
  }
}

main();
