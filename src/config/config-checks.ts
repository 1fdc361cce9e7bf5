/**
 * The checks of config values that need another room's knowledge: whether a
 * relabel rule's regex compiles (pipeline/), whether an SLO's selectors parse
 * and its windows fit (slo/). config/ is a leaf (docs/architecture.md), so it
 * declares what it needs here and the composition root passes the rooms'
 * validators in (src/config-checks.ts) to loadConfig / parseConfig. Without
 * them a file is checked for its shape only.
 */
import type { RelabelRuleConfig } from './schema.js';
import type { SloSpecConfig } from './slo-schema.js';

/** One problem of one value, with the key path below that value. */
export interface ConfigCheckProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export interface ConfigChecks {
  /** Problems of one relabel rule, each `key: message` (empty when valid). */
  relabelRule(rule: RelabelRuleConfig): readonly string[];
  /** Problems of one SLO spec, paths below the SLO (`['sli', 'ratio', 'bad']`). */
  sloSpec(spec: SloSpecConfig): readonly ConfigCheckProblem[];
}

// Set only for the duration of one synchronous zod parse (withConfigChecks),
// so the schema's refinements, which are module constants, can reach the
// checks of the parse that runs them.
let activeChecks: ConfigChecks | undefined;

/** Runs `parse` (synchronous) with `checks` visible to the schema's refinements. */
export function withConfigChecks<T>(
  checks: ConfigChecks | undefined,
  parse: () => T
): T {
  const previous = activeChecks;
  activeChecks = checks;
  try {
    return parse();
  } finally {
    activeChecks = previous;
  }
}

/** The checks of the parse running now, if its caller gave any. */
export function activeConfigChecks(): ConfigChecks | undefined {
  return activeChecks;
}
