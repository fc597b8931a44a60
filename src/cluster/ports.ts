// Ports on 127.0.0.1: free ones from the kernel, and a check that a given one is free. Nothing
// here binds any address outside 127.0.0.0/8.

import { createServer } from 'node:net';
import { ClusterError } from './processes.ts';

export const LOOPBACK = '127.0.0.1';

/** A port nothing listens on right now (the kernel's choice). It can be taken between asking and
 * binding; callers that bind it themselves (the proxies) retry, servers fail with a clear line. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Throws ClusterError naming the port when something listens on it (or it cannot be bound). */
export function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new ClusterError(`${what}: port ${port} on ${LOOPBACK} is ${e.code === 'EADDRINUSE' ? 'in use' : `not usable (${e.code ?? e.message})`}`));
    });
    server.listen(port, LOOPBACK, () => server.close(() => resolve()));
  });
}
