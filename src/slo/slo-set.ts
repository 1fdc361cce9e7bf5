/**
 * The compiled SLO set and each SLO's counters per cluster: the state that
 * the ingest stage (slo-ingest-stage.ts) writes, replication
 * (slo-replication.ts) publishes and restores, and the queries
 * (slo-reports.ts) read.
 */
import { retainedWindowMs, SloCounters } from './slo-counters.js';
import {
  compileSlo,
  type SloDefinition,
  type SloInput,
  type SloSpec,
} from './slo-definition.js';

/** Clusters past `maxClustersPerSlo` are counted under this name (the fleet figures stay whole). */
export const SLO_OVERFLOW_CLUSTER = '__overflow__';

/** One SLO's mutable state. */
export class SloRuntime {
  readonly def: SloDefinition;
  counters = new Map<string, SloCounters>();
  /** `le` values seen on matching bucket series, as formatLe renders them. */
  observedLe = new Set<string>();
  hasTotal = false;

  constructor(def: SloDefinition) {
    this.def = def;
  }
}

/** One selector of one SLO, as the matcher walks them. */
export interface InputRef {
  readonly slo: SloRuntime;
  readonly input: SloInput;
}

export class SloSet {
  slos: readonly SloRuntime[] = [];
  byName = new Map<string, SloRuntime>();
  /** Metric name → the selectors naming it. */
  byMetric = new Map<string, InputRef[]>();
  /** Selectors without a metric name (every series is a candidate). */
  anyMetric: InputRef[] = [];
  private readonly _maxClusters: number;

  constructor(maxClustersPerSlo: number) {
    this._maxClusters = maxClustersPerSlo;
  }

  /**
   * Replaces the set. An SLO whose name, SLI and window are unchanged keeps
   * its counts; others start empty.
   *
   * @throws SloSpecError (and keeps the previous set) when a spec is invalid.
   */
  reconfigure(specs: readonly SloSpec[]): void {
    const defs = specs.map(compileSlo);
    const next: SloRuntime[] = [];
    for (const def of defs) {
      const runtime = new SloRuntime(def);
      const previous = this.byName.get(def.name);
      if (previous !== undefined && previous.def.stateKey === def.stateKey) {
        runtime.counters = previous.counters;
        runtime.observedLe = previous.observedLe;
        runtime.hasTotal = previous.hasTotal;
      }
      next.push(runtime);
    }
    const byMetric = new Map<string, InputRef[]>();
    const any: InputRef[] = [];
    for (const slo of next) {
      for (const input of slo.def.inputs) {
        const name = input.selector.metricName;
        if (name === undefined) any.push({ slo, input });
        else {
          let refs = byMetric.get(name);
          if (refs === undefined) byMetric.set(name, (refs = []));
          refs.push({ slo, input });
        }
      }
    }
    this.slos = next;
    this.byName = new Map(next.map(s => [s.def.name, s]));
    this.byMetric = byMetric;
    this.anyMetric = any;
  }

  /** The counters of (SLO, cluster), created on first use; past the cap, the overflow cluster's. */
  countersFor(slo: SloRuntime, cluster: string, nowMs: number): SloCounters {
    let counters = slo.counters.get(cluster);
    if (counters !== undefined) return counters;
    if (slo.counters.size >= this._maxClusters) {
      cluster = SLO_OVERFLOW_CLUSTER;
      counters = slo.counters.get(cluster);
      if (counters !== undefined) return counters;
    }
    counters = new SloCounters(slo.def.windowMs);
    // Counts as activity, so a cluster whose series match but carry no events yet is not swept at once.
    counters.lastEventMs = nowMs;
    slo.counters.set(cluster, counters);
    return counters;
  }

  /** Forgets clusters with no event in anything their SLO keeps; true when any went. */
  sweepIdleClusters(nowMs: number): boolean {
    let dropped = false;
    for (const slo of this.slos) {
      const keptMs = retainedWindowMs(slo.def.windowMs);
      for (const [cluster, counters] of slo.counters) {
        if (counters.lastEventMs < nowMs - keptMs) {
          slo.counters.delete(cluster);
          dropped = true;
        }
      }
    }
    return dropped;
  }
}
