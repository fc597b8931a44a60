// What 2PC and 3PC share: participant decisions, the atomicity, validity and no-reversal
// invariants, the witnesses, and the fault parameters. 3PC imports these through
// models/twopc/index.ts.

import type { Invariant, ParamSpec, Witness } from '../../src/core/model.ts';
import type { FaultBudget, NetworkSemantics, SystemState } from '../../src/core/actors.ts';

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
  { name: 'dropsMax', description: 'messages the network may lose', default: 0, min: 0, max: 4 },
  { name: 'crashesMax', description: 'crashes (coordinator or participants; each may restart from its log)', default: 1, min: 0, max: 4 },
  { name: 'partitionsMax', description: 'network partitions (each heals at most once)', default: 0, min: 0, max: 2 },
  { name: 'crashCoordinatorOnly', description: '1: only the coordinator may crash', default: 0, min: 0, max: 1 },
];

export function faultBudget(p: Readonly<Record<string, number>>): FaultBudget {
  return {
    dropsMax: p.dropsMax,
    crashesMax: p.crashesMax,
    partitionsMax: p.partitionsMax,
    ...(p.crashCoordinatorOnly === 1 ? { crashable: [COORDINATOR] } : {}),
  };
}

/** Retransmissions make a multiset network grow without bound; in a set network an equal
 * message in flight is not sent twice, which keeps the state space finite. */
export const COMMIT_NETWORK: NetworkSemantics = 'set';

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
