/**
 * Normalize for logs: every resource of a LogBatch leaves with exactly one
 * `cluster`, `region`, `env` and `team` attribute, valued by the same rule
 * as series labels (CanonicalLabelResolver, shared with NormalizeLabels):
 * the token decides the cluster, the registry the rest; configured aliases
 * (`k8s.cluster.name`, `cloud.region`, `deployment.environment.name`, …) are
 * folded in and removed; a sent value that disagrees with the registry is
 * overwritten and counted as a conflict, once per resource. The cluster's
 * extra registry labels are set as attributes too.
 *
 * Resources are rewritten in place; records are not touched (the canonical
 * identity is a property of the resource, and a record attribute never
 * decides it).
 */
import type { ClusterRegistry } from '../../fleet/index.js';
import { formatAnyValue } from '../../protocol/index.js';
import type { LogBatch, LogKeyValue } from '../../model/index.js';
import {
  CanonicalLabelResolver,
  type NormalizeOptions,
} from '../canonical-label-resolver.js';
import type { Identity } from '../identify.js';
import type { Stage, StageContext, StageTally } from '../stage.js';

export class LogNormalizer implements Stage<LogBatch> {
  readonly name = 'normalize';
  // Its scratch is reused across resources (no per-resource allocation but the output list).
  private readonly _resolver: CanonicalLabelResolver;

  /** `options`: `normalize.aliases` and `normalize.unknown_cluster` from the config. */
  constructor(registry: ClusterRegistry, options: NormalizeOptions) {
    this._resolver = new CanonicalLabelResolver(registry, options);
  }

  process(batch: LogBatch, context: StageContext): void {
    this.normalize(batch, context.identity, context.tally);
  }

  /**
   * Rewrites every resource of `batch` and sets its `cluster`; adds one
   * conflict per overwritten canonical attribute per resource to `tally`.
   */
  normalize(batch: LogBatch, identity: Identity, tally: StageTally): void {
    const fixed = identity.kind === 'cluster' ? identity.cluster : undefined;
    const resolver = this._resolver;
    const resources = batch.resources;
    for (let r = 0; r < resources.length; r++) {
      const resource = resources[r]!;
      resolver.begin();
      const attributes = resource.attributes;
      const out: LogKeyValue[] = [];
      for (let i = 0; i < attributes.length; i++) {
        const attribute = attributes[i]!;
        const index = resolver.indexOf(attribute.key);
        if (index === undefined) {
          out.push(attribute);
          continue;
        }
        const text = formatAnyValue(attribute.value);
        // An empty value says nothing about the cluster; it is dropped like the alias.
        if (text !== '') resolver.offer(index, attribute.key, text);
      }
      const resolved = resolver.resolve(fixed);
      const conflicts = resolved.conflicts;
      for (let c = 0; c < conflicts.length; c++)
        tally.addConflict(resolved.cluster, conflicts[c]!);
      if (resolved.registered !== undefined) {
        const extra = resolved.registered.extraLabels;
        for (let i = 0; i < extra.length; i += 2)
          setAttribute(out, extra[i]!, extra[i + 1]!);
      }
      out.push(
        { key: 'cluster', value: resolved.cluster },
        { key: 'region', value: resolved.region },
        { key: 'env', value: resolved.env },
        { key: 'team', value: resolved.team }
      );
      resource.attributes = out;
      resource.cluster = resolved.cluster;
    }
  }
}

/** Sets `key` to a string value, replacing the first attribute of that key. */
function setAttribute(
  attributes: LogKeyValue[],
  key: string,
  value: string
): void {
  for (let i = 0; i < attributes.length; i++) {
    if (attributes[i]!.key === key) {
      attributes[i] = { key, value };
      return;
    }
  }
  attributes.push({ key, value });
}
