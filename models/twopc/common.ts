// What 2PC and 3PC share: participant decisions, the atomicity, validity and no-reversal
// invariants, the witnesses, the fault parameters and the network (set or unordered). 3PC
// imports these through models/twopc/index.ts.

import type { Invariant, ParamSpec, Witness } from '../../src/core/model.ts';
import { InputError } from '../../src/core/model.ts';
import type { ActorModel, FaultBudget, NetworkSemantics, SystemAction, SystemState } from '../../src/core/actors.ts';
import { compareValues } from '../../src/core/data.ts';
import type { Symmetry } from '../../src/core/schema.ts';

export type Decision = 'commit' | 'abort';

/** What every participant of an atomic commit protocol exposes to the invariants. `applied`
 * is a ghost variable: every decision the participant ever applied, in order, kept across
 * crashes by the model (not by the protocol) so that a reversal is visible. */
export interface ParticipantView {
  readonly role: 'participant';
  readonly status: string;
  readonly vote: 'yes' | 'no' | undefined;
  readonly applied: readonly Decision[];
}

export const COORDINATOR = 'coord';

export function participantIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `p${i + 1}`);
}

/** A node's view for the invariants: its live state, or its durable record while crashed. */
function views(sys: SystemState<unknown, unknown, unknown, unknown, unknown>, ids: readonly string[]): { id: string; v: ParticipantView }[] {
  const out: { id: string; v: ParticipantView }[] = [];
  sys.nodes.forEach((slot, i) => {
    const v = (slot.state ?? slot.durable) as ParticipantView | undefined;
    if (v !== undefined && v.role === 'participant') out.push({ id: ids[i], v });
  });
  return out;
}

const last = (v: ParticipantView) => v.applied[v.applied.length - 1];

/** The ghost history after applying decision `d`: a repeat of the last decision adds nothing. */
export function recordDecision(applied: readonly Decision[], d: Decision): readonly Decision[] {
  return applied[applied.length - 1] === d ? applied : [...applied, d];
}

export function commitInvariants(ids: readonly string[], participants: number): Invariant<SystemState<unknown, unknown, unknown, unknown, unknown>>[] {
  return [
    {
      name: 'Atomicity',
      check: (sys) => {
        const ps = views(sys, ids);
        const c = ps.find((p) => last(p.v) === 'commit');
        const a = ps.find((p) => last(p.v) === 'abort');
        return c && a ? `${c.id} committed while ${a.id} aborted` : undefined;
      },
    },
    {
      name: 'CommitValidity',
      check: (sys) => {
        const ps = views(sys, ids);
        const c = ps.find((p) => p.v.applied.includes('commit'));
        if (c === undefined) return undefined;
        const notYes = ps.find((p) => p.v.vote !== 'yes');
        if (notYes !== undefined) {
          return `${c.id} committed but ${notYes.id} ${notYes.v.vote === 'no' ? 'voted no' : 'never voted'}`;
        }
        return ps.length < participants ? `${c.id} committed before every participant voted` : undefined;
      },
    },
    {
      name: 'NoReversal',
      check: (sys) => {
        const p = views(sys, ids).find((x) => new Set(x.v.applied).size > 1);
        return p ? `${p.id} reversed its decision: applied ${p.v.applied.join(' then ')}` : undefined;
      },
    },
  ];
}

export function commitWitnesses(ids: readonly string[], participants: number): Witness<SystemState<unknown, unknown, unknown, unknown, unknown>>[] {
  const all = (d: Decision) => (sys: SystemState<unknown, unknown, unknown, unknown, unknown>) => {
    const ps = views(sys, ids);
    return ps.length === participants && ps.every((p) => last(p.v) === d);
  };
  return [
    { name: 'a run commits', holds: all('commit') },
    { name: 'a run aborts', holds: all('abort') },
  ];
}

/** The goal for liveness: every participant has decided (is up and has applied a decision). */
export function everyoneDecided(sys: SystemState<unknown, unknown, unknown, unknown, unknown>, ids: readonly string[], participants: number): boolean {
  const live = sys.nodes
    .map((slot, i) => ({ id: ids[i], v: slot.state as ParticipantView | undefined }))
    .filter((x) => x.v !== undefined && x.v.role === 'participant' && x.v.applied.length > 0);
  return live.length === participants;
}

export const commitParams: readonly ParamSpec[] = [
  { name: 'participants', description: 'number of participants (plus one coordinator)', default: 3, min: 1, max: 6 },
  {
    name: 'network',
    description: '0: a set (equal messages in flight merge, nothing is duplicated); 1: an unordered multiset (duplicatesMax applies; a retransmission adds no copy of a message in flight)',
    default: 0, min: 0, max: 1,
  },
  { name: 'dropsMax', description: 'messages the network may lose', default: 0, min: 0, max: 4 },
  { name: 'duplicatesMax', description: 'messages the network may duplicate (network=1 only)', default: 0, min: 0, max: 4 },
  { name: 'crashesMax', description: 'crashes (coordinator or participants; each may restart from its log)', default: 1, min: 0, max: 4 },
  { name: 'partitionsMax', description: 'network partitions (each heals at most once)', default: 0, min: 0, max: 2 },
  { name: 'crashCoordinatorOnly', description: '1: only the coordinator may crash', default: 0, min: 0, max: 1 },
];

export function faultBudget(p: Readonly<Record<string, number>>): FaultBudget {
  if (p.duplicatesMax > 0 && commitNetwork(p) === 'set') {
    throw new InputError(`duplicatesMax=${p.duplicatesMax} needs network=1: on the set network a copy merges with the message it copies`);
  }
  return {
    dropsMax: p.dropsMax,
    duplicatesMax: p.duplicatesMax,
    crashesMax: p.crashesMax,
    partitionsMax: p.partitionsMax,
    ...(p.crashCoordinatorOnly === 1 ? { crashable: [COORDINATOR] } : {}),
  };
}

// The network (param `network`).
//
// 0, `set` (the default, and every row that does not set network=1): a message equal to one
// already in flight adds nothing, as in TLA+'s message sets, and there is no duplicate fault.
// That keeps the retransmitting coordinator finite, but it silently assumes that every handler
// is idempotent for equal messages: that receiving a message twice does what receiving it once
// does, so the second copy the set throws away (a retransmission while the first is in flight,
// or a copy the network would make) could not have mattered. The faithful handlers are written
// so (votes, PreAcks and Acks are recorded per sender, a decision applied twice is applied
// once, a duplicate Prepare is answered with the logged vote); a handler that is not — the
// coordinator-counts-votes and participant-revotes-on-duplicate bugs — can only be caught by
// the rows with network=1: those variants' own rows, the *-on-unordered-network scenarios,
// and properties/commit-network.test.ts. Every other row of both models runs on the set.
//
// 1, `unordered`: a multiset, with the duplicate fault (duplicatesMax), loss (dropsMax) and
// reordering. The coordinator's retransmission would then grow the network without bound, so
// boundRetransmission applies two rules, stated there with what they hide.

export function commitNetwork(p: Readonly<Record<string, number>>): NetworkSemantics {
  return p.network === 1 ? 'unordered' : 'set';
}

/** Copies of one message in flight the schemas of 2PC and 3PC allow: 1 on the set network; on
 * the unordered one 3 + crashesMax + 2 * duplicatesMax (a restarted coordinator re-sends its
 * decision, and each duplicate may copy a copy). Room to spare, not a proof: a state past it is
 * a model error naming the field. */
export function commitCopiesMax(p: Readonly<Record<string, number>>): number {
  return commitNetwork(p) === 'set' ? 1 : 3 + p.crashesMax + 2 * p.duplicatesMax;
}

/** The retransmission timer, `resend` at the coordinator in both 2PC and 3PC. */
const RESEND = 'resend';

/**
 * On the unordered network, the coordinator's retransmission (its `resend` timer) follows two
 * rules that keep the state space finite:
 * 1. (quiet: 2PC, whose timeouts are asynchronous) `resend` fires only when the coordinator's
 *    exchange is quiet: no message to it in flight, and none from it to a running node — a
 *    retransmission timeout longer than a round trip. 3PC's synchronous timeouts already wait
 *    for every deliverable message, so it needs only rule 2.
 * 2. A retransmission does not add a second copy of a message already in flight (to a crashed
 *    participant, say): it keeps one copy per message, as many as there were before.
 *
 * What they hide: a retransmission while the decision or its Ack is still in flight, which
 * puts a second copy of the decision in flight or delivers it a second time. That is exactly a
 * duplicate of the decision message, explored by the duplicate fault within duplicatesMax; the
 * runs hidden are those needing more copies than the budget allows. With duplicatesMax=0 a
 * participant never receives its decision twice on this network (2PC on the set network, whose
 * resend may fire while an Ack is in flight, does explore that). Neither rule touches votes,
 * Prepare/CanCommit or PreCommit/PreAck (the coordinator never retransmits them), so the
 * planted duplicate-handling bugs, which duplicate a vote or a CanCommit, are not hidden.
 */
export function boundRetransmission<S, M, D, Op, R>(model: ActorModel<S, M, D, Op, R>, rules: { readonly quiet: boolean }): ActorModel<S, M, D, Op, R> {
  const nodeIds = model.nodeIds;
  const isResend = (a: SystemAction<M>) => a.kind === 'timeout' && a.node === COORDINATOR && a.timer === RESEND;
  const quiet = (sys: SystemState<S, M, D, Op, R>) =>
    !sys.network.some((e) => e.to === COORDINATOR || (e.from === COORDINATOR && sys.nodes[nodeIds.indexOf(e.to)].state !== undefined));
  return {
    ...model,
    actions: (sys) => {
      const all = model.actions(sys);
      return rules.quiet && !quiet(sys) ? all.filter((a) => !isResend(a)) : all;
    },
    step: (sys, a) => {
      const next = model.step(sys, a);
      if (!isResend(a) || next.network.length === sys.network.length) return next;
      return { ...next, network: withoutCopiesInFlight(sys.network, next.network) };
    },
  };
}

/** `after` (a sorted multiset: `before` plus at most one copy of some messages) without the
 * copies added of messages `before` already had in flight. */
function withoutCopiesInFlight<E>(before: readonly E[], after: readonly E[]): readonly E[] {
  const out: E[] = [];
  for (let k = 0; k < after.length; ) {
    let j = k + 1;
    while (j < after.length && compareValues(after[j], after[k]) === 0) j++;
    const had = before.filter((e) => compareValues(e, after[k]) === 0).length;
    if (j - k !== had && j - k !== had + 1) throw new Error(`a retransmission added ${j - k - had} copies of one message`);
    const keep = had > 0 ? had : j - k;
    for (let x = k; x < k + keep; x++) out.push(after[x]);
    k = j;
  }
  return out;
}

/** Projection of a 2PC/3PC system onto TCommit.tla's rmState, for refinement: a participant
 * that has not voted yes is "working", one that may still go either way after voting yes is
 * "prepared" (3PC's uncertain and pre-committed states too), then committed or aborted. A
 * crashed participant is seen through its log. */
export function toTCommit(sys: unknown): { rmState: string[] } {
  const s = sys as SystemState<unknown, unknown, unknown, unknown, unknown>;
  // Node 0 is the coordinator; the participants follow in order.
  const rmState = s.nodes.slice(1).map((slot) => {
    const v = (slot.state ?? slot.durable) as ParticipantView | undefined;
    const last = v?.applied[v.applied.length - 1];
    if (last !== undefined) return last === 'commit' ? 'committed' : 'aborted';
    return v?.vote === 'yes' ? 'prepared' : 'working';
  });
  return { rmState };
}

/** The participants are interchangeable: renaming them moves their node slots, the
 * coordinator's arrays indexed by participant (`perParticipant`: 2PC's votes and acks, 3PC's
 * preAcks too), the ends of envelopes and the partition's side. Node 0 is the coordinator. */
export function participantSymmetry<N extends ParticipantView | { readonly role: 'coordinator' }, M extends { readonly type: string; readonly vote?: string }, D>(
  n: number,
  perParticipant: readonly string[],
): Symmetry<SystemState<N, M, D, never, never>> {
  type System = SystemState<N, M, D, never, never>;
  const ids = participantIds(n);
  const index = (id: string) => Number(id.slice(1)) - 1;
  const arrays = (c: N) => c as unknown as Readonly<Record<string, readonly unknown[]>>;
  const permuteCoordinator = (c: N, perm: readonly number[]): N => {
    const out: Record<string, unknown> = { ...c };
    for (const f of perParticipant) {
      const from = arrays(c)[f];
      const to = new Array<unknown>(from.length);
      for (let i = 0; i < from.length; i++) to[perm[i]] = from[i];
      out[f] = to;
    }
    return out as unknown as N;
  };
  return {
    name: 'participants',
    size: n,
    permute: (sys, perm) => {
      const rename = (id: string) => (id === COORDINATOR ? id : ids[perm[index(id)]]);
      const nodes = new Array<System['nodes'][number]>(n + 1);
      const coord = sys.nodes[0];
      nodes[0] = coord.state === undefined || coord.state.role !== 'coordinator' ? coord : { ...coord, state: permuteCoordinator(coord.state, perm) };
      for (let i = 0; i < n; i++) nodes[1 + perm[i]] = sys.nodes[1 + i];
      const network = sys.network.map((e) => ({ from: rename(e.from), to: rename(e.to), msg: e.msg })).sort(compareValues);
      const partition = sys.partition === undefined ? undefined : sys.partition.map(rename).sort(compareValues);
      return { ...sys, nodes, network, partition };
    },
    // A participant's part of the state: its slot, its entries at the coordinator, the
    // messages to and from it, its side of a partition (equal parts, equal keys).
    key: (sys, i) => {
      const id = ids[i];
      const slot = sys.nodes[1 + i];
      const c = sys.nodes[0].state;
      let text = `${participantText(slot.state)}/${participantText(slot.durable)}/${slot.timers.join()}/`;
      if (c !== undefined && c.role === 'coordinator') for (const f of perParticipant) text += `${arrays(c)[f][i]}/`;
      for (const e of sys.network) {
        if (e.from === id || e.to === id) text += `${e.from === id ? '>' : '<'}${e.msg.type}${e.msg.type === 'Vote' ? e.msg.vote : ''},`;
      }
      return stringHash(`${text}/${sys.partition?.includes(id) ?? '-'}`);
    },
  };
}

function participantText(p: unknown): string {
  if (p === undefined) return '-';
  const v = p as Partial<ParticipantView>;
  if (v.role !== 'participant') return '?';
  return `${v.status},${v.vote},${v.applied!.join()}`;
}

/** FNV-1a: equal parts get equal keys; unequal ones that collide only tie (still exact). */
function stringHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
