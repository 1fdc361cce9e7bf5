import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import n from 'eslint-plugin-n';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

// The rooms of src/ (docs/architecture.md): every folder directly under src/.
const SRC = join(import.meta.dirname, 'src');
const ROOMS = readdirSync(SRC, { withFileTypes: true })
  .filter(entry => entry.isDirectory())
  .map(entry => entry.name);

// A room's index.ts files are its only doors: code outside the room (other
// rooms, and main.ts / errors.ts at the top) imports a room through its
// index.ts or a sub-room's (fleet/health/index.ts), never a file behind
// them. Inside a room, files and tests import each other freely; tests in
// other rooms may also take a room's test support (its testing/ folders).
const ROOM_DOORS = ROOMS.map(room => ({
  target: ['./src/*.ts', `./src/!(${room})/**`],
  from: `${SRC}/${room}/**`,
  except: [`${SRC}/${room}/**/index.ts`, `${SRC}/${room}/**/testing/**`],
  message: `import src/${room} through a door (an index.ts)`,
}));

// config/ is a leaf: it may import errors.ts and nothing of another room, so
// every room can read the config without a circle back through config. The
// validators it needs from other rooms come in as ConfigChecks
// (src/config-checks.ts); config's own tests may import those to run them.
const CONFIG_LEAF = {
  target: './src/config/**/!(*.test).ts',
  from: './src',
  except: ['./config', './errors.ts'],
  message: 'config/ is a leaf: it imports no other room',
};

// The path goes one way (docs/architecture.md "Which way imports go"): the
// codecs build on the batch and the config alone, and forward/ takes the
// encoders it needs from protocol/, never from ingest/ or pipeline/.
const PROTOCOL_BELOW = {
  target: './src/protocol/**/!(*.test).ts',
  from: './src',
  except: ['./protocol', './model', './config', './errors.ts'],
  message: 'protocol/ imports only model/, config/ and errors.ts',
};
// http-client/ sits below forward/ and alerting/, which both post with it.
const HTTP_CLIENT_BELOW = {
  target: './src/http-client/**/!(*.test).ts',
  from: './src',
  except: ['./http-client', './errors.ts'],
  message: 'http-client/ imports only errors.ts',
};
const FORWARD_AFTER = {
  target: './src/forward',
  from: ['./src/ingest', './src/pipeline'],
  message: 'forward/ imports nothing of ingest/ or pipeline/',
};

// Codecs stay pure: no transport, storage or logging in them (STYLE.md rule 2).
const PURE_CODEC_IMPORTS = {
  patterns: [
    {
      group: [
        'express',
        'ioredis',
        'pino',
        '**/telemetry/**',
        '**/api/**',
        // All of state/ but the snapshot-and-merge contract, which is pure
        // (no I/O: its transports stay behind an interface).
        '**/state/*',
        '!**/state/snapshot',
      ],
      message:
        'codecs and pipeline stages must not depend on transport, storage or logging',
    },
  ],
};

// @opentelemetry/sdk-node costs about half a second of startup: only
// telemetry/tracing.ts loads it, with import(), when tracing is configured.
const LAZY_SDK_NODE = {
  name: '@opentelemetry/sdk-node',
  allowTypeImports: true,
  message:
    'load @opentelemetry/sdk-node with import() when tracing is configured (telemetry/tracing.ts)',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  // strictTypeChecked (STYLE.md rule 30), with the exceptions below, each
  // with its reason. Where a rule is right in general but wrong on one line
  // (narrowing that cannot see a callback's write), that line says why.
  ...tseslint.configs.strictTypeChecked,
  // Typed linting everywhere: src, tests and benches (all in tsconfig.json).
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    plugins: { n },
    rules: {
      'no-console': 'error',
      'n/prefer-node-protocol': 'error',
      'n/no-process-exit': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ExportAllDeclaration',
          message: 'use explicit named exports',
        },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      // Off from strictTypeChecked: with noUncheckedIndexedAccess every
      // `array[i]` in an indexed loop (the hot-path idiom, STYLE.md rule 17)
      // is `T | undefined`, and `!` there states a checked bound; a runtime
      // check per element instead would cost on the hot path.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Numbers and booleans print fine, and error messages carry sizes
      // (STYLE.md rule 11); still refused: nullish, objects, any, never.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      // Off: an async function without await is how a synchronous
      // implementation satisfies a Promise-returning seam (StateStore, test
      // fakes), and it turns a throw into a rejection, as callers expect.
      '@typescript-eslint/require-await': 'off',
      // Metric sets (SloMetrics, LimitMetrics) register their collectors in
      // the constructor, like the other *Metrics classes that have methods.
      '@typescript-eslint/no-extraneous-class': [
        'error',
        { allowConstructorOnly: true },
      ],
      // `x => resolve(x)` style callbacks return void on purpose.
      '@typescript-eslint/no-confusing-void-expression': [
        'error',
        { ignoreArrowShorthand: true },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.bench.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [LAZY_SDK_NODE] }] },
  },
  // The doors (docs/architecture.md): config/ a leaf, no import cycles, and
  // other rooms only through a room's index.ts.
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // no-cycle follows imports by parsing the files they name: .ts
      // files, with the TypeScript parser.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver()],
    },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            CONFIG_LEAF,
            PROTOCOL_BELOW,
            HTTP_CLIENT_BELOW,
            FORWARD_AFTER,
            ...ROOM_DOORS,
          ],
        },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: [
      'src/protocol/**',
      'src/ingest/**',
      'src/pipeline/**',
      'src/model/**',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { ...PURE_CODEC_IMPORTS, paths: [LAZY_SDK_NODE] },
      ],
    },
  },
  // Tests: no-unnecessary-condition is off (see below), and so are the
  // enum/class rules: the OpenTelemetry SDK packages the tests drive each
  // bring their own copy of @opentelemetry/core, so its enums
  // (ExportResultCode) and classes come in identical copies these rules
  // cannot tell apart.
  {
    files: ['test/**', '**/*.test.ts'],
    rules: {
      // Cleanup in afterAll/afterEach guards what a failed beforeAll left
      // unset (`await peer?.stop()`), which the variables' types cannot say.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      '@typescript-eslint/no-unsafe-enum-assignment': 'off',
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
  {
    files: ['src/cli/**', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off', 'n/no-process-exit': 'off' },
  },
  // The config files themselves are plain JavaScript outside the TS project
  // (last, so no typed rule above reaches them).
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked }
);
