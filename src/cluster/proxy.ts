// Network partitions without root: peer traffic goes through small TCP proxies in the harness
// process, and the nemesis cuts and heals links between named nodes. By default a cut
// black-holes the connections that cross it, open and new, as a firewall dropping packets would
// (the nodes find out by their own timeouts); with CutMode 'reset' it closes them at once. When
// the cut heals, the black-holed connections are closed and the nodes redial.
//
// Which node a connection comes from is known in one of two ways:
// - one proxy per (source, destination) pair, when each node can be told its own address for
//   every peer (ZooKeeper: each server has its own zoo.cfg);
// - by the first bytes of the connection, when all nodes share one address per peer (etcd:
//   every member has one advertised peer URL, and rafthttp names the sender in an
//   `X-Server-From` header on every stream and pipeline request). A connection that names no
//   sender (etcd's /raft/probing and /version) carries no Raft messages and is let through.

import { createServer, connect, type Server, type Socket } from 'node:net';
import { LOOPBACK } from './ports.ts';
import { ClusterError } from './processes.ts';

/** What a cut does to a connection: `drop` black-holes it (bytes are read and thrown away, as a
 * firewall dropping packets; the nodes notice by their own timeouts), `reset` closes it at once
 * (the nodes notice immediately). Either way the connection is closed when the cut heals. */
export type CutMode = 'drop' | 'reset';

/** Which links are cut. Links are undirected: a partition stops both directions. */
export class Network {
  constructor(readonly mode: CutMode = 'drop') {}

  private readonly cut = new Set<string>();
  private readonly listeners = new Set<() => void>();

  private static link(a: string, b: string): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }

  allowed(from: string | undefined, to: string): boolean {
    return from === undefined || from === to || !this.cut.has(Network.link(from, to));
  }

  /** Cuts every link between nodes of different groups; nodes in no group keep their links. */
  partition(groups: readonly (readonly string[])[]): void {
    this.cut.clear();
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        for (const a of groups[i]) for (const b of groups[j]) this.cut.add(Network.link(a, b));
      }
    }
    this.changed();
  }

  heal(): void {
    this.cut.clear();
    this.changed();
  }

  get isPartitioned(): boolean {
    return this.cut.size > 0;
  }

  /** Called after every change (the proxies drop connections that now cross a cut). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

export interface ProxyOptions {
  readonly network: Network;
  /** The node the traffic goes to. */
  readonly to: string;
  readonly targetPort: number;
  /** The node the traffic comes from, for a per-pair proxy. */
  readonly from?: string;
  /** Otherwise: names the sender from the connection's first bytes (undefined: unknown). */
  readonly identify?: (head: Buffer) => string | undefined;
  /** Port to listen on (default: a free one). */
  readonly port?: number;
}

interface Pipe {
  /** The connection's first bytes, for naming its sender again later (a sender map may be
   * filled only after the connection was made, as etcd's member ids are). */
  readonly head: Buffer | undefined;
  readonly client: Socket;
  upstream: Socket | undefined;
  /** Cut: bytes in both directions are read and thrown away. */
  dropping: boolean;
}

/** How many bytes to wait for before giving up on naming the sender. */
const HEAD_MAX = 8192;

const discard = (): void => undefined;

/** One listening proxy on 127.0.0.1 that forwards to 127.0.0.1:targetPort. */
export class TcpProxy {
  private readonly pipes = new Set<Pipe>();
  private readonly unsubscribe: () => void;
  /** Connections cut (reset or black-holed) because they crossed a cut: for tests and runs. */
  cutConnections = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: ProxyOptions,
  ) {
    this.unsubscribe = options.network.onChange(() => this.enforce());
  }

  static async start(options: ProxyOptions): Promise<TcpProxy> {
    const server = createServer({ allowHalfOpen: false });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new ClusterError(`proxy to ${options.to}: cannot listen on ${LOOPBACK}:${options.port ?? 0}: ${e.code === 'EADDRINUSE' ? 'port in use' : e.message}`)),
      );
      server.listen(options.port ?? 0, LOOPBACK, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
    const proxy = new TcpProxy(server, port, options);
    server.on('connection', (socket) => proxy.accept(socket));
    return proxy;
  }

  /** Open connections, forwarding or black-holed. */
  get connections(): number {
    return this.pipes.size;
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.options.identify === undefined) {
      this.forward(client, undefined);
      return;
    }
    const identify = this.options.identify;
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      const head = Buffer.concat(chunks);
      if (identify(head) === undefined && size < HEAD_MAX && !head.includes('\r\n\r\n')) return;
      client.off('data', onData);
      this.forward(client, head);
    };
    client.on('data', onData);
  }

  private sender(head: Buffer | undefined): string | undefined {
    if (this.options.from !== undefined) return this.options.from;
    return head === undefined || this.options.identify === undefined ? undefined : this.options.identify(head);
  }

  private forward(client: Socket, head: Buffer | undefined): void {
    const pipe: Pipe = { head, client, upstream: undefined, dropping: false };
    const close = (): void => {
      this.pipes.delete(pipe);
      client.destroy();
      pipe.upstream?.destroy();
    };
    client.on('close', close);
    if (!this.options.network.allowed(this.sender(head), this.options.to)) {
      this.cutConnections++;
      if (this.options.network.mode === 'reset') {
        client.destroy();
        return;
      }
      // A new connection across a cut: accepted (the kernel did that already) and silent.
      this.pipes.add(pipe);
      pipe.dropping = true;
      client.on('data', discard);
      client.resume();
      return;
    }
    client.pause();
    const upstream = connect({ host: LOOPBACK, port: this.options.targetPort });
    pipe.upstream = upstream;
    this.pipes.add(pipe);
    upstream.on('error', close);
    upstream.on('close', close);
    upstream.on('connect', () => {
      if (pipe.dropping) return;
      if (head !== undefined) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }

  /** Applies the network's cuts to open connections: a connection that now crosses a cut is
   * reset or black-holed; a black-holed one whose link healed is reset (bytes were lost, so
   * the stream cannot go on; both ends redial, as after a TCP timeout). */
  private enforce(): void {
    for (const pipe of [...this.pipes]) {
      const allowed = this.options.network.allowed(this.sender(pipe.head), this.options.to);
      if (allowed && pipe.dropping) this.destroy(pipe);
      if (allowed || pipe.dropping) continue;
      this.cutConnections++;
      if (this.options.network.mode === 'reset') {
        this.destroy(pipe);
        continue;
      }
      pipe.dropping = true;
      pipe.client.unpipe();
      pipe.upstream?.unpipe();
      pipe.client.on('data', discard);
      pipe.upstream?.on('data', discard);
      pipe.client.resume();
      pipe.upstream?.resume();
    }
  }

  private destroy(pipe: Pipe): void {
    this.pipes.delete(pipe);
    pipe.client.destroy();
    pipe.upstream?.destroy();
  }

  async close(): Promise<void> {
    this.unsubscribe();
    for (const pipe of this.pipes) {
      pipe.client.destroy();
      pipe.upstream?.destroy();
    }
    this.pipes.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The sender of an etcd rafthttp request, from its `X-Server-From` header (a member id in hex),
 * mapped to a node name by `members`. */
export function etcdSender(members: ReadonlyMap<string, string>): (head: Buffer) => string | undefined {
  return (head) => {
    const m = /\r\nX-Server-From:\s*([0-9a-fA-F]+)\r\n/i.exec(head.toString('latin1'));
    return m === null ? undefined : members.get(m[1].toLowerCase());
  };
}
