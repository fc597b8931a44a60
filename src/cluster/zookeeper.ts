// A ZooKeeper 3.8 ensemble (Debian's zookeeper: ZAB) on 127.0.0.1, following the conventions of
// scripts/zookeeper.sh (the same jar, JVM flags and settings; free ports; fresh data
// directories; stopped by pid). Each server has its own zoo.cfg, in which every peer's quorum
// and election addresses are proxies for that (server, peer) pair (proxy.ts), so the nemesis
// can cut the link between any two servers in both directions.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalNode, LocalCluster } from './local-cluster.ts';
import { assertPortFree, freePorts, LOOPBACK } from './ports.ts';
import { ClusterError, type ProcessGroup, waitFor } from './processes.ts';
import { Network, TcpProxy } from './proxy.ts';

export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
const MAIN_CLASS = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';

export interface ZookeeperOptions {
  readonly nodes: number;
  readonly basePort?: number;
  /** tickTime in ms (default 200: a follower cut off from the leader gives up after
   * syncLimit·tick = 1 s). */
  readonly tickMs?: number;
  readonly startTimeoutMs?: number;
  readonly keepData?: boolean;
}

interface ZkServer extends LocalNode {
  readonly id: number;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly dir: string;
}

/** A 4-letter-word command's answer ('' when the server does not answer within a second). */
export function fourLetterWord(port: number, word: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: LOOPBACK, port });
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('connect', () => socket.write(word));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', done);
    socket.on('close', done);
  });
}

function findJava(): string {
  const java = process.env.JAVA ?? 'java';
  try {
    execFileSync(java, ['-version'], { stdio: 'ignore' });
  } catch {
    throw new ClusterError(`zookeeper: no Java: '${java}' does not run (Debian's zookeeper package depends on default-jre)`);
  }
  return java;
}

export class ZookeeperCluster extends LocalCluster<ZkServer> {
  protected override readonly recoverTimeoutMs = 60_000;

  private constructor(
    network: Network,
    group: ProcessGroup,
    private readonly java: string,
    dir: string,
    servers: readonly ZkServer[],
    /** Filled by configure(); the base class closes them on stop(). */
    private readonly peerProxies: TcpProxy[],
    private readonly options: ZookeeperOptions,
  ) {
    super('zookeeper', network, group, dir, servers, peerProxies, options.keepData ?? false);
  }

  static async start(group: ProcessGroup, options: ZookeeperOptions): Promise<ZookeeperCluster> {
    if (!existsSync(ZOOKEEPER_JAR)) throw new ClusterError(`zookeeper: ${ZOOKEEPER_JAR} is missing; install Debian's zookeeper package (apt-get install -y zookeeper)`);
    const java = findJava();
    const n = options.nodes;
    let ports: number[];
    if (options.basePort !== undefined) {
      ports = Array.from({ length: 3 * n }, (_, i) => options.basePort! + i);
      for (const p of ports) await assertPortFree(p, 'zookeeper');
    } else ports = await freePorts(3 * n);
    const dir = mkdtempSync(join(tmpdir(), 'faultline-zkcluster.'));
    const servers: ZkServer[] = Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      name: `n${i + 1}`,
      clientPort: ports[3 * i],
      quorumPort: ports[3 * i + 1],
      electionPort: ports[3 * i + 2],
      dir: join(dir, `n${i + 1}`),
      process: undefined,
    }));
    const network = new Network();
    const proxies: TcpProxy[] = [];
    const cluster = new ZookeeperCluster(network, group, java, dir, servers, proxies, options);
    try {
      for (const s of servers) await cluster.configure(s);
      await Promise.all(servers.map((s) => cluster.launch(s)));
      await cluster.waitServing(options.startTimeoutMs ?? 60_000);
    } catch (e) {
      await cluster.stop(false); // the message names a log: keep it
      throw e;
    }
    return cluster;
  }

  /** Writes s's zoo.cfg and myid, starting the proxies through which s reaches each peer. */
  private async configure(s: ZkServer): Promise<void> {
    mkdirSync(join(s.dir, 'data'), { recursive: true });
    writeFileSync(join(s.dir, 'data', 'myid'), `${s.id}\n`);
    const tick = this.options.tickMs ?? 200;
    const lines = [
      `tickTime=${tick}`, 'initLimit=20', 'syncLimit=5', `dataDir=${join(s.dir, 'data')}`, `clientPort=${s.clientPort}`,
      `clientPortAddress=${LOOPBACK}`, `minSessionTimeout=${2 * tick}`, `maxSessionTimeout=${200 * tick}`, 'maxClientCnxns=200',
      'admin.enableServer=false', '4lw.commands.whitelist=ruok,srvr', 'forceSync=no', 'preAllocSize=1024',
      'standaloneEnabled=false', 'reconfigEnabled=false', 'cnxTimeout=1000',
    ];
    for (const peer of this.members) {
      if (peer === s) {
        lines.push(`server.${peer.id}=${LOOPBACK}:${peer.quorumPort}:${peer.electionPort}`);
        continue;
      }
      const quorum = await TcpProxy.start({ network: this.network, from: s.name, to: peer.name, targetPort: peer.quorumPort });
      const election = await TcpProxy.start({ network: this.network, from: s.name, to: peer.name, targetPort: peer.electionPort });
      this.peerProxies.push(quorum, election);
      lines.push(`server.${peer.id}=${LOOPBACK}:${quorum.port}:${election.port}`);
    }
    writeFileSync(join(s.dir, 'zoo.cfg'), `${lines.join('\n')}\n`);
  }

  protected override async launch(s: ZkServer): Promise<void> {
    const cp = [ZOOKEEPER_JAR, ...(existsSync('/usr/share/java/slf4j-simple.jar') ? ['/usr/share/java/slf4j-simple.jar'] : [])].join(':');
    const args = [
      '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.net.preferIPv4Stack=true', '-Dfile.encoding=UTF-8',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-Dzookeeper.admin.enableServer=false', '-cp', cp, MAIN_CLASS, join(s.dir, 'zoo.cfg'),
    ];
    s.process = await this.group.launch({ name: `zookeeper ${s.name}`, command: this.java, args, logFile: join(s.dir, 'server.log') });
  }

  /** `srvr` says leader or follower on every server, and one of them is the leader. */
  async waitServing(timeoutMs: number): Promise<void> {
    const modes = new Map<string, string>();
    const ok = await waitFor(async () => {
      for (const s of this.members) {
        if (s.process === undefined || !s.process.alive) throw this.exitedError(s);
        const m = /Mode: (\w+)/.exec(await fourLetterWord(s.clientPort, 'srvr'));
        modes.set(s.name, m?.[1] ?? 'down');
      }
      const values = [...modes.values()];
      return values.every((m) => m === 'leader' || m === 'follower') && values.filter((m) => m === 'leader').length === 1;
    }, timeoutMs, 250).catch((e: unknown) => {
      if (e instanceof ClusterError) throw e;
      return false;
    });
    if (!ok) {
      const state = [...modes.entries()].map(([n, m]) => `${n} ${m}`).join(', ');
      throw new ClusterError(`zookeeper: the ensemble did not serve within ${Math.round(timeoutMs / 1000)} s (${state}; logs under ${this.dir})`);
    }
  }

  /** The current leader's name, if one answers. */
  async leader(): Promise<string | undefined> {
    for (const s of this.members) if (/Mode: leader/.test(await fourLetterWord(s.clientPort, 'srvr', 500))) return s.name;
    return undefined;
  }

  protected override waitRecovered(timeoutMs: number): Promise<void> {
    return this.waitServing(timeoutMs);
  }
}
