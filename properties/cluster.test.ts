// The real-cluster harness (src/cluster) without a cluster: the partition proxies cut and heal
// links, operations that time out are recorded as `info` and stay pending, processes are
// stopped by pid (also on Ctrl-C), the nemesis schedule is a function of its seed, and bad
// input to `faultline cluster` is one line with exit code 2. The campaigns against real etcd
// and ZooKeeper clusters are in properties/cluster/*.cluster.ts (`npm run test:cluster`).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLinearizable, keyedRegisterSpec } from '../src/history/index.ts';
import type { CampaignReport } from '../src/cluster/campaign.ts';
import { outcomeOf } from '../src/cluster/campaign.ts';
import { type FaultTarget, Nemesis, nemesisSchedule } from '../src/cluster/nemesis.ts';
import { assertPortFree, LOOPBACK } from '../src/cluster/ports.ts';
import { ClusterError, ProcessGroup, sleep } from '../src/cluster/processes.ts';
import { etcdSender, Network, TcpProxy } from '../src/cluster/proxy.ts';
import { DefiniteFailure, HistoryRecorder, type RecordedOperation } from '../src/cluster/recorder.ts';
import { renderTimeline } from '../src/cluster/timeline.ts';
import { drive, type Workload } from '../src/cluster/workload.ts';
import { queueCheck } from '../src/cluster/zookeeper-campaign.ts';

const root = join(import.meta.dirname, '..');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// ---------------------------------------------------------------------------------------------
// Proxies

/** An echo server on 127.0.0.1 that remembers what it received. */
async function echoServer(): Promise<{ port: number; received: () => string; server: Server }> {
  let received = '';
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      received += d.toString();
      s.write(d);
    });
  });
  await new Promise<void>((r) => server.listen(0, LOOPBACK, r));
  cleanups.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, received: () => received, server };
}

interface Conn {
  readonly socket: Socket;
  readonly echoed: () => string;
  readonly closed: () => boolean;
}

async function dial(port: number, first?: string): Promise<Conn> {
  const socket = connect({ host: LOOPBACK, port });
  let echoed = '';
  let closed = false;
  socket.on('data', (d: Buffer) => (echoed += d.toString()));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  if (first !== undefined) socket.write(first);
  cleanups.push(() => void socket.destroy());
  return { socket, echoed: () => echoed, closed: () => closed };
}

async function until(probe: () => boolean, ms = 2000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

async function proxyTo(network: Network, targetPort: number, from = 'n1'): Promise<TcpProxy> {
  const proxy = await TcpProxy.start({ network, from, to: 'n2', targetPort });
  cleanups.push(() => proxy.close());
  return proxy;
}

describe('partition proxies', () => {
  it('a proxy forwards bytes both ways between two nodes that are not cut off', async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(new Network(), echo.port);
    const c = await dial(proxy.port, 'hello');
    expect(await until(() => c.echoed() === 'hello')).toBe(true);
    expect(echo.received()).toBe('hello');
  });

  it('a partition black-holes the open connection and new ones; healing closes them and new connections forward again', async () => {
    const echo = await echoServer();
    const network = new Network();
    const proxy = await proxyTo(network, echo.port);
    const before = await dial(proxy.port, 'a');
    expect(await until(() => before.echoed() === 'a')).toBe(true);
    network.partition([['n1'], ['n2', 'n3']]);
    before.socket.write('lost');
    const during = await dial(proxy.port, 'also lost');
    await sleep(150);
    expect(echo.received()).toBe('a');
    expect([before.echoed(), during.echoed(), before.closed(), during.closed()]).toEqual(['a', '', false, false]);
    expect(proxy.cutConnections).toBe(2);
    network.heal();
    expect(await until(() => before.closed() && during.closed())).toBe(true);
    const after = await dial(proxy.port, 'b');
    expect(await until(() => after.echoed() === 'b')).toBe(true);
    expect(echo.received()).toBe('ab');
  });

  it('in reset mode a partition closes the connections that cross it at once', async () => {
    const echo = await echoServer();
    const network = new Network('reset');
    const proxy = await proxyTo(network, echo.port);
    const c = await dial(proxy.port, 'x');
    expect(await until(() => c.echoed() === 'x')).toBe(true);
    network.partition([['n2'], ['n1']]);
    expect(await until(() => c.closed())).toBe(true);
    expect(proxy.connections).toBe(0);
  });

  it('a partition cuts only links between groups: traffic within a group still flows', async () => {
    const echo = await echoServer();
    const network = new Network();
    const proxy = await proxyTo(network, echo.port, 'n3');
    network.partition([['n1'], ['n2', 'n3']]);
    const c = await dial(proxy.port, 'same side');
    expect(await until(() => c.echoed() === 'same side')).toBe(true);
  });

  it("a shared proxy names etcd's sender from the X-Server-From header, and lets unnamed probes through", async () => {
    const echo = await echoServer();
    const network = new Network();
    const members = new Map([['8e9e05c52164694d', 'n1'], ['91bc3c398fb3c146', 'n3']]);
    const proxy = await TcpProxy.start({ network, to: 'n2', targetPort: echo.port, identify: etcdSender(members) });
    cleanups.push(() => proxy.close());
    network.partition([['n1'], ['n2', 'n3']]);
    const request = (from: string) => `GET /raft/stream/msgapp/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Server-From: ${from}\r\nX-Raft-To: 1\r\n\r\n`;
    const cut = await dial(proxy.port, request('8e9e05c52164694d'));
    const open = await dial(proxy.port, request('91bc3c398fb3c146'));
    const probe = await dial(proxy.port, 'GET /raft/probing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await until(() => open.echoed().length > 0 && probe.echoed().length > 0)).toBe(true);
    await sleep(100);
    expect(cut.echoed()).toBe('');
    expect(etcdSender(members)(Buffer.from(request('ffff')))).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// History recording

describe('history recording', () => {
  type Op = { readonly kind: 'write'; readonly key: string; readonly value: number } | { readonly kind: 'read'; readonly key: string };

  it('an operation that times out is recorded as info and stays pending; its late answer is ignored', async () => {
    const recorder = new HistoryRecorder<Op, number | 'ok'>();
    let aborted = false;
    const slow = recorder.run(0, 0, { kind: 'write', key: 'x', value: 1 }, (signal) => {
      signal.addEventListener('abort', () => (aborted = true));
      return new Promise((resolve) => setTimeout(() => resolve('ok'), 200));
    }, { timeoutMs: 30 });
    const entry = await slow;
    expect([entry.outcome, entry.error, aborted]).toEqual(['info', 'timed out after 30 ms', true]);
    await sleep(250);
    expect(entry.outcome).toBe('info');
    expect(recorder.history()).toEqual([{ kind: 'pending', id: 0, client: 0, op: { kind: 'write', key: 'x', value: 1 }, invokedAt: entry.invokedAt }]);
  });

  it('ok operations are completed with their result and times; a definite failure is dropped; other errors are info', async () => {
    const recorder = new HistoryRecorder<Op, number | 'ok'>();
    const ok = await recorder.run(0, 0, { kind: 'read', key: 'x' }, async () => 7, { timeoutMs: 1000 });
    const failed = await recorder.run(1, 1, { kind: 'write', key: 'x', value: 2 }, async () => { throw new DefiniteFailure('refused'); }, { timeoutMs: 1000 });
    const lost = await recorder.run(2, 2, { kind: 'write', key: 'x', value: 3 }, async () => { throw new Error('connection reset'); }, { timeoutMs: 1000 });
    expect([ok.outcome, failed.outcome, lost.outcome]).toEqual(['ok', 'fail', 'info']);
    expect(ok.completedAt! >= ok.invokedAt).toBe(true);
    expect(recorder.history().map((op) => [op.id, op.kind])).toEqual([[0, 'completed'], [2, 'pending']]);
    expect(() => recorder.complete(ok, 'ok', 1)).toThrow('operation 0 completed twice');
  });

  it('workers go on as a new process after an info, so a client never has two operations outstanding', async () => {
    const recorder = new HistoryRecorder<Op, number | 'ok'>();
    let n = 0;
    const workload: Workload<Op, number | 'ok'> = {
      name: 'test',
      next: () => ({ kind: 'write', key: 'x', value: ++n }),
      exec: (_context, op) => (op.kind === 'write' && op.value % 3 === 0 ? new Promise(() => undefined) : Promise.resolve('ok')),
      classify: () => () => 'info',
    };
    await drive(workload, recorder, { workers: 2, nodes: ['n1'], seed: 1, untilMs: 10_000, opsMax: 9, opTimeoutMs: 20, thinkMs: 0 });
    const ops = recorder.operations;
    expect(ops).toHaveLength(9);
    const infos = ops.filter((op) => op.outcome === 'info');
    expect(infos.length).toBe(3);
    for (const info of infos) {
      expect(ops.filter((op) => op.process === info.process && op.invokedAt > info.invokedAt)).toEqual([]);
    }
    expect(checkLinearizable(keyedRegisterSpec(0), recorder.history()).kind).toBe('ok');
  });
});

// ---------------------------------------------------------------------------------------------
// Processes

function processState(pid: number): string | undefined {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return undefined;
  return readFileSync(stat, 'utf8').split(') ')[1]?.[0];
}

describe('process control', () => {
  it('processes are paused, continued, killed and stopped by pid', async () => {
    const group = new ProcessGroup();
    cleanups.push(() => group.dispose(500));
    const log = '/dev/null';
    const a = await group.launch({ name: 'sleep a', command: 'sleep', args: ['100'], logFile: log });
    const b = await group.launch({ name: 'sleep b', command: 'sleep', args: ['100'], logFile: log });
    expect(group.pids).toEqual([a.pid, b.pid]);
    a.signal('SIGSTOP');
    expect(await until(() => processState(a.pid) === 'T')).toBe(true);
    a.signal('SIGCONT');
    expect(await until(() => processState(a.pid) === 'S')).toBe(true);
    await group.kill(a);
    expect(a.alive).toBe(false);
    await group.stopAll(500);
    expect([b.alive, group.pids]).toEqual([false, []]);
    expect(processState(b.pid) === undefined || processState(b.pid) === 'Z').toBe(true);
  });

  it('a missing binary is a ClusterError naming it', async () => {
    const group = new ProcessGroup();
    cleanups.push(() => group.dispose());
    await expect(group.launch({ name: 'etcd n1', command: '/nonexistent/etcd', args: [], logFile: '/dev/null' })).rejects.toThrow(
      new ClusterError("etcd n1: '/nonexistent/etcd' not found"),
    );
  });

  it('a port in use is a ClusterError naming the port', async () => {
    const echo = await echoServer();
    await expect(assertPortFree(echo.port, 'etcd')).rejects.toThrow(`etcd: port ${echo.port} on 127.0.0.1 is in use`);
  });

  it('Ctrl-C during a run stops every process the run started, by pid, and exits 130', async () => {
    const script = `
      import { withProcessGroup } from ${JSON.stringify(join(root, 'src/cluster/processes.ts'))};
      await withProcessGroup(async (group) => {
        const ps = [await group.launch({ name: 'a', command: 'sleep', args: ['100'], logFile: '/dev/null' }),
                    await group.launch({ name: 'b', command: 'sleep', args: ['100'], logFile: '/dev/null' })];
        console.log(ps.map((p) => p.pid).join(' '));
        await new Promise(() => setInterval(() => undefined, 1000));
      });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => void child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await until(() => out.includes('\n'), 15_000)).toBe(true);
    const pids = out.trim().split(' ').map(Number);
    expect(pids.every((pid) => processState(pid) === 'S')).toBe(true);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(130);
    expect(err).toContain(`stopping the servers this run started (${pids.join(', ')})`);
    expect(pids.map(processState).every((s) => s === undefined)).toBe(true);
  }, 30_000);
});

// ---------------------------------------------------------------------------------------------
// Nemesis

describe('nemesis', () => {
  const options = { seed: 7, kinds: ['kill', 'pause', 'partition'] as const, nodes: ['n1', 'n2', 'n3'], untilMs: 20_000 };

  it('the schedule is a function of the seed: bounded in count and time, faults one at a time', () => {
    const schedule = nemesisSchedule(options);
    expect(nemesisSchedule(options)).toEqual(schedule);
    expect(nemesisSchedule({ ...options, seed: 8 })).not.toEqual(schedule);
    expect(schedule.map((f) => f.kind)).toEqual(['kill', 'pause', 'partition', 'pause']);
    for (let i = 0; i < schedule.length; i++) {
      expect(schedule[i].at + schedule[i].durationMs).toBeLessThanOrEqual(20_000);
      if (i > 0) expect(schedule[i].at).toBeGreaterThan(schedule[i - 1].at + schedule[i - 1].durationMs);
    }
    expect(nemesisSchedule({ ...options, faultsMax: 2 })).toHaveLength(2);
    expect(nemesisSchedule({ ...options, kinds: [] })).toEqual([]);
  });

  it('every fault is undone, also when the nemesis is stopped in the middle of one', async () => {
    const log: string[] = [];
    const target: FaultTarget = {
      nodes: ['n1', 'n2', 'n3'],
      kill: async (n) => void log.push(`kill ${n}`),
      restart: async (n) => void log.push(`restart ${n}`),
      pause: async (n) => void log.push(`pause ${n}`),
      resume: async (n) => void log.push(`resume ${n}`),
      isolate: (n) => void log.push(`isolate ${n}`),
      heal: () => void log.push('heal'),
    };
    const start = performance.now();
    const schedule = [
      { kind: 'pause' as const, at: 0, durationMs: 10, node: 'n1' },
      { kind: 'partition' as const, at: 20, durationMs: 10_000, node: 'n2' },
      { kind: 'kill' as const, at: 20_000, durationMs: 10, node: 'n3' },
    ];
    const nemesis = new Nemesis(target, schedule, () => performance.now() - start);
    const running = nemesis.run();
    await sleep(100);
    nemesis.stop();
    await running;
    expect(log).toEqual(['pause n1', 'resume n1', 'isolate n2', 'heal']);
    expect(nemesis.episodes.map((e) => e.endedAt !== undefined)).toEqual([true, true]);
  });
});

// ---------------------------------------------------------------------------------------------
// Checks and the timeline

describe('queue check and timeline', () => {
  type QOp = { readonly kind: 'enqueue'; readonly value: number } | { readonly kind: 'dequeue' };
  const op = (id: number, o: QOp, outcome: 'ok' | 'fail' | 'info', result?: number | null | 'ok'): RecordedOperation<QOp, number | null | 'ok'> =>
    ({ id, worker: id % 2, process: id % 2, op: o, invokedAt: id * 10, completedAt: id * 10 + 5, outcome, ...(result === undefined ? {} : { result }) });

  it('the queue check finds a value dequeued twice and an acknowledged enqueue lost, and allows for unknown dequeues', () => {
    const ops = [op(0, { kind: 'enqueue', value: 1 }, 'ok', 'ok'), op(1, { kind: 'enqueue', value: 2 }, 'ok', 'ok'), op(2, { kind: 'dequeue' }, 'ok', 1), op(3, { kind: 'dequeue' }, 'ok', 1)];
    const verdict = queueCheck(ops, []);
    expect(verdict.kind).toBe('violation');
    expect(verdict.explanation).toBe('1 acknowledged enqueues lost (0 dequeues unknown): 2; 1 values dequeued twice: 1');
    expect(verdict.anomaly).toEqual([2, 3]);
    const fine = queueCheck([op(0, { kind: 'enqueue', value: 1 }, 'ok', 'ok'), op(1, { kind: 'enqueue', value: 2 }, 'ok', 'ok'), op(2, { kind: 'dequeue' }, 'info')], [2]);
    expect(fine.kind).toBe('ok');
  });

  it('the timeline draws one lane per client, faults as bands and the anomaly highlighted, with no external resource', () => {
    type Op = { readonly kind: 'write'; readonly key: string; readonly value: number } | { readonly kind: 'read'; readonly key: string };
    const recorder = new HistoryRecorder<Op, number | 'ok'>(() => 0);
    const w = recorder.invoke(0, 0, { kind: 'write', key: 'x', value: 1 }, 'n1');
    recorder.complete(w, 'ok', 'ok');
    const r = recorder.invoke(1, 1, { kind: 'read', key: 'x' }, 'n2');
    recorder.complete(r, 'ok', 0);
    Object.assign(w, { invokedAt: 0, completedAt: 10 });
    Object.assign(r, { invokedAt: 20, completedAt: 30 });
    const spec = keyedRegisterSpec(0);
    const verdict = checkLinearizable(spec, recorder.history());
    expect(verdict.kind).toBe('violation');
    const report: CampaignReport = {
      options: { system: 'etcd', workload: 'register', seed: 1, timeMs: 1000, nemesis: ['partition'], nodes: 3, workers: 2, opTimeoutMs: 1000, reads: 'serializable' },
      nodes: ['n1', 'n2', 'n3'],
      operations: recorder.operations as readonly RecordedOperation<unknown, unknown>[],
      faults: [{ fault: { kind: 'partition', at: 5, durationMs: 20, node: 'n2' }, startedAt: 5, endedAt: 25 }],
      faultsSkipped: 0,
      checks: [outcomeOf('linearizable', verdict, 2, 1)],
      durations: { startMs: 0, runMs: 0, recoverMs: 0, finalMs: 0, checkMs: 0, totalMs: 0 },
      describe: (o) => JSON.stringify(o.op),
    };
    const html = renderTimeline(report);
    expect(html.match(/class="lane"/g)).toHaveLength(2 * 2);
    expect(html).toContain('class="op ok anomaly" data-op="1"');
    expect(html).toContain('class="fault fault-partition"');
    expect(html).toContain('id="anomaly"');
    expect(html).not.toMatch(/https?:|<script|src=/);
  });
});

// ---------------------------------------------------------------------------------------------
// The command

function faultline(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'src/cli/faultline.js'), ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('faultline cluster', () => {
  it('bad input, a missing binary and a port in use are one line on stderr and exit code 2', async () => {
    const echo = await echoServer();
    const runs = await Promise.all([
      faultline(['cluster', 'cassandra']),
      faultline(['cluster', 'etcd', '--nemesis', 'kill,flood']),
      faultline(['cluster', 'zookeeper', '--nodes', '4']),
      faultline(['cluster', 'etcd', '--time', '1'], { ETCD_BINARY: '/nonexistent/etcd' }),
      faultline(['cluster', 'etcd', '--time', '1', '--base-port', String(echo.port)]),
    ]);
    expect(runs.map((r) => [r.code, r.stdout, r.stderr.trim().split('\n').length])).toEqual(Array(5).fill([2, '', 1]));
    expect(runs.map((r) => r.stderr.trim())).toEqual([
      "faultline: system must be one of etcd, zookeeper, got 'cassandra'",
      "faultline: --nemesis must be a comma-separated list of kill, pause, partition (or none), got 'flood'",
      "faultline: --nodes must be 3 or 5, got '4'",
      "faultline: etcd: no binary at /nonexistent/etcd; install Debian's etcd-server (scripts/etcd.sh install, or apt-get install -y etcd-server)",
      `faultline: etcd: port ${echo.port} on 127.0.0.1 is in use`,
    ]);
  }, 30_000);
});
