/**
 * Checks JSON values against TypeScript types that a project publishes on
 * npm (Grafana's dashboard and panel types in `@grafana/schema`, Kubernetes'
 * object types in `kubernetes-models`), with the TypeScript compiler.
 *
 * Each value becomes an object literal in one virtual module:
 * `export const c0 = (<json>) satisfies Json<T>;`. `satisfies` on a fresh
 * literal gives what a JSON schema with `additionalProperties: false` gives:
 * wrong types, missing required keys, enum values that do not exist and
 * unknown (misspelled) keys are all errors. `Json<T>` maps string enums to
 * their values (`ThresholdsMode.Absolute` → `"absolute"`), because JSON holds
 * the value, not the enum member.
 *
 * The virtual file sits in this folder, so imports resolve like any test's.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const VIRTUAL_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '__json-typecheck__.ts'
);

/** One value to check: `type` is a type expression valid after `header`. */
export interface JsonTypeCase {
  /** Names the value in error messages, e.g. `fleet.json panel "Clusters"`. */
  readonly name: string;
  readonly value: unknown;
  readonly type: string;
}

/** A case that does not type-check, with the compiler's messages. */
export interface JsonTypeProblem {
  readonly name: string;
  readonly messages: readonly string[];
}

// String enums become their values; numeric enums accept their number
// literals as they are; arrays and objects are mapped member by member.
const JSON_TYPE = `
type Json<T> = T extends string
  ? \`\${T}\`
  : T extends number | boolean | null | undefined
    ? T
    : T extends ReadonlyArray<infer U>
      ? Array<Json<U>>
      : T extends object
        ? { [K in keyof T]: Json<T[K]> }
        : T;
`;

const COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  skipLibCheck: true,
  types: [],
};

/**
 * Type-checks every case in one program (the types load once) and returns
 * the cases that fail; an empty list means all conform. `header` holds the
 * imports the type expressions use. Throws when the header itself does not
 * compile (a missing package), so a broken setup never reads as "valid".
 */
export function typecheckJson(
  header: string,
  cases: readonly JsonTypeCase[]
): JsonTypeProblem[] {
  const lines: string[] = [header, JSON_TYPE];
  const caseStartLines: number[] = [];
  const headerLineCount = lines.join('\n').split('\n').length;
  cases.forEach((c, i) => {
    caseStartLines.push(lines.join('\n').split('\n').length);
    lines.push(
      `export const c${i} = (${JSON.stringify(c.value, null, 1)}) satisfies Json<${c.type}>;`
    );
  });
  const text = lines.join('\n');

  const host = ts.createCompilerHost(COMPILER_OPTIONS);
  const original = {
    getSourceFile: host.getSourceFile.bind(host),
    fileExists: host.fileExists.bind(host),
    readFile: host.readFile.bind(host),
  };
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) =>
    fileName === VIRTUAL_FILE
      ? ts.createSourceFile(fileName, text, languageVersion, true)
      : original.getSourceFile(
          fileName,
          languageVersion,
          onError,
          shouldCreate
        );
  host.fileExists = fileName =>
    fileName === VIRTUAL_FILE || original.fileExists(fileName);
  host.readFile = fileName =>
    fileName === VIRTUAL_FILE ? text : original.readFile(fileName);

  const program = ts.createProgram([VIRTUAL_FILE], COMPILER_OPTIONS, host);
  const source = program.getSourceFile(VIRTUAL_FILE);
  if (source === undefined)
    throw new Error('cannot type-check JSON: the virtual file did not load');
  const diagnostics = [
    ...program.getSyntacticDiagnostics(source),
    ...program.getSemanticDiagnostics(source),
  ];

  const byCase = new Map<number, string[]>();
  for (const d of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const line =
      d.start === undefined
        ? 0
        : source.getLineAndCharacterOfPosition(d.start).line;
    if (line < headerLineCount) {
      throw new Error(
        `cannot type-check JSON: the type imports do not compile (is the package installed?): ${message}`
      );
    }
    let index = 0;
    for (let i = 0; i < caseStartLines.length; i++)
      if ((caseStartLines[i] ?? Infinity) <= line) index = i;
    const list = byCase.get(index) ?? [];
    list.push(message);
    byCase.set(index, list);
  }
  return [...byCase.entries()].map(([i, messages]) => ({
    name: cases[i]?.name ?? `case ${i}`,
    messages,
  }));
}
