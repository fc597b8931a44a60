// What the etcd and ZooKeeper clusters share: nodes on 127.0.0.1, one managed process each,
// peer traffic through the harness's proxies, a data directory under one temporary directory.
// The node-control methods the nemesis calls (kill, restart, pause, resume, isolate, heal),
// recovery after it, and stop live here; a system supplies how a node is launched and how it
// waits until the cluster is up again (etcd.ts, zookeeper.ts).

import { rmSync } from 'node:fs';
import type { FaultTarget } from './nemesis.ts';
import { ClusterError, type ManagedProcess, type ProcessGroup } from './processes.ts';
import type { Network, TcpProxy } from './proxy.ts';

/** One node as the shared methods see it; a system's node type adds its ports and paths. */
export interface LocalNode {
  readonly name: string;
  readonly clientPort: number;
  /** Undefined until the first launch; a restart replaces it. */
  process: ManagedProcess | undefined;
}

export abstract class LocalCluster<N extends LocalNode> implements FaultTarget {
  /** On Ctrl-C the run ends without calling stop(): the group removes the data directory then. */
  private readonly forgetCleanup: () => unknown;

  protected constructor(
    /** For messages: `etcd`, `zookeeper`. */
    private readonly system: string,
    readonly network: Network,
    protected readonly group: ProcessGroup,
    protected readonly dir: string,
    protected readonly members: readonly N[],
    /** Closed by stop(), in this order; the array may still be filled after construction. */
    private readonly proxies: readonly TcpProxy[],
    private readonly keepData: boolean,
  ) {
    this.forgetCleanup = keepData ? () => false : group.onDispose(() => rmSync(dir, { recursive: true, force: true }));
  }

  /** Starts a process for `m` and sets `m.process`. */
  protected abstract launch(m: N): Promise<void>;

  /** After recover() relaunched and continued every node: waits until the cluster serves again,
   * throwing ClusterError when it does not within `timeoutMs`. */
  protected abstract waitRecovered(timeoutMs: number): Promise<void>;

  /** recover()'s default timeout. */
  protected abstract readonly recoverTimeoutMs: number;

  get nodes(): readonly string[] {
    return this.members.map((m) => m.name);
  }

  clientPort(node: string): number {
    return this.member(node).clientPort;
  }

  get pids(): readonly number[] {
    return this.members.flatMap((m) => (m.process?.alive ? [m.process.pid] : []));
  }

  get directory(): string {
    return this.dir;
  }

  protected member(node: string): N {
    const m = this.members.find((x) => x.name === node);
    if (m === undefined) throw new Error(`${this.system}: no node ${node}`);
    return m;
  }

  /** The message when `m` is not running while the cluster is waited for. */
  protected exitedError(m: N): ClusterError {
    return new ClusterError(`${this.system} ${m.name} exited before it came up ${m.process?.exitReport() ?? ''}`);
  }

  async kill(node: string): Promise<void> {
    const m = this.member(node);
    if (m.process) await this.group.kill(m.process);
  }

  async restart(node: string): Promise<void> {
    const m = this.member(node);
    if (!m.process?.alive) await this.launch(m);
  }

  async pause(node: string): Promise<void> {
    const p = this.member(node).process;
    if (p) {
      p.signal('SIGSTOP');
      p.paused = true;
    }
  }

  async resume(node: string): Promise<void> {
    const p = this.member(node).process;
    if (p) {
      p.signal('SIGCONT');
      p.paused = false;
    }
  }

  isolate(node: string): void {
    this.network.partition([[node], this.nodes.filter((x) => x !== node)]);
  }

  heal(): void {
    this.network.heal();
  }

  /** Everything up, continued, connected and serving again (after the nemesis). */
  async recover(timeoutMs?: number): Promise<void> {
    this.heal();
    for (const m of this.members) {
      if (m.process?.paused) await this.resume(m.name);
      if (!m.process?.alive) await this.launch(m);
    }
    await this.waitRecovered(timeoutMs ?? this.recoverTimeoutMs);
  }

  /** Stops every process by pid and the proxies; removes the data directories unless told not
   * to (or the cluster was started with keepData). */
  async stop(removeData = !this.keepData): Promise<void> {
    this.forgetCleanup();
    await Promise.all(this.members.map((m) => (m.process ? this.group.stop(m.process) : undefined)));
    for (const p of this.proxies) await p.close();
    if (removeData) rmSync(this.dir, { recursive: true, force: true });
  }
}
