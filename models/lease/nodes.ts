// The lease node: every node is a voter and a candidate. The handlers read the node's own clock
// (`ctx.now`) and nothing else of time; the actor system advances the clocks (see its header).
//
// Leases after Gray & Cheriton 1989, "Leases: An Efficient Fault-Tolerant Mechanism for
// Distributed File Cache Consistency" (a lease is a promise for a term, correct only if the
// term allows for clock skew; a server that has lost its state waits out a term before it
// grants again), as Chubby's master lease (Burrows 2006: the replicas promise not to elect
// another master for the lease interval) and Raft's leader lease (Ongaro 2014, §6.4.1: the
// lease runs from when the leader *sent* its requests, less a bound on clock drift) use them:
// - A candidate asks every node (itself included, locally) for a lease, remembering `start`,
//   its clock when it asked. Measuring from the ask, not from the grants, is what makes message
//   delay harmless: every grant was given after `start`.
// - A voter grants unless it has an unexpired promise to another candidate. A promise given
//   at the voter's clock tv lasts until the voter's clock reads tv + D; granting the same
//   candidate again renews it (the renewal must last as long as the lease it helps to give).
//   A refusal is silence.
// - A candidate granted by a majority holds the lease until its own clock reads
//   start + D - margin, with margin = 2·skewMax. Why: any two clocks are within ε = skewMax at
//   every instant. A voter granting at its clock tv did so after the ask, when the candidate's
//   clock was c ≥ start, so tv ≥ c - ε ≥ start - ε. Its promise ends when its clock reads
//   tv + D; at that instant the old leader's clock is ≥ tv + D - ε ≥ start + D - 2ε. So no
//   voter of the majority can promise again while the lease (ending at start + D - 2ε on the
//   leader's clock) is still valid, and any new majority needs one of them. The bound is
//   tight: both ε are needed, the candidate's clock behind the voter's when it asks, and the
//   voter's ahead of the leader's when the promise ends.
//
// Persistence: nothing is persisted. A restarted node remembers no promise, so, like Gray &
// Cheriton's recovering server, it grants nothing (and does not campaign) for one lease
// duration after restart: a promise "to nobody" until its clock reads restart + D. That covers
// any promise given before the crash, which was given at a clock ≤ the restart clock.
//
// Campaigns: one timer, `campaign`. At start it is plain (a node may campaign whenever it likes);
// afterwards it is always set at the end of the node's own promise (to itself or to another),
// so a node campaigns only once it is free to grant itself, and at most once every D ticks. A
// campaign is named by its `start`, which is the epoch its messages carry: unique per
// candidate, and only echoed back by voters (a voter never reads another node's clock).
// There is no renewal: a leader campaigns again, like anyone, once its own promise ends.

import { clockOf, majority, type HandlerResult, type NodeContext, type NodeId, type NodeInput, type NodeSpec } from '../../src/core/actors.ts';

export type LeaseMsg =
  | { readonly type: 'RequestLease'; readonly epoch: number }
  | { readonly type: 'Grant'; readonly epoch: number };

/** A promise not to grant anyone else until the node's clock reads `until`. Without `to`, it
 * is a promise to nobody: the quiet period after a restart. */
export interface LeasePromise {
  readonly to?: NodeId;
  readonly until: number;
}

export interface LeaseNode {
  /** The voter's latest promise (possibly expired: a node forgets nothing on its own). */
  readonly promise?: LeasePromise;
  /** The candidate's current campaign: when it asked, and who has granted (sorted). Cleared
   * when the campaign wins. */
  readonly campaign?: { readonly start: number; readonly grants: readonly NodeId[] };
  /** Set when the node wins a campaign: it believes it is leader until its clock reads this
   * (kept after expiry; a new win replaces it). */
  readonly leaseEnd?: number;
}

export interface LeaseConfig {
  /** D: how long a promise lasts on the voter's clock. */
  readonly leaseDuration: number;
  /** What a leader subtracts from start + D (2·skewMax when correct). */
  readonly margin: number;
  /** Planted bug: a restarted node grants (and campaigns) at once, without its quiet period. */
  readonly restartForgetsPromise: boolean;
}

type Result = HandlerResult<LeaseNode, LeaseMsg, never, never>;

const CAMPAIGN = 'campaign';

/** Whether the voter may promise `candidate` now: no unexpired promise to anyone else. */
function mayGrant(node: LeaseNode, candidate: NodeId, now: number): boolean {
  const p = node.promise;
  return p === undefined || now >= p.until || p.to === candidate;
}

/** The voter's promise to `candidate` from now for D; its own campaign waits until it ends. */
function promise(node: LeaseNode, candidate: NodeId, now: number, cfg: LeaseConfig): { node: LeaseNode; until: number } {
  const until = now + cfg.leaseDuration;
  return { node: { ...node, promise: { to: candidate, until } }, until };
}

/** The campaign timer fired: ask everyone, granting itself first. A node still bound by a
 * promise to another waits for it to end (the timer is normally set there already). */
function campaign(node: LeaseNode, ctx: NodeContext, cfg: LeaseConfig): Result {
  const now = clockOf(ctx);
  if (!mayGrant(node, ctx.id, now)) {
    return { state: node, effects: [{ kind: 'set-timer', timer: CAMPAIGN, at: node.promise!.until }] };
  }
  const self = promise(node, ctx.id, now, cfg);
  const state: LeaseNode = { ...self.node, campaign: { start: now, grants: [ctx.id] } };
  const asks = ctx.nodes.filter((id) => id !== ctx.id).map((to) => ({ kind: 'send' as const, to, msg: { type: 'RequestLease' as const, epoch: now } }));
  return maybeWin(state, now, ctx, cfg, [...asks, { kind: 'set-timer', timer: CAMPAIGN, at: self.until }]);
}

function handleRequestLease(node: LeaseNode, from: NodeId, epoch: number, ctx: NodeContext, cfg: LeaseConfig): Result {
  const now = clockOf(ctx);
  // A refusal is silence: the candidate gives up when its own promise ends.
  if (!mayGrant(node, from, now)) return { state: node };
  const granted = promise(node, from, now, cfg);
  return {
    state: granted.node,
    effects: [
      { kind: 'send', to: from, msg: { type: 'Grant', epoch } },
      { kind: 'set-timer', timer: CAMPAIGN, at: granted.until },
    ],
  };
}

function handleGrant(node: LeaseNode, from: NodeId, epoch: number, ctx: NodeContext, cfg: LeaseConfig): Result {
  const now = clockOf(ctx);
  const c = node.campaign;
  // A grant for an older campaign, a repeated one, or one too late to give any lease is ignored.
  if (c === undefined || c.start !== epoch || c.grants.includes(from) || now >= leaseEndOf(c.start, cfg)) return { state: node };
  const grants = [...c.grants, from].sort();
  return maybeWin({ ...node, campaign: { ...c, grants } }, now, ctx, cfg, []);
}

/** Where a campaign started at `start` ends its lease, on the candidate's clock. */
export function leaseEndOf(start: number, cfg: LeaseConfig): number {
  return start + cfg.leaseDuration - cfg.margin;
}

/** becomeLeader once a majority has granted (and the lease has not already run out). */
function maybeWin(node: LeaseNode, now: number, ctx: NodeContext, cfg: LeaseConfig, effects: Result['effects']): Result {
  const c = node.campaign!;
  const end = leaseEndOf(c.start, cfg);
  if (c.grants.length < majority(ctx) || now >= end) return { state: node, effects };
  return { state: { ...withoutCampaign(node), leaseEnd: end }, effects };
}

function withoutCampaign(node: LeaseNode): LeaseNode {
  const { campaign: _campaign, ...rest } = node;
  return rest;
}

function handle(node: LeaseNode, input: NodeInput<LeaseMsg, never>, ctx: NodeContext, cfg: LeaseConfig): Result {
  switch (input.kind) {
    case 'timeout':
      return input.timer === CAMPAIGN ? campaign(node, ctx, cfg) : { state: node };
    case 'receive': {
      const msg = input.msg;
      switch (msg.type) {
        case 'RequestLease':
          return handleRequestLease(node, input.from, msg.epoch, ctx, cfg);
        case 'Grant':
          return handleGrant(node, input.from, msg.epoch, ctx, cfg);
        default: {
          const never: never = msg;
          throw new Error(`unknown lease message ${JSON.stringify(never)}`);
        }
      }
    }
    case 'internal':
    case 'request':
      throw new Error(`${ctx.id}: a lease node has no ${input.kind} inputs`);
    default: {
      const never: never = input;
      throw new Error(`unknown input ${JSON.stringify(never)}`);
    }
  }
}

export function leaseNode(cfg: LeaseConfig): NodeSpec<LeaseNode, LeaseMsg, never, never, never> {
  return {
    init: () => ({ state: {}, effects: [{ kind: 'set-timer', timer: CAMPAIGN }] }),
    handle: (node, input, ctx) => handle(node, input, ctx, cfg),
    // Nothing was persisted: a promise to nobody for one lease duration covers whatever the
    // node promised before it crashed (Gray & Cheriton's recovery rule). The planted bug starts
    // afresh, as if it had never promised anything.
    restart: (_durable, ctx) => {
      if (cfg.restartForgetsPromise) return { state: {}, effects: [{ kind: 'set-timer', timer: CAMPAIGN }] };
      const until = clockOf(ctx) + cfg.leaseDuration;
      return { state: { promise: { until } }, effects: [{ kind: 'set-timer', timer: CAMPAIGN, at: until }] };
    },
  };
}

export function describeMsg(msg: LeaseMsg): string {
  return `${msg.type} e=${msg.epoch}`;
}
