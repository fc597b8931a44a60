// Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm", 2014;
// Ongaro's thesis, 2014) as an actor system: leader election, log replication and a replicated
// register with exactly-once client requests. server.ts is one server's handler; invariants.ts
// the properties of the paper's Figure 3 and more.
//
// The network is unordered (any in-flight message may be delivered next: reordering and
// arbitrary delay), with the actor layer's fault budgets. The election timer is an asynchronous
// timer: which server's fires first is the explorer's choice, i.e. the randomised timeout.
// Clients send (client, seq) to n1 first; a follower redirects to the leader it knows; a client
// that hears nothing may time out and retry at the next server (retriesMax); reads go through
// the log like writes (reads=1: ReadIndex instead).
//
// Modelling choices and what the bounds leave unchecked (default: 1,087,231 states, 5,766,487
// generated, depth 26; 32.9 s alone, 64 s in check --all beside two other processes; a
// client follows redirects without spending retries):
// - termsMax 2 and electionsMax 2: at most two election timeouts in a run (a budget on timers,
//   like crashesMax; it restricts when timers fire, never what a handler does), so at most one
//   re-election or one split vote. Bugs needing more terms need rows with more: Figure 8
//   (commit-by-counting) needs 4 terms and more input bounds (FIGURE_8 below).
//   `candidates` restricts which servers' timers fire (default: all); inTurn=1 fixes their
//   order; synchronous=1 lets a timer fire only when no message can be delivered.
// - One client with one write, no retry after a timeout (retriesMax 0; a redirect is followed).
//   Retries, a second client and reads are the rows of the variants that need them.
// - noop 0 by default: a new leader appends no no-op (Raft §5.4.2 as in the paper's Figure 2).
//   With noop=1 (thesis §6.4) the same bounds give 2,187,880 states (~74 s).
// - No heartbeat timer: a leader sends AppendEntries when it is elected, when it appends a
//   request, to retry a rejected one, and (notices=1) when it commits. A lost AppendEntries is
//   not retransmitted by that leader, so liveness with drops is not claimed.
// - AppendEntries carries the whole suffix from nextIndex; nextIndex starts just past the
//   leader's log and backs up to the rejected prevIndex.
// - No crash, drop, duplicate or partition in the default (each is a param).
// - Liveness (scenarios): the goal is "a leader is elected and every client has finished".
//   Terms and campaigns only grow, so no run of a bounded model repeats a state: a split vote
//   that could repeat forever shows up as a stuck state at termsMax, never as a lasso.
// - Membership changes (changes > 0; thesis §4.1): a leader may be asked to add (adds=1) or
//   remove one server other than itself (an internal action, budgeted like requestsMax); the configuration
//   entry takes effect on each server as soon as it is in its log, majorities of votes and of
//   matchIndex are counted over it, and a server outside its configuration never campaigns.
//   One change at a time (none while a configuration entry is uncommitted), and, the fix of
//   raft-dev 2015, a new leader appends a no-op and takes a change only once an entry of its
//   term is committed; variant membership-before-noop has neither the no-op nor the wait. A
//   leader never removes itself, added servers join as voters at once (no catch-up round,
//   §4.2.1), and removed servers are not disruptive (§4.2.3 not modelled). A change is asked
//   for from outside, so with synchronous=1 it does not hold timers back (applied here, after
//   the changes budget). The bug needs four servers, two leaders with different changes and
//   two elections in one term, beyond plain BFS (3.2x per level, 485k states at depth 12 of
//   about 40); MEMBERSHIP below cuts the inputs.
// - Reads (reads=1, ReadIndex, thesis §6.4): the leader records readIndex = max(commitIndex,
//   its first entry of this term), sends ReadCheck (a heartbeat for that read) to the members
//   and answers with the state machine at readIndex once a majority (itself included) has
//   acknowledged in its term and commitIndex has reached readIndex; a deposed leader learns the
//   higher term from the acknowledgements and drops its pending reads. No lease-based reads
//   (§6.4.1). The ReadIndex row is cut down (READS below).
// - Answers (replyStep=1, for the seed's case 6): a leader may answer a committed request in a
//   later step of its own, so a crash loses the answer; by default it answers in the step that
//   commits it (the actor layer has no lost replies).

import type { ModelDefinition, Params, VariantSpec } from '../../src/core/model.ts';
import { InputError } from '../../src/core/model.ts';
import { actorSystem, type ActorModel, type ClientScript, type SystemAction } from '../../src/core/actors.ts';
import { linearizableHistory, registerSpec } from '../../src/history/index.ts';
import { raftServer, type Bugs, type Durable, type Msg, type Op, type Res, type Server } from './server.ts';
import { appendOnlyLog, committedLog } from './log-spec.ts';
import { commitMonotone, describeEntry, leaderAppendOnly, raftInvariants, termMonotone, raftWitnesses, views, type RaftState } from './invariants.ts';

export type { RaftState } from './invariants.ts';
export { applyLog, mergeEntries } from './server.ts';
export type { Server, Durable, Entry, Msg } from './server.ts';

export type RaftVariant =
  | 'default'
  | 'vote-without-up-to-date-check'
  | 'votedfor-not-persisted'
  | 'appendentries-without-prevlog-check'
  | 'no-step-down-on-higher-term'
  | 'no-client-dedup'
  | 'stale-local-read'
  | 'commit-by-counting'
  | 'membership-before-noop'
  | 'append-at-commit-index'
  | 'commit-index-goes-back';

const VARIANTS: readonly RaftVariant[] = [
  'default',
  'vote-without-up-to-date-check',
  'votedfor-not-persisted',
  'appendentries-without-prevlog-check',
  'no-step-down-on-higher-term',
  'no-client-dedup',
  'stale-local-read',
  'commit-by-counting',
  'membership-before-noop',
  'append-at-commit-index',
  'commit-index-goes-back',
];

function describeMessage(m: Msg): string {
  switch (m.type) {
    case 'RequestVote':
      return `RequestVote t=${m.term} last=(${m.lastIndex},${m.lastTerm})`;
    case 'Vote':
      return `Vote t=${m.term} ${m.granted ? 'granted' : 'denied'}`;
    case 'AppendEntries':
      return `AppendEntries t=${m.term} prev=(${m.prevIndex},${m.prevTerm}) [${m.entries.map(describeEntry).join(',')}] commit=${m.commit}`;
    case 'AppendReply':
      return `AppendReply t=${m.term} ${m.success ? `ok match=${m.index}` : `reject prev=${m.index}`}`;
    case 'ReadCheck':
      return `ReadCheck t=${m.term} client${m.client}#${m.seq}`;
    case 'ReadAck':
      return `ReadAck t=${m.term} client${m.client}#${m.seq}`;
  }
}

const describeOp = (op: Op) => (op.kind === 'write' ? `write(${op.value})` : op.kind === 'read' ? 'read()' : `cas(${op.from},${op.to})`);

/** Client scripts: operation m (0-based, m < requestsMax) is client (m mod clients)'s; even
 * ones write m+1, odd ones read. Client k starts at server n(k+1) (wrapping around). */
export function clientScripts(servers: number, clients: number, requestsMax: number, retriesMax: number): ClientScript<Op>[] {
  return Array.from({ length: clients }, (_, k) => ({
    client: k,
    node: `n${(k % servers) + 1}`,
    ops: Array.from({ length: requestsMax }, (_, m) => m)
      .filter((m) => m % clients === k)
      .map((m): Op => (m % 2 === 0 ? { kind: 'write', value: m + 1 } : { kind: 'read' })),
    // retriesMax 0: the client waits for its answer (or a redirect) rather than timing out.
    ...(retriesMax > 0 ? { timeout: { retriesMax } } : {}),
  })).filter((c) => c.ops.length > 0);
}

export function raft(params: Params, variant: RaftVariant = 'default'): ActorModel<Server, Msg, Durable, Op, Res> {
  const bugs: Bugs = {
    commitByCounting: variant === 'commit-by-counting',
    voteWithoutLogCheck: variant === 'vote-without-up-to-date-check',
    votedForNotPersisted: variant === 'votedfor-not-persisted',
    noPrevLogCheck: variant === 'appendentries-without-prevlog-check',
    noStepDown: variant === 'no-step-down-on-higher-term',
    noClientDedup: variant === 'no-client-dedup',
    localReads: variant === 'stale-local-read',
    changeBeforeNoop: variant === 'membership-before-noop',
    appendAtCommit: variant === 'append-at-commit-index',
    commitFromAnyAppend: variant === 'commit-index-goes-back',
  };
  const ids = Array.from({ length: params.servers }, (_, k) => `n${k + 1}`);
  const server = { termsMax: params.termsMax, noop: params.noop === 1, notices: params.notices === 1, replyStep: params.replyStep === 1, readIndex: params.reads === 1, bugs };
  // With membership changes each server knows its own id (to know whether it is a member).
  const shared = raftServer(server);
  const specOf = (id: string) => (params.changes > 0 ? raftServer({ ...server, membership: { id, initial: ids, adds: params.adds === 1 } }) : shared);
  const clients = clientScripts(params.servers, params.clients, params.requestsMax, params.retriesMax);
  const opsDone = (s: RaftState) => s.clients.every((c, k) => c.status === 'idle' && c.next === clients[k].ops.length);
  // The liveness goal: a leader has been elected and every client has finished (answered, or
  // given up after its retries). With no requests it is "a leader is elected".
  const elected = (s: RaftState) => views(s).some((v) => v.d.led.length > 0);
  const inner = actorSystem<Server, Msg, Durable, Op, Res>({
    nodes: ids.map((id) => ({ id, spec: specOf(id) })),
    network: 'unordered',
    // With membership changes, synchronous timers are applied below, after the changes budget.
    timeouts: params.synchronous === 1 && params.changes === 0 ? 'synchronous' : 'asynchronous',
    faults: { dropsMax: params.dropsMax, duplicatesMax: params.duplicatesMax, crashesMax: params.crashesMax, partitionsMax: params.partitionsMax },
    clients,
    invariants: [...raftInvariants(!bugs.noClientDedup), linearizableHistory(registerSpec(0), 'Linearizable')],
    stepInvariants: [leaderAppendOnly, termMonotone, commitMonotone],
    sometimes: raftWitnesses({
      requests: params.requestsMax > 0,
      retries: params.retriesMax > 0 && params.requestsMax > 0,
      conflicts: params.termsMax >= 2 && params.requestsMax + params.noop * params.termsMax + params.changes >= 2,
      splitVotes: params.synchronous !== 1 && params.candidates >= 2,
      changes: params.changes > 0,
      adds: params.changes > 1 && params.adds === 1,
      reads: params.reads === 1 && params.requestsMax > 1,
      // Only an answer sent in a later step can be lost after the commit (replyStep).
      dedup: params.retriesMax > 0 && params.requestsMax > 0 && params.replyStep === 1,
    }),
    goal: (s) => elected(s) && opsDone(s),
    // Any state may end a run: with terms and elections bounded, a client may wait forever on a
    // server that will never learn a leader. That is liveness (the goal), not a deadlock.
    isFinal: () => true,
    fairness: { timers: ['election'], requests: true },
    describeMessage,
    describeOp,
    describeResult: (r) => String(r),
  });
  return { ...inner, actions: boundedActions(inner, params, ids) };
}

/** The model's input bounds on top of the actor system's actions: election timeouts (how many,
 * whose, in which order), membership changes (how many), and when inputs may happen. */
function boundedActions(inner: ActorModel<Server, Msg, Durable, Op, Res>, params: Params, ids: readonly string[]) {
  // electionsMax: a budget on election timeouts over the run, like a fault budget (an
  // environment bound: it restricts when timers fire, never what a handler does).
  const campaigns = (s: RaftState) => views(s).reduce((sum, v) => sum + v.d.campaigns, 0);
  // candidates: only n1..nk have an election timer that fires (also an environment bound).
  const electionsMax = params.electionsMax;
  const candidates = ids.slice(0, params.candidates);
  // inTurn: the k-th election timeout is candidate k's (mod candidates), e.g. n1, n2, n1, n2.
  const inTurn = (s: RaftState, node: string) => params.inTurn !== 1 || candidates[campaigns(s) % candidates.length] === node;
  // changes: membership changes proposed over the run (an input budget like requestsMax).
  const proposed = (s: RaftState) => views(s).reduce((sum, v) => sum + (v.d.proposed ?? 0), 0);
  const change = (a: SystemAction<Msg>) => a.kind === 'internal' && !a.choice.startsWith('answer ');
  const allowed = (s: RaftState, a: SystemAction<Msg>) =>
    change(a) ? proposed(s) < params.changes :
    a.kind !== 'timeout' || (candidates.includes(a.node) && campaigns(s) < electionsMax && inTurn(s, a.node));
  // A membership change is asked for from outside, like a client request, so it does not hold
  // timers back; the actor layer's synchronous timers wait for every local choice (the way a
  // change is proposed), so with changes synchronous timers are applied here: a timer fires only
  // when no message can be delivered.
  const synchronous = params.synchronous === 1 && params.changes > 0;
  // quietInputs: the network splits and heals, and changes are asked for, only when no message
  // can be delivered.
  const input = (a: SystemAction<Msg>) => a.kind === 'partition' || a.kind === 'heal' || change(a);
  return (s: RaftState) => {
    const enabled = inner.actions(s).filter((a) => allowed(s, a));
    if (!enabled.some((a) => a.kind === 'deliver')) return enabled;
    return enabled.filter((a) => !(synchronous && a.kind === 'timeout') && !(params.quietInputs === 1 && input(a)));
  };
}

/** Figure 8 (Raft §5.4.2) with 3 servers: n1 leads term 1 and appends e1 alone; n2 leads term 2
 * (votes n2, n3) and appends e2 alone; n1 leads term 3 with n3's vote, copies e1 to n3 and
 * counts it committed; n2 leads term 4 with a vote from n3 or n1 (last term 2 > 1) without e1.
 * Plain BFS cannot reach its 20 steps (4.2M states at depth 13, about 3x per level), so the
 * inputs are cut down: only n1 and n2 time out, in turn, and only when no message can be
 * delivered (broadcastTime ≪ electionTimeout, §5.6). Then the quiet network would carry n1's
 * e1 to n2 as well, so one message may be lost (BFS drops n1's term-3 AppendEntries to n2; the
 * paper's Figure 8 crashes S1 there); the BFS counterexample is 41 steps. The 20-step run at asynchronous timers and no faults is
 * traces/raft/commit-by-counting-leadercompleteness.swarm.json (found by simulation). */
const FIGURE_8: Params = { candidates: 2, electionsMax: 4, termsMax: 4, inTurn: 1, synchronous: 1, clients: 2, requestsMax: 2, dropsMax: 1 };

/** Membership changes (thesis §4.1) with 4 servers, up to two changes that remove a server
 * (adds 0), no client, cut down as FIGURE_8 is: n1, n2, n3 time out in turn (three terms, four
 * elections), only when no message can be delivered, and the network splits and heals (twice)
 * and changes are asked for only then too (quietInputs). The bug then takes 39 steps to two
 * leaders of term 3 (n2 leads term 2 cut off from n1 and removes n4; the stale leader n1 of
 * term 1, which committed nothing, removes n2, and wins term 3 with n4 while n3 wins it with
 * n2) and 34 to a committed configuration lost (LeaderCompleteness): 177,176 states. The
 * faithful model: 471,355 states; with adds (which quadruple it: 1,820,351 states, ~85 s) the
 * row membership-add-back has one partition (367,200 states). */
const MEMBERSHIP: Params = { servers: 4, termsMax: 3, electionsMax: 4, inTurn: 1, synchronous: 1, quietInputs: 1, partitionsMax: 2, requestsMax: 0, changes: 2, adds: 0 };

/** ReadIndex against the deposed-leader read: client 0 writes at n1, client 1 reads at n2; n1 and
 * n2 time out in a quiet network, which splits (and heals) once, only when quiet (quietInputs),
 * and a new leader appends a no-op. Without these cuts, clients=2 requestsMax=2 with ReadIndex
 * passes 1.5M states by depth 15. */
const READS: Params = { clients: 2, requestsMax: 2, noop: 1, candidates: 2, synchronous: 1, partitionsMax: 1, quietInputs: 1, reads: 1 };

/** The fault rows: each fault kind alone and in pairs, 3 servers, one client write, n1 and n2
 * time out in a quiet network (synchronous; with asynchronous timers a single crash or loss
 * takes the default's 1.1M states past 2.5M). */
const FAULTS: Params = { synchronous: 1, candidates: 2 };
const FAULT_ROWS: readonly { name: string; words: string; params: Params }[] = [
  { name: 'drop', words: 'one lost message', params: { dropsMax: 1 } },
  { name: 'duplicate', words: 'one duplicated message', params: { duplicatesMax: 1 } },
  { name: 'crash', words: 'one crash and restart', params: { crashesMax: 1 } },
  { name: 'partition', words: 'one partition (that may heal)', params: { partitionsMax: 1 } },
  { name: 'drop-duplicate', words: 'one lost and one duplicated message', params: { dropsMax: 1, duplicatesMax: 1 } },
  { name: 'crash-drop', words: 'one crash and one lost message', params: { crashesMax: 1, dropsMax: 1 } },
  { name: 'crash-partition', words: 'one crash and one partition', params: { crashesMax: 1, partitionsMax: 1 } },
];

export const raftVariants: readonly VariantSpec[] = [
  { name: 'default', description: 'Raft: election, replication, commit of own-term entries, exactly-once clients', expect: { status: 'holds' } },
  {
    name: 'vote-without-up-to-date-check',
    description: 'bug: a server grants its vote without checking that the candidate\'s log is at least as up-to-date (§5.4.1)',
    expect: { status: 'violation', property: 'LeaderCompleteness' },
    params: { clients: 1, requestsMax: 1, retriesMax: 0 },
  },
  {
    name: 'votedfor-not-persisted',
    description: 'bug: votedFor is kept in memory only, so a restarted server votes a second time in the same term',
    expect: { status: 'violation', property: 'ElectionSafety' },
    params: { crashesMax: 1, requestsMax: 0 },
  },
  {
    name: 'appendentries-without-prevlog-check',
    description: 'bug: a follower appends entries without checking that its log matches at prevLogIndex/prevLogTerm',
    expect: { status: 'violation', property: 'LogMatching', also: ['StateMachineSafety', 'CommittedEntriesStay', 'LeaderCompleteness'] },
    // Two leaders' no-ops make logs that diverge at index 1 within two terms.
    params: { noop: 1 },
  },
  {
    name: 'no-step-down-on-higher-term',
    description: 'bug: a leader that sees a higher term adopts it but stays leader: two leaders in one term',
    expect: { status: 'violation', property: 'ElectionSafety' },
    params: { requestsMax: 0 },
  },
  {
    name: 'no-client-dedup',
    description: 'bug: no client table: a request retried while its first copy is in the log is appended and applied twice',
    expect: { status: 'violation', property: 'AppliedOnce' },
    params: { clients: 1, requestsMax: 1, retriesMax: 2, termsMax: 1 },
  },
  {
    name: 'stale-local-read',
    description: 'bug: a leader answers reads from its own state machine; a deposed leader returns a stale value',
    expect: { status: 'violation', property: 'Linearizable' },
    // Client 0 writes at n1, client 1 reads at n2: n2 leads term 1, n1 term 2.
    params: { clients: 2, requestsMax: 2 },
  },
  {
    name: 'commit-by-counting',
    description: 'bug: a leader commits an entry of an earlier term once a majority stores it (Raft §5.4.2, Figure 8); a later leader lacks it',
    expect: { status: 'violation', property: 'LeaderCompleteness' },
    params: FIGURE_8,
  },
  {
    name: 'membership-before-noop',
    description: 'bug: a new leader accepts a membership change before committing an entry of its own term (thesis §4.1 as first published; Ongaro, raft-dev, 2015): two leaders in one term',
    expect: { status: 'violation', property: 'ElectionSafety', also: ['LeaderCompleteness'] },
    params: MEMBERSHIP,
  },
  {
    name: 'append-at-commit-index',
    description: 'bug: a leader puts a client request just past its commitIndex instead of at the end of its log, overwriting its own uncommitted entries (here the no-op of its term)',
    expect: { status: 'violation', property: 'LeaderAppendOnly' },
    params: { noop: 1 },
  },
  {
    name: 'commit-index-goes-back',
    description: 'bug: a follower takes the commit of every AppendEntries, so a delayed one lowers its commitIndex (Figure 2: it increases monotonically)',
    expect: { status: 'violation', property: 'CommitMonotone' },
    // The leader tells the followers its commit at once, so a follower can get two
    // AppendEntries with different commits, the older one late.
    params: { notices: 1 },
  },
];

export const RAFT_DEFAULTS: Params = {
  servers: 3,
  termsMax: 2,
  electionsMax: 2,
  candidates: 3,
  clients: 1,
  requestsMax: 1,
  retriesMax: 0,
  noop: 0,
  notices: 0,
  dropsMax: 0,
  duplicatesMax: 0,
  crashesMax: 0,
  partitionsMax: 0,
  inTurn: 0,
  synchronous: 0,
  changes: 0,
  quietInputs: 0,
  adds: 1,
  replyStep: 0,
  reads: 0,
};

export const raftDefinition: ModelDefinition = {
  name: 'raft',
  summary: 'Raft leader election and log replication with a replicated register and exactly-once clients',
  source: 'Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm" (2014), Figures 2-3, §5; Ongaro thesis (2014) §6.3-6.4',
  params: [
    { name: 'servers', description: 'servers n1..nk; a majority is floor(k/2)+1', default: RAFT_DEFAULTS.servers, min: 1, max: 5 },
    { name: 'termsMax', description: 'no election starts a term above this', default: RAFT_DEFAULTS.termsMax, min: 1, max: 6 },
    { name: 'electionsMax', description: 'election timeouts in a run, over all servers (a budget like crashesMax)', default: RAFT_DEFAULTS.electionsMax, min: 0, max: 8 },
    { name: 'candidates', description: 'servers n1..nk whose election timer may fire (the others only vote)', default: RAFT_DEFAULTS.candidates, min: 0, max: 5 },
    { name: 'clients', description: 'clients, each sending its share of the requests one at a time', default: RAFT_DEFAULTS.clients, min: 1, max: 3 },
    { name: 'requestsMax', description: 'client requests in total (even ones write, odd ones read)', default: RAFT_DEFAULTS.requestsMax, min: 0, max: 4 },
    { name: 'retriesMax', description: 'resends per request after a client timeout (a redirect is followed and is no retry)', default: RAFT_DEFAULTS.retriesMax, min: 0, max: 4 },
    { name: 'noop', description: '1: a new leader appends a no-op of its term (thesis §6.4); 0: it does not', default: RAFT_DEFAULTS.noop, min: 0, max: 1 },
    { name: 'notices', description: '1: a leader that commits tells the followers at once; 0: with its next AppendEntries', default: RAFT_DEFAULTS.notices, min: 0, max: 1 },
    { name: 'inTurn', description: '1: election timeouts fire in turn n1, n2, …, n<candidates>, n1, … (one order of the randomised timeouts); 0: in any order', default: RAFT_DEFAULTS.inTurn, min: 0, max: 1 },
    { name: 'synchronous', description: '1: election timers fire only when no message can be delivered (broadcastTime ≪ electionTimeout, §5.6); 0: at any time', default: RAFT_DEFAULTS.synchronous, min: 0, max: 1 },
    { name: 'changes', description: 'membership changes (add or remove one server, thesis §4.1) leaders may be asked for over the run; with changes a new leader always appends a no-op and takes a change only once an entry of its term is committed; 0: the configuration is every server', default: RAFT_DEFAULTS.changes, min: 0, max: 4 },
    { name: 'adds', description: '1: a membership change may add back a server outside the configuration, or remove one; 0: changes only remove', default: RAFT_DEFAULTS.adds, min: 0, max: 1 },
    { name: 'quietInputs', description: '1: the network splits and heals, and membership changes are asked for, only when no message can be delivered (each outlasts every message delay); 0: at any time', default: RAFT_DEFAULTS.quietInputs, min: 0, max: 1 },
    { name: 'replyStep', description: '1: a leader answers a request it commits in a later step of its own (a crash in between loses the answer); 0: in the step that commits it', default: RAFT_DEFAULTS.replyStep, min: 0, max: 1 },
    { name: 'reads', description: '0: a read goes through the log like a write; 1: ReadIndex (thesis §6.4): the leader answers once a heartbeat round has reached a majority and its commitIndex has reached the read\'s readIndex', default: RAFT_DEFAULTS.reads, min: 0, max: 1 },
    { name: 'dropsMax', description: 'messages the network may lose', default: RAFT_DEFAULTS.dropsMax, min: 0 },
    { name: 'duplicatesMax', description: 'messages the network may duplicate', default: RAFT_DEFAULTS.duplicatesMax, min: 0 },
    { name: 'crashesMax', description: 'server crashes (a crashed server restarts from its durable term, vote and log)', default: RAFT_DEFAULTS.crashesMax, min: 0 },
    { name: 'partitionsMax', description: 'network partitions into two sides (each may heal)', default: RAFT_DEFAULTS.partitionsMax, min: 0 },
  ],
  variants: raftVariants,
  scenarios: [
    {
      kind: 'refinement',
      name: 'committed-log-is-append-only',
      description: 'the committed log (the longest committed prefix any server has known) refines an append-only log: every step appends committed entries or stutters (the default bounds)',
      params: {},
      spec: (p) => appendOnlyLog(p),
      mapping: (s) => committedLog(s as RaftState),
      expect: { status: 'holds' },
    },
    {
      kind: 'refinement',
      name: 'prevlog-bug-rewrites-the-committed-log',
      description: 'with AppendEntries accepted without the prevLog check (and no-ops), a follower\'s committed entry is overwritten: the committed log changes in a way no append explains',
      variant: 'appendentries-without-prevlog-check',
      params: { noop: 1 },
      spec: (p) => appendOnlyLog(p),
      mapping: (s) => committedLog(s as RaftState),
      expect: { status: 'violation', property: 'refinement' },
    },
    {
      kind: 'safety',
      name: 'figure-8-configuration',
      description: 'the faithful model at commit-by-counting\'s params (four terms, n1 and n2 time out in turn in a quiet network, two clients, one lost message): every invariant holds',
      params: FIGURE_8,
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'membership-changes',
      description: 'the faithful model at membership-before-noop\'s params (four servers, two changes that remove a server, two partitions, three candidates timing out in turn in a quiet network): a new leader commits its no-op before any change, and every invariant holds',
      params: MEMBERSHIP,
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'membership-add-back',
      description: 'as membership-changes, but a change may also add a removed server back (adds=1), with one partition: every invariant holds, and a removed server is added back',
      params: { ...MEMBERSHIP, adds: 1, partitionsMax: 1 },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'read-index',
      description: 'ReadIndex (reads=1, thesis §6.4): a leader answers a read only once a heartbeat round has reached a majority and its commitIndex has reached the read\'s readIndex; at READS (where stale-local-read breaks Linearizable in 13 steps) the history stays linearizable',
      params: READS,
      expect: { status: 'holds' },
    },
    ...FAULT_ROWS.map((f) => ({
      kind: 'safety' as const,
      name: `faults-${f.name}`,
      description: `${f.words}, one client write, n1 and n2 time out when no message can be delivered: every invariant holds`,
      params: { ...FAULTS, ...f.params },
      expect: { status: 'holds' as const },
    })),
    {
      kind: 'safety',
      name: 'retry-answered-from-the-client-table',
      description: 'a leader answers a committed request in a later step (replyStep=1), so a client may time out first and retry (retriesMax=1); the retry, redirected to the leader, is answered from its client table (witness), nothing is applied twice and the history stays linearizable; n1 and n2 time out in turn in a quiet network',
      params: { replyStep: 1, retriesMax: 1, candidates: 2, synchronous: 1, inTurn: 1 },
      expect: { status: 'holds' },
    },
    {
      kind: 'liveness',
      name: 'three-way-split-vote',
      description: 'every server times out in term 1 and votes for itself, so no leader; with terms bounded (termsMax 1) the split vote that could repeat forever ends in a stuck state at the bound, not a lasso',
      params: { requestsMax: 0, termsMax: 1, electionsMax: 3 },
      expect: { status: 'violation', property: 'stuck' },
    },
    {
      kind: 'liveness',
      name: 'one-timer-elects-a-leader',
      description: 'only n1\'s election timer fires (fair), delivery is fair and faults stop (one lost message): a leader is elected',
      params: { requestsMax: 0, candidates: 1, dropsMax: 1 },
      expect: { status: 'holds' },
    },
    {
      kind: 'liveness',
      name: 'one-timer-finishes-the-client',
      description: 'as one-timer-elects-a-leader with a client write that may be resent once: a leader is elected and the client finishes (answered, or given up after its retry)',
      params: { candidates: 1, requestsMax: 1, retriesMax: 1 },
      expect: { status: 'holds' },
    },
  ],
  create: (params, variant) => {
    if (!VARIANTS.includes(variant as RaftVariant)) throw new InputError(`raft has no variant '${variant}' (variants: ${VARIANTS.join(', ')})`);
    return raft(params, variant as RaftVariant);
  },
};
