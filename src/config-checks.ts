/**
 * The validators config/ cannot import (it is a leaf, docs/architecture.md):
 * relabel rules as pipeline/ compiles them, SLO specs as slo/ compiles them.
 * Whoever loads a config for use (serve and its reloads, check-config, slo
 * rules) passes these, so a file that loads is a file that runs.
 */
import type { ConfigChecks } from './config/index.js';
import { validateRelabelRule } from './pipeline/index.js';
import { validateSloSpec } from './slo/index.js';

export const CONFIG_CHECKS: ConfigChecks = {
  relabelRule: validateRelabelRule,
  sloSpec: validateSloSpec,
};
