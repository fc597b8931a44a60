// Lease-based leader election under bounded clock skew: three nodes, each a voter and a
// candidate, elect a leader for a lease measured on their own clocks (nodes.ts has the protocol
// and why the leader's margin is 2·skewMax; system.ts the property and the reductions). The
// actor system's abstract time gives every node an integer clock; with skewMax > 0 the nodes
// tick one at a time and any two clocks stay at most skewMax apart (src/core/actors.ts). The
// network is unordered and loses nothing; message delay is arbitrary (clocks tick while a
// message is in flight).
//
// LeaseExclusive: no two nodes hold a valid lease at once (a holder won a campaign and its
// clock has not reached its lease end). Two planted bugs shorten the margin: a leader that
// ignores drift (margin 0) or subtracts it once (margin skewMax) keeps its lease after a
// voter's promise has run out on a faster clock, and a second leader is elected. With
// skewMax = 0 the clocks agree, every margin is 0 and neither bug can show. A third forgets the
// recovery rule: a restarted node grants at once, though it may have promised another before
// its crash.
//
// Bounds: runs in which no clock passes timeMax (default 3: a lease, its end, and a second
// election, which needs 3 ticks at D = 3 and skewMax = 1), and up to crashesMax crashes.

import type { ModelDefinition, Params } from '../../src/core/model.ts';
import { InputError } from '../../src/core/model.ts';
import { leaseSystem, type LeaseModel } from './system.ts';

export type { LeaseMsg, LeaseNode, LeasePromise } from './nodes.ts';
export { holders, leaseExclusive, leaseWitnesses, LEASE_NODES, type LeaseModel, type LeaseState } from './system.ts';

export type LeaseVariant = 'default' | 'leader-ignores-drift' | 'leader-subtracts-drift-once' | 'restart-forgets-promise';

const VARIANTS: readonly LeaseVariant[] = ['default', 'leader-ignores-drift', 'leader-subtracts-drift-once', 'restart-forgets-promise'];

export interface LeaseParams {
  readonly leaseDuration: number;
  readonly skewMax: number;
  readonly timeMax: number;
  readonly crashesMax: number;
  /** The reduction of system.ts: 1 = messages of a campaign that is over leave the network. */
  readonly forgetStale: number;
}

// Default check: 371,230 distinct states, ~4 s, with no reduction. timeMax=4 without the
// reduction is 4.4 million states; with forgetStale=1 it is 44,450 (and 21,409 at timeMax=3).
export const LEASE_DEFAULTS: LeaseParams = { leaseDuration: 3, skewMax: 1, timeMax: 3, crashesMax: 0, forgetStale: 0 };

/** What the leader subtracts from start + D: 2·skewMax (nodes.ts says why), or a planted bug's. */
export function marginOf(variant: LeaseVariant, skewMax: number): number {
  switch (variant) {
    case 'leader-ignores-drift':
      return 0;
    case 'leader-subtracts-drift-once':
      return skewMax;
    case 'default':
    case 'restart-forgets-promise':
      return 2 * skewMax;
    default: {
      const never: never = variant;
      throw new Error(`unknown lease variant ${String(never)}`);
    }
  }
}

export function lease(params: Partial<LeaseParams> = {}, variant: LeaseVariant = 'default'): LeaseModel {
  const p = { ...LEASE_DEFAULTS, ...params };
  return leaseSystem({
    leaseDuration: p.leaseDuration,
    margin: marginOf(variant, p.skewMax),
    restartForgetsPromise: variant === 'restart-forgets-promise',
    skewMax: p.skewMax,
    timeMax: p.timeMax,
    crashesMax: p.crashesMax,
    forgetStale: p.forgetStale === 1,
  });
}

export const leaseDefinition: ModelDefinition = {
  name: 'lease',
  summary:
    'lease-based leader election on clocks with bounded skew: 3 nodes, each a voter and a candidate; a leader holds its lease ' +
    'until start + D - 2·skewMax on its own clock. Defaults: D=3, skewMax=1, timeMax=4, no crashes',
  source: 'Gray & Cheriton 1989, "Leases"; Chubby master leases (Burrows 2006); Raft leader leases (Ongaro 2014, dissertation §6.4.1)',
  params: [
    { name: 'leaseDuration', description: 'D: a promise lasts D ticks of the voter\'s clock', default: LEASE_DEFAULTS.leaseDuration, min: 1, max: 8 },
    { name: 'skewMax', description: 'any two clocks differ by at most this (0: one tick advances every clock)', default: LEASE_DEFAULTS.skewMax, min: 0, max: 3 },
    { name: 'timeMax', description: 'clocks stop at this value: runs last at most timeMax ticks', default: LEASE_DEFAULTS.timeMax, min: 0, max: 12 },
    {
      name: 'crashesMax',
      description: 'node crashes (nothing is persisted; a restarted node grants nothing and does not campaign for D ticks)',
      default: LEASE_DEFAULTS.crashesMax,
      min: 0,
      max: 2,
    },
    {
      name: 'forgetStale',
      description: 'reduction: 1 = messages of a campaign that is over (won, run out, replaced) leave the network (system.ts); 0 = they stay and may be delivered',
      default: LEASE_DEFAULTS.forgetStale,
      min: 0,
      max: 1,
    },
  ],
  variants: [
    { name: 'default', description: 'a leader holds its lease until start + D - 2·skewMax on its own clock; a restarted node waits out D', expect: { status: 'holds' } },
    {
      name: 'leader-ignores-drift',
      description: 'bug: the leader keeps its lease until start + D on its own clock (margin 0), after a promise has run out on a faster clock',
      expect: { status: 'violation', property: 'LeaseExclusive' },
    },
    {
      name: 'leader-subtracts-drift-once',
      description: 'bug: the leader subtracts skewMax once (margin skewMax), though its clock may be behind when it asks and the voter\'s ahead when the promise ends',
      expect: { status: 'violation', property: 'LeaseExclusive' },
    },
    {
      name: 'restart-forgets-promise',
      description: 'bug: a restarted node grants and campaigns at once, forgetting a promise it gave before the crash (nothing is persisted)',
      expect: { status: 'violation', property: 'LeaseExclusive' },
      params: { crashesMax: 1 },
    },
  ],
  create: (params: Params, variant: string) => {
    if (!VARIANTS.includes(variant as LeaseVariant)) throw new InputError(`lease has no variant '${variant}' (variants: ${VARIANTS.join(', ')})`);
    return lease(params as unknown as LeaseParams, variant as LeaseVariant);
  },
  scenarios: [
    {
      kind: 'safety',
      name: 'synchronised-clocks-need-no-margin',
      description: 'with skewMax=0 (clocks always agree) a leader that ignores drift keeps leases exclusive too: the margin covers skew, nothing else',
      variant: 'leader-ignores-drift',
      params: { skewMax: 0 },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'exclusive-under-crashes',
      description: 'with a node crashing and restarting with nothing persisted (it waits out one lease duration), leases stay exclusive (stale messages forgotten: 2.8M states without)',
      params: { crashesMax: 1, forgetStale: 1 },
      expect: { status: 'holds' },
    },
  ],
};
