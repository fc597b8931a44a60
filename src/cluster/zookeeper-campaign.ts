// Campaigns on ZooKeeper. Each worker holds one session on one server (zk-wire.ts).
// - register: one znode as a register: plain reads (served by whichever server the session is
//   on, a follower possibly behind the leader), sync+reads (the server catches up with the leader
//   first), writes of unique values (setData, any version) and compare-and-set from the value the
//   worker last saw (getData, then setData with the version read: a BadVersion or a value other
//   than `from` means it did not apply: `fail`).
//   Checks: the updates are linearizable; the history with sync+reads, and the one with plain
//   reads, are checked for linearizability too (ZooKeeper promises neither); the whole history
//   is sequentially consistent (ZooKeeper's promise: one order, each session's own order kept).
// - queue: enqueue creates a sequential znode under /faultline/q; dequeue lists the children
//   and deletes the lowest it can. Checks: nothing acknowledged is lost (dequeued or still there
//   at the end), nothing is dequeued twice, nothing dequeued was never enqueued.

import { checkLinearizable, checkSequentiallyConsistent, keyedRegisterSpec } from '../history/index.ts';
import type { History, KeyedRegisterOp, RegisterResult } from '../history/index.ts';
import { type CampaignOptions, type CampaignReport, type CheckOutcome, FINAL_PROCESS, outcomeOf, runCampaign, withResult } from './campaign.ts';
import type { ProcessGroup } from './processes.ts';
import { DefiniteFailure, type HistoryRecorder, type RecordedOperation } from './recorder.ts';
import { uniqueValues, type Workload, type WorkerContext } from './workload.ts';
import { ZkError, ZkSession } from './zk-wire.ts';
import { ZookeeperCluster } from './zookeeper.ts';

export const ZOOKEEPER_WORKLOADS = ['register', 'queue'] as const;

const ROOT = '/faultline';
const REGISTER = `${ROOT}/r`;
const QUEUE = `${ROOT}/q`;
const SESSION_TIMEOUT_MS = 4000;
const NO_NODE = -101;
const BAD_VERSION = -103;

type RegisterOp = KeyedRegisterOp<number> & { readonly sync?: boolean };
type RegisterRes = RegisterResult<number>;
type QueueOp = { readonly kind: 'enqueue'; readonly value: number } | { readonly kind: 'dequeue' };
type QueueRes = number | null | 'ok';

/** One session per worker, reopened on the worker's node when the last one died. */
class Sessions {
  private readonly sessions = new Map<number, ZkSession>();
  constructor(private readonly port: (node: string) => number) {}

  /** Opens the worker's session when it has none; true when it opened one. */
  async prepare({ worker, node }: WorkerContext): Promise<boolean> {
    if (this.sessions.get(worker)?.alive) return false;
    this.sessions.set(worker, await ZkSession.open(this.port(node), SESSION_TIMEOUT_MS, 2000));
    return true;
  }

  /** The worker's session; an operation that times out tears it down (its outcome is unknown,
   * and the server it is on may be paused). */
  of(worker: number, signal: AbortSignal): ZkSession {
    const session = this.sessions.get(worker);
    if (session === undefined || !session.alive) throw new DefiniteFailure('no session');
    signal.addEventListener('abort', () => session.destroy(), { once: true });
    return session;
  }

  closeAll(): void {
    for (const s of this.sessions.values()) s.destroy();
  }
}

/** Writes unique values, and a cas swaps from the value its worker last saw: a stale read then
 * names the write it saw, which keeps the sequential-consistency search short. */
function registerWorkload(sessions: Sessions): Workload<RegisterOp, RegisterRes> {
  const key = 'r';
  const lastSeen = new Map<number, number>();
  const unique = uniqueValues();
  return {
    name: 'register',
    prepare: (context) => sessions.prepare(context),
    next({ worker, random }): RegisterOp {
      const roll = random();
      if (roll < 0.3) return { kind: 'read', key };
      if (roll < 0.5) return { kind: 'read', key, sync: true };
      if (roll < 0.75) return { kind: 'write', key, value: unique(worker) };
      return { kind: 'cas', key, from: lastSeen.get(worker) ?? 0, to: unique(worker) };
    },
    async exec(context, op, signal): Promise<RegisterRes> {
      const { worker } = context;
      const zk = sessions.of(worker, signal);
      switch (op.kind) {
        case 'read': {
          // Pipelined: a session's requests are answered in order, so the read follows the sync.
          const [, read] = await Promise.all([op.sync ? zk.sync(REGISTER) : undefined, zk.getData(REGISTER)]);
          lastSeen.set(worker, Number(read.data));
          context.position = read.zxid;
          return Number(read.data);
        }
        case 'write':
          context.position = (await zk.setData(REGISTER, String(op.value), -1)).zxid;
          return 'ok';
        case 'cas': {
          const { data, version } = await zk.getData(REGISTER).catch((e: unknown) => {
            throw new DefiniteFailure(`cas read: ${e instanceof Error ? e.message : String(e)}`);
          });
          lastSeen.set(worker, Number(data));
          if (Number(data) !== op.from) throw new DefiniteFailure(`value is ${data}, not ${op.from}`);
          const written = await zk.setData(REGISTER, String(op.to), version).catch((e: unknown) => {
            if (e instanceof ZkError && e.code === BAD_VERSION) throw new DefiniteFailure('version moved on');
            throw e;
          });
          context.position = written.zxid;
          return true;
        }
        default:
          return op satisfies never;
      }
    },
    classify: (op) => (error) => (op.kind === 'read' || error instanceof DefiniteFailure ? 'fail' : 'info'),
  };
}

function queueWorkload(sessions: Sessions): Workload<QueueOp, QueueRes> {
  const unique = uniqueValues();
  return {
    name: 'queue',
    prepare: (context) => sessions.prepare(context),
    next({ worker, random }): QueueOp {
      if (random() < 0.5) return { kind: 'dequeue' };
      return { kind: 'enqueue', value: unique(worker) };
    },
    async exec({ worker }, op, signal): Promise<QueueRes> {
      const zk = sessions.of(worker, signal);
      if (op.kind === 'enqueue') {
        await zk.create(`${QUEUE}/i-`, String(op.value), 2);
        return 'ok';
      }
      let deleteSent = false;
      try {
        const children = (await zk.getChildren(QUEUE)).sort();
        for (const child of children) {
          const path = `${QUEUE}/${child}`;
          const got = await zk.getData(path).catch((e: unknown) => (e instanceof ZkError && e.code === NO_NODE ? undefined : Promise.reject(e)));
          if (got === undefined) continue;
          deleteSent = true;
          const deleted = await zk.delete(path, -1).then(() => true, (e: unknown) => (e instanceof ZkError && e.code === NO_NODE ? false : Promise.reject(e)));
          deleteSent = false;
          if (deleted) return Number(got.data);
        }
        return null;
      } catch (e) {
        // Nothing was removed unless a delete is unanswered.
        if (!deleteSent) throw new DefiniteFailure(e instanceof Error ? e.message : String(e));
        throw e;
      }
    },
    classify: () => (error) => (error instanceof DefiniteFailure ? 'fail' : 'info'),
  };
}

async function ensurePath(zk: ZkSession, path: string): Promise<void> {
  await zk.create(path, '0', 0).catch((e: unknown) => {
    if (!(e instanceof ZkError && e.code === -110)) throw e;
  });
}

export async function zookeeperCampaign(group: ProcessGroup, options: CampaignOptions): Promise<CampaignReport> {
  const startedAt = performance.now();
  const cluster = await ZookeeperCluster.start(group, { nodes: options.nodes, basePort: options.basePort });
  options.log?.(`zookeeper: ${options.nodes} servers up in ${((performance.now() - startedAt) / 1000).toFixed(1)} s, leader ${await cluster.leader()} (pids ${cluster.pids.join(', ')})`);
  const sessions = new Sessions((node) => cluster.clientPort(node));
  const setup = async (): Promise<void> => {
    const zk = await ZkSession.open(cluster.clientPort(cluster.nodes[0]), SESSION_TIMEOUT_MS, 5000);
    try {
      for (const path of [ROOT, REGISTER, QUEUE]) await ensurePath(zk, path);
    } finally {
      await zk.close();
    }
  };
  const wrapped = {
    nodes: cluster.nodes,
    kill: (n: string) => cluster.kill(n),
    restart: (n: string) => cluster.restart(n),
    pause: (n: string) => cluster.pause(n),
    resume: (n: string) => cluster.resume(n),
    isolate: (n: string) => cluster.isolate(n),
    heal: () => cluster.heal(),
    recover: () => cluster.recover(),
    stop: async (removeData?: boolean) => {
      sessions.closeAll();
      await cluster.stop(removeData);
    },
  };
  if (options.workload === 'queue') {
    const drained: { value: number; node: string }[] = [];
    return runCampaign<QueueOp, QueueRes>(options, startedAt, {
      cluster: wrapped,
      workload: queueWorkload(sessions),
      setup,
      final: async () => {
        const zk = await ZkSession.open(cluster.clientPort(cluster.nodes[0]), SESSION_TIMEOUT_MS, 5000);
        try {
          await zk.sync(QUEUE);
          for (const child of (await zk.getChildren(QUEUE)).sort()) drained.push({ value: Number((await zk.getData(`${QUEUE}/${child}`)).data), node: cluster.nodes[0] });
        } finally {
          await zk.close();
        }
      },
      check: (recorder) => [queueCheck(recorder.operations, drained.map((d) => d.value))],
      describe: (op, result) => (op.kind === 'enqueue' ? `enqueue(${op.value})` : withResult('dequeue()', result)),
    });
  }
  const spec = keyedRegisterSpec(0);
  return runCampaign<RegisterOp, RegisterRes>(options, startedAt, {
    cluster: wrapped,
    workload: registerWorkload(sessions),
    setup,
    final: async (recorder: HistoryRecorder<RegisterOp, RegisterRes>) => {
      for (const node of cluster.nodes) {
        const zk = await ZkSession.open(cluster.clientPort(node), SESSION_TIMEOUT_MS, 5000);
        try {
          const op: RegisterOp = { kind: 'read', key: 'r', sync: true };
          let zxid: bigint | undefined;
          const entry = await recorder.run(options.workers, FINAL_PROCESS + cluster.nodes.indexOf(node), op, async (signal) => {
            signal.addEventListener('abort', () => zk.destroy());
            await zk.sync(REGISTER);
            const read = await zk.getData(REGISTER);
            zxid = read.zxid;
            return Number(read.data);
          }, { timeoutMs: 5000, node, classify: () => 'fail' });
          if (entry.outcome === 'ok' && zxid !== undefined) entry.position = zxid;
        } finally {
          await zk.close();
        }
      }
    },
    check: (recorder) => registerChecks(recorder),
    describe: (op, result) => withResult(op.kind === 'read' ? (op.sync ? 'sync+read' : 'read') : spec.describe!(op), result),
  });
}

function registerChecks(recorder: HistoryRecorder<RegisterOp, RegisterRes>): CheckOutcome[] {
  const spec = keyedRegisterSpec(0);
  const isFinal = (r: RecordedOperation<RegisterOp, RegisterRes>): boolean => r.process >= FINAL_PROCESS;
  const run = (name: string, history: History<RegisterOp, RegisterRes>, how: 'linearizable' | 'sequential', promised: boolean): CheckOutcome => {
    const started = performance.now();
    const verdict = how === 'sequential' ? checkSequentiallyConsistent(spec, history, { orderHint: zxidOrder(recorder.operations) }) : checkLinearizable(spec, history);
    return outcomeOf(name, verdict, history.length, performance.now() - started, promised);
  };
  // ZooKeeper promises linearizable writes and sequentially consistent sessions; reads are
  // served by the session's server, sync+read is documented as "not strictly" up to date.
  return [
    run('updates (write, cas) linearizable', recorder.history((r) => r.op.kind !== 'read' || isFinal(r)), 'linearizable', true),
    run('updates + sync+reads linearizable', recorder.history((r) => r.op.kind !== 'read' || r.op.sync === true), 'linearizable', false),
    run('updates + plain reads linearizable', recorder.history((r) => r.op.kind !== 'read' || r.op.sync !== true || isFinal(r)), 'linearizable', false),
    run('all operations sequentially consistent (per session)', recorder.history(), 'sequential', true),
  ];
}

/** ZooKeeper's own order as a candidate witness: operations by zxid (a write's own, a read's
 * server's last applied), writes before reads at the same zxid, then by invocation. A pending
 * update goes just before the first read of the value it wrote (values are unique), or is left
 * out (never took effect). */
export function zxidOrder(ops: readonly RecordedOperation<RegisterOp, RegisterRes>[]): number[] {
  const placed = ops
    .filter((r) => r.outcome === 'ok' && r.position !== undefined)
    .sort((a, b) => (a.position! < b.position! ? -1 : a.position! > b.position! ? 1 : 0) || Number(a.op.kind === 'read') - Number(b.op.kind === 'read') || a.invokedAt - b.invokedAt);
  const order = placed.map((r) => r.id);
  for (const pending of ops.filter((r) => r.outcome !== 'ok' && r.outcome !== 'fail' && r.op.kind !== 'read')) {
    const value = pending.op.kind === 'write' ? pending.op.value : pending.op.kind === 'cas' ? pending.op.to : undefined;
    const firstRead = placed.findIndex((r) => r.op.kind === 'read' && r.result === value);
    if (firstRead >= 0) order.splice(order.indexOf(placed[firstRead].id), 0, pending.id);
  }
  return order;
}

/** Jepsen's total-queue check: acknowledged enqueues all come out (dequeued or left at the end),
 * nothing comes out twice, nothing comes out that was never enqueued. An unknown dequeue may
 * have taken a value without telling: up to that many missing values are not counted as lost. */
export function queueCheck(ops: readonly RecordedOperation<QueueOp, QueueRes>[], drained: readonly number[]): CheckOutcome {
  const started = performance.now();
  const acked = new Set<number>();
  const attempted = new Set<number>();
  const out = new Map<number, number[]>();
  let unknownDequeues = 0;
  for (const op of ops) {
    if (op.op.kind === 'enqueue') {
      if (op.outcome !== 'fail') attempted.add(op.op.value);
      if (op.outcome === 'ok') acked.add(op.op.value);
    } else if (op.outcome === 'ok' && typeof op.result === 'number') {
      out.set(op.result, [...(out.get(op.result) ?? []), op.id]);
    } else if (op.outcome === 'info' || op.outcome === undefined) unknownDequeues++;
  }
  for (const v of drained) out.set(v, [...(out.get(v) ?? []), -1]);
  const lost = [...acked].filter((v) => !out.has(v));
  const duplicated = [...out.entries()].filter(([, ids]) => ids.length > 1);
  const unexpected = [...out.keys()].filter((v) => !attempted.has(v));
  const problems: string[] = [];
  if (lost.length > unknownDequeues) problems.push(`${lost.length} acknowledged enqueues lost (${unknownDequeues} dequeues unknown): ${lost.slice(0, 5).join(', ')}`);
  if (duplicated.length > 0) problems.push(`${duplicated.length} values dequeued twice: ${duplicated.slice(0, 5).map(([v]) => v).join(', ')}`);
  if (unexpected.length > 0) problems.push(`${unexpected.length} values dequeued that were never enqueued: ${unexpected.slice(0, 5).join(', ')}`);
  const anomaly = duplicated.flatMap(([, ids]) => ids.filter((id) => id >= 0));
  const explanation = problems.length > 0 ? problems.join('; ') :
    `${acked.size} acknowledged enqueues, ${[...out.values()].filter((ids) => ids.some((i) => i >= 0)).length} dequeued, ${drained.length} left at the end, ${lost.length} missing (≤ ${unknownDequeues} unknown dequeues)`;
  return { name: 'queue: nothing lost, nothing duplicated', kind: problems.length > 0 ? 'violation' : 'ok', explanation, operations: ops.length, ms: performance.now() - started, anomaly, context: [] };
}
