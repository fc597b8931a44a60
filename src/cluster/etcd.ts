// An etcd 3.4 cluster (Debian's etcd-server: Raft) on 127.0.0.1: free ports, fresh data
// directories, short Raft timeouts, peer traffic through the harness's proxies (proxy.ts: the
// advertised peer URL of every member is its proxy, which forwards to the port it listens on).
//
// Clients speak the JSON gateway of the v3 API (POST /v3/kv/range, /put, /txn) with node:http:
// requests bound to one member, no retries, no failover — what the client saw is what is
// recorded. (etcd3, the gRPC client, fails over between endpoints and retries on its own, which
// hides which member answered.) --unsafe-no-fsync: kill -9 loses no written page (the kernel
// keeps it); the nemesis does not cut power.

import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { type LocalNode, LocalCluster } from './local-cluster.ts';
import { assertPortFree, freePorts, LOOPBACK } from './ports.ts';
import { ClusterError, type ProcessGroup, sleep, waitFor } from './processes.ts';
import { etcdSender, Network, TcpProxy } from './proxy.ts';

export const ETCD_BINARY_DEFAULT = '/usr/bin/etcd';

export interface EtcdOptions {
  readonly nodes: number;
  /** Path of the etcd binary (default ETCD_BINARY, else /usr/bin/etcd). */
  readonly binary?: string;
  /** First client port; consecutive ports are used (default: free ports from the kernel). */
  readonly basePort?: number;
  readonly startTimeoutMs?: number;
  /** Raft timing: heartbeat and election timeout in ms (default 100 and 1000). */
  readonly heartbeatMs?: number;
  readonly electionMs?: number;
  readonly keepData?: boolean;
}

interface EtcdNode extends LocalNode {
  readonly peerPort: number;
  readonly proxy: TcpProxy;
  readonly dataDir: string;
}

export class EtcdCluster extends LocalCluster<EtcdNode> {
  protected override readonly recoverTimeoutMs = 30_000;

  private constructor(
    network: Network,
    /** Member ids in hex to node names, filled once the cluster is up (the proxies read it). */
    private readonly memberNames: Map<string, string>,
    group: ProcessGroup,
    private readonly binary: string,
    dir: string,
    members: readonly EtcdNode[],
    private readonly options: EtcdOptions,
  ) {
    super('etcd', network, group, dir, members, members.map((m) => m.proxy), options.keepData ?? false);
  }

  /** Starts the cluster and waits until every member reports healthy; on any failure stops
   * what it started and throws ClusterError with one line. */
  static async start(group: ProcessGroup, options: EtcdOptions): Promise<EtcdCluster> {
    const binary = options.binary ?? process.env.ETCD_BINARY ?? ETCD_BINARY_DEFAULT;
    if (!existsSync(binary)) {
      throw new ClusterError(`etcd: no binary at ${binary}; install Debian's etcd-server (scripts/etcd.sh install, or apt-get install -y etcd-server)`);
    }
    const n = options.nodes;
    let clientPorts: number[];
    let peerPorts: number[];
    if (options.basePort !== undefined) {
      clientPorts = Array.from({ length: n }, (_, i) => options.basePort! + 2 * i);
      peerPorts = Array.from({ length: n }, (_, i) => options.basePort! + 2 * i + 1);
      for (const p of [...clientPorts, ...peerPorts]) await assertPortFree(p, 'etcd');
    } else {
      const ports = await freePorts(2 * n);
      clientPorts = ports.slice(0, n);
      peerPorts = ports.slice(n);
    }
    const dir = mkdtempSync(join(tmpdir(), 'faultline-etcd.'));
    const network = new Network();
    const senders = new Map<string, string>();
    const members: EtcdNode[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const name = `n${i + 1}`;
        const proxy = await TcpProxy.start({ network, to: name, targetPort: peerPorts[i], identify: etcdSender(senders) });
        const dataDir = join(dir, name);
        mkdirSync(dataDir);
        members.push({ name, clientPort: clientPorts[i], peerPort: peerPorts[i], proxy, dataDir, process: undefined });
      }
    } catch (e) {
      for (const m of members) await m.proxy.close();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const cluster = new EtcdCluster(network, senders, group, binary, dir, members, options);
    try {
      await Promise.all(members.map((m) => cluster.launch(m)));
      await cluster.waitHealthy(options.startTimeoutMs ?? 30_000);
      await cluster.learnMemberIds();
    } catch (e) {
      await cluster.stop(false); // the message names a log: keep it
      throw e;
    }
    return cluster;
  }

  protected override async launch(m: EtcdNode): Promise<void> {
    const token = `faultline-${this.dir.slice(-6)}`;
    const initial = this.members.map((x) => `${x.name}=http://${LOOPBACK}:${x.proxy.port}`).join(',');
    const args = [
      '--name', m.name,
      '--data-dir', m.dataDir,
      '--listen-client-urls', `http://${LOOPBACK}:${m.clientPort}`,
      '--advertise-client-urls', `http://${LOOPBACK}:${m.clientPort}`,
      '--listen-peer-urls', `http://${LOOPBACK}:${m.peerPort}`,
      '--initial-advertise-peer-urls', `http://${LOOPBACK}:${m.proxy.port}`,
      '--initial-cluster', initial,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', token,
      '--heartbeat-interval', String(this.options.heartbeatMs ?? 100),
      '--election-timeout', String(this.options.electionMs ?? 1000),
      '--logger', 'zap',
      '--log-level', 'warn',
      '--unsafe-no-fsync',
      '--snapshot-count', '100000',
    ];
    m.process = await this.group.launch({ name: `etcd ${m.name}`, command: this.binary, args, logFile: join(this.dir, `${m.name}.log`) });
  }

  /** Every member answers /health with true; throws ClusterError naming the first that does
   * not (or that exited) within `timeoutMs`. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (const m of this.members) {
      const ok = await waitFor(async () => {
        if (m.process === undefined || !m.process.alive) throw this.exitedError(m);
        const body = await httpJson(m.clientPort, 'GET', '/health', undefined, 1000);
        return (body as { health?: string }).health === 'true';
      }, Math.max(0, deadline - performance.now())).catch((e: unknown) => {
        if (e instanceof ClusterError) throw e;
        return false;
      });
      if (!ok) {
        if (m.process !== undefined && !m.process.alive) throw this.exitedError(m);
        throw new ClusterError(`etcd ${m.name} did not report healthy on ${LOOPBACK}:${m.clientPort} within ${Math.round(timeoutMs / 1000)} s (log: ${join(this.dir, `${m.name}.log`)})`);
      }
    }
  }

  /** Member ids (hex, as rafthttp's X-Server-From names them) to node names, for the proxies. */
  private async learnMemberIds(): Promise<void> {
    const list = (await httpJson(this.members[0].clientPort, 'POST', '/v3/cluster/member/list', {}, 3000)) as { members?: { ID: string; name: string }[] };
    for (const member of list.members ?? []) this.memberNames.set(BigInt(member.ID).toString(16), member.name);
    if (this.memberNames.size !== this.members.length) throw new ClusterError(`etcd: member list names ${this.memberNames.size} members, expected ${this.members.length}`);
  }

  /** 100 ms, then every member healthy (recover's wait, unchanged from before local-cluster.ts). */
  protected override async waitRecovered(timeoutMs: number): Promise<void> {
    await sleep(100);
    await this.waitHealthy(timeoutMs);
  }
}

// ---------------------------------------------------------------------------------------------
// The JSON gateway

/** An HTTP answer that is not 200, with etcd's error message. */
export class EtcdHttpError extends Error {
  override readonly name = 'EtcdHttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One request with a deadline; rejects with the socket's error (ECONNREFUSED: never sent) or
 * EtcdHttpError. Node's http rather than fetch: a refused connection keeps its error code. */
export function httpJson(port: number, method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { host: LOOPBACK, port, method, path, agent, timeout: timeoutMs, signal, headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = { error: text };
          }
          if (res.statusCode !== 200) {
            const p = parsed as { error?: string; message?: string };
            reject(new EtcdHttpError(res.statusCode ?? 0, p.message ?? p.error ?? text));
          } else resolve(parsed);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

/** A key-value client bound to one member. */
export class EtcdClient {
  constructor(
    readonly node: string,
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  /** The value, or null; `serializable` reads the member's local state without a quorum. */
  async get(key: string, serializable: boolean, signal?: AbortSignal): Promise<string | null> {
    const r = (await httpJson(this.port, 'POST', '/v3/kv/range', { key: b64(key), serializable }, this.timeoutMs, signal)) as { kvs?: { value?: string }[] };
    const kv = r.kvs?.[0];
    return kv === undefined ? null : unb64(kv.value ?? '');
  }

  async put(key: string, value: string, signal?: AbortSignal): Promise<void> {
    await httpJson(this.port, 'POST', '/v3/kv/put', { key: b64(key), value: b64(value) }, this.timeoutMs, signal);
  }

  /** Compare-and-set in one transaction; whether it swapped. */
  async cas(key: string, from: string, to: string, signal?: AbortSignal): Promise<boolean> {
    const r = (await httpJson(
      this.port,
      'POST',
      '/v3/kv/txn',
      { compare: [{ key: b64(key), target: 'VALUE', result: 'EQUAL', value: b64(from) }], success: [{ request_put: { key: b64(key), value: b64(to) } }] },
      this.timeoutMs,
      signal,
    )) as { succeeded?: boolean };
    return r.succeeded === true;
  }
}

/** Whether a failed request is known not to have been applied: the connection was refused, so
 * nothing was sent. Anything else (reset, timeout, "request timed out", "leader changed") may
 * have been applied. */
export function etcdNotSent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNREFUSED';
}
