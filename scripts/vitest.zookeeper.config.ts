// The conformance suite against a real ZooKeeper server, apart from `npm test` (whose
// vitest.config.ts includes only properties/**/*.test.ts). Run it with `npm run test:zookeeper`:
// scripts/zookeeper.sh starts the server, sets ZOOKEEPER_PORT, and stops the server afterwards.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['properties/conformance/**/*.conformance.ts'],
    // One server, one tree: the files (and the tests in them) run one at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
