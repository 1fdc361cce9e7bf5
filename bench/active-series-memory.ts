/**
 * Bytes of memory per active series in the cardinality limiter's index, at
 * 1M series (docs/architecture.md "Benchmarks, not timed tests"). Prints two figures:
 * - tracking: the hash table alone (64-bit hash, last seen, metric id), the
 *   part every budget decision needs (target: at most 64 bytes per series);
 * - label stats: what keeping each series' label pairs adds for the
 *   cardinality API (pair ids per series, the pair dictionary with its value
 *   strings).
 * Each is measured as the growth of V8 heap + external (ArrayBuffer) memory
 * after a forced GC, with series generated on the fly (realistic Kubernetes
 * shapes, 9–13 labels) so that nothing but the index holds them.
 *
 * Run: node --expose-gc dist/bench/active-series-memory.js [--series=1000000] [--clusters=1,10] [--json]
 */
import { ActiveSeriesIndex } from '../src/pipeline/limit/active-series-index.js';
import { hashSeries } from '../src/model/series-hash.js';
import { realisticSeries } from './realistic-series.js';

const WINDOW_MS = 20 * 60_000;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined)
    throw new Error('cannot force a GC: run node with --expose-gc');
  for (let i = 0; i < 3; i++) collect();
}

function memoryBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

interface Measure {
  clusters: number;
  series: number;
  trackLabels: boolean;
  bytesPerSeries: number;
  slotsPerCluster: number;
  labelPairs: number;
}

function measure(
  series: number,
  clusters: number,
  trackLabels: boolean
): Measure {
  gc();
  const before = memoryBytes();
  const nowMs = Date.now();
  const index = new ActiveSeriesIndex({
    nowMs,
    windowMsOf: () => WINDOW_MS,
    trackLabels,
  });
  const hash = new Uint32Array(2);
  const sec = index.secondsOf(nowMs);
  const perCluster = Math.ceil(series / clusters);
  let added = 0;
  for (let c = 0; c < clusters && added < series; c++) {
    const table = index.tableFor(`prod-${c}`);
    for (let i = 0; i < perCluster && added < series; i++, added++) {
      const labels = realisticSeries(c, i);
      hashSeries(labels, hash);
      table.insert(hash[0]!, hash[1]!, sec, labels[1]!, labels);
    }
  }
  gc();
  const after = memoryBytes();
  let pairs = 0;
  let slots = 0;
  for (const [, table] of index.entries()) {
    pairs += table.labels?.size ?? 0;
    slots = table.capacity;
  }
  if (index.size !== added)
    throw new Error(
      `cannot measure: index holds ${index.size} series, want ${added}`
    );
  return {
    clusters,
    series: added,
    trackLabels,
    bytesPerSeries: (after - before) / added,
    slotsPerCluster: slots,
    labelPairs: pairs,
  };
}

function main(): void {
  const flags = new Map<string, string>();
  for (const arg of process.argv.slice(2)) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (m === null)
      throw new Error(
        `cannot parse argument ${JSON.stringify(arg)} (want --name=value)`
      );
    flags.set(m[1]!, m[2] ?? 'true');
  }
  const series = Number(flags.get('series') ?? 1_000_000);
  const layouts = (flags.get('clusters') ?? '1,10').split(',').map(Number);
  const results: { tracking: Measure; labels: Measure }[] = [];
  for (const clusters of layouts) {
    const tracking = measure(series, clusters, false);
    const labels = measure(series, clusters, true);
    results.push({ tracking, labels });
  }
  if (flags.has('json')) {
    console.log(
      JSON.stringify(
        results.map(r => ({
          clusters: r.tracking.clusters,
          series: r.tracking.series,
          trackingBytesPerSeries: round(r.tracking.bytesPerSeries),
          labelStatsBytesPerSeries: round(
            r.labels.bytesPerSeries - r.tracking.bytesPerSeries
          ),
        }))
      )
    );
    return;
  }
  for (const { tracking, labels } of results) {
    const extra = labels.bytesPerSeries - tracking.bytesPerSeries;
    console.log(
      `active series index, ${tracking.series} series in ${tracking.clusters} cluster(s) ` +
        `(${tracking.slotsPerCluster} slots each, load ${(tracking.series / tracking.clusters / tracking.slotsPerCluster).toFixed(2)}):\n` +
        `  tracking     ${round(tracking.bytesPerSeries)} bytes/series (target <= 64)\n` +
        `  label stats  +${round(extra)} bytes/series (${labels.labelPairs} distinct label pairs; ${round(labels.bytesPerSeries)} total)`
    );
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

main();
