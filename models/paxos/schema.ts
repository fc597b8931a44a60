// The bounded shape of a Paxos state (core/schema.ts), for the packed explorer: the actor
// system (actorSystemSchema, its network as a bounded list: the envelopes that ballots and
// values can make are too many for a bitmap), the ghost state and the early timeouts spent.
// Bounds are room to spare, not proofs: a value past one is a model error naming the field,
// never a merged state; each is stated with why it holds.
//
// acceptor-accepts-below-promise has no schema: its acceptor re-accepts (and re-announces to
// the learners) a proposal below its promise on every retransmitted Accept, so Accepted copies
// to a learner that has not heard them yet pile up without bound (its row is cut by
// afterExpectedMax); it keeps the object path.

import type { FaultBudget } from '../../src/core/actors.ts';
import { actorSystemSchema, schema, type Schema } from '../../src/core/schema.ts';
import { ownValue, proposerId, type PaxosConfig } from './nodes.ts';
import type { Reductions } from './system.ts';

export function paxosSchema(cfg: PaxosConfig, faults: FaultBudget, reductions: Reductions): Schema | undefined {
  if (cfg.bugs.acceptBelowPromise) return undefined;
  const P = cfg.proposers;
  const A = cfg.acceptorIds.length;
  const L = cfg.learnerIds.length;
  // Ballots are round * P + index with round <= ballotsMax (re-based rounds stay in the window,
  // absolute ones are capped), 0 for none.
  const ballots = cfg.ballotsMax * P;
  const crashes = faults.crashesMax ?? 0;
  const duplicates = faults.duplicatesMax ?? 0;
  // Accepted messages an acceptor sends per ballot: one, and one more after each restart (a
  // restart that forgot the vote accepts again).
  const announced = A * ballots * (1 + crashes);
  const ballot = schema.int(0, (cfg.ballotsMax + 1) * P - 1);
  const value = schema.enum(...Array.from({ length: P }, (_, i) => ownValue(i)));
  const acc = schema.enum(...cfg.acceptorIds);
  const proposal = schema.record({ n: ballot, v: value });
  const accepted = schema.union(schema.literal(null), proposal);
  const proposer = schema.record({
    role: schema.literal('proposer'),
    ballot,
    phase: schema.enum('idle', 'preparing', 'accepting', 'stopped'),
    // One per acceptor until a quorum (a tally with repeats also stops growing at the quorum).
    promises: schema.list(cfg.quorum, schema.record({ acc, accepted })),
    value: schema.union(schema.literal(null), value),
  });
  const acceptor = schema.record({ role: schema.literal('acceptor'), promised: ballot, accepted });
  const learner = schema.record({
    role: schema.literal('learner'),
    // One per acceptor; the tally bug keeps every Accepted until it learns, and the duplicates.
    heard: schema.list(cfg.bugs.learnerCountsDuplicates ? announced + duplicates : A, schema.record({ acc, n: ballot, v: value })),
    learned: schema.union(schema.literal(null), value),
  });
  const msg = schema.union(
    schema.record({ type: schema.literal('Prepare'), n: ballot }),
    schema.record({ type: schema.literal('Promise'), n: ballot, accepted }),
    schema.record({ type: schema.literal('Accept'), n: ballot, v: value }),
    schema.record({ type: schema.literal('Accepted'), n: ballot, v: value }),
    schema.record({ type: schema.literal('Nack'), n: ballot, promised: ballot }),
  );
  const nodeIds = [...Array.from({ length: P }, (_, i) => proposerId(i)), ...cfg.acceptorIds, ...cfg.learnerIds];
  const role = (i: number) => (i < P ? proposer : i < P + A ? acceptor : learner);
  const sys = actorSystemSchema({
    nodeIds,
    node: role,
    // Only acceptors persist.
    durable: () => schema.record({ promised: ballot, accepted }),
    timers: ['retry'],
    msg,
    // Requests: per proposer, acceptor and ballot of its own (at most ballotsMax live), a Prepare
    // and an Accept, each with up to copiesMax copies (a retransmission adds none beyond that).
    // Replies: one per request delivered, and a proposer retransmits only once the replies are
    // in, but for its early timeouts. Per learner, the Accepted announcements. The duplicates.
    network: {
      kind: 'list',
      lengthMax: 2 * P * A * cfg.ballotsMax * reductions.copiesMax * (2 + reductions.earlyTimeoutsMax) + L * announced + duplicates,
    },
    dropsMax: faults.dropsMax ?? 0,
    duplicatesMax: duplicates,
    crashesMax: crashes,
    partitionsMax: faults.partitionsMax ?? 0,
  });
  const accs = schema.set(acc);
  return schema.record({
    sys,
    ghost: schema.record({
      // At most one value per ballot; votes of ballots no longer referenced are dropped.
      votes: schema.list(ballots, schema.record({ n: ballot, v: value, accs })),
      // At most one entry per value.
      chosen: schema.list(P, schema.record({ v: value, n: ballot, accs })),
      promiseHigh: schema.array(A, ballot),
    }),
    earlyTimeouts: schema.optional(schema.int(0, reductions.earlyTimeoutsMax)),
  });
}
