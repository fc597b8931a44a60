// Single-decree Paxos, per node (Lamport, "Paxos Made Simple", §2): proposers, acceptors and
// learners as actor-system handlers. The buggy variants are flags on these handlers, so the
// faithful code and each bug differ in one visible place.
//
// Ballots (proposal numbers) are integers unique per proposer: n = round * P + index, where P
// is the number of proposers, round >= 1 and index is the proposer's 0-based index; 0 means
// "none". Comparing numbers compares (round, proposer) lexicographically.

import type { Effect, HandlerResult, NodeSpec } from '../../src/core/actors.ts';
import { compareValues, insertAt, setAdd } from '../../src/core/data.ts';

export type NodeId = string;

/** An accepted proposal: number and value. */
export interface Proposal {
  readonly n: number;
  readonly v: string;
}

export type PaxosMsg =
  /** Phase 1a: the proposer asks acceptors to promise n. */
  | { readonly type: 'Prepare'; readonly n: number }
  /** Phase 1b: the acceptor promises n and reports its highest-numbered accepted proposal. */
  | { readonly type: 'Promise'; readonly n: number; readonly accepted: Proposal | null }
  /** Phase 2a */
  | { readonly type: 'Accept'; readonly n: number; readonly v: string }
  /** Phase 2b, sent to every learner. (The proposer is not told: it needs no acknowledgement,
   * and keeps retransmitting its Accept to the acceptors on timeout.) */
  | { readonly type: 'Accepted'; readonly n: number; readonly v: string }
  /** A rejection: n is below the acceptor's promise (an optimisation from "Paxos Made Simple"
   * §2.5 that lets a pre-empted proposer move to a higher number). */
  | { readonly type: 'Nack'; readonly n: number; readonly promised: number };

export type ProposerPhase = 'idle' | 'preparing' | 'accepting' | 'stopped';

export interface ProposerState {
  readonly role: 'proposer';
  /** Current proposal number (0 before the first). */
  readonly ballot: number;
  readonly phase: ProposerPhase;
  /** Promises for `ballot`, sorted by acceptor (one per acceptor, unless the proposer has the
   * bug proposerCountsPromiseTwice). */
  readonly promises: readonly { readonly acc: NodeId; readonly accepted: Proposal | null }[];
  /** The value sent in phase 2 (null before phase 2). */
  readonly value: string | null;
}

export interface AcceptorState {
  readonly role: 'acceptor';
  /** Highest number promised (0: none). */
  readonly promised: number;
  readonly accepted: Proposal | null;
}

export interface LearnerState {
  readonly role: 'learner';
  /** Per acceptor, the highest-numbered Accepted heard from it (sorted by acceptor); with the
   * bug learnerCountsDuplicates, every Accepted received, repeats included. */
  readonly heard: readonly { readonly acc: NodeId; readonly n: number; readonly v: string }[];
  readonly learned: string | null;
}

export type PaxosNode = ProposerState | AcceptorState | LearnerState;

/** What an acceptor persists: its promise and its accepted proposal. */
export interface AcceptorDurable {
  readonly promised: number;
  readonly accepted: Proposal | null;
}

export type PaxosSpec = NodeSpec<PaxosNode, PaxosMsg, AcceptorDurable, never, never>;
type Result = HandlerResult<PaxosNode, PaxosMsg, AcceptorDurable, never>;
type Eff = Effect<PaxosMsg, AcceptorDurable, never>;

/** The protocol as configured, including the planted bugs (all false: faithful Paxos). */
export interface PaxosConfig {
  readonly proposers: number;
  readonly acceptorIds: readonly NodeId[];
  readonly learnerIds: readonly NodeId[];
  /** Highest round a proposer may use: above the oldest live round when rounds are re-based,
   * absolute otherwise (see system.ts). */
  readonly ballotsMax: number;
  /** Promises/acceptances a proposer waits for, and what "chosen" means. */
  readonly quorum: number;
  /** Acceptances a learner waits for (equals `quorum` unless the learner is buggy). */
  readonly learnerQuorum: number;
  /** Only proposer p1 moves to a higher ballot when pre-empted; others give up. */
  readonly distinguished: boolean;
  readonly bugs: {
    readonly proposerUsesOwnValue: boolean;
    readonly acceptBelowPromise: boolean;
    readonly forgetPromiseOnRestart: boolean;
    readonly acceptedNotPersisted: boolean;
    /** The learner tallies Accepted messages, not acceptors: a repeated Accepted counts twice. */
    readonly learnerCountsDuplicates: boolean;
    /** The proposer tallies Promise messages, not acceptors: a repeated Promise counts twice. */
    readonly proposerCountsPromiseTwice: boolean;
    /** Phase 2a takes the value of the lowest-numbered accepted proposal among the promises. */
    readonly proposerPicksLowestAccepted: boolean;
    /** When the highest-numbered accepted proposal is one of the proposer's own earlier ballots,
     * phase 2a sends the proposer's own value, as if its ballots always carried it. */
    readonly proposerTrustsOwnBallot: boolean;
  };
}

export const proposerId = (i: number): NodeId => `p${i + 1}`;
export const ownValue = (i: number): string => `v${i + 1}`;
export const roundOf = (n: number, proposers: number): number => Math.floor(n / proposers);
export const ownerOf = (n: number, proposers: number): number => n % proposers;

export function ballotLabel(n: number, proposers: number): string {
  return n === 0 ? 'none' : `(${roundOf(n, proposers)},${proposerId(ownerOf(n, proposers))})`;
}

export function describeMsg(m: PaxosMsg, proposers: number): string {
  const b = (n: number) => ballotLabel(n, proposers);
  switch (m.type) {
    case 'Prepare':
      return `Prepare ${b(m.n)}`;
    case 'Promise':
      return `Promise ${b(m.n)} ${m.accepted === null ? 'no accepted proposal' : `accepted ${b(m.accepted.n)}=${m.accepted.v}`}`;
    case 'Accept':
      return `Accept ${b(m.n)} ${m.v}`;
    case 'Accepted':
      return `Accepted ${b(m.n)} ${m.v}`;
    case 'Nack':
      return `Nack ${b(m.n)} promised ${b(m.promised)}`;
  }
}

const sendAll = (to: readonly NodeId[], msg: PaxosMsg): Eff[] => to.map((id) => ({ kind: 'send', to: id, msg }));

/** Adds `item` to a sorted array that may hold equal items (a multiset): what a buggy node that
 * tallies messages instead of senders keeps. */
function bagAdd<T>(bag: readonly T[], item: T): readonly T[] {
  let at = 0;
  while (at < bag.length && compareValues(bag[at], item) <= 0) at++;
  return insertAt(bag, at, item);
}

// ---------------------------------------------------------------- proposer

export function proposer(index: number, cfg: PaxosConfig): PaxosSpec {
  const P = cfg.proposers;
  const idle: ProposerState = { role: 'proposer', ballot: 0, phase: 'idle', promises: [], value: null };
  const retries = !cfg.distinguished || index === 0;

  // A proposer first addresses its own majority (Paxos Made Simple §2.2 allows any majority):
  // pi's is the quorum of acceptors starting at position i*quorum, wrapping around, so with 3
  // acceptors p1 uses {a1,a2} and p2 {a3,a1}. Retransmissions on timeout go to every acceptor.
  const n = cfg.acceptorIds.length;
  const targets = Array.from({ length: Math.min(cfg.quorum, n) }, (_, k) => cfg.acceptorIds[(index * cfg.quorum + k) % n]).sort();

  function startBallot(round: number): Result {
    const ballot = round * P + index;
    const state: ProposerState = { role: 'proposer', ballot, phase: 'preparing', promises: [], value: null };
    return { state, effects: [...sendAll(targets, { type: 'Prepare', n: ballot }), { kind: 'set-timer', timer: 'retry' }] };
  }

  /** Phase 2a's value: that of the highest-numbered proposal among the promises, else our own
   * (the planted bugs proposerPicksLowestAccepted and proposerTrustsOwnBallot get this wrong). */
  function phase2Value(promises: ProposerState['promises']): string {
    if (cfg.bugs.proposerUsesOwnValue) return ownValue(index);
    const better = (a: Proposal, b: Proposal) => (cfg.bugs.proposerPicksLowestAccepted ? a.n < b.n : a.n > b.n);
    let best: Proposal | null = null;
    for (const p of promises) if (p.accepted !== null && (best === null || better(p.accepted, best))) best = p.accepted;
    if (best !== null && cfg.bugs.proposerTrustsOwnBallot && ownerOf(best.n, P) === index) return ownValue(index);
    return best === null ? ownValue(index) : best.v;
  }

  function handlePromise(s: ProposerState, from: NodeId, m: PaxosMsg & { type: 'Promise' }): Result {
    const twice = cfg.bugs.proposerCountsPromiseTwice;
    if (s.phase !== 'preparing' || m.n !== s.ballot || (!twice && s.promises.some((p) => p.acc === from))) return { state: s };
    const promises = (twice ? bagAdd : setAdd)(s.promises, { acc: from, accepted: m.accepted });
    if (promises.length < cfg.quorum) return { state: { ...s, promises } };
    const value = phase2Value(promises);
    // Each acceptor that promised, once (a buggy tally may hold one twice).
    const promisers = promises.map((p) => p.acc).filter((acc, k, all) => all.indexOf(acc) === k);
    return {
      state: { ...s, promises, phase: 'accepting', value },
      effects: sendAll(promisers, { type: 'Accept', n: s.ballot, v: value }),
    };
  }

  /** Pre-empted: move to the next round above the promise that rejected us, or give up. */
  function handleNack(s: ProposerState, m: PaxosMsg & { type: 'Nack' }): Result {
    if ((s.phase !== 'preparing' && s.phase !== 'accepting') || m.n !== s.ballot) return { state: s };
    const round = Math.max(roundOf(m.promised, P), roundOf(s.ballot, P)) + 1;
    if (retries && round <= cfg.ballotsMax) return startBallot(round);
    return { state: { ...s, phase: 'stopped' }, effects: [{ kind: 'cancel-timer', timer: 'retry' }] };
  }

  /** Retransmission with the same number: Prepare to the acceptors that have not promised,
   * Accept to every acceptor (the proposer does not learn who accepted). */
  function retransmit(s: ProposerState): Result {
    const again: Eff = { kind: 'set-timer', timer: 'retry' };
    if (s.phase === 'preparing') {
      const missing = cfg.acceptorIds.filter((a) => !s.promises.some((p) => p.acc === a));
      return { state: s, effects: [...sendAll(missing, { type: 'Prepare', n: s.ballot }), again] };
    }
    if (s.phase === 'accepting') {
      return { state: s, effects: [...sendAll(cfg.acceptorIds, { type: 'Accept', n: s.ballot, v: s.value! }), again] };
    }
    return { state: s };
  }

  return {
    init: () => ({ state: idle }),
    internal: (s) => (s.role === 'proposer' && s.phase === 'idle' ? ['propose'] : []),
    handle: (s, input) => {
      if (s.role !== 'proposer') throw new Error(`${proposerId(index)} holds a ${s.role} state`);
      switch (input.kind) {
        case 'internal':
          if (s.phase !== 'idle') throw new Error(`${proposerId(index)} cannot propose in phase ${s.phase}`);
          return startBallot(1);
        case 'timeout':
          return retransmit(s);
        case 'receive': {
          const m = input.msg;
          if (m.type === 'Promise') return handlePromise(s, input.from, m);
          if (m.type === 'Nack') return handleNack(s, m);
          throw new Error(`${proposerId(index)} received ${m.type}, which only acceptors and learners handle`);
        }
        case 'request':
          throw new Error('Paxos has no clients');
        default: {
          const never: never = input;
          throw new Error(`unknown input ${JSON.stringify(never)}`);
        }
      }
    },
  };
}

// ---------------------------------------------------------------- acceptor

export function acceptor(cfg: PaxosConfig): PaxosSpec {
  const P = cfg.proposers;
  const fresh: AcceptorState = { role: 'acceptor', promised: 0, accepted: null };
  const persist = (s: AcceptorState): Eff => ({
    kind: 'persist',
    data: { promised: s.promised, accepted: cfg.bugs.acceptedNotPersisted ? null : s.accepted },
  });

  function handlePrepare(s: AcceptorState, from: NodeId, n: number): Result {
    // n >= promised rather than >: a retransmitted Prepare of the promised number is answered
    // again (its Promise may have been lost); promising the same number twice is harmless.
    if (n < s.promised) return { state: s, effects: [{ kind: 'send', to: from, msg: { type: 'Nack', n, promised: s.promised } }] };
    const next: AcceptorState = { ...s, promised: n };
    return { state: next, effects: [persist(next), { kind: 'send', to: from, msg: { type: 'Promise', n, accepted: s.accepted } }] };
  }

  function handleAccept(s: AcceptorState, from: NodeId, n: number, v: string): Result {
    if (n < s.promised && !cfg.bugs.acceptBelowPromise) {
      return { state: s, effects: [{ kind: 'send', to: from, msg: { type: 'Nack', n, promised: s.promised } }] };
    }
    // A retransmitted Accept of the proposal already accepted changes nothing and is not
    // announced again (learners' progress is not part of the goal; see index.ts).
    if (s.accepted !== null && s.accepted.n === n && n >= s.promised) return { state: s };
    const next: AcceptorState = { ...s, promised: Math.max(s.promised, n), accepted: { n, v } };
    return { state: next, effects: [persist(next), ...sendAll(cfg.learnerIds, { type: 'Accepted', n, v })] };
  }

  return {
    init: () => ({ state: fresh }),
    handle: (s, input) => {
      if (s.role !== 'acceptor') throw new Error(`acceptor holds a ${s.role} state`);
      if (input.kind !== 'receive') throw new Error(`an acceptor has no ${input.kind} input`);
      const m = input.msg;
      if (m.type === 'Prepare') return handlePrepare(s, input.from, m.n);
      if (m.type === 'Accept') return handleAccept(s, input.from, m.n, m.v);
      throw new Error(`acceptor received ${m.type}, which only proposers and learners handle`);
    },
    restart: (durable) => {
      const accepted = durable?.accepted ?? null;
      const promised = cfg.bugs.forgetPromiseOnRestart ? (accepted?.n ?? 0) : (durable?.promised ?? 0);
      return { state: { role: 'acceptor', promised, accepted } };
    },
  };
}

// ---------------------------------------------------------------- learner

export function learner(cfg: PaxosConfig): PaxosSpec {
  return {
    init: () => ({ state: { role: 'learner', heard: [], learned: null } }),
    handle: (s, input) => {
      if (s.role !== 'learner') throw new Error(`learner holds a ${s.role} state`);
      if (input.kind !== 'receive' || input.msg.type !== 'Accepted') throw new Error('a learner only receives Accepted');
      const { n, v } = input.msg;
      const from = input.from;
      if (s.learned !== null) return { state: s }; // done: nothing more to learn
      const old = s.heard.find((h) => h.acc === from);
      const tally = cfg.bugs.learnerCountsDuplicates;
      if (old !== undefined && old.n >= n && !tally) return { state: s };
      const heard = tally ? bagAdd(s.heard, { acc: from, n, v }) : setAdd(s.heard.filter((h) => h.acc !== from), { acc: from, n, v });
      // Learn once a quorum of acceptors accepted the same proposal (same number n).
      const count = heard.filter((h) => h.n === n).length;
      const learned = s.learned ?? (count >= cfg.learnerQuorum ? v : null);
      return { state: { ...s, heard, learned } };
    },
  };
}
