import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../config/index.js';
import { ClusterRegistry } from '../fleet/index.js';
import { MemoryStateStore } from '../state/index.js';
import { buildMetricsPipeline, METRICS_STAGE_ORDER } from './build-pipeline.js';
import type { Stage } from './stage.js';

const cardinality: Stage = { name: 'cardinality', process: () => undefined };

function stageNames(config: Config): string[] {
  const pipeline = buildMetricsPipeline(config, {
    registry: new ClusterRegistry(config.clusters),
    store: new MemoryStateStore(),
    metricsRegistry: new Registry(),
    cardinality,
  });
  return pipeline.stages.map(stage => stage.name);
}

const EVERY_STAGE = `
relabel_configs:
  - source_labels: [job]
    regex: drop-me
    action: drop
`;

const ONLY_REQUIRED = `
ha:
  enabled: false
limits:
  ingestion_rate: 0
  max_label_names_per_series: 0
  max_label_name_length: 0
  max_label_value_length: 0
`;

describe('buildMetricsPipeline()', () => {
  it('runs normalize, HA dedup, relabel, ingestion rate, label limits, then cardinality', () => {
    const order = [
      'normalize',
      'ha_dedup',
      'relabel',
      'ingestion_rate',
      'label_limits',
      'cardinality',
    ];
    expect(METRICS_STAGE_ORDER.map(spec => spec.name)).toEqual(order);
    expect(stageNames(parseConfig(EVERY_STAGE, {}))).toEqual(order);
  });

  it('leaves out the stages a configuration gives nothing to do', () => {
    expect(stageNames(parseConfig(ONLY_REQUIRED, {}))).toEqual([
      'normalize',
      'cardinality',
    ]);
  });

  it('keeps the order when only some stages are built', () => {
    const config = parseConfig(
      `${EVERY_STAGE}ha:\n  enabled: false\nlimits:\n  ingestion_rate: 0\n`,
      {}
    );
    expect(stageNames(config)).toEqual([
      'normalize',
      'relabel',
      'label_limits',
      'cardinality',
    ]);
  });

  it('uses the cardinality stage it is given (its index outlives a reload)', () => {
    const config = parseConfig(ONLY_REQUIRED, {});
    const pipeline = buildMetricsPipeline(config, {
      registry: new ClusterRegistry(config.clusters),
      store: new MemoryStateStore(),
      metricsRegistry: new Registry(),
      cardinality,
    });
    expect(pipeline.stages.at(-1)).toBe(cardinality);
  });
});
