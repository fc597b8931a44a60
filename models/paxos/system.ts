// The Paxos actor system and the three things the per-node handlers cannot do themselves:
//
// 1. Ghost state (history variables, as TLA+ specs keep msgs): which acceptors accepted each
//    proposal, the values chosen so far, and each acceptor's highest promise ever. The protocol
//    never reads it; invariants do. A vote is recorded when an acceptor accepts an Accept
//    message; a value is chosen when a quorum accepted the same proposal.
// 2. Re-based ballots. Nodes only compare ballots and pick "the next round above one they
//    saw", so shifting every round in the state by the same amount is an isomorphism. After
//    each step rounds are shifted so that the lowest round still referenced is 1. Dueling
//    proposers then return to the same state, which makes their livelock a finite lasso, and a
//    proposer may use rounds up to ballotsMax *above the oldest live round* (a window, not a
//    per-proposer total). A fresh proposer's first round is 1 in this numbering, i.e. the
//    oldest live round. Votes of ballots no longer referenced anywhere can never grow (no
//    Accept for them exists or will be sent again), so they are dropped.
// 3. Timeouts fire only when the proposer's exchange is quiet: no message to it and none from
//    it to a running node is in flight (a timeout longer than a round trip). A retransmission
//    does not add a second copy of a message still in flight (to a crashed acceptor, say): the
//    network would otherwise grow without bound. Duplication remains a separate fault.

// What these reductions may hide (reviewed; properties/paxos.test.ts checks the first):
// - Re-basing is exact except for a fresh proposer's first ballot: it is the oldest live round,
//   where absolute numbering would give round 1, possibly below every live ballot. Runs in which
//   a late proposer starts below everything live are not explored (its Prepare would only be
//   Nacked, or promised by acceptors that never promised anything). With rebase off (absolute
//   rounds capped at ballotsMax, a finite space) every variant has the same verdict and the same
//   shortest counterexample length at ballotsMax=2.
// - The quiet-timeout rule is an under-approximation: a retransmission while a reply is still in
//   flight is not explored. To an acceptor that already got the original it is the same message
//   again, i.e. a duplicate, explored only when duplicatesMax > 0; a bug in how a proposer
//   treats replies to an early retransmission is therefore found only by the duplication
//   scenario or the swarm, not by the fault-free default.
// - Not re-adding a copy already in flight turns a retransmission into "at most one copy in
//   flight"; a second copy is the duplication fault.
// - Stale-message removal (withoutStaleMessages) is exact for the handlers as written, bugs
//   included (no variant changes what a proposer or learner ignores); a variant that does must
//   update stale(). It also means drops and duplicates are never spent on ignored messages.
// - Proposers send their first Prepare to a fixed majority (nodes.ts); other acceptors hear of a
//   ballot only on retransmission.
// - "Chosen" (ghost) uses the configured quorum: for the half-quorum bug, Agreement is about what
//   that implementation's learners would treat as chosen (2 of 4 acceptors).

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
}

export type PaxosModel = Model<PaxosState, PaxosAction> & {
  isFault(a: PaxosAction): boolean;
  isFair(a: PaxosAction): boolean;
  goal(s: PaxosState): boolean;
  readonly config: PaxosConfig;
  /** The actor system's node ids (for message sequence charts). */
  readonly nodeIds: readonly NodeId[];
};

export interface PaxosSystemOptions {
  /** Re-base ballots after every step (default). Off: rounds are absolute and ballotsMax caps
   * them, a finite space used to test that re-basing changes no verdict. */
  readonly rebase?: boolean;
}

export function paxosSystem(cfg: PaxosConfig, faults: FaultBudget, options: PaxosSystemOptions = {}): PaxosModel {
  const rebaseOn = options.rebase ?? true;
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
    return inner.actions(s.sys).filter((a) => a.kind !== 'timeout' || quiet(s.sys, a.node));
  }

  function quiet(sys: Sys, p: NodeId): boolean {
    return !sys.network.some((e) => e.to === p || (e.from === p && sys.nodes[index.get(e.to)!].state !== undefined));
  }

  function step(s: PaxosState, a: PaxosAction): PaxosState {
    let sys = inner.step(s.sys, a);
    if (a.kind === 'timeout') sys = { ...sys, network: withoutRetransmittedCopies(s.sys.network, sys.network, a.node) };
    sys = withoutStaleMessages(sys);
    const ghost = recordGhost(s.ghost, sys, a);
    return rebaseOn ? rebase({ sys, ghost }, P) : { sys, ghost };
  }

  /** Removes messages to proposers and learners that their recipient will ignore whenever
   * they arrive (replies to an older ballot or phase, a second reply from the same acceptor,
   * anything to a learner that has learned): delivering, dropping or duplicating them changes
   * nothing, so the network forgets them. Messages to acceptors are never removed. */
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
  };
}

/** Removes the copies a retransmission added of messages already in flight. */
function withoutRetransmittedCopies(before: Sys['network'], after: Sys['network'], from: NodeId): Sys['network'] {
  const out: Sys['network'][number][] = [];
  for (let k = 0; k < after.length; k++) {
    const e = after[k];
    if (e.from === from && k > 0 && compareValues(after[k - 1], e) === 0) {
      const had = before.filter((x) => compareValues(x, e) === 0).length;
      const kept = out.filter((x) => compareValues(x, e) === 0).length;
      if (kept >= Math.max(had, 1)) continue;
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

