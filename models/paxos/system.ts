// The Paxos actor system and what the per-node handlers cannot do themselves: ghost state for
// the invariants, and four state-space reductions. Each reduction is switched by a param
// (index.ts: rebase, earlyTimeoutsMax, copiesMax, forgetStale); the defaults switch all four on,
// and the figures pinned in properties/paxos.test.ts are for them. A reduction may only remove
// what no handler, faithful or buggy, can observe, or it must be off in the rows that check the
// variants it could hide. Below, for each: what it relies on, what it may hide, and which rows
// run with it off (properties/paxos-reductions.test.ts checks each claim marked [tested]).
//
// 1. Ghost state (history variables, as TLA+ specs keep msgs): which acceptors accepted each
//    proposal, the values chosen so far, and each acceptor's highest promise ever. The protocol
//    never reads it; invariants do. A vote is recorded when an acceptor accepts an Accept
//    message; a value is chosen when a quorum accepted the same proposal.
//
// 2. Re-based ballots (rebase=1; off: rebase=0). Rounds are shifted after each step so that the
//    lowest round still referenced is 1. Dueling proposers then return to the same state, which
//    makes their livelock a finite lasso, and a proposer may use rounds up to ballotsMax *above
//    the oldest live round* (a window, not a per-proposer total). Votes of ballots no longer
//    referenced anywhere are dropped.
//    Relies on: every handler, faithful or buggy, being unchanged by shifting all rounds by the
//    same amount: it compares ballots, copies them, and picks "the next round above one it
//    saw"; none reads a round's absolute value. Dropping votes relies on an acceptor accepting
//    only a proposal an Accept message carries (which references its ballot).
//    Not exact: a fresh proposer's first round is 1 in this numbering, i.e. the oldest live
//    round, where absolute numbering gives round 1, possibly below every live ballot (a late
//    proposer starting below everything live is not explored: its Prepare would only be Nacked,
//    or promised by acceptors that never promised anything); and rows with rebase=0 cap absolute
//    rounds at ballotsMax, so the two settings are not nested. No planted bug depends on it:
//    every variant has the same verdict and minimal length with rebase=0 (paxos.test.ts at
//    ballotsMax=2, paxos-reductions.test.ts at the variants' own params) [tested].
//    Off in: the scenarios unreduced-learner, unreduced-dueling and unreduced-retries.
//
// 3. Quiet timeouts (earlyTimeoutsMax=0; off: earlyTimeoutsMax=k lets k timeouts fire early).
//    A proposer times out only when its exchange is quiet: no message to it, and none from it to
//    a running node, is in flight (a timeout longer than a round trip).
//    Relies on: the proposer's timeout being a pure retransmission of its current ballot (no
//    state change), and on every handler treating the reply to a retransmission sent while the
//    original or its reply was in flight like the reply to a duplicate. An under-approximation:
//    an early retransmission is not explored. The second Promise it provokes (an acceptor asked
//    again before its first Promise arrived) is then seen only in rows with duplicatesMax > 0;
//    a Prepare reaching an acceptor outside the first majority before the replies are in, only
//    with earlyTimeoutsMax > 0. proposer-counts-promise-twice holds with forgetStale=0 and no
//    duplicates, and is found with one early timeout instead [tested].
//    Off (1 early timeout) in: unreduced-learner, unreduced-dueling.
//
// 4. At most one copy (copiesMax=1; off: copiesMax=k). A retransmission adds no copy of a
//    message still in flight (to a crashed acceptor, or anywhere after an early timeout); the
//    network would otherwise grow without bound.
//    Relies on no handler: the state with the retransmitted copy is the state with the first
//    copy duplicated, so any row with duplicatesMax >= 1 reaches it (a duplicate spent). It hides,
//    in rows with duplicatesMax = 0, an acceptor handed the same message twice at once. Not a
//    relaxation either way: copiesMax=2 always adds the copy, which must then be delivered before
//    the next quiet timeout (the merged run is the copy lost, a drop).
//    Off (2 copies) in: unreduced-learner, unreduced-dueling.
//
// 5. Stale messages (forgetStale=1; off: forgetStale=0). withoutStaleMessages removes messages to
//    proposers and learners that their recipient will ignore whenever they arrive; drops and
//    duplicates are then never spent on them.
//    Relies on: stale() being exactly what the *faithful* handlers ignore, now and forever (ballots
//    and heard numbers only grow, nothing is unlearned): a proposer ignores a Promise or Nack for
//    another ballot, a Promise unless preparing or from an acceptor already in its set, a Nack
//    unless preparing or accepting; a learner ignores everything once it learned, and an Accepted
//    from an acceptor it heard at that number or higher. A handler that does not ignore them (a
//    realistic bug) can then never be reached, by BFS or by swarm: learner-counts-duplicates and
//    proposer-counts-promise-twice hold with forgetStale=1 and are found with 0 [tested]. A new
//    variant that changes what a proposer or learner ignores must run with forgetStale=0.
//    Off in: the variants learner-counts-duplicates and proposer-counts-promise-twice, and the
//    three unreduced-* scenarios.
//
// Modelling choices that are not reductions (not switchable): proposers send their first Prepare
// to a fixed majority (nodes.ts); other acceptors hear of a ballot only on retransmission.
// "Chosen" (ghost) uses the configured quorum: for the half-quorum bug, Agreement is about what
// that implementation's learners would treat as chosen (2 of 4 acceptors).

import { actorSystem, type ActorModel, type FaultBudget, type SystemAction, type SystemState } from '../../src/core/actors.ts';
import type { Invariant, Model, Witness } from '../../src/core/model.ts';
import { compareValues, setAdd } from '../../src/core/data.ts';
import {
  acceptor,
  ballotLabel,
  describeMsg,
  learner,
  ownValue,
  ownerOf,
  proposer,
  proposerId,
  roundOf,
  type AcceptorDurable,
  type NodeId,
  type PaxosConfig,
  type PaxosMsg,
  type PaxosNode,
} from './nodes.ts';
import { paxosSchema } from './schema.ts';

export type Sys = SystemState<PaxosNode, PaxosMsg, AcceptorDurable, never, never>;
export type PaxosAction = SystemAction<PaxosMsg>;

export interface Ghost {
  /** Acceptors that accepted proposal (n, v), for every proposal still referenced. */
  readonly votes: readonly { readonly n: number; readonly v: string; readonly accs: readonly NodeId[] }[];
  /** Each value chosen so far, with the first proposal seen chosen for it. */
  readonly chosen: readonly { readonly v: string; readonly n: number; readonly accs: readonly NodeId[] }[];
  /** Per acceptor (in acceptor order): the highest number it has ever promised. */
  readonly promiseHigh: readonly number[];
}

export interface PaxosState {
  readonly sys: Sys;
  readonly ghost: Ghost;
  /** Timeouts that fired while the proposer's exchange was busy (absent: none). Only a run
   * with earlyTimeoutsMax > 0 spends them. */
  readonly earlyTimeouts?: number;
}

export type PaxosModel = Model<PaxosState, PaxosAction> & {
  isFault(a: PaxosAction): boolean;
  isFair(a: PaxosAction): boolean;
  goal(s: PaxosState): boolean;
  readonly config: PaxosConfig;
  /** The actor system's node ids (for message sequence charts). */
  readonly nodeIds: readonly NodeId[];
};

/** The state-space reductions of the comment at the top (index.ts sets them from the params of
 * the same names; forgetStale 1/0 and rebase 1/0 become booleans). */
export interface Reductions {
  /** Re-base ballots after every step (reduction 2). Off: rounds are absolute and ballotsMax
   * caps them. */
  readonly rebase: boolean;
  /** Timeouts that may fire while the exchange is busy; 0 is the quiet-timeout rule (3). */
  readonly earlyTimeoutsMax: number;
  /** Copies of one message a retransmission may bring in flight; 1 is "at most one copy" (4). */
  readonly copiesMax: number;
  /** Remove messages to proposers and learners that their recipient ignores (5). */
  readonly forgetStale: boolean;
}

export function paxosSystem(cfg: PaxosConfig, faults: FaultBudget, reductions: Reductions): PaxosModel {
  const { rebase: rebaseOn, earlyTimeoutsMax, copiesMax, forgetStale } = reductions;
  if (!Number.isSafeInteger(earlyTimeoutsMax) || earlyTimeoutsMax < 0) throw new Error(`earlyTimeoutsMax must be a count, got ${earlyTimeoutsMax}`);
  if (!Number.isSafeInteger(copiesMax) || copiesMax < 1) throw new Error(`copiesMax must be at least 1, got ${copiesMax}`);
  const P = cfg.proposers;
  const proposerIds = Array.from({ length: P }, (_, i) => proposerId(i));
  const inner = actorSystem({
    nodes: [
      ...proposerIds.map((id, i) => ({ id, spec: proposer(i, cfg) })),
      ...cfg.acceptorIds.map((id) => ({ id, spec: acceptor(cfg) })),
      ...cfg.learnerIds.map((id) => ({ id, spec: learner(cfg) })),
    ],
    network: 'unordered',
    faults: { ...faults, crashable: cfg.acceptorIds },
    invariants: [],
    sometimes: [],
    describeMessage: (m) => describeMsg(m, P),
  });
  const index = new Map(inner.nodeIds.map((id, i) => [id, i]));
  const accIndex = (id: NodeId) => index.get(id)!;
  const b = (n: number) => ballotLabel(n, P);

  const init: PaxosState = {
    sys: inner.init[0],
    ghost: { votes: [], chosen: [], promiseHigh: cfg.acceptorIds.map(() => 0) },
  };

  function actions(s: PaxosState): PaxosAction[] {
    const early = (s.earlyTimeouts ?? 0) < earlyTimeoutsMax;
    return inner.actions(s.sys).filter((a) => a.kind !== 'timeout' || early || quiet(s.sys, a.node));
  }

  function quiet(sys: Sys, p: NodeId): boolean {
    return !sys.network.some((e) => e.to === p || (e.from === p && sys.nodes[index.get(e.to)!].state !== undefined));
  }

  function step(s: PaxosState, a: PaxosAction): PaxosState {
    let sys = inner.step(s.sys, a);
    let earlyTimeouts = s.earlyTimeouts;
    if (a.kind === 'timeout') {
      sys = { ...sys, network: withoutRetransmittedCopies(s.sys.network, sys.network, a.node, copiesMax) };
      if (!quiet(s.sys, a.node)) earlyTimeouts = (earlyTimeouts ?? 0) + 1;
      if ((earlyTimeouts ?? 0) > earlyTimeoutsMax) throw new Error(`timeout ${a.node} fired early past earlyTimeoutsMax=${earlyTimeoutsMax}`);
    }
    if (forgetStale) sys = withoutStaleMessages(sys);
    const ghost = recordGhost(s.ghost, sys, a);
    const next: PaxosState = earlyTimeouts === undefined ? { sys, ghost } : { sys, ghost, earlyTimeouts };
    return rebaseOn ? rebase(next, P) : next;
  }

  /** Removes messages to proposers and learners that the faithful handlers ignore whenever
   * they arrive (replies to an older ballot or phase, a second reply from the same acceptor,
   * anything to a learner that has learned): delivering, dropping or duplicating them changes
   * nothing *for those handlers*, so the network forgets them (reduction 5: a buggy handler that
   * does not ignore them runs with forgetStale=0). Messages to acceptors are never removed. */
  function withoutStaleMessages(sys: Sys): Sys {
    const network = sys.network.filter((e) => !stale(sys, e));
    return network.length === sys.network.length ? sys : { ...sys, network };
  }

  function stale(sys: Sys, e: Sys['network'][number]): boolean {
    const to = sys.nodes[index.get(e.to)!].state;
    const m = e.msg;
    if (to === undefined || to.role === 'acceptor') return false;
    if (to.role === 'learner') return to.learned !== null || to.heard.some((h) => h.acc === e.from && h.n >= (m as { n: number }).n);
    if (m.n !== to.ballot) return true;
    switch (m.type) {
      case 'Promise':
        return to.phase !== 'preparing' || to.promises.some((x) => x.acc === e.from);
      case 'Nack':
        return to.phase !== 'preparing' && to.phase !== 'accepting';
      default:
        return false;
    }
  }

  function recordGhost(g: Ghost, sys: Sys, a: PaxosAction): Ghost {
    let { votes, chosen } = g;
    if (a.kind === 'deliver' && a.envelope.msg.type === 'Accept') {
      const { n, v } = a.envelope.msg;
      const acc = sys.nodes[accIndex(a.envelope.to)].state;
      if (acc?.role === 'acceptor' && acc.accepted !== null && acc.accepted.n === n && acc.accepted.v === v) {
        const old = votes.find((x) => x.n === n && x.v === v);
        const accs = setAdd(old?.accs ?? [], a.envelope.to);
        votes = setAdd(votes.filter((x) => x !== old), { n, v, accs });
        if (accs.length >= cfg.quorum && !chosen.some((c) => c.v === v)) chosen = setAdd(chosen, { v, n, accs });
      }
    }
    const promiseHigh = g.promiseHigh.map((high, k) => {
      const st = sys.nodes[accIndex(cfg.acceptorIds[k])].state;
      return st?.role === 'acceptor' && st.promised > high ? st.promised : high;
    });
    return { votes, chosen, promiseHigh };
  }

  const acceptorState = (s: PaxosState, k: number) => {
    const st = s.sys.nodes[accIndex(cfg.acceptorIds[k])].state;
    return st?.role === 'acceptor' ? st : undefined;
  };
  const learners = (s: PaxosState) =>
    cfg.learnerIds.map((id) => ({ id, st: s.sys.nodes[index.get(id)!].state })).filter((x) => x.st?.role === 'learner');
  const proposers = (s: PaxosState) => proposerIds.map((id) => s.sys.nodes[index.get(id)!].state!).filter((x) => x.role === 'proposer');
  const votesText = (accs: readonly NodeId[], n: number, v: string) => `${accs.join(',')} accepted ${b(n)}=${v}`;

  const invariants: Invariant<PaxosState>[] = [
    {
      name: 'Agreement',
      check: (s) => {
        const c = s.ghost.chosen;
        if (c.length <= 1) return undefined;
        return `two values chosen: ${c.map((x) => `${x.v} (${votesText(x.accs, x.n, x.v)})`).join(' and ')}`;
      },
    },
    {
      // Every chosen value is the initial value of a proposer that started proposing. Values
      // only originate with proposers here, so this holds unless a handler invents one.
      name: 'Validity',
      check: (s) => {
        const proposed = proposers(s).flatMap((p, i) => (p.role === 'proposer' && p.ballot !== 0 ? [ownValue(i)] : []));
        const bad = s.ghost.chosen.find((c) => !proposed.includes(c.v));
        return bad === undefined ? undefined : `${bad.v} is chosen but no proposer proposed it`;
      },
    },
    {
      name: 'LearnersAgree',
      check: (s) => {
        const ls = learners(s).filter((l) => l.st?.role === 'learner' && l.st.learned !== null);
        for (const l of ls) {
          const other = ls.find((m) => (m.st as { learned: string }).learned !== (l.st as { learned: string }).learned);
          if (other !== undefined) {
            return `${l.id} learned ${(l.st as { learned: string }).learned} but ${other.id} learned ${(other.st as { learned: string }).learned}`;
          }
        }
        return undefined;
      },
    },
    {
      // A learner learns only a value that is chosen (a quorum accepted one proposal of it).
      name: 'LearnedChosen',
      check: (s) => {
        for (const l of learners(s)) {
          if (l.st?.role !== 'learner' || l.st.learned === null) continue;
          const v = l.st.learned;
          if (s.ghost.chosen.some((c) => c.v === v)) continue;
          const votes = s.ghost.votes.filter((x) => x.v === v).map((x) => votesText(x.accs, x.n, x.v));
          return `${l.id} learned ${v}, which is not chosen (${votes.join('; ') || 'no votes'}; a quorum is ${cfg.quorum} of ${cfg.acceptorIds.length})`;
        }
        return undefined;
      },
    },
    {
      // Checked against the ghost promiseHigh (the highest promise the acceptor ever made, also
      // across crashes), and per state: an acceptor never holds an accepted proposal above its
      // promise.
      name: 'PromiseNeverDecreases',
      check: (s) => {
        for (let k = 0; k < cfg.acceptorIds.length; k++) {
          const st = acceptorState(s, k);
          if (st === undefined) continue;
          const id = cfg.acceptorIds[k];
          if (st.promised < s.ghost.promiseHigh[k]) {
            return `${id} promised ${b(s.ghost.promiseHigh[k])} earlier but now its promise is ${b(st.promised)}`;
          }
          if (st.accepted !== null && st.accepted.n > st.promised) {
            return `${id} accepted ${b(st.accepted.n)} above its promise ${b(st.promised)}`;
          }
        }
        return undefined;
      },
    },
  ];

  const chosen = (s: PaxosState) => s.ghost.chosen.length > 0;
  const schema = paxosSchema(cfg, faults, reductions);
  // Witnesses that need two proposers or a learner are asked only when the configuration has
  // them, so that a clean result at learners=0 (the fault scenarios) is not reported vacuous.
  const sometimes: Witness<PaxosState>[] = [
    { name: 'a value is chosen', holds: chosen },
    ...(P < 2
      ? []
      : [
          {
            // An acceptor rejects one proposer because it promised another's higher number.
            name: 'two proposers compete',
            holds: (s: PaxosState) => s.sys.network.some((e) => e.msg.type === 'Nack' && ownerOf(e.msg.n, P) !== ownerOf(e.msg.promised, P)),
          },
          {
            name: 'a proposer re-proposes a value accepted in an earlier ballot',
            holds: (s: PaxosState) => proposers(s).some((p, i) => p.role === 'proposer' && p.value !== null && p.value !== ownValue(i)),
          },
        ]),
    ...(cfg.learnerIds.length === 0
      ? []
      : [{ name: 'every learner learns', holds: (s: PaxosState) => learners(s).every((l) => l.st?.role === 'learner' && l.st.learned !== null) }]),
  ];

  return {
    init: [init],
    actions,
    step,
    invariants,
    sometimes,
    describe: (a) => inner.describe(a),
    // The run may end once a value is chosen, or when every proposer gave up
    // (ran out of rounds in its window): the latter is the bound, not a protocol deadlock;
    // liveness (goal = chosen) reports it as stuck.
    isFinal: (s) => chosen(s) || proposers(s).every((p) => p.role === 'proposer' && p.phase === 'stopped'),
    isFault: (a) => inner.isFault(a),
    isFair: (a) => inner.isFair(a),
    goal: chosen,
    config: cfg,
    nodeIds: inner.nodeIds,
    ...(schema === undefined ? {} : { schema }),
  };
}

/** Removes the copies a retransmission added beyond `copiesMax` in flight (copies already
 * there, e.g. from the duplication fault, stay). */
function withoutRetransmittedCopies(before: Sys['network'], after: Sys['network'], from: NodeId, copiesMax: number): Sys['network'] {
  const out: Sys['network'][number][] = [];
  for (let k = 0; k < after.length; k++) {
    const e = after[k];
    if (e.from === from && k > 0 && compareValues(after[k - 1], e) === 0) {
      const had = before.filter((x) => compareValues(x, e) === 0).length;
      const kept = out.filter((x) => compareValues(x, e) === 0).length;
      if (kept >= Math.max(had, Math.min(had + 1, copiesMax))) continue;
    }
    out.push(e);
  }
  return out;
}

// ---------------------------------------------------------------- re-basing ballots

/** Record keys whose number is a ballot (0 = none), anywhere in the state. */
const BALLOT_KEYS = new Set(['n', 'promised', 'ballot']);

function walkBallots(x: unknown, visit: (n: number) => void, skip?: unknown): void {
  if (x === skip || x === null || typeof x !== 'object') return;
  if (Array.isArray(x)) {
    for (const y of x) walkBallots(y, visit, skip);
    return;
  }
  for (const k in x as Record<string, unknown>) {
    const v = (x as Record<string, unknown>)[k];
    if (typeof v === 'number') {
      if (BALLOT_KEYS.has(k) && v > 0) visit(v);
    } else if (k === 'promiseHigh') {
      for (const n of v as number[]) if (n > 0) visit(n);
    } else walkBallots(v, visit, skip);
  }
}

function mapBallots<T>(x: T, f: (n: number) => number): T {
  if (x === null || typeof x !== 'object') return x;
  if (Array.isArray(x)) return x.map((y) => mapBallots(y, f)) as T;
  const out: Record<string, unknown> = {};
  for (const k in x as Record<string, unknown>) {
    const v = (x as Record<string, unknown>)[k];
    if (typeof v === 'number') out[k] = BALLOT_KEYS.has(k) && v > 0 ? f(v) : v;
    else if (k === 'promiseHigh') out[k] = (v as number[]).map((n) => (n > 0 ? f(n) : n));
    else out[k] = mapBallots(v, f);
  }
  return out as T;
}

/** Drops votes of ballots referenced nowhere else, then shifts rounds so the oldest live round
 * is 1. */
function rebase(s: PaxosState, proposers: number): PaxosState {
  const live = new Set<number>();
  walkBallots(s, (n) => live.add(n), s.ghost.votes);
  let state = s;
  if (s.ghost.votes.some((x) => !live.has(x.n))) {
    state = { ...s, ghost: { ...s.ghost, votes: s.ghost.votes.filter((x) => live.has(x.n)) } };
  }
  let minRound = Infinity;
  for (const n of live) minRound = Math.min(minRound, roundOf(n, proposers));
  if (minRound === Infinity || minRound <= 1) return state;
  const shift = (minRound - 1) * proposers;
  return mapBallots(state, (n) => n - shift);
}

