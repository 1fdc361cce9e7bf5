/**
 * Loads and validates the configuration: YAML → `${VAR}` expansion → zod.
 * Every problem is reported with the path of the key (`clusters[2].region:
 * required`), all at once, so one run of check-config shows them all.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { configSchema, type Config } from './schema.js';
import { loadSloFiles } from './slo-schema.js';
import { withConfigChecks, type ConfigChecks } from './config-checks.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** `${VAR}` or `${VAR:-default}`; `$$` is a literal `$`. */
const VAR_RE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Renders a key path as `clusters[2].region`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Replaces `${VAR}` in every string value; unset variables are reported by path. */
export function expandEnv(
  value: unknown,
  env: Environment,
  problems: string[],
  path: PropertyKey[] = []
): unknown {
  if (typeof value === 'string') {
    return value.replace(
      VAR_RE,
      (whole, name: string | undefined, fallback: string | undefined) => {
        if (whole === '$$') return '$';
        const found = env[name!];
        if (found !== undefined && found !== '') return found;
        if (fallback !== undefined) return fallback;
        problems.push(
          `${formatPath(path)}: environment variable ${name!} is not set`
        );
        return '';
      }
    );
  }
  if (Array.isArray(value))
    return value.map((item, i) => expandEnv(item, env, problems, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = expandEnv(item, env, problems, [...path, key]);
    return out;
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = formatPath(issue.path);
  if (issue.code === 'invalid_type' && issue.input === undefined)
    return `${path}: required`;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map(key => `${formatPath([...issue.path, key])}: unknown key`)
      .join('\n');
  }
  if (issue.code === 'invalid_union')
    return `${path}: ${issue.message} (see the documented shapes)`;
  return `${path}: ${issue.message}`;
}

/**
 * Parses and validates config text. Throws ConfigError listing every problem.
 * `checks` are the other rooms' validators (relabel rules, SLO specs); the
 * composition root passes them (src/config-checks.ts), and without them
 * only the shape is checked.
 */
export function parseConfig(
  text: string,
  env: Environment = process.env,
  source = 'config',
  checks?: ConfigChecks
): Config {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const issues = doc.errors.map(
      e => `${source}: ${e.message.split('\n')[0] ?? e.message}`
    );
    throw new ConfigError(
      `cannot parse ${source}: ${issues.join('; ')}`,
      issues
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(
      `cannot load ${source}: the top level must be a mapping`,
      ['(root): want a mapping']
    );
  }
  const problems: string[] = [];
  const expanded = expandEnv(raw, env, problems);
  const result = withConfigChecks(checks, () =>
    configSchema.safeParse(expanded)
  );
  if (!result.success)
    problems.push(
      ...result.error.issues.flatMap(i => describeIssue(i).split('\n'))
    );
  if (problems.length > 0 || !result.success) {
    throw new ConfigError(
      `invalid ${source}:\n  ${problems.join('\n  ')}`,
      problems
    );
  }
  return result.data;
}

/** Reads a config file. A missing path means the embedded default. */
export async function loadConfig(
  path: string | undefined,
  env: Environment = process.env,
  checks?: ConfigChecks
): Promise<Config> {
  if (path === undefined || path === '')
    return parseConfig('{}', env, 'embedded default', checks);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(err as Error).message}`,
      [`${path}: cannot read`],
      {
        cause: err,
      }
    );
  }
  const config = parseConfig(text, env, path, checks);
  if (config.slo_files.length === 0) return config;
  return {
    ...config,
    slos: [
      ...config.slos,
      ...(await loadSloFiles(config.slo_files, path, config.slos, checks)),
    ],
  };
}

/** The embedded default: in-memory state, no downstream, loopback only. */
export function defaultConfig(): Config {
  return parseConfig('{}', {}, 'embedded default');
}
