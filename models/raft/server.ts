// One Raft server as an actor-system handler (Ongaro & Ousterhout, "In Search of an
// Understandable Consensus Algorithm", 2014, Figure 2; Ongaro's thesis, 2014, §3 and §6.3).
//
// Durable (persisted before any message or reply of the same step leaves: actors.ts applies a
// step's persist before its sends): currentTerm, votedFor, log. Volatile, lost on a crash and
// rebuilt as a follower by `restart`: role, the leader this server knows, the votes of a
// candidate, nextIndex/matchIndex of a leader, commitIndex. The state machine is the committed
// prefix applied in log order (applyLog), so lastApplied is commitIndex and needs no field.
//
// Two ghost fields ride along in the durable record so that they survive crashes; the protocol
// never reads them, the invariants do (system.ts): `led`, the terms in which this server has
// been leader, and `committed`, the longest prefix of its log it has known committed, each entry
// with the term in which it learned that.
//
// Indexes are 1-based as in the paper (log[i - 1] is entry i); index 0 is the empty prefix.

import { type Effect, type HandlerResult, type NodeContext, type NodeInput, type NodeSpec } from '../../src/core/actors.ts';
import { applyOnce, seen } from '../../src/core/client-table.ts';
import { registerSpec, type RegisterOp, type RegisterResult } from '../../src/history/index.ts';

export type NodeId = string;
export type Op = RegisterOp<number>;
export type Res = RegisterResult<number>;

/** A log entry: a client's command, the no-op a new leader appends (thesis §6.4), or a
 * configuration: the whole membership after adding or removing one server (thesis §4.1). */
export type Command =
  | { readonly kind: 'noop' }
  | { readonly kind: 'request'; readonly client: number; readonly seq: number; readonly op: Op }
  | { readonly kind: 'config'; readonly members: readonly NodeId[] };

export interface Entry {
  readonly term: number;
  readonly cmd: Command;
}

export interface CommittedEntry {
  readonly entry: Entry;
  /** The server's term when it first knew this index committed (so it was committed in this
   * term or an earlier one). */
  readonly at: number;
}

export type Msg =
  | { readonly type: 'RequestVote'; readonly term: number; readonly lastIndex: number; readonly lastTerm: number }
  | { readonly type: 'Vote'; readonly term: number; readonly granted: boolean }
  | {
      readonly type: 'AppendEntries';
      readonly term: number;
      readonly prevIndex: number;
      readonly prevTerm: number;
      readonly entries: readonly Entry[];
      readonly commit: number;
    }
  /** success: the follower's log matches the leader's up to `index`; failure: it does not
   * match at `index` (the AppendEntries' prevIndex), or the AppendEntries was stale. */
  | { readonly type: 'AppendReply'; readonly term: number; readonly success: boolean; readonly index: number }
  /** ReadIndex (thesis §6.4): a heartbeat a leader sends for one read, and its answer; the
   * answer's term is the follower's, so a higher one deposes the leader. */
  | { readonly type: 'ReadCheck'; readonly term: number; readonly client: number; readonly seq: number }
  | { readonly type: 'ReadAck'; readonly term: number; readonly client: number; readonly seq: number };

export interface Durable {
  readonly term: number;
  readonly votedFor: NodeId | null;
  readonly log: readonly Entry[];
  /** Ghost: terms in which this server was leader, ascending. */
  readonly led: readonly number[];
  /** Ghost: the committed prefix this server has known, with when it knew it. */
  readonly committed: readonly CommittedEntry[];
  /** Bound bookkeeping: elections this server has started (index.ts caps their sum with
   * electionsMax, as fault budgets are capped; the protocol never reads it). */
  readonly campaigns: number;
  /** Bound bookkeeping, absent until this server first proposes one: the membership changes it
   * has proposed as leader (index.ts caps their sum with `changes`). */
  readonly proposed?: number;
}

export type Role = 'follower' | 'candidate' | 'leader';

export interface Server extends Durable {
  readonly role: Role;
  /** The leader of the current term, once heard from (followers redirect clients to it). */
  readonly leader: NodeId | null;
  /** A candidate's votes granted, sorted (empty in other roles). */
  readonly votes: readonly NodeId[];
  /** A leader's nextIndex and matchIndex per server, in node order (empty in other roles). */
  readonly next: readonly number[];
  readonly match: readonly number[];
  readonly commit: number;
  /** replyStep only, absent when empty: answers to committed requests not yet sent. */
  readonly unanswered?: readonly Answer[];
  /** ReadIndex only, a leader's, absent when empty: reads waiting for a majority to confirm its
   * leadership and for its commitIndex to reach their readIndex. */
  readonly reads?: readonly PendingRead[];
}

export interface PendingRead {
  readonly client: number;
  readonly seq: number;
  readonly readIndex: number;
  /** The members that have answered this read's heartbeat (the leader included), sorted. */
  readonly acks: readonly NodeId[];
}

/** A committed request's answer, for its client. */
export interface Answer {
  readonly client: number;
  readonly seq: number;
  readonly result: Res;
}

/** The planted bugs, as flags (index.ts maps variants onto them). */
export interface Bugs {
  /** Raft §5.4.2 ignored: a leader commits any entry stored on a majority (Figure 8). */
  readonly commitByCounting: boolean;
  /** RequestVote granted without the "at least as up-to-date" log check (§5.4.1). */
  readonly voteWithoutLogCheck: boolean;
  /** votedFor kept in memory only: a restarted server may vote again in the same term. */
  readonly votedForNotPersisted: boolean;
  /** AppendEntries accepted without the prevLogIndex/prevLogTerm consistency check. */
  readonly noPrevLogCheck: boolean;
  /** A leader that sees a higher term adopts it but stays leader. */
  readonly noStepDown: boolean;
  /** No client table: a retried request is appended and applied again. */
  readonly noClientDedup: boolean;
  /** A leader answers reads from its own state machine, without the log or a leadership check. */
  readonly localReads: boolean;
  /** A new leader accepts a membership change before it has committed an entry of its own term
   * (the rule of the thesis as first published; Ongaro, raft-dev, 2015). */
  readonly changeBeforeNoop: boolean;
  /** A leader puts a client's request just past its commitIndex instead of at the end of its
   * log, overwriting its own uncommitted entries (lastApplied or commitIndex taken for the
   * last log index). */
  readonly appendAtCommit: boolean;
  /** A follower takes the leader's commit from every AppendEntries, also a delayed one that
   * carries a lower commit than it already has. */
  readonly commitFromAnyAppend: boolean;
}

export interface ServerConfig {
  readonly termsMax: number;
  /** A new leader appends a no-op of its term (thesis §6.4); without it, it commits nothing of
   * an earlier term until a client request of its own term commits. */
  readonly noop: boolean;
  /** A leader sends AppendEntries with the new commitIndex as soon as it commits (else
   * followers learn it with the next entry). */
  readonly notices: boolean;
  /** A leader answers a request it commits in a later step of its own (a crash in between loses
   * the answer: the client must retry), instead of in the step that commits it. */
  readonly replyStep: boolean;
  /** Reads are served by ReadIndex (thesis §6.4) instead of going through the log. */
  readonly readIndex: boolean;
  /** Present when a leader may be asked to add or remove one server (thesis §4.1): the server's
   * own id and the initial configuration. Absent: the configuration is every server, always. */
  readonly membership?: { readonly id: NodeId; readonly initial: readonly NodeId[]; readonly adds: boolean };
  readonly bugs: Bugs;
}

type Result = HandlerResult<Server, Msg, Durable, Res>;
type Fx = Effect<Msg, Durable, Res>;

const lastTerm = (log: readonly Entry[]) => (log.length === 0 ? 0 : log[log.length - 1].term);
const termAt = (log: readonly Entry[], index: number) => (index === 0 ? 0 : log[index - 1].term);
const selfIndex = (ctx: NodeContext) => ctx.nodes.indexOf(ctx.id);

const register = registerSpec(0);

/** The committed prefix applied in log order, each (client, seq) once (client-table.ts): its
 * results by log position (undefined for a no-op or a stale duplicate), the register's value,
 * the client table, and what took effect. `dedup` false is the planted bug no-client-dedup. */
export function applyLog(log: readonly Entry[], dedup = true) {
  const applied = applyOnce(register.init(), log.map((e) => (e.cmd.kind === 'request' ? e.cmd : undefined)), register.apply, dedup);
  return { value: applied.state, results: applied.results, table: applied.table, applied: applied.applied };
}

/** The members named by the last configuration entry of a log, committed or not (thesis §4.1:
 * a server uses a configuration as soon as it is in its log), if the log has one. */
export function lastConfig(log: readonly Entry[]): readonly NodeId[] | undefined {
  for (let i = log.length - 1; i >= 0; i--) {
    const cmd = log[i].cmd;
    if (cmd.kind === 'config') return cmd.members;
  }
  return undefined;
}

/** Whether the servers for which `agrees` holds are a majority of `members`. */
function isQuorum(members: readonly NodeId[], agrees: (id: NodeId) => boolean): boolean {
  return members.filter(agrees).length >= Math.floor(members.length / 2) + 1;
}

export function raftServer(cfg: ServerConfig): NodeSpec<Server, Msg, Durable, Op, Res> {
  const { bugs } = cfg;
  /** The configuration in effect at a server with this log: majorities are counted over it,
   * and a leader replicates to its members. */
  const configOf = (log: readonly Entry[], ctx: NodeContext) => lastConfig(log) ?? cfg.membership?.initial ?? ctx.nodes;
  const peers = (r: Server, ctx: NodeContext) => configOf(r.log, ctx).filter((id) => id !== ctx.id);
  /** A server outside its own configuration never starts an election (§4.2.2's removed
   * servers are left out, not modelled as disruptive). */
  const member = (log: readonly Entry[]) => cfg.membership === undefined || configOf(log, { id: cfg.membership.id, nodes: [] }).includes(cfg.membership.id);
  const fresh = (d: Durable): Server => ({ ...d, role: 'follower', leader: null, votes: [], next: [], match: [], commit: 0 });

  /** The new state, with its durable part persisted first when it changed (ghosts updated
   * here: a leader's term joins `led`, a longer commit extends `committed`), and the election
   * timer armed exactly when the server is not leader and may still start a term. */
  const done = (before: Server, after: Server, effects: readonly Fx[] = []): Result => {
    let s = after;
    // A server that is no longer leader drops its pending reads (their clients time out).
    if (s.reads !== undefined && s.role !== 'leader') {
      const { reads: _, ...rest } = s;
      s = rest;
    }
    if (s.role === 'leader' && !s.led.includes(s.term)) s = { ...s, led: [...s.led, s.term] };
    if (s.commit > s.committed.length) {
      const learned = s.log.slice(s.committed.length, s.commit).map((entry) => ({ entry, at: s.term }));
      s = { ...s, committed: [...s.committed, ...learned] };
    }
    const changed = s.term !== before.term || s.votedFor !== before.votedFor || s.log !== before.log || s.led !== before.led || s.committed !== before.committed || s.campaigns !== before.campaigns || s.proposed !== before.proposed;
    const votedFor = bugs.votedForNotPersisted ? null : s.votedFor;
    const data: Durable = { term: s.term, votedFor, log: s.log, led: s.led, committed: s.committed, campaigns: s.campaigns, ...(s.proposed === undefined ? {} : { proposed: s.proposed }) };
    const persist: Fx[] = changed ? [{ kind: 'persist', data }] : [];
    const timer: Fx = s.role !== 'leader' && s.term < cfg.termsMax && member(s.log) ? { kind: 'set-timer', timer: 'election' } : { kind: 'cancel-timer', timer: 'election' };
    return { state: s, effects: [...persist, ...effects, timer] };
  };

  /** Election timeout (§5.2): a new term, a vote for itself, RequestVote to every other server. */
  const startElection = (r: Server, ctx: NodeContext): Result => {
    if (r.role === 'leader' || r.term >= cfg.termsMax || !member(r.log)) return done(r, r);
    const term = r.term + 1;
    const candidate: Server = { ...r, term, role: 'candidate', votedFor: ctx.id, leader: null, votes: [ctx.id], next: [], match: [], campaigns: r.campaigns + 1 };
    if (isQuorum(configOf(r.log, ctx), (id) => candidate.votes.includes(id))) return becomeLeader(r, candidate, ctx);
    const msg: Msg = { type: 'RequestVote', term, lastIndex: r.log.length, lastTerm: lastTerm(r.log) };
    return done(r, candidate, peers(r, ctx).map((to) => ({ kind: 'send', to, msg })));
  };

  /** A candidate with a majority becomes leader: nextIndex just past its log, matchIndex 0, a
   * no-op of its term appended (thesis §6.4), and AppendEntries to every follower. */
  const becomeLeader = (before: Server, r: Server, ctx: NodeContext): Result => {
    const n = ctx.nodes.length;
    // With membership changes a new leader always appends its no-op (the fix of raft-dev, 2015),
    // unless it is the planted bug that accepts changes before it.
    const noop = cfg.noop || (cfg.membership !== undefined && !bugs.changeBeforeNoop);
    const log = noop ? [...r.log, { term: r.term, cmd: { kind: 'noop' } as const }] : r.log;
    const next = Array<number>(n).fill(r.log.length + 1);
    const match = Array<number>(n).fill(0).map((_, k) => (k === selfIndex(ctx) ? log.length : 0));
    const leader: Server = { ...r, role: 'leader', leader: ctx.id, votes: [], log, next, match };
    return done(before, leader, peers(leader, ctx).map((to) => appendEntriesTo(leader, to, ctx)));
  };

  /** AppendEntries for `to` carrying the leader's log from its nextIndex on. */
  const appendEntriesTo = (r: Server, to: NodeId, ctx: NodeContext): Fx => {
    const next = r.next[ctx.nodes.indexOf(to)];
    const prevIndex = next - 1;
    return {
      kind: 'send',
      to,
      msg: { type: 'AppendEntries', term: r.term, prevIndex, prevTerm: termAt(r.log, prevIndex), entries: r.log.slice(prevIndex), commit: r.commit },
    };
  };

  /** Any message with a higher term: adopt it and become a follower (§5.1), before handling it. */
  const observeTerm = (r: Server, term: number): Server => {
    if (term <= r.term) return r;
    if (bugs.noStepDown && r.role === 'leader') return { ...r, term, votedFor: null };
    return { ...r, term, votedFor: null, role: 'follower', leader: null, votes: [], next: [], match: [] };
  };

  const handleRequestVote = (before: Server, r: Server, from: NodeId, m: Extract<Msg, { type: 'RequestVote' }>): Result => {
    const upToDate = m.lastTerm > lastTerm(r.log) || (m.lastTerm === lastTerm(r.log) && m.lastIndex >= r.log.length);
    const grant = m.term === r.term && (r.votedFor === null || r.votedFor === from) && (upToDate || bugs.voteWithoutLogCheck);
    const next = grant ? { ...r, votedFor: from } : r;
    return done(before, next, [{ kind: 'send', to: from, msg: { type: 'Vote', term: r.term, granted: grant } }]);
  };

  const handleVote = (before: Server, r: Server, from: NodeId, m: Extract<Msg, { type: 'Vote' }>, ctx: NodeContext): Result => {
    if (r.role !== 'candidate' || m.term !== r.term || !m.granted || r.votes.includes(from)) return done(before, r);
    const votes = [...r.votes, from].sort();
    const counted = { ...r, votes };
    return isQuorum(configOf(r.log, ctx), (id) => votes.includes(id)) ? becomeLeader(before, counted, ctx) : done(before, counted);
  };

  /** §5.3: reject a stale term or a log that does not match at prevIndex; otherwise append,
   * truncating only from the first entry whose term conflicts (a delayed AppendEntries whose
   * entries all match must not shorten the log), and learn the leader's commit. */
  const handleAppendEntries = (before: Server, r0: Server, from: NodeId, m: Extract<Msg, { type: 'AppendEntries' }>): Result => {
    const reply = (success: boolean, index: number): Fx => ({ kind: 'send', to: from, msg: { type: 'AppendReply', term: r0.term, success, index } });
    if (m.term < r0.term) return done(before, r0, [reply(false, m.prevIndex)]);
    const r: Server = r0.role === 'follower' && r0.leader === from ? r0 : { ...r0, role: 'follower', leader: from, votes: [], next: [], match: [] };
    const matches = m.prevIndex <= r.log.length && termAt(r.log, m.prevIndex) === m.prevTerm;
    if (!matches && !bugs.noPrevLogCheck) return done(before, r, [reply(false, m.prevIndex)]);
    // Without the check (the planted bug) the entries land after whatever prefix it has.
    const prev = Math.min(m.prevIndex, r.log.length);
    const log = mergeEntries(r.log, prev, m.entries);
    const last = prev + m.entries.length;
    const learned = Math.min(m.commit, last);
    const commit = bugs.commitFromAnyAppend ? learned : Math.max(r.commit, learned);
    return done(before, { ...r, log, commit }, [reply(true, last)]);
  };

  /** The leader counts a reply: on success it raises matchIndex and maybe commits; on failure
   * it backs nextIndex up to the failed prevIndex and resends. */
  const handleAppendReply = (before: Server, r: Server, from: NodeId, m: Extract<Msg, { type: 'AppendReply' }>, ctx: NodeContext): Result => {
    if (r.role !== 'leader' || m.term !== r.term) return done(before, r);
    const k = ctx.nodes.indexOf(from);
    if (m.success) {
      if (m.index <= r.match[k]) return done(before, r);
      const match = updated(r.match, k, m.index);
      const next = updated(r.next, k, Math.max(r.next[k], m.index + 1));
      return maybeCommit(before, { ...r, match, next }, ctx);
    }
    const back = Math.max(r.match[k] + 1, Math.min(r.next[k], m.index));
    if (back >= r.next[k]) return done(before, r);
    const backed = { ...r, next: updated(r.next, k, back) };
    return done(before, backed, [appendEntriesTo(backed, from, ctx)]);
  };

  /** Raft §5.4.2 (Figure 8): the leader commits the highest index stored on a majority, but only
   * if that entry is of its own term (earlier entries commit with it). Newly committed requests
   * are answered; the followers hear the new commitIndex at once. */
  const maybeCommit = (before: Server, r: Server, ctx: NodeContext): Result => {
    let commit = r.commit;
    const config = configOf(r.log, ctx);
    for (let index = r.log.length; index > r.commit; index--) {
      const stored = isQuorum(config, (id) => r.match[ctx.nodes.indexOf(id)] >= index);
      if (stored && (r.log[index - 1].term === r.term || bugs.commitByCounting)) {
        commit = index;
        break;
      }
    }
    if (commit === r.commit) return done(before, r);
    const { results } = applyLog(r.log.slice(0, commit), !bugs.noClientDedup);
    const answers: Answer[] = [];
    for (let i = r.commit; i < commit; i++) {
      const cmd = r.log[i].cmd;
      const result = results[i];
      if (cmd.kind === 'request' && result !== undefined) answers.push({ client: cmd.client, seq: cmd.seq, result });
    }
    // replyStep: the answers wait for steps of their own (answer), and a crash loses them.
    const later = cfg.replyStep && answers.length > 0 ? { unanswered: [...(r.unanswered ?? []), ...answers] } : {};
    const served = serveReads({ ...r, commit, ...later }, ctx);
    const committed = served.state;
    const replies: Fx[] = cfg.replyStep ? [] : answers.map((a) => ({ kind: 'reply', ...a }));
    const notices = cfg.notices ? peers(committed, ctx).map((to) => appendEntriesTo(committed, to, ctx)) : [];
    return done(before, committed, [...replies, ...served.replies, ...notices]);
  };

  /** replyStep: a server answers one committed request it holds an answer for. */
  const answer = (r: Server, choice: string, ctx: NodeContext): Result => {
    const k = (r.unanswered ?? []).findIndex((a) => `answer client${a.client}` === choice);
    if (k < 0) throw new Error(`${ctx.id} has no answer for ${choice}`);
    const a = r.unanswered![k];
    const rest = r.unanswered!.filter((_, i) => i !== k);
    const { unanswered: _, ...without } = r;
    return done(r, rest.length > 0 ? { ...r, unanswered: rest } : without, [{ kind: 'reply', ...a }]);
  };

  /** ReadIndex (thesis §6.4): the leader notes its commitIndex as the read's readIndex (at least
   * its first entry of this term: until one commits it cannot know what is committed) and sends
   * a heartbeat round; a read already pending, or a leader with no entry of its term, ignores
   * the request (the client times out). */
  const startRead = (r: Server, client: number, seq: number, ctx: NodeContext): Result => {
    const own = r.log.findIndex((e) => e.term === r.term) + 1;
    if (own === 0 || (r.reads ?? []).some((x) => x.client === client && x.seq === seq)) return done(r, r);
    const read: PendingRead = { client, seq, readIndex: Math.max(r.commit, own), acks: [ctx.id] };
    const pending: Server = { ...r, reads: [...(r.reads ?? []), read] };
    const { state, replies } = serveReads(pending, ctx);
    return done(r, state, [...replies, ...peers(r, ctx).map((to): Fx => ({ kind: 'send', to, msg: { type: 'ReadCheck', term: r.term, client, seq } }))]);
  };

  /** Answers the reads confirmed by a majority whose readIndex is committed, with the state
   * machine at their readIndex. */
  const serveReads = (r: Server, ctx: NodeContext): { state: Server; replies: Fx[] } => {
    if (r.reads === undefined) return { state: r, replies: [] };
    const config = configOf(r.log, ctx);
    const ready = (x: PendingRead) => r.commit >= x.readIndex && isQuorum(config, (id) => x.acks.includes(id));
    const replies = r.reads.filter(ready).map((x): Fx => ({ kind: 'reply', client: x.client, seq: x.seq, result: applyLog(r.log.slice(0, x.readIndex)).value }));
    if (replies.length === 0) return { state: r, replies };
    const rest = r.reads.filter((x) => !ready(x));
    const { reads: _, ...without } = r;
    return { state: rest.length > 0 ? { ...r, reads: rest } : without, replies };
  };

  /** A follower answers a read's heartbeat as it would an AppendEntries: a current leader's
   * makes it a follower of the sender; a stale one gets its higher term. */
  const handleReadCheck = (before: Server, r0: Server, from: NodeId, m: Extract<Msg, { type: 'ReadCheck' }>): Result => {
    const r: Server = m.term < r0.term || (r0.role === 'follower' && r0.leader === from) ? r0 : { ...r0, role: 'follower', leader: from, votes: [], next: [], match: [] };
    return done(before, r, [{ kind: 'send', to: from, msg: { type: 'ReadAck', term: r.term, client: m.client, seq: m.seq } }]);
  };

  const handleReadAck = (before: Server, r: Server, from: NodeId, m: Extract<Msg, { type: 'ReadAck' }>, ctx: NodeContext): Result => {
    if (r.role !== 'leader' || m.term !== r.term || r.reads === undefined) return done(before, r);
    const reads = r.reads.map((x) => (x.client === m.client && x.seq === m.seq && !x.acks.includes(from) ? { ...x, acks: [...x.acks, from].sort() } : x));
    const { state, replies } = serveReads({ ...r, reads }, ctx);
    return done(before, state, replies);
  };

  /** A client request (thesis §6.2-6.3): a follower redirects to the leader it knows (a
   * candidate, or a follower that knows none, does not answer: the client times out); the leader
   * answers a request already applied from its client table, ignores one already in its log
   * (it answers when that entry commits), and otherwise appends it and replicates it. */
  const handleRequest = (r: Server, client: number, seq: number, op: Op, ctx: NodeContext): Result => {
    if (r.role !== 'leader') return done(r, r, r.leader === null ? [] : [{ kind: 'redirect', client, seq, to: r.leader }]);
    if (bugs.localReads && op.kind === 'read') return done(r, r, [{ kind: 'reply', client, seq, result: applyLog(r.log.slice(0, r.commit)).value }]);
    if (cfg.readIndex && op.kind === 'read') return startRead(r, client, seq, ctx);
    if (!bugs.noClientDedup) {
      const s = seen(applyLog(r.log.slice(0, r.commit)).table, client, seq);
      if (s.kind === 'duplicate') return done(r, r, [{ kind: 'reply', client, seq, result: s.result }]);
      const pending = r.log.some((e) => e.cmd.kind === 'request' && e.cmd.client === client && e.cmd.seq === seq);
      if (s.kind === 'stale' || pending) return done(r, r);
    }
    const entry: Entry = { term: r.term, cmd: { kind: 'request', client, seq, op } };
    return replicate(r, { ...r, log: [...(bugs.appendAtCommit ? r.log.slice(0, r.commit) : r.log), entry] }, ctx);
  };

  /** The leader has appended an entry to its log: it counts itself, commits at once if that is
   * a majority (a single server), else sends AppendEntries to the other members. */
  const replicate = (before: Server, r: Server, ctx: NodeContext): Result => {
    const appended: Server = { ...r, match: updated(r.match, selfIndex(ctx), r.log.length) };
    if (isQuorum(configOf(r.log, ctx), (id) => appended.match[ctx.nodes.indexOf(id)] >= r.log.length)) return maybeCommit(before, appended, ctx);
    return done(before, appended, peers(appended, ctx).map((to) => appendEntriesTo(appended, to, ctx)));
  };

  /** Membership changes a leader may be asked for (thesis §4.1): add or remove one server other
   * than itself, one change at a time (none while a configuration entry of its log is
   * uncommitted), and only once it has committed an entry of its own term (the fix of raft-dev,
   * 2015: until then an uncommitted configuration of an earlier leader may still be in force on
   * other servers, and a change on top of a different one breaks the overlap of majorities). */
  const changes = (r: Server, ctx: NodeContext): readonly string[] => {
    if (cfg.membership === undefined || r.role !== 'leader') return [];
    const pending = r.log.some((e, i) => e.cmd.kind === 'config' && i >= r.commit);
    const ownTermCommitted = r.commit > 0 && r.log[r.commit - 1].term === r.term;
    if (pending || !(ownTermCommitted || bugs.changeBeforeNoop)) return [];
    const config = configOf(r.log, ctx);
    const others = ctx.nodes.filter((id) => id !== ctx.id);
    return others.flatMap((id) => (config.includes(id) ? [`remove ${id}`] : cfg.membership!.adds ? [`add ${id}`] : []));
  };

  /** The leader appends the new configuration and uses it at once (thesis §4.1). */
  const change = (r: Server, choice: string, ctx: NodeContext): Result => {
    if (!changes(r, ctx).includes(choice)) throw new Error(`${ctx.id} cannot ${choice} now`);
    const [verb, id] = choice.split(' ');
    const config = configOf(r.log, ctx);
    const members = verb === 'add' ? ctx.nodes.filter((x) => x === id || config.includes(x)) : config.filter((x) => x !== id);
    const log = [...r.log, { term: r.term, cmd: { kind: 'config', members } as const }];
    return replicate(r, { ...r, log, proposed: (r.proposed ?? 0) + 1 }, ctx);
  };

  const receive = (r0: Server, from: NodeId, m: Msg, ctx: NodeContext): Result => {
    const r = observeTerm(r0, m.term);
    switch (m.type) {
      case 'RequestVote':
        return handleRequestVote(r0, r, from, m);
      case 'Vote':
        return handleVote(r0, r, from, m, ctx);
      case 'AppendEntries':
        return handleAppendEntries(r0, r, from, m);
      case 'AppendReply':
        return handleAppendReply(r0, r, from, m, ctx);
      case 'ReadCheck':
        return handleReadCheck(r0, r, from, m);
      case 'ReadAck':
        return handleReadAck(r0, r, from, m, ctx);
      default: {
        const never: never = m;
        throw new Error(`unknown message ${JSON.stringify(never)}`);
      }
    }
  };

  const empty: Durable = { term: 0, votedFor: null, log: [], led: [], committed: [], campaigns: 0 };
  return {
    init: () => {
      // The empty durable record is written at once, so a crashed server always has one.
      const r = fresh(empty);
      const armed = done(r, r);
      return { state: armed.state, effects: [{ kind: 'persist', data: empty }, ...(armed.effects ?? [])] };
    },
    handle: (r, input: NodeInput<Msg, Op>, ctx) => {
      switch (input.kind) {
        case 'receive':
          return receive(r, input.from, input.msg, ctx);
        case 'timeout':
          return startElection(r, ctx);
        case 'request':
          return handleRequest(r, input.client, input.seq, input.op, ctx);
        case 'internal':
          return input.choice.startsWith('answer ') ? answer(r, input.choice, ctx) : change(r, input.choice, ctx);
      }
    },
    ...(cfg.membership === undefined && !cfg.replyStep ? {} : { internal: (r: Server, ctx: NodeContext) => [...changes(r, ctx), ...(r.unanswered ?? []).map((a) => `answer client${a.client}`)] }),
    restart: (durable) => {
      const r = fresh(durable ?? empty);
      return done(r, r);
    },
  };
}

/** The log after appending `entries` after index `prev`: an entry already present with the
 * same term is kept (as is everything after it, if all match); the first conflicting one is
 * replaced together with the rest of the log (§5.3, AppendEntries receiver rule 3). */
export function mergeEntries(log: readonly Entry[], prev: number, entries: readonly Entry[]): readonly Entry[] {
  for (let k = 0; k < entries.length; k++) {
    const at = prev + k;
    if (at >= log.length) return [...log, ...entries.slice(k)];
    if (log[at].term !== entries[k].term) return [...log.slice(0, at), ...entries.slice(k)];
  }
  return log;
}

function updated(arr: readonly number[], k: number, v: number): readonly number[] {
  return arr.map((x, i) => (i === k ? v : x));
}
