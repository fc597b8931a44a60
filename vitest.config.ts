import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['properties/**/*.test.ts'],
    // Two test files at a time: vitest's default (available cores - 1) runs one file at a time
    // on the 2-core machines this suite is sized for, leaving a core idle.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
