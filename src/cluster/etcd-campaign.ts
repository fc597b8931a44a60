// Campaigns on etcd: a compare-and-set register per key (Jepsen's etcd "register" test) and a
// multi-key store of reads and unique writes; reads are linearizable (a quorum read through the
// leader, etcd's default) or serializable (the member's local state, which a member cut off
// from the leader keeps serving: stale). Checked per key with the linearizability checker.

import { checkLinearizable, keyedRegisterSpec } from '../history/index.ts';
import type { KeyedRegisterOp, RegisterResult } from '../history/index.ts';
import { type CampaignOptions, type CampaignReport, type CheckOutcome, FINAL_PROCESS, outcomeOf, runCampaign, withResult } from './campaign.ts';
import { EtcdClient, EtcdCluster, etcdNotSent } from './etcd.ts';
import type { ProcessGroup } from './processes.ts';
import { DefiniteFailure, type HistoryRecorder } from './recorder.ts';
import { uniqueValues, type Workload, type WorkerContext } from './workload.ts';

export const ETCD_WORKLOADS = ['register', 'store'] as const;
export const READ_MODES = ['linearizable', 'serializable'] as const;
export type ReadMode = (typeof READ_MODES)[number];

type Op = KeyedRegisterOp<number>;
type Res = RegisterResult<number>;

const REGISTER_KEYS = 4;
const REGISTER_VALUES = 5;
const STORE_KEYS = 32;

function keysOf(workload: string): readonly string[] {
  const count = workload === 'store' ? STORE_KEYS : REGISTER_KEYS;
  return Array.from({ length: count }, (_, i) => `${workload === 'store' ? 's' : 'r'}${i}`);
}

function etcdWorkload(name: string, reads: ReadMode, clients: ReadonlyMap<string, EtcdClient>): Workload<Op, Res> {
  const keys = keysOf(name);
  const unique = uniqueValues();
  const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  return {
    name: `${name} (${reads} reads)`,
    next({ worker, random }: WorkerContext): Op {
      const key = pick(random, keys);
      const roll = random();
      if (name === 'store') {
        if (roll < 0.5) return { kind: 'read', key };
        return { kind: 'write', key, value: unique(worker) };
      }
      const value = (): number => Math.floor(random() * REGISTER_VALUES);
      if (roll < 0.5) return { kind: 'read', key };
      if (roll < 0.75) return { kind: 'write', key, value: value() };
      return { kind: 'cas', key, from: value(), to: value() };
    },
    async exec({ node }: WorkerContext, op: Op, signal: AbortSignal): Promise<Res> {
      const client = clients.get(node)!;
      switch (op.kind) {
        case 'read': {
          const value = await client.get(op.key, reads === 'serializable', signal);
          return value === null ? 0 : Number(value);
        }
        case 'write':
          await client.put(op.key, String(op.value), signal);
          return 'ok';
        case 'cas':
          return client.cas(op.key, String(op.from), String(op.to), signal);
        default:
          return op satisfies never;
      }
    },
    // A read that did not answer changed nothing: drop it. An update is unknown unless it was
    // never sent.
    classify: (op) => (error) => (op.kind === 'read' || etcdNotSent(error) || error instanceof DefiniteFailure ? 'fail' : 'info'),
  };
}

export async function etcdCampaign(group: ProcessGroup, options: CampaignOptions): Promise<CampaignReport> {
  const startedAt = performance.now();
  const cluster = await EtcdCluster.start(group, { nodes: options.nodes, basePort: options.basePort });
  options.log?.(`etcd: ${options.nodes} members up in ${((performance.now() - startedAt) / 1000).toFixed(1)} s (pids ${cluster.pids.join(', ')})`);
  const clients = new Map(cluster.nodes.map((n) => [n, new EtcdClient(n, cluster.clientPort(n), options.opTimeoutMs)]));
  const workload = etcdWorkload(options.workload, options.reads ?? 'linearizable', clients);
  const spec = keyedRegisterSpec(0);
  const keys = keysOf(options.workload);
  return runCampaign(options, startedAt, {
    cluster,
    workload,
    setup: async () => {
      for (const key of keys) await clients.get(cluster.nodes[0])!.put(key, '0');
    },
    final: async (recorder: HistoryRecorder<Op, Res>) => {
      // Linearizable reads of every key from every member, after recovery.
      for (const node of cluster.nodes) {
        for (const key of keys) {
          // Lane `workers` in the timeline; process numbers apart from every worker's.
          await recorder.run(options.workers, FINAL_PROCESS + cluster.nodes.indexOf(node), { kind: 'read', key }, async (signal) => Number((await clients.get(node)!.get(key, false, signal)) ?? 0), {
            timeoutMs: 5000,
            node,
            classify: () => 'fail',
          });
        }
      }
    },
    check: (recorder): CheckOutcome[] => {
      const history = recorder.history();
      const started = performance.now();
      const verdict = checkLinearizable(spec, history);
      // etcd promises linearizable reads only when they go through the leader (its default).
      const promised = (options.reads ?? 'linearizable') === 'linearizable';
      return [outcomeOf(`linearizable, per key (${keys.length} keys)`, verdict, history.length, performance.now() - started, promised)];
    },
    describe: (op, result) => withResult(spec.describe!(op), result),
  });
}
