/**
 * Prometheus relabel_configs with the semantics and defaults of
 * model/relabel/relabel.go: actions replace, keep, drop, keepequal,
 * dropequal, hashmod, labelmap, labeldrop, labelkeep, lowercase, uppercase.
 * Rules run after normalization; the canonical cluster/region/env/team
 * labels are restored afterwards, so relabeling can never move data to
 * another cluster.
 */
import { createHash } from 'node:crypto';
import {
  DropReason,
  METRIC_NAME_LABEL,
  type SeriesBatch,
} from '../model/index.js';
import type { RelabelRuleConfig } from '../config/index.js';
import {
  compileRelabelRegex,
  expandTemplate,
  isLiteralTemplate,
  parseTemplate,
  type ExpandTemplate,
  type RelabelRegex,
} from './relabel-regex.js';
import { CANONICAL_LABELS } from './normalize-labels.js';
import type { Stage, StageContext } from './stage.js';

export type RelabelAction = NonNullable<RelabelRuleConfig['action']>;

const DEFAULT_REGEX = '(.*)';
const DEFAULT_SEPARATOR = ';';
const DEFAULT_REPLACEMENT = '$1';
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// `__tmp` labels are users' scratch space (Prometheus docs) and never leave the stage.
const SCRATCH_PREFIX = '__tmp';

export interface CompiledRelabelRule {
  readonly action: RelabelAction;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  readonly regex: RelabelRegex;
  readonly modulus: number;
  readonly targetLabel: string;
  readonly targetTemplate: ExpandTemplate;
  readonly replacement: string;
  readonly replacementTemplate: ExpandTemplate;
  /** replace with the default regex and literal target and replacement: no regex needed. */
  readonly isFastReplace: boolean;
}

/** Checks one rule like Prometheus' RelabelConfig.Validate; returns problems (empty when valid). */
export function validateRelabelRule(rule: RelabelRuleConfig): string[] {
  const problems: string[] = [];
  const action = rule.action ?? 'replace';
  try {
    compileRelabelRegex(rule.regex ?? DEFAULT_REGEX);
  } catch (err) {
    problems.push(
      `regex: cannot compile ${JSON.stringify(rule.regex)}: ${(err as Error).message}`
    );
  }
  const needsTarget = [
    'replace',
    'hashmod',
    'lowercase',
    'uppercase',
    'keepequal',
    'dropequal',
  ];
  if (
    needsTarget.includes(action) &&
    (rule.target_label === undefined || rule.target_label === '')
  ) {
    problems.push(`target_label: required for action ${action}`);
  }
  if (
    (action === 'replace' ||
      action === 'hashmod' ||
      action === 'lowercase' ||
      action === 'uppercase') &&
    rule.target_label !== undefined &&
    !rule.target_label.includes('$') &&
    !LABEL_NAME_RE.test(rule.target_label)
  ) {
    problems.push(
      `target_label: ${JSON.stringify(rule.target_label)} is not a valid label name`
    );
  }
  if (
    ['lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(action) &&
    rule.replacement !== undefined &&
    rule.replacement !== DEFAULT_REPLACEMENT
  ) {
    problems.push(`replacement: must not be set for action ${action}`);
  }
  if (action === 'hashmod' && rule.modulus === undefined)
    problems.push('modulus: required for action hashmod');
  if (action === 'keepequal' || action === 'dropequal') {
    if (rule.regex !== undefined && rule.regex !== DEFAULT_REGEX)
      problems.push(`regex: must not be set for action ${action}`);
    if (rule.modulus !== undefined)
      problems.push(`modulus: must not be set for action ${action}`);
    if (rule.separator !== undefined && rule.separator !== DEFAULT_SEPARATOR)
      problems.push(`separator: must not be set for action ${action}`);
  }
  if (action === 'labeldrop' || action === 'labelkeep') {
    for (const key of [
      'source_labels',
      'target_label',
      'modulus',
      'separator',
      'replacement',
    ] as const) {
      if (rule[key] !== undefined)
        problems.push(`${key}: action ${action} takes only regex`);
    }
  }
  if (action === 'labelmap' && rule.target_label !== undefined)
    problems.push(
      'target_label: action labelmap takes regex and replacement only'
    );
  return problems;
}

export function compileRelabelRule(
  rule: RelabelRuleConfig
): CompiledRelabelRule {
  const problems = validateRelabelRule(rule);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const regexSource = rule.regex ?? DEFAULT_REGEX;
  const targetLabel = rule.target_label ?? '';
  const replacement = rule.replacement ?? DEFAULT_REPLACEMENT;
  const targetTemplate = parseTemplate(targetLabel);
  const replacementTemplate = parseTemplate(replacement);
  return {
    action: rule.action ?? 'replace',
    sourceLabels: rule.source_labels ?? [],
    separator: rule.separator ?? DEFAULT_SEPARATOR,
    regex: compileRelabelRegex(regexSource),
    modulus: rule.modulus ?? 0,
    targetLabel,
    targetTemplate,
    replacement,
    replacementTemplate,
    isFastReplace:
      regexSource === DEFAULT_REGEX &&
      isLiteralTemplate(targetTemplate) &&
      isLiteralTemplate(replacementTemplate),
  };
}

/** Mutable view of one series' labels while its rules run. Label sets are small, so a flat array wins. */
class LabelScratch {
  names: string[] = [];
  values: string[] = [];

  load(labels: readonly string[]): void {
    this.names.length = 0;
    this.values.length = 0;
    for (let i = 0; i < labels.length; i += 2) {
      this.names.push(labels[i]!);
      this.values.push(labels[i + 1]!);
    }
  }

  get(name: string): string {
    const at = this.names.indexOf(name);
    return at === -1 ? '' : this.values[at]!;
  }

  set(name: string, value: string): void {
    if (value === '') {
      this.delete(name);
      return;
    }
    const at = this.names.indexOf(name);
    if (at === -1) {
      this.names.push(name);
      this.values.push(value);
    } else this.values[at] = value;
  }

  delete(name: string): void {
    const at = this.names.indexOf(name);
    if (at === -1) return;
    this.names.splice(at, 1);
    this.values.splice(at, 1);
  }

  /** Sorted flat pairs, without scratch labels. */
  toLabels(): string[] {
    const order = this.names
      .map((_, i) => i)
      .sort((a, b) =>
        this.names[a]! < this.names[b]!
          ? -1
          : this.names[a]! > this.names[b]!
            ? 1
            : 0
      );
    const out: string[] = [];
    for (const i of order) {
      if (this.names[i]!.startsWith(SCRATCH_PREFIX)) continue;
      out.push(this.names[i]!, this.values[i]!);
    }
    return out;
  }
}

/** The unsigned 64-bit big-endian value of md5(text)[8:16], modulo `modulus`. */
export function hashmodOf(text: string, modulus: number): number {
  const digest = createHash('md5').update(text, 'utf8').digest();
  const value = digest.readBigUInt64BE(8);
  return Number(value % BigInt(modulus));
}

/** Applies rules to one label set; returns false when the series is dropped. */
function applyRelabelRules(
  rules: readonly CompiledRelabelRule[],
  labels: LabelScratch
): boolean {
  for (const rule of rules) {
    let value = '';
    if (rule.sourceLabels.length > 0) {
      value = labels.get(rule.sourceLabels[0]!);
      for (let i = 1; i < rule.sourceLabels.length; i++)
        value += rule.separator + labels.get(rule.sourceLabels[i]!);
    }
    switch (rule.action) {
      case 'drop':
        if (rule.regex.regexp.test(value)) return false;
        break;
      case 'keep':
        if (!rule.regex.regexp.test(value)) return false;
        break;
      case 'dropequal':
        if (labels.get(rule.targetLabel) === value) return false;
        break;
      case 'keepequal':
        if (labels.get(rule.targetLabel) !== value) return false;
        break;
      case 'replace': {
        if (rule.isFastReplace) {
          labels.set(rule.targetLabel, rule.replacement);
          break;
        }
        const match = rule.regex.regexp.exec(value);
        if (match === null) break;
        const target = expandTemplate(rule.targetTemplate, match);
        if (!LABEL_NAME_RE.test(target)) break;
        labels.set(target, expandTemplate(rule.replacementTemplate, match));
        break;
      }
      case 'lowercase':
        labels.set(rule.targetLabel, value.toLowerCase());
        break;
      case 'uppercase':
        labels.set(rule.targetLabel, value.toUpperCase());
        break;
      case 'hashmod':
        labels.set(rule.targetLabel, String(hashmodOf(value, rule.modulus)));
        break;
      case 'labelmap': {
        const names = labels.names.slice();
        const values = labels.values.slice();
        for (let i = 0; i < names.length; i++) {
          const match = rule.regex.regexp.exec(names[i]!);
          if (match === null) continue;
          labels.set(
            expandTemplate(rule.replacementTemplate, match),
            values[i]!
          );
        }
        break;
      }
      case 'labeldrop':
        for (let i = labels.names.length - 1; i >= 0; i--) {
          if (rule.regex.regexp.test(labels.names[i]!))
            labels.delete(labels.names[i]!);
        }
        break;
      case 'labelkeep':
        for (let i = labels.names.length - 1; i >= 0; i--) {
          if (!rule.regex.regexp.test(labels.names[i]!))
            labels.delete(labels.names[i]!);
        }
        break;
    }
  }
  return true;
}

/** Relabels plain label records (tools and tests). Returns undefined when dropped. */
export function relabelRecord(
  rules: readonly CompiledRelabelRule[],
  labels: readonly string[]
): string[] | undefined {
  const scratch = new LabelScratch();
  scratch.load(labels);
  return applyRelabelRules(rules, scratch) ? scratch.toLabels() : undefined;
}

export class Relabel implements Stage {
  readonly name = 'relabel';
  private readonly _global: readonly CompiledRelabelRule[];
  private readonly _perCluster: ReadonlyMap<
    string,
    readonly CompiledRelabelRule[]
  >;
  private readonly _scratch = new LabelScratch();
  private readonly _canonical: string[] = [];
  // Stable input array → its relabeled output, or null when the rules drop it.
  private readonly _memo = new WeakMap<readonly string[], string[] | null>();

  constructor(
    global: readonly RelabelRuleConfig[],
    perCluster: ReadonlyMap<string, readonly RelabelRuleConfig[]>
  ) {
    this._global = global.map(compileRelabelRule);
    const compiled = new Map<string, CompiledRelabelRule[]>();
    for (const [cluster, rules] of perCluster)
      compiled.set(cluster, rules.map(compileRelabelRule));
    this._perCluster = compiled;
  }

  /** Whether any rule is configured (no rules: the stage is left out of the pipeline). */
  get isEmpty(): boolean {
    return this._global.length === 0 && this._perCluster.size === 0;
  }

  process(batch: SeriesBatch, context: StageContext): void {
    for (let s = 0; s < batch.seriesCount; s++) {
      if (batch.dropped[s] !== 0) continue;
      const input = batch.labels[s]!;
      let out: string[] | null | undefined;
      if (batch.stable[s] === 1) {
        out = this._memo.get(input);
        if (out === undefined) {
          out = this._relabel(input);
          this._memo.set(input, out);
        }
      } else {
        out = this._relabel(input);
      }
      if (out === null) {
        batch.dropped[s] = DropReason.RELABEL;
        context.tally.addDrop(
          clusterOf(input),
          'relabel',
          batch.pointsOf(s),
          'dropped by relabel_configs'
        );
        continue;
      }
      batch.labels[s] = out;
    }
  }

  /** The relabeled labels of one series, or null when its rules drop it. */
  private _relabel(input: readonly string[]): string[] | null {
    const scratch = this._scratch;
    const canonical = this._canonical;
    scratch.load(input);
    for (let c = 0; c < CANONICAL_LABELS.length; c++)
      canonical[c] = scratch.get(CANONICAL_LABELS[c]!);
    const local = this._perCluster.get(canonical[0]!);
    const kept =
      applyRelabelRules(this._global, scratch) &&
      (local === undefined || applyRelabelRules(local, scratch));
    // Canonical labels are the registry's: put back whatever rules did to them.
    for (let c = 0; c < CANONICAL_LABELS.length; c++)
      scratch.set(CANONICAL_LABELS[c]!, canonical[c]!);
    if (!kept || scratch.get(METRIC_NAME_LABEL) === '') return null;
    return scratch.toLabels();
  }
}

function clusterOf(labels: readonly string[]): string {
  for (let i = 0; i < labels.length; i += 2)
    if (labels[i] === 'cluster') return labels[i + 1]!;
  return '';
}
