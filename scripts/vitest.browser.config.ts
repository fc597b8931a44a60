// The explorer's page in a real headless Chromium, apart from `npm test` (whose
// vitest.config.ts includes only properties/**/*.test.ts). Run it with `npm run test:browser`:
// scripts/browser.sh installs Debian's chromium when missing and sets CHROMIUM_PATH; each test
// file starts the explorer's server and the browser and stops both by pid.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['properties/browser/**/*.browser.ts'],
    // One browser at a time: a small CI machine runs one Chromium comfortably, not several.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
