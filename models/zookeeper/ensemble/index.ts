// The ZooKeeper ensemble (registered as `zookeeper`): servers n1..nk run Zab (models/zab) and
// apply committed transactions to their data trees (models/zookeeper's reducer); clients c1
// (the writer) and c2 (the reader) are ZooKeeper client libraries that connect to one server
// at a time and fail over. server.ts is a server, client.ts a client, invariants.ts the five
// guarantees.
//
// Modelling choices and what the bounds leave unchecked:
// - Zab as in models/zab (its comment lists its own choices: election is an oracle, timeouts
//   are asynchronous and budgeted, no loss inside a TCP connection).
// - One znode, /x (setData with version -1, getData, sync); sessions are created in the setup
//   (they are not transactions of the run). The leader's session tracker may expire a session
//   (expiriesMax): an expireSession transaction, ordered with the session's writes; the
//   server the client is connected to closes the connection when it applies it. Ephemerals,
//   watches and the recipes are checked over one linearizable tree in models/zookeeper-session
//   and models/zookeeper/recipes, which this model's guarantees justify.
// - The run starts from a settled ensemble (the last server leads epoch 1, every server in
//   broadcast): the first election and synchronisation are models/zab's; leader changes during
//   the run go through all of Zab here.
// - The writer c1 sends `writes` setData requests (up to `pipeline` at once); the reader c2
//   runs `reads` times (sync when `syncs` is 1, then getData). c1 starts at server writerAt,
//   c2 at readerAt; after a broken connection a client goes to the next server of its list.
// - Server timeouts (a learner gives up on its leader, a leader on its quorum) are budgeted by
//   timeoutsMax over the run; each client may give up on its server clientTimeoutsMax times.
// - Clients' links are FIFO connections like the servers'; a crash closes them.

import type { ModelDefinition, Params, VariantSpec } from '../../../src/core/model.ts';
import { InputError } from '../../../src/core/model.ts';
import { actorSystem, type ActorModel, type NodeSpec, type SystemAction } from '../../../src/core/actors.ts';
import { describeZabMessage, electionOracle, ZAB_TIMERS, type Bugs as ZabBugs, type Durable, type SyncStep } from '../../zab/index.ts';
import { zkClient, SESSION_TIMER } from './client.ts';
import { ensembleInvariants, ensembleWitnesses, serverViews, type EnsembleState } from './invariants.ts';
import { appTxn, isExpiry, serving, setupTree, Trees, zkServer, type EnsembleBugs, type ZkNode } from './server.ts';
import { zxidOfNumber, type EnsembleMsg, type ZkOp, type ZkResult } from './types.ts';

export type { EnsembleState } from './invariants.ts';

export type EnsembleVariant = 'default' | 'forward-out-of-order' | 'read-uncommitted' | 'accept-client-ahead' | 'ack-before-quorum' | 'observer-ack-counted' | 'quorum-sync';

const NO_ZAB_BUGS: ZabBugs = {
  commitBeforeQuorum: false,
  observersCounted: false,
  skipSynchronisation: false,
  diffInsteadOfTrunc: false,
  trustElection: false,
  staleAckEpochCounted: false,
};

function describeMessage(m: EnsembleMsg): string {
  switch (m.type) {
    case 'CONNECT':
      return `connect lastZxid=${zxidOfNumber(m.lastZxid)}`;
    case 'CONNECTED':
      return 'connected';
    case 'CLOSE':
      return `close (${m.why})`;
    case 'REQUEST':
      return `${m.cxid}: ${describeOp(m.op)}`;
    case 'REPLY':
      return `${m.cxid}: ${describeResult(m.result)}`;
    case 'FORWARD':
      return `forward ${m.client}:${m.cxid} ${describeOp(m.op)}`;
    case 'SYNC':
      return `sync ${m.client}:${m.cxid} done`;
    default:
      return describeZabMessage(m);
  }
}

function describeOp(op: ZkOp): string {
  return op.kind === 'set' ? `setData /x ${op.value}` : op.kind === 'get' ? 'getData /x' : 'sync /x';
}

function describeResult(r: ZkResult): string {
  const what = r.value !== undefined ? `x=${r.value} v${r.version}` : r.version !== undefined ? `ok v${r.version}` : 'ok';
  return `${what} zxid=${zxidOfNumber(r.zxid)}`;
}

function scripts(params: Params): { writer: ZkOp[]; reader: ZkOp[] } {
  const writer: ZkOp[] = Array.from({ length: params.writes }, (_, k) => ({ kind: 'set', value: `v${k + 1}` }));
  const reader: ZkOp[] = [];
  for (let k = 0; k < params.reads; k++) {
    if (params.syncs === 1) reader.push({ kind: 'sync' });
    reader.push({ kind: 'get' });
  }
  return { writer, reader };
}

export function zookeeperEnsemble(params: Params, variant: EnsembleVariant = 'default'): ActorModel<ZkNode, EnsembleMsg, Durable, ZkOp, ZkResult> {
  const voters = Array.from({ length: params.servers }, (_, k) => `n${k + 1}`);
  const observers = Array.from({ length: params.observers }, (_, k) => `o${k + 1}`);
  const servers = [...voters, ...observers];
  for (const at of ['writerAt', 'readerAt'] as const) {
    if (params[at] > servers.length) throw new InputError(`param ${at}=${params[at]} names no server: there are ${servers.length} (${servers.join(', ')})`);
  }
  const { writer, reader } = scripts(params);
  const clients = ['c1', 'c2'];
  const setup = setupTree(clients);
  const trees = new Trees(setup);
  const bugs: EnsembleBugs = {
    forwardOutOfOrder: variant === 'forward-out-of-order',
    readUncommitted: variant === 'read-uncommitted',
    acceptClientAhead: variant === 'accept-client-ahead',
    ackBeforeQuorum: variant === 'ack-before-quorum',
    quorumSync: variant === 'quorum-sync',
  };
  const steps: readonly SyncStep[] = ['log', 'epoch', 'ack'];
  const zabBugs: ZabBugs = { ...NO_ZAB_BUGS, observersCounted: variant === 'observer-ack-counted' };
  const server = zkServer({ voters, observers, clients, epochsMax: params.epochsMax, diffMax: params.diffMax, steps, zabBugs, bugs, leaderTimeouts: params.leaderTimeouts === 1 }, trees);
  const client = (index: number, first: number, ops: readonly ZkOp[]): NodeSpec<ZkNode, EnsembleMsg, Durable, never, never> =>
    zkClient({ servers, index, first, ops, pipeline: params.pipeline, setupZxid: setup.lastZxid, timeoutsMax: params.clientTimeoutsMax });
  const checks = { servers, observers, trees, setupZxid: setup.lastZxid, strictTimeliness: params.strictTimeliness === 1 };
  const model = actorSystem<ZkNode, EnsembleMsg, Durable, ZkOp, ZkResult>({
    nodes: [
      ...servers.map((id) => ({ id, spec: server })),
      { id: 'c1', spec: client(0, params.writerAt - 1, writer) },
      { id: 'c2', spec: client(1, params.readerAt - 1, reader) },
    ],
    network: 'fifo',
    timeouts: 'asynchronous',
    faults: { crashesMax: params.crashesMax, partitionsMax: params.partitionsMax, crashable: servers },
    timerBudget: { timers: ZAB_TIMERS, timeoutsMax: params.timeoutsMax },
    oracle: electionOracle(voters, false, (s: EnsembleState) => serverViews(s, servers)),
    invariants: ensembleInvariants(checks),
    sometimes: ensembleWitnesses(checks, {
      writes: writer.length > 0,
      reads: params.reads > 0,
      syncs: params.reads > 0 && params.syncs === 1,
      expiry: params.expiriesMax > 0,
      // A new epoch needs a quorum looking: two learners giving up, or a crashed leader back.
      epochChange: params.epochsMax >= 2 && params.timeoutsMax + Math.min(params.crashesMax, 1) >= 2,
      connectionLoss: params.timeoutsMax + params.crashesMax + params.clientTimeoutsMax > 0 && (writer.length > 0 || params.reads > 0),
    }),
    goal: (s) => finished(s, servers.length, [writer.length, reader.length]),
    isFinal: () => true,
    fairness: { timers: [...ZAB_TIMERS, SESSION_TIMER], recovery: true },
    describeMessage,
    describeOp: (op) => describeOp(op),
    describeResult,
  });
  // expiriesMax: sessions the leaders expire in a run (an environment bound on the session
  // tracker's timing, counted from the ghost of what leaders proposed, as zab's txnsMax).
  const expiries = (s: EnsembleState) => serverViews(s, servers).reduce((n, v) => n + v.d.proposed.filter((t) => isExpiry(appTxn(t))).length, 0);
  const allowed = (s: EnsembleState, a: SystemAction<EnsembleMsg>) => a.kind !== 'internal' || !a.choice.startsWith('expire ') || expiries(s) < params.expiriesMax;
  const bounded = { ...model, actions: (s: EnsembleState) => model.actions(s).filter((a) => allowed(s, a)) };
  return { ...bounded, init: [settle(bounded, voters, servers)] };
}

/** The run starts from a settled ensemble: the last server (the best by id) elected by every
 * server, discovery and
 * synchronisation done, every server in broadcast, clients not yet connected (the steps that
 * lead there are taken in a fixed order; models/zab checks every order of them). */
function settle(model: ActorModel<ZkNode, EnsembleMsg, Durable, ZkOp, ZkResult>, voters: readonly string[], servers: readonly string[]): EnsembleState {
  let s = model.init[0];
  const elect = model.actions(s).find((a) => a.kind === 'oracle' && a.name.endsWith(` by ${voters.join(',')}`));
  if (elect === undefined) throw new Error('the settled start needs an election by every server');
  s = model.step(s, elect);
  for (let k = 0; k < 1000; k++) {
    const views = serverViews(s, servers);
    if (views.every((v) => v.s !== undefined && serving(v.s)) && s.network.length === 0) return s;
    // Observers join the leader (the oracle's `o1 joins n3`); then messages and local steps.
    const next = model.actions(s).find(
      (a) => (a.kind === 'oracle' && a.name.includes(' joins ')) || ((a.kind === 'deliver' || a.kind === 'internal') && servers.includes(a.kind === 'deliver' ? a.envelope.to : a.node)),
    );
    if (next === undefined) break;
    s = model.step(s, next);
  }
  throw new Error('the ensemble did not settle');
}

/** The liveness goal: every client sent every operation of its script and has none
 * outstanding (each was answered or ended unknown with its connection). */
function finished(s: EnsembleState, servers: number, lengths: readonly number[]): boolean {
  return lengths.every((n, k) => {
    const c = s.nodes[servers + k].state;
    return c?.kind === 'client' && c.next === n && c.outstanding.length === 0;
  });
}

export const ZOOKEEPER_DEFAULTS: Params = {
  servers: 3,
  observers: 0,
  epochsMax: 2,
  diffMax: 1,
  crashesMax: 0,
  timeoutsMax: 2,
  partitionsMax: 0,
  writes: 1,
  reads: 1,
  syncs: 0,
  pipeline: 1,
  strictTimeliness: 0,
  clientTimeoutsMax: 0,
  expiriesMax: 0,
  leaderTimeouts: 1,
  writerAt: 1,
  readerAt: 2,
};

/** The reader at the leader (n3) syncs and reads while both followers give up on it and elect
 * a new leader that commits the writer's update. */
const SYNC_ACROSS_LEADER_CHANGE: Params = { syncs: 1, readerAt: 3, strictTimeliness: 1, leaderTimeouts: 0 };

export const zookeeperVariants: readonly VariantSpec[] = [
  { name: 'default', description: 'ZooKeeper 3.8: Zab replicating the data tree, clients with sessions that fail over, sync through the leader', expect: { status: 'holds' } },
  {
    name: 'forward-out-of-order',
    description: 'bug: a follower forwards the queued writes of one client to the leader in any order',
    expect: { status: 'violation', property: 'SequentialConsistency' },
    params: { writes: 2, pipeline: 2, reads: 0, timeoutsMax: 0 },
  },
  {
    name: 'read-uncommitted',
    description: 'bug: a server answers reads from its whole log, proposals not yet committed included; the followers give up on the leader and elect a new one without the proposal a client read',
    expect: { status: 'violation', property: 'Atomicity', also: ['SequentiallyConsistentReads'] },
    params: { syncs: 0, readerAt: 3, writerAt: 3 },
  },
  {
    name: 'accept-client-ahead',
    description: 'bug: a server accepts a client whose last-seen zxid is ahead of its own; the client reads an older state after failing over',
    expect: { status: 'violation', property: 'SingleSystemImage', also: ['SequentiallyConsistentReads'] },
    params: { reads: 3, syncs: 0, readerAt: 3, timeoutsMax: 0, clientTimeoutsMax: 1 },
  },
  {
    name: 'ack-before-quorum',
    description: 'bug: the leader acknowledges a write of a client connected to it once it logged the proposal, before a quorum did; the followers elect a new leader without it and the acknowledged write is lost',
    expect: { status: 'violation', property: 'Reliability', also: ['LinearizableWrites'] },
    params: { reads: 0, writerAt: 3 },
  },
  {
    name: 'observer-ack-counted',
    description: 'bug: the leader counts an observer\'s ACK towards the quorum; it commits and applies a write only the observer logged, and the followers elect a leader without it',
    expect: { status: 'violation', property: 'Atomicity', also: ['Reliability', 'LinearizableWrites'] },
    params: { observers: 1, reads: 0, writerAt: 4 },
  },
  {
    name: 'quorum-sync',
    description: 'the fix for stale reads after sync: sync is a quorum round (a no-op transaction the leader commits), so a deposed leader cannot answer it; StrictTimeliness holds',
    expect: { status: 'holds' },
    params: SYNC_ACROSS_LEADER_CHANGE,
  },
];

export const zookeeperDefinition: ModelDefinition = {
  name: 'zookeeper',
  summary: 'the ZooKeeper ensemble: Zab replicating the data tree, failing-over clients, the five guarantees',
  source: 'ZooKeeper Programmer\'s Guide (consistency guarantees); Hunt et al., "ZooKeeper: Wait-free coordination for Internet-scale systems" (USENIX ATC 2010); ZooKeeper 3.8 PrepRequestProcessor, FinalRequestProcessor, Learner, Leader.processSync',
  params: [
    { name: 'servers', description: 'voting servers n1..nk', default: ZOOKEEPER_DEFAULTS.servers, min: 1, max: 5 },
    { name: 'observers', description: 'observers o1..om: serve clients and learn commits, never vote or count', default: ZOOKEEPER_DEFAULTS.observers, min: 0, max: 2 },
    { name: 'epochsMax', description: 'no leader proposes an epoch above this', default: ZOOKEEPER_DEFAULTS.epochsMax, min: 1, max: 4 },
    { name: 'diffMax', description: 'a DIFF carries at most this many transactions; further behind gets a SNAP', default: ZOOKEEPER_DEFAULTS.diffMax, min: 0, max: 4 },
    { name: 'crashesMax', description: 'server crashes (a server restarts from its log)', default: ZOOKEEPER_DEFAULTS.crashesMax, min: 0 },
    { name: 'timeoutsMax', description: 'server timeouts in a run: a learner giving up on its leader, a leader on its quorum', default: ZOOKEEPER_DEFAULTS.timeoutsMax, min: 0 },
    { name: 'partitionsMax', description: 'network partitions into two sides (clients are nodes too)', default: ZOOKEEPER_DEFAULTS.partitionsMax, min: 0 },
    { name: 'leaderTimeouts', description: '1: a leader may give up on its quorum (its timeouts count in timeoutsMax); 0: only learners time out', default: ZOOKEEPER_DEFAULTS.leaderTimeouts, min: 0, max: 1 },
    { name: 'expiriesMax', description: 'client sessions the leader expires in a run (replicated as a transaction)', default: ZOOKEEPER_DEFAULTS.expiriesMax, min: 0, max: 2 },
    { name: 'clientTimeoutsMax', description: 'times each client may give up waiting on its server and fail over', default: ZOOKEEPER_DEFAULTS.clientTimeoutsMax, min: 0 },
    { name: 'writes', description: 'setData requests of the writer c1', default: ZOOKEEPER_DEFAULTS.writes, min: 0, max: 4 },
    { name: 'reads', description: 'getData requests of the reader c2', default: ZOOKEEPER_DEFAULTS.reads, min: 0, max: 4 },
    { name: 'syncs', description: '1: the reader syncs before each read', default: ZOOKEEPER_DEFAULTS.syncs, min: 0, max: 1 },
    { name: 'pipeline', description: 'writes the writer may have outstanding at once', default: ZOOKEEPER_DEFAULTS.pipeline, min: 1, max: 4 },
    { name: 'writerAt', description: 'the server the writer connects to first, in the list n1..nk, o1..om (the last voter leads at the start)', default: ZOOKEEPER_DEFAULTS.writerAt, min: 1, max: 7 },
    { name: 'readerAt', description: 'the server the reader connects to first, in the same list', default: ZOOKEEPER_DEFAULTS.readerAt, min: 1, max: 7 },
    { name: 'strictTimeliness', description: '1: also check StrictTimeliness (sync then read is fresh even across a leader change)', default: ZOOKEEPER_DEFAULTS.strictTimeliness, min: 0, max: 1 },
  ],
  variants: zookeeperVariants,
  scenarios: [
    {
      kind: 'safety',
      name: 'leader-crash',
      description: 'the writer alone; the leader may crash and both followers give up on it: a new leader of epoch 2 is established, and every guarantee holds',
      params: { reads: 0, crashesMax: 1 },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'observer',
      description: 'an observer beside three voters; the writer writes through it and the reader reads from it: it forwards writes, learns commits by INFORM, serves reads, never counts towards a quorum, and every guarantee holds',
      params: { observers: 1, writerAt: 4, readerAt: 4, timeoutsMax: 1 },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'session-expiry',
      description: 'the leader may expire a session, as a transaction: the server the client is connected to closes its connection once it applies it, no server accepts the client again, and no write of the session is applied after its expiry (SessionOrder)',
      params: { expiriesMax: 1, timeoutsMax: 0 },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'sync-then-read',
      description: 'the reader syncs before it reads, one server timeout (no leader change possible): the read reflects every write acknowledged before the sync (Timeliness and StrictTimeliness hold)',
      params: { syncs: 1, timeoutsMax: 1, strictTimeliness: 1 },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'client-failover',
      description: 'the reader reads three times, starting at the leader, and may give up on its server once: it fails over to a server that has not applied what it saw, is refused, and moves on; it never sees an older state (SingleSystemImage holds)',
      params: { reads: 3, readerAt: 3, timeoutsMax: 0, clientTimeoutsMax: 1 },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'sync-across-leader-change',
      description: 'ZooKeeper\'s sync is not a quorum operation: a leader deposed by two timeouts answers a sync at once and the read after it misses a write the new leader acknowledged (StrictTimeliness fails; Timeliness, which excludes a leader change, holds)',
      params: SYNC_ACROSS_LEADER_CHANGE,
      expect: { status: 'violation', property: 'StrictTimeliness' },
    },
  ],
  create: (params, variant) => {
    const names = zookeeperVariants.map((v) => v.name);
    if (!names.includes(variant)) throw new InputError(`zookeeper has no variant '${variant}' (variants: ${names.join(', ')})`);
    return zookeeperEnsemble(params, variant as EnsembleVariant);
  },
};
