import { defineConfig } from 'vitest/config';

/**
 * Coverage floors per room, in percent. Set just below what the unit project
 * measured when they were introduced; raise them as tests grow, never lower
 * them. A room that moves (the codecs go from src/ingest/ to src/protocol/)
 * moves its row here.
 */
const COVERAGE_FLOORS = {
  // The codecs (protobuf reader, remote write, OTLP, Loki; src/codec/ and
  // the decoders of src/ingest/ until issue 12), measured 98.9 / 94.5 /
  // 99.7 / 98.4 when they moved in.
  'src/protocol/**': { lines: 98, branches: 94, functions: 99, statements: 98 },
  // The converters (OTLP to series, delta to cumulative) that stayed:
  // measured 99.2 / 94.8 / 100 / 98.7 after the move. Branches sit 0.2 below
  // the floor the whole old room had; the decoders that carried it are in
  // src/protocol/ now, at 94.5.
  'src/ingest/**': { lines: 99, branches: 94, functions: 99, statements: 98 },
  'src/pipeline/**': { lines: 94, branches: 86, functions: 91, statements: 92 },
  'src/slo/**': { lines: 96, branches: 86, functions: 95, statements: 94 },
  'src/forward/**': { lines: 94, branches: 87, functions: 95, statements: 93 },
};

export default defineConfig({
  test: {
    // Measured by the unit project only (`npm run test:coverage`, the first
    // step of `npm test`): integration and e2e tests drive a gateway they
    // spawn from dist/, which v8 coverage of the test workers cannot see, so
    // adding them would cost time without changing the figures.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/*.bench.ts', 'src/types/**'],
      reporter: ['text-summary', 'html', 'json-summary'],
      reportsDirectory: 'coverage',
      thresholds: COVERAGE_FLOORS,
    },
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'src/**/*.test.ts',
            'test/unit/**/*.test.ts',
            'test/regression/**/*.test.ts',
          ],
          // Under coverage, on a loaded 2-core machine, a unit test that takes
          // 1 s alone can take several.
          testTimeout: 15_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
          // Real peers (Prometheus, Loki, ...) are heavy on a 2-core machine.
          fileParallelism: false,
        },
      },
    ],
  },
});
