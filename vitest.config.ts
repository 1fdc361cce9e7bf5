import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'src/**/*.test.ts',
            'test/unit/**/*.test.ts',
            'test/regression/**/*.test.ts',
          ],
          // npm test runs every project at once on 2 cores: a unit test that
          // takes 1 s alone can take several under that load.
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
