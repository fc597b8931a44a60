// The campaigns against real etcd and ZooKeeper clusters, apart from `npm test` (whose
// vitest.config.ts includes only properties/**/*.test.ts). Run them with `npm run test:cluster`:
// scripts/cluster.sh installs Debian's etcd-server and zookeeper when missing; each test starts
// its cluster on 127.0.0.1 and stops every process by pid, also when it fails.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['properties/cluster/**/*.cluster.ts'],
    // One cluster at a time: three JVMs or three etcd members already load a small machine.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
