import { defineConfig } from 'vitest/config';

// Unit tests live next to their module; integration and end-to-end tests (real redis-server and sshd)
// live under test/. Both run in one `vitest run`. Every test must make an assertion (test/guards/every-test-asserts.ts).
const setupFiles = ['test/guards/every-test-asserts.ts'];

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'], setupFiles } },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          setupFiles,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Real processes on a 2-core box: run files one after another, not all at once.
          fileParallelism: false,
        },
      },
    ],
  },
});
