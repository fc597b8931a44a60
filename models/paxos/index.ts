// Single-decree Paxos ("Paxos Made Simple", Lamport 2001) as an actor system: proposers,
// acceptors and learners exchanging Prepare/Promise/Accept/Accepted (and Nack) over an
// unordered network with message loss, duplication, acceptor crashes (promise and accepted
// proposal are persisted) and partitions. See nodes.ts for the handlers and system.ts for the
// ghost state and the state-space reductions (re-based ballots, quiet timeouts, one copy in
// flight, stale messages forgotten): what each relies on, and the params that switch it off.
//
// Fairness (liveness): message delivery and a proposer's decision to propose are weakly fair;
// timeouts and faults are not, and faults eventually stop. Under that assumption dueling
// proposers can pre-empt each other forever (a livelock lasso); with a distinguished proposer
// (variant `distinguished`: only p1 moves to a higher ballot when pre-empted, the others give
// up after one ballot) every fair run chooses a value.

import type { ModelDefinition, Params, VariantSpec } from '../../src/core/model.ts';
import { InputError } from '../../src/core/model.ts';
import { paxosSystem, type PaxosModel, type Reductions } from './system.ts';
import type { PaxosConfig } from './nodes.ts';

export type { PaxosModel, PaxosState, PaxosAction, Ghost, Reductions } from './system.ts';
export type { PaxosMsg, PaxosNode, PaxosConfig } from './nodes.ts';
export { ballotLabel } from './nodes.ts';

export type PaxosVariant =
  | 'default'
  | 'distinguished'
  | 'proposer-uses-own-value'
  | 'acceptor-accepts-below-promise'
  | 'acceptor-forgets-promise'
  | 'learner-minority'
  | 'half-quorum'
  | 'accepted-not-persisted'
  | 'learner-counts-duplicates'
  | 'proposer-counts-promise-twice'
  | 'proposer-picks-lowest-accepted'
  | 'proposer-trusts-own-ballot';

export interface PaxosParams {
  readonly proposers: number;
  readonly acceptors: number;
  readonly learners: number;
  readonly ballotsMax: number;
  readonly dropsMax: number;
  readonly duplicatesMax: number;
  readonly crashesMax: number;
  readonly partitionsMax: number;
  /** The state-space reductions of system.ts (see its comment for what each relies on). */
  readonly rebase: number;
  readonly earlyTimeoutsMax: number;
  readonly copiesMax: number;
  readonly forgetStale: number;
}

export const PAXOS_DEFAULTS: PaxosParams = {
  proposers: 2,
  acceptors: 3,
  learners: 1,
  // One ballot per proposer, no faults: 22,603 states in ~3 s, with the learner. Each fault unit
  // multiplies the space roughly tenfold with a learner (dropsMax=1: 248,677 states; crashesMax=1:
  // 458,103), so faults and retries are checked by the scenarios below, without learners.
  // ballotsMax=1 means no retry at all: a pre-empted proposer's next round would be 2.
  ballotsMax: 1,
  dropsMax: 0,
  duplicatesMax: 0,
  crashesMax: 0,
  partitionsMax: 0,
  // Every reduction on: the figures pinned in properties/paxos.test.ts are for these.
  rebase: 1,
  earlyTimeoutsMax: 0,
  copiesMax: 1,
  forgetStale: 1,
};

/** `options` overrides the reductions the params select (tests compare a row with and without
 * one). */
export function paxos(params: Partial<PaxosParams> = {}, variant: PaxosVariant = 'default', options: Partial<Reductions> = {}): PaxosModel {
  const p = { ...PAXOS_DEFAULTS, ...params };
  const majority = Math.floor(p.acceptors / 2) + 1;
  // The planted bug "majority = half": n/2 rounded down (2 of 4 acceptors, 1 of 3).
  const quorum = variant === 'half-quorum' ? Math.max(1, Math.floor(p.acceptors / 2)) : majority;
  const cfg: PaxosConfig = {
    proposers: p.proposers,
    acceptorIds: ids('a', p.acceptors),
    learnerIds: ids('l', p.learners),
    ballotsMax: p.ballotsMax,
    quorum,
    learnerQuorum: variant === 'learner-minority' ? Math.max(1, majority - 1) : quorum,
    distinguished: variant === 'distinguished',
    bugs: {
      proposerUsesOwnValue: variant === 'proposer-uses-own-value',
      acceptBelowPromise: variant === 'acceptor-accepts-below-promise',
      forgetPromiseOnRestart: variant === 'acceptor-forgets-promise',
      acceptedNotPersisted: variant === 'accepted-not-persisted',
      learnerCountsDuplicates: variant === 'learner-counts-duplicates',
      proposerCountsPromiseTwice: variant === 'proposer-counts-promise-twice',
      proposerPicksLowestAccepted: variant === 'proposer-picks-lowest-accepted',
      proposerTrustsOwnBallot: variant === 'proposer-trusts-own-ballot',
    },
  };
  const reductions: Reductions = {
    rebase: p.rebase === 1,
    earlyTimeoutsMax: p.earlyTimeoutsMax,
    copiesMax: p.copiesMax,
    forgetStale: p.forgetStale === 1,
    ...options,
  };
  return paxosSystem(cfg, {
    dropsMax: p.dropsMax,
    duplicatesMax: p.duplicatesMax,
    crashesMax: p.crashesMax,
    partitionsMax: p.partitionsMax,
  }, reductions);
}

function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
}

export const paxosVariants: readonly VariantSpec[] = [
  { name: 'default', description: 'single-decree Paxos; every proposer retries with a higher ballot when pre-empted', expect: { status: 'holds' } },
  {
    name: 'distinguished',
    description: 'only p1 retries when pre-empted (a distinguished proposer); the others give up after one ballot',
    expect: { status: 'holds' },
    // Retries need ballotsMax > 1 (at 1 this is the default model); without the learner it is
    // exhausted in ~2 s (with it: 365,417 states, ~50 s).
    params: { ballotsMax: 3, learners: 0 },
  },
  {
    name: 'proposer-uses-own-value',
    description: 'bug: phase 2 sends the proposer\'s own value instead of the highest-numbered accepted one',
    expect: { status: 'violation', property: 'Agreement' },
  },
  {
    name: 'acceptor-accepts-below-promise',
    description: 'bug: an acceptor accepts a proposal numbered below its promise',
    expect: { status: 'violation', property: 'Agreement' },
  },
  {
    name: 'acceptor-forgets-promise',
    description: 'bug: a restarted acceptor recovers its accepted proposal but not its promise',
    expect: { status: 'violation', property: 'PromiseNeverDecreases' },
    params: { crashesMax: 1 },
  },
  {
    name: 'learner-minority',
    description: 'bug: a learner learns from fewer than a majority of acceptors (1 of 3, 2 of 5)',
    expect: { status: 'violation', property: 'LearnedChosen' },
  },
  {
    name: 'half-quorum',
    description: 'bug: "majority" computed as half the acceptors, rounded down (2 of 4): quorums need not intersect',
    expect: { status: 'violation', property: 'Agreement' },
    params: { acceptors: 4 },
  },
  {
    name: 'accepted-not-persisted',
    description: 'bug: an acceptor persists its promise but not its accepted proposal, so a restart forgets its vote',
    expect: { status: 'violation', property: 'Agreement' },
    params: { crashesMax: 1 },
  },
  {
    name: 'learner-counts-duplicates',
    description: 'bug: a learner tallies Accepted messages instead of acceptors, so a duplicated Accepted counts twice',
    expect: { status: 'violation', property: 'LearnedChosen' },
    // A repeated Accepted comes only from the duplicate fault; forgetStale=1 would remove it once
    // the first copy is counted (system.ts, reduction 5), hiding the bug. One proposer suffices.
    params: { proposers: 1, duplicatesMax: 1, forgetStale: 0 },
  },
  {
    name: 'proposer-counts-promise-twice',
    description: 'bug: a proposer tallies Promise messages instead of acceptors, so a repeated Promise makes a "majority" of one acceptor',
    expect: { status: 'violation', property: 'Agreement' },
    // A second Promise from one acceptor needs a duplicate (or an early timeout: reduction 3),
    // and forgetStale=0, or it is removed once the first is counted (reduction 5).
    params: { learners: 0, duplicatesMax: 1, forgetStale: 0 },
  },
  {
    name: 'proposer-picks-lowest-accepted',
    description: 'bug: phase 2 takes the value of the lowest-numbered accepted proposal among the promises instead of the highest',
    expect: { status: 'violation', property: 'Agreement' },
    // Needs three ballots: (1,p1) accepted by one acceptor, (1,p2) chosen without seeing it, and
    // (2,p1) seeing both; two proposers reach that with one retry (at ballotsMax=1 it holds).
    params: { learners: 0, ballotsMax: 2 },
  },
  {
    name: 'proposer-trusts-own-ballot',
    description: 'bug: when the highest accepted proposal among the promises is the proposer\'s own earlier ballot, it re-proposes its own value ' +
      '(though that ballot may have carried a value adopted from another proposer)',
    expect: { status: 'violation', property: 'Agreement' },
    // Needs three rounds: p2's (1,p2) re-proposes v1, p1's (2,p1) pre-empts it, and p2's (3,p2)
    // finds its own (1,p2) highest and sends v2 (at ballotsMax=2 it holds; ~15 s exhausted).
    params: { learners: 0, ballotsMax: 3 },
  },
];

export const paxosDefinition: ModelDefinition = {
  name: 'paxos',
  summary:
    'single-decree Paxos (proposers, acceptors, learners). Defaults: 2 proposers with one ballot each, 3 acceptors, 1 learner, ' +
    'an unordered network (reordering) and no other fault; scenarios add retries (3 rounds), 2 drops, a duplicate, ' +
    'an acceptor crash/restart, a partition, rows with the state-space reductions off, and liveness of dueling vs distinguished proposers',
  source: 'Lamport, "Paxos Made Simple" (2001), §2; faultline actor system',
  params: [
    { name: 'proposers', description: 'proposers p1..pk; pi proposes value vi', default: PAXOS_DEFAULTS.proposers, min: 1, max: 4 },
    { name: 'acceptors', description: 'acceptors a1..an; a quorum is floor(n/2)+1 of them', default: PAXOS_DEFAULTS.acceptors, min: 1, max: 7 },
    { name: 'learners', description: 'learners l1..lm (0: none; "chosen" is still tracked)', default: PAXOS_DEFAULTS.learners, min: 0, max: 3 },
    {
      name: 'ballotsMax',
      description: 'rounds a proposer may use above the oldest round still live (ballots are re-based, so this is a window; with rebase=0, the highest round)',
      default: PAXOS_DEFAULTS.ballotsMax,
      min: 1,
      max: 6,
    },
    { name: 'dropsMax', description: 'messages the network may lose', default: PAXOS_DEFAULTS.dropsMax, min: 0 },
    { name: 'duplicatesMax', description: 'messages the network may duplicate', default: PAXOS_DEFAULTS.duplicatesMax, min: 0 },
    { name: 'crashesMax', description: 'acceptor crashes (a crashed acceptor may restart from its persisted state)', default: PAXOS_DEFAULTS.crashesMax, min: 0 },
    { name: 'partitionsMax', description: 'network partitions into two sides (each may heal)', default: PAXOS_DEFAULTS.partitionsMax, min: 0 },
    {
      name: 'rebase',
      description: 'reduction: 1 = rounds re-based so the oldest live round is 1 (ballotsMax a window); 0 = absolute rounds, ballotsMax caps them',
      default: PAXOS_DEFAULTS.rebase,
      min: 0,
      max: 1,
    },
    {
      name: 'earlyTimeoutsMax',
      description: 'reduction: 0 = a proposer times out only when its exchange is quiet; k = up to k timeouts in a run may fire while messages to or from it are in flight',
      default: PAXOS_DEFAULTS.earlyTimeoutsMax,
      min: 0,
      max: 3,
    },
    {
      name: 'copiesMax',
      description: 'reduction: 1 = a retransmission adds no copy of a message still in flight (a second copy is the duplicate fault); k = it adds copies up to k in flight',
      default: PAXOS_DEFAULTS.copiesMax,
      min: 1,
      max: 3,
    },
    {
      name: 'forgetStale',
      description: 'reduction: 1 = the network forgets messages a correct proposer or learner ignores (a repeated Promise or Accepted, ' +
        'replies to an old ballot); 0 = they stay in flight and are delivered (rows of the tally bugs)',
      default: PAXOS_DEFAULTS.forgetStale,
      min: 0,
      max: 1,
    },
  ],
  variants: paxosVariants,
  create: (params: Params, variant: string) => {
    if (!paxosVariants.some((v) => v.name === variant)) throw new InputError(`paxos has no variant '${variant}'`);
    return paxos(params as unknown as PaxosParams, variant as PaxosVariant);
  },
  scenarios: paxosScenarios(),
};

/** Faults at sizes that are exhausted in seconds: without learners (learners only add Accepted
 * traffic; "chosen" is tracked by the ghost state either way), one ballot per proposer unless
 * retries are the point. The network is unordered in every check, so reordering is always on. */
function paxosScenarios(): ModelDefinition['scenarios'] {
  const safety = (name: string, description: string, params: Record<string, number>) =>
    ({ kind: 'safety', name, description, params: { learners: 0, ...params }, expect: { status: 'holds' } }) as const;
  // Every reduction of system.ts off: stale messages stay in flight, rounds are absolute, one
  // timeout may fire while replies are in flight and a retransmission may add a second copy.
  const unreduced = { forgetStale: 0, rebase: 0, earlyTimeoutsMax: 1, copiesMax: 2 };
  return [
    safety('agreement-with-retries', 'dueling proposers that retry with higher ballots (3 rounds each) keep every invariant', { ballotsMax: 3 }),
    safety('agreement-under-loss', 'with two messages lost (and retransmitted on timeout), at most one value is chosen', { dropsMax: 2 }),
    safety('agreement-under-duplication', 'with a duplicated message, at most one value is chosen', { duplicatesMax: 1 }),
    safety('agreement-under-crashes', 'with an acceptor crashing and restarting from its persisted promise and vote, at most one value is chosen', { crashesMax: 1 }),
    safety('agreement-under-partition', 'with the network partitioned into two sides (and healed), at most one value is chosen', { partitionsMax: 1 }),
    safety(
      'unreduced-learner',
      'every reduction off, one proposer, a learner and a duplicated message: the learner learns only a chosen value ' +
        '(the row that sees a learner counting a repeated Accepted)',
      { ...unreduced, proposers: 1, learners: 1, duplicatesMax: 1 },
    ),
    safety(
      'unreduced-dueling',
      'every reduction off, two proposers with one ballot each: a reply to an early retransmission is a second Promise, ' +
        'and at most one value is chosen',
      { ...unreduced, ballotsMax: 1 },
    ),
    safety(
      'unreduced-retries',
      'stale messages kept and rounds absolute (timeouts quiet), two proposers with 2 rounds each: three ballots, ' +
        'deep enough for a wrong phase-2 value choice',
      { forgetStale: 0, rebase: 0, ballotsMax: 2 },
    ),
    {
      kind: 'liveness',
      name: 'dueling-proposers-livelock',
      description: 'two proposers that each retry when pre-empted can pre-empt each other forever: a fair cycle in which no value is chosen',
      params: { learners: 0, ballotsMax: 3 },
      expect: { status: 'violation', property: 'livelock' },
    },
    {
      kind: 'liveness',
      name: 'distinguished-proposer-chooses',
      description: 'with a distinguished proposer (only p1 retries), every fair run chooses a value once faults stop: no stuck state, no livelock',
      variant: 'distinguished',
      params: { learners: 0, ballotsMax: 3 },
      expect: { status: 'holds' },
    },
  ];
}
