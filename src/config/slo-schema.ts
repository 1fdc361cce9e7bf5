/**
 * The `slos` section's schema with the keys the SLO engine adds to
 * README.md's configuration sketch (all optional, so every existing file stays valid):
 *
 * ```yaml
 * slos:
 *   - name: checkout-availability
 *     ...                          # as in README.md
 *     alerting:                    # optional: replaces the default table
 *       windows:                   # (page 1h/5m 2%, 6h/30m 5%; ticket 1d/2h 10%, 3d/6h 10%)
 *         - severity: page
 *           long: 1h
 *           short: 5m
 *           budget_consumed: 0.02  # factor = 0.02 × window / long (14.4 at 30d)
 *         - severity: ticket
 *           long: 3d
 *           short: 6h
 *           factor: 1              # or a fixed factor, not scaled
 * slo_files:                       # optional: more specs, `slos: [...]` in each
 *   - slos/checkout.yaml           # relative to the config file's folder
 * ```
 *
 * Every spec is checked by the SLO room's validateSloSpec (passed in as a
 * ConfigChecks, config-checks.ts), so check-config
 * explains a bad selector (with its position), a latency selector that names
 * a metric or `le`, an objective out of (0, 1) (and spots percentages), an
 * alert window longer than what the SLO keeps. Whether a latency threshold
 * is one of the histogram's `le` buckets is only known from the data: the
 * engine reports it in the SLO's `warnings` and `fleetgate_slo_warnings`.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import {
  activeConfigChecks,
  withConfigChecks,
  type ConfigChecks,
} from './config-checks.js';
import { parseDuration } from './duration.js';

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid duration ${JSON.stringify(text)} (want e.g. 5m, 1h, 30d)`,
    });
    return z.NEVER;
  }
  return ms;
});

const labelName = z
  .string()
  .regex(
    /^[a-zA-Z_][a-zA-Z0-9_]*$/,
    'invalid label name (want [a-zA-Z_][a-zA-Z0-9_]*)'
  );

/** What is wrong with an objective, or undefined (it must be in (0, 1); 99.9 is read as a percentage slip). */
export function objectiveProblem(objective: number): string | undefined {
  if (objective > 0 && objective < 1) return undefined;
  return objective > 1 && objective < 100
    ? `must be between 0 and 1, got ${objective}: it looks like a percentage, write ${Number((objective / 100).toPrecision(12))}`
    : `must be between 0 and 1 (e.g. 0.999), got ${objective}`;
}

/** One multi-window pair. `budget_consumed` or `factor` (validateSloSpec checks exactly one). */
export const sloAlertWindowSchema = z
  .object({
    severity: z
      .string()
      .regex(
        /^[a-zA-Z_][a-zA-Z0-9_-]*$/,
        'want a severity name such as page or ticket'
      ),
    long: duration,
    short: duration,
    budget_consumed: z.number().optional(),
    factor: z.number().optional(),
  })
  .strict();

const ratioSli = z
  .object({
    ratio: z
      .object({
        bad: z.string().optional(),
        good: z.string().optional(),
        total: z.string(),
      })
      .strict(),
  })
  .strict();

const latencySli = z
  .object({
    latency: z
      .object({
        histogram: z.string().min(1),
        threshold: z.number(),
        selector: z.string().default('{}'),
      })
      .strict(),
  })
  .strict();

/** One SLO spec (a superset of schema.ts's `sloSpec`). */
export const sloSpecSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]+$/, 'want letters, digits, ".", "_" or "-"'),
    service: z.string().min(1),
    description: z.string().default(''),
    // Checked here, not only in validateSloSpec below, so it is reported even when other keys are wrong.
    objective: z.number().superRefine((objective, ctx) => {
      const problem = objectiveProblem(objective);
      if (problem !== undefined)
        ctx.addIssue({ code: 'custom', message: problem });
    }),
    window: duration.default(30 * 86_400_000),
    labels: z.record(labelName, z.string()).default({}),
    sli: z.union([ratioSli, latencySli]),
    alerting: z
      .object({ windows: z.array(sloAlertWindowSchema).optional() })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const problems = activeConfigChecks()?.sloSpec(spec) ?? [];
    for (const problem of problems) {
      if (problem.path[0] === 'objective') continue; // reported by the field itself
      ctx.addIssue({
        code: 'custom',
        path: [...problem.path],
        message: problem.message,
      });
    }
  });

/** `slos:` (the list). */
export const slosSchema = z.array(sloSpecSchema).default([]);

/** `slo_files:` paths of YAML files holding `slos: [...]`, relative to the config file. */
export const sloFilesSchema = z.array(z.string().min(1)).default([]);

/** The content of one SLO file. */
export const sloFileSchema = z
  .object({ slos: z.array(sloSpecSchema).default([]) })
  .strict();

export type SloSpecConfig = z.output<typeof sloSpecSchema>;

/**
 * Reads the SLO files (`slo_files`, resolved against `configPath`'s folder)
 * and returns their specs in order. Every problem of every file is reported
 * at once, with the file and the key path (`slos/a.yaml: slos[0].objective: …`),
 * as check-config prints them; a name used twice (across files and the
 * inline `slos`) is a problem too.
 *
 * @throws ConfigError listing the problems.
 */
export async function loadSloFiles(
  paths: readonly string[],
  configPath: string | undefined,
  inline: readonly { readonly name: string }[] = [],
  checks?: ConfigChecks
): Promise<SloSpecConfig[]> {
  const base =
    configPath === undefined || configPath === ''
      ? process.cwd()
      : dirname(configPath);
  const problems: string[] = [];
  const specs: SloSpecConfig[] = [];
  const names = new Map<string, string>(
    inline.map((s, i) => [s.name, `slos[${i}]`])
  );
  for (const path of paths) {
    const file = isAbsolute(path) ? path : resolve(base, path);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      problems.push(`${path}: cannot read SLO file: ${(err as Error).message}`);
      continue;
    }
    const parsed = parseSloFile(text, path, checks);
    problems.push(...parsed.problems);
    parsed.specs.forEach((spec, i) => {
      const first = names.get(spec.name);
      if (first !== undefined)
        problems.push(
          `${path}: slos[${i}].name: duplicate SLO name ${JSON.stringify(spec.name)} (also ${first})`
        );
      else names.set(spec.name, `${path}: slos[${i}]`);
      specs.push(spec);
    });
  }
  if (problems.length > 0)
    throw new ConfigError(
      `invalid SLO files:\n  ${problems.join('\n  ')}`,
      problems
    );
  return specs;
}

/** Parses one SLO file's text; problems are prefixed with `source`. */
export function parseSloFile(
  text: string,
  source: string,
  checks?: ConfigChecks
): { specs: SloSpecConfig[]; problems: string[] } {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    return {
      specs: [],
      problems: doc.errors.map(
        e => `${source}: ${e.message.split('\n')[0] ?? e.message}`
      ),
    };
  }
  const result = withConfigChecks(checks, () =>
    sloFileSchema.safeParse(doc.toJS() ?? {})
  );
  if (!result.success) {
    return {
      specs: [],
      problems: result.error.issues.map(
        issue => `${source}: ${formatIssuePath(issue.path)}: ${issue.message}`
      ),
    };
  }
  return { specs: result.data.slos, problems: [] };
}

function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}
