// The lease actor system: three lease nodes (nodes.ts) on an unordered network with abstract
// time, the property LeaseExclusive, its witnesses, and one optional reduction, off by default
// (it argues from the faithful handlers' behaviour, so a bug in them could be hidden by it);
// properties/lease.test.ts checks each claim marked [tested]. The actor layer's own exact
// reduction applies: a timer deadline already reached is forgotten.
//
// Stale messages (forgetStale=1; off by default, so that a planted bug that mishandles stale
//    messages is not hidden). After every step, the network forgets
//    the messages of a campaign that is over: its candidate won it, its lease end has passed on
//    the candidate's clock, a newer campaign replaced it, or the candidate crashed (it restarts
//    with no campaign). A Grant for it would be ignored whenever it arrived (epochs are never
//    reused: a node's next campaign starts at least D ticks later, after its own promise or
//    its quiet period). A RequestLease for it can only bind its voter to a promise that helps
//    no lease, and push back the voter's campaign timer. So every run of the unreduced system
//    is matched, step for step, by a run of the reduced one that skips those deliveries (and
//    the refusals and timer firings they caused): same clocks, campaigns and leases, promises no
//    stronger, campaign deadlines no later. No violation or witness is lost, none is added (a
//    reduced run is an unreduced run that leaves some messages in flight), and counterexamples
//    are no longer. Refused and late requests pile up otherwise: at timeMax=3, 340,167 states
//    unreduced, 21,409 reduced; at the default timeMax=4, 4,419,050 and 44,450.
//    Exception: the restart-forgets-promise bug campaigns again at once after a restart, and
//    may reuse its epoch within one clock value; then a forgotten message of the campaign it
//    lost in the crash could have counted for the new one. The bug is found at the same
//    length either way [tested].

import { actorSystem, type ActorModel, type Envelope, type SystemState } from '../../src/core/actors.ts';
import type { Invariant, Witness } from '../../src/core/model.ts';
import { describeMsg, leaseEndOf, leaseNode, type LeaseConfig, type LeaseMsg, type LeaseNode } from './nodes.ts';

export type LeaseState = SystemState<LeaseNode, LeaseMsg, never, never, never>;
export type LeaseModel = ActorModel<LeaseNode, LeaseMsg, never, never, never>;

export const LEASE_NODES = ['n1', 'n2', 'n3'] as const;

interface Holder {
  readonly id: string;
  readonly clock: number;
  readonly leaseEnd: number;
}

/** The nodes that hold a valid lease: they won a campaign and their clock is before its end. */
export function holders(sys: LeaseState): Holder[] {
  const clocks = sys.clocks!;
  const out: Holder[] = [];
  sys.nodes.forEach((slot, i) => {
    const end = slot.state?.leaseEnd;
    if (end !== undefined && clocks[i] < end) out.push({ id: LEASE_NODES[i], clock: clocks[i], leaseEnd: end });
  });
  return out;
}

const describeHolder = (h: Holder) => `${h.id} (clock ${h.clock}, lease until ${h.leaseEnd})`;

export const leaseExclusive: Invariant<LeaseState> = {
  name: 'LeaseExclusive',
  check: (sys) => {
    const hs = holders(sys);
    if (hs.length < 2) return undefined;
    return `${hs.map(describeHolder).join(' and ')} ${hs.length === 2 ? 'both' : 'all'} hold a valid lease`;
  },
};

export const leaseWitnesses: readonly Witness<LeaseState>[] = [
  { name: 'a lease is held', holds: (sys) => holders(sys).length > 0 },
  {
    // A node holds a lease, and another node held one earlier (its lease end is kept).
    name: 'leadership passes to a second node',
    holds: (sys) => holders(sys).some((h) => sys.nodes.some((slot, i) => LEASE_NODES[i] !== h.id && slot.state?.leaseEnd !== undefined)),
  },
];

export interface LeaseSystemConfig extends LeaseConfig {
  readonly skewMax: number;
  readonly timeMax: number;
  readonly crashesMax: number;
  readonly forgetStale: boolean;
}

export function leaseSystem(cfg: LeaseSystemConfig): LeaseModel {
  const model = actorSystem<LeaseNode, LeaseMsg, never, never, never>({
    nodes: LEASE_NODES.map((id) => ({ id, spec: leaseNode(cfg) })),
    network: 'unordered',
    faults: { crashesMax: cfg.crashesMax },
    time: { timeMax: cfg.timeMax, skewMax: cfg.skewMax },
    invariants: [leaseExclusive],
    sometimes: leaseWitnesses,
    // Runs end when time runs out: every clock at timeMax.
    isFinal: (sys) => sys.clocks!.every((c) => c === cfg.timeMax),
    describeMessage: describeMsg,
  });
  return {
    ...model,
    step: cfg.forgetStale ? (sys, a) => withoutStale(model.step(sys, a), cfg) : model.step,
  };
}

/** The network without the messages whose campaign is over (won, dead, replaced, or its
 * candidate crashed): a Grant for it is ignored, a RequestLease for it can only bind a voter. */
function withoutStale(sys: LeaseState, cfg: LeaseConfig): LeaseState {
  const network = sys.network.filter((e) => !stale(e, sys, cfg));
  return network.length === sys.network.length ? sys : { ...sys, network };
}

function stale(e: Envelope<LeaseMsg>, sys: LeaseState, cfg: LeaseConfig): boolean {
  const candidate = e.msg.type === 'Grant' ? e.to : e.from;
  const i = LEASE_NODES.indexOf(candidate as (typeof LEASE_NODES)[number]);
  const c = sys.nodes[i].state?.campaign;
  if (c === undefined || c.start !== e.msg.epoch || sys.clocks![i] >= leaseEndOf(c.start, cfg)) return true;
  return e.msg.type === 'Grant' && c.grants.includes(e.from);
}
