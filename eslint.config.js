import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import n from 'eslint-plugin-n';

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

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
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
    },
  },
  // Type-aware rules where they find real bugs: a promise nobody awaits or
  // catches (an unhandled rejection kills the process), a promise where a
  // value is expected, a switch that forgets a case.
  {
    files: ['src/**/*.ts', 'bench/**/*.ts'],
    ignores: ['**/*.test.ts'],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
    },
  },
  {
    files: [
      'src/codec/**',
      'src/ingest/**/decode-*.ts',
      'src/pipeline/**',
      'src/model/**',
    ],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', PURE_CODEC_IMPORTS] },
  },
  {
    files: ['src/cli/**', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off', 'n/no-process-exit': 'off' },
  }
);
