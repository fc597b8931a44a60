// Two-phase commit as an actor system (Gray 1978; Bernstein, Hadzilacos & Goodman ch. 7):
// 1. the coordinator sends Prepare; each participant writes its redo/undo records (persisted)
//    and votes yes, or votes no and aborts;
// 2. the coordinator commits if every vote is yes, aborts on a no or when its vote timer
//    fires; it persists the decision before sending it, re-sends it on timeout until every
//    participant acked, and after a crash recovers the decision from its log (with no decision
//    logged it presumes abort). A prepared participant must wait for the decision: it blocks.
// The network is a set unless network=1 (models/twopc/common.ts says what the set assumes):
// atomic-on-unordered-network and coordinator-counts-votes run on the unordered multiset with
// duplication.

import type { ModelDefinition, Params } from '../../src/core/model.ts';
import { tCommit } from '../tcommit/index.ts';
import { actorSystem, type ActorModel, type HandlerResult, type NodeContext, type NodeInput, type NodeSpec, type SystemState } from '../../src/core/actors.ts';
import { updateAt } from '../../src/core/data.ts';
import { actorSystemSchema, schema, type Schema } from '../../src/core/schema.ts';
import {
  boundRetransmission, commitCopiesMax, commitNetwork, COORDINATOR, commitInvariants, commitParams, commitWitnesses, everyoneDecided, faultBudget,
  participantIds, participantSymmetry, recordDecision, toTCommit, type Decision, type ParticipantView,
} from './common.ts';

export * from './common.ts';

export type Msg =
  | { readonly type: 'Prepare' }
  | { readonly type: 'Vote'; readonly vote: 'yes' | 'no' }
  | { readonly type: 'Commit' }
  | { readonly type: 'Abort' }
  | { readonly type: 'Ack' };

export interface Coordinator {
  readonly role: 'coordinator';
  readonly phase: 'collecting' | 'deciding' | 'done';
  readonly decision: Decision | undefined;
  /** votes[i] of participant i+1, null until it arrives. */
  readonly votes: readonly ('yes' | 'no' | null)[];
  readonly acks: readonly boolean[];
}

export interface Participant extends ParticipantView {
  /** working → asked (Prepare received) → prepared (voted yes) → committed | aborted */
  readonly status: 'working' | 'asked' | 'prepared' | 'committed' | 'aborted';
}

export type Node = Coordinator | Participant;
type Durable = { readonly decision: Decision } | Participant;
type Result = HandlerResult<Node, Msg, Durable, never>;
type Input = NodeInput<Msg, never>;

export type TwoPcVariant =
  | 'default'
  | 'commit-on-vote-timeout'
  | 'participant-heuristic-abort'
  | 'decide-after-first-yes'
  | 'coordinator-forgets-decision'
  | 'participant-forgets-vote'
  | 'coordinator-counts-votes';

function sendAll(ctx: NodeContext, msg: Msg) {
  return ctx.nodes.filter((id) => id !== COORDINATOR).map((to) => ({ kind: 'send' as const, to, msg }));
}

const participantIndex = (id: string) => Number(id.slice(1)) - 1;

function coordinator(n: number, variant: TwoPcVariant): NodeSpec<Node, Msg, Durable, never, never> {
  const fresh = (): Coordinator => ({ role: 'coordinator', phase: 'collecting', decision: undefined, votes: Array(n).fill(null), acks: Array(n).fill(false) });
  const decide = (c: Coordinator, decision: Decision, ctx: NodeContext): Result => ({
    state: { ...c, phase: 'deciding', decision },
    effects: [
      ...(variant === 'coordinator-forgets-decision' ? [] : [{ kind: 'persist' as const, data: { decision } }]),
      ...sendAll(ctx, { type: decision === 'commit' ? 'Commit' : 'Abort' }),
      { kind: 'cancel-timer', timer: 'vote' },
      { kind: 'set-timer', timer: 'resend' },
    ],
  });
  return {
    init: (ctx) => ({ state: fresh(), effects: [...sendAll(ctx, { type: 'Prepare' }), { kind: 'set-timer', timer: 'vote' }] }),
    handle: (s, input, ctx) => (s.role === 'coordinator' ? coordinatorStep(s, input, ctx, decide, variant) : { state: s }),
    // Recovery: the logged decision is re-sent; with none logged, presume abort.
    restart: (durable, ctx) => decide(fresh(), durable !== undefined && 'decision' in durable ? durable.decision : 'abort', ctx),
  };
}

function coordinatorStep(
  c: Coordinator,
  input: Input,
  ctx: NodeContext,
  decide: (c: Coordinator, d: Decision, ctx: NodeContext) => Result,
  variant: TwoPcVariant,
): Result {
  if (input.kind === 'timeout') {
    if (input.timer === 'vote' && c.phase === 'collecting') return decide(c, variant === 'commit-on-vote-timeout' ? 'commit' : 'abort', ctx);
    if (input.timer === 'resend' && c.phase === 'deciding') {
      const msg: Msg = { type: c.decision === 'commit' ? 'Commit' : 'Abort' };
      const pending = ctx.nodes.filter((id) => id !== COORDINATOR && !c.acks[participantIndex(id)]);
      return { state: c, effects: [...pending.map((to) => ({ kind: 'send' as const, to, msg })), { kind: 'set-timer', timer: 'resend' }] };
    }
    return { state: c };
  }
  if (input.kind !== 'receive') return { state: c };
  const i = participantIndex(input.from);
  const msg = input.msg;
  if (msg.type === 'Vote' && c.phase === 'collecting') {
    // The counts-votes bug files a vote in the first empty slot, whoever sent it: it knows how
    // many yes votes came, not whose, so a duplicated yes stands in for a missing one.
    const slot = variant === 'coordinator-counts-votes' ? c.votes.indexOf(null) : i;
    if (slot < 0) throw new Error('coordinator: a vote arrived while collecting with every vote recorded');
    const votes = updateAt(c.votes, slot, msg.vote);
    const next = { ...c, votes };
    if (msg.vote === 'no') return decide(next, 'abort', ctx);
    if (variant === 'decide-after-first-yes' || votes.every((v) => v === 'yes')) return decide(next, 'commit', ctx);
    return { state: next };
  }
  if (msg.type === 'Ack' && c.phase === 'deciding') {
    const acks = updateAt(c.acks, i, true);
    const done = acks.every((a) => a);
    return { state: { ...c, acks, phase: done ? 'done' : 'deciding' }, effects: done ? [{ kind: 'cancel-timer', timer: 'resend' }] : [] };
  }
  return { state: c };
}

function participant(variant: TwoPcVariant): NodeSpec<Node, Msg, Durable, never, never> {
  const fresh: Participant = { role: 'participant', status: 'working', vote: undefined, applied: [] };
  const apply = (p: Participant, d: Decision): Result => {
    const next: Participant = {
      ...p,
      status: d === 'commit' ? 'committed' : 'aborted',
      applied: recordDecision(p.applied, d),
    };
    return {
      state: next,
      effects: [{ kind: 'persist', data: next }, { kind: 'send', to: COORDINATOR, msg: { type: 'Ack' } }, { kind: 'cancel-timer', timer: 'decision' }],
    };
  };
  return {
    init: () => ({ state: fresh }),
    internal: (s) => (s.role === 'participant' && s.status === 'asked' ? ['votes yes', 'votes no'] : []),
    handle: (s, input) => (s.role === 'participant' ? participantStep(s, input, apply, variant) : { state: s }),
    // The log holds the vote and any decision: a prepared participant stays prepared (blocked).
    restart: (durable) => ({
      state: durable !== undefined && 'role' in durable ? recover(durable, variant) : fresh,
      effects: durable !== undefined && 'role' in durable && durable.status === 'prepared' && variant === 'participant-heuristic-abort'
        ? [{ kind: 'set-timer', timer: 'decision' }]
        : [],
    }),
  };
}

/** What a participant knows after a crash. The forgets-vote bug loses an undecided vote (it
 * never wrote its redo/undo records), keeping only the ghost history. */
function recover(logged: Participant, variant: TwoPcVariant): Participant {
  if (variant === 'participant-forgets-vote' && logged.status === 'prepared') {
    return { role: 'participant', status: 'working', vote: undefined, applied: logged.applied };
  }
  return logged;
}

function participantStep(p: Participant, input: Input, apply: (p: Participant, d: Decision) => Result, variant: TwoPcVariant): Result {
  switch (input.kind) {
    case 'internal': {
      if (p.status !== 'asked') return { state: p };
      const yes = input.choice === 'votes yes';
      const next: Participant = yes
        ? { ...p, status: 'prepared', vote: 'yes' }
        : { ...p, status: 'aborted', vote: 'no', applied: [...p.applied, 'abort'] };
      return {
        state: next,
        effects: [
          { kind: 'persist', data: next }, // redo/undo records (or the abort) before the vote
          { kind: 'send', to: COORDINATOR, msg: { type: 'Vote', vote: yes ? 'yes' : 'no' } },
          ...(yes && variant === 'participant-heuristic-abort' ? [{ kind: 'set-timer' as const, timer: 'decision' }] : []),
        ],
      };
    }
    case 'timeout':
      // Only the heuristic-abort bug arms this timer: a prepared participant gives up.
      return p.status === 'prepared' ? apply(p, 'abort') : { state: p };
    case 'receive':
      switch (input.msg.type) {
        case 'Prepare':
          if (p.status === 'working') return { state: { ...p, status: 'asked' } };
          // A duplicate Prepare after voting: answer again with the logged vote.
          return p.vote === undefined ? { state: p } : { state: p, effects: [{ kind: 'send', to: COORDINATOR, msg: { type: 'Vote', vote: p.vote } }] };
        case 'Commit':
          return apply(p, 'commit');
        case 'Abort':
          return apply(p, 'abort');
        default:
          return { state: p };
      }
    default:
      return { state: p };
  }
}

export function twoPc(params: Params, variant: TwoPcVariant = 'default'): ActorModel<Node, Msg, Durable, never, never> {
  const n = params.participants;
  const ids = [COORDINATOR, ...participantIds(n)];
  const network = commitNetwork(params);
  const model = actorSystem<Node, Msg, Durable, never, never>({
    nodes: ids.map((id) => ({ id, spec: id === COORDINATOR ? coordinator(n, variant) : participant(variant) })),
    network,
    faults: faultBudget(params),
    invariants: commitInvariants(ids, n),
    sometimes: commitWitnesses(ids, n),
    goal: (sys) => everyoneDecided(sys, ids, n),
    describeMessage: describeMsg,
  });
  // Timeouts are asynchronous here, so the resend timer also waits for a quiet exchange.
  const bounded = network === 'set' ? model : boundRetransmission(model, { quiet: true });
  // The counts-votes bug files a vote by arrival, not by sender: its participants are not
  // interchangeable.
  return {
    ...bounded,
    schema: twoPcSchema(params, ids),
    ...(variant === 'coordinator-counts-votes' ? {} : { symmetry: participantSymmetry<Node, Msg, Durable>(n, ['votes', 'acks']) }),
  };
}

const DECISION = schema.enum('commit', 'abort');

/** The bounded shape of a 2PC state (core/schema.ts), for the packed explorer. Bounds are
 * room to spare, not proofs: a value past one is a model error naming it, never a merged state.
 * A participant applies at most two decisions before NoReversal stops the search there; a
 * message has one copy in flight on the set network. On the unordered one a decision is sent
 * once, again by every restart of the coordinator, and duplicated; a retransmission adds no
 * copy of one in flight; Acks pile up one per decision delivered (and, with the heuristic-abort
 * bug, one taken on a timeout): at most 2 + crashesMax + duplicatesMax copies of a message; the
 * schema allows 3 + crashesMax + 2 * duplicatesMax (without crashesMax, a coordinator
 * restarted four times put a fourth Abort in flight: a model error). */
export function twoPcSchema(params: Params, ids: readonly string[]): Schema {
  const n = params.participants;
  const participant = schema.record({
    role: schema.literal('participant'),
    status: schema.enum('working', 'asked', 'prepared', 'committed', 'aborted'),
    vote: schema.optional(schema.enum('yes', 'no')),
    applied: schema.list(3, DECISION),
  });
  const coordinator = schema.record({
    role: schema.literal('coordinator'),
    phase: schema.enum('collecting', 'deciding', 'done'),
    decision: schema.optional(DECISION),
    votes: schema.array(n, schema.enum(null, 'yes', 'no')),
    acks: schema.array(n, schema.bool()),
  });
  const msg = schema.union(
    schema.record({ type: schema.literal('Prepare') }),
    schema.record({ type: schema.literal('Vote'), vote: schema.enum('yes', 'no') }),
    schema.record({ type: schema.literal('Commit') }),
    schema.record({ type: schema.literal('Abort') }),
    schema.record({ type: schema.literal('Ack') }),
  );
  return actorSystemSchema({
    nodeIds: ids,
    node: (i) => (i === 0 ? coordinator : participant),
    durable: (i) => (i === 0 ? schema.record({ decision: DECISION }) : participant),
    timers: ['decision', 'resend', 'vote'],
    msg,
    copiesMax: commitCopiesMax(params),
    dropsMax: params.dropsMax,
    duplicatesMax: params.duplicatesMax,
    crashesMax: params.crashesMax,
    partitionsMax: params.partitionsMax,
  });
}

export function describeMsg(m: { readonly type: string; readonly vote?: string }): string {
  return m.type === 'Vote' ? `Vote ${m.vote}` : m.type;
}

export const twoPcDefinition: ModelDefinition = {
  name: 'twopc',
  summary: 'Two-phase commit as an actor system: coordinator log, presumed abort, retransmission, crashes and partitions',
  source: 'Gray 1978; Bernstein, Hadzilacos & Goodman, Concurrency Control and Recovery, ch. 7',
  params: commitParams,
  variants: [
    { name: 'default', description: 'correct 2PC: atomic, but a prepared participant blocks while the coordinator is down', expect: { status: 'holds' } },
    { name: 'commit-on-vote-timeout', description: 'bug: the coordinator commits when its vote timer fires', expect: { status: 'violation', property: 'CommitValidity' } },
    { name: 'participant-heuristic-abort', description: 'bug: a prepared participant aborts on its own after a timeout', expect: { status: 'violation', property: 'Atomicity', also: ['NoReversal'] } },
    { name: 'decide-after-first-yes', description: 'bug: the coordinator commits after the first yes vote', expect: { status: 'violation', property: 'CommitValidity' } },
    { name: 'coordinator-forgets-decision', description: 'bug: the coordinator does not log its decision and presumes abort after a crash', expect: { status: 'violation', property: 'NoReversal', also: ['Atomicity'] } },
    { name: 'participant-forgets-vote', description: 'bug: a participant does not log its yes vote; after a crash it is asked again and may vote no', expect: { status: 'violation', property: 'CommitValidity' } },
    {
      name: 'coordinator-counts-votes',
      description: 'bug: the coordinator counts yes votes instead of recording whose they are; a duplicated yes stands in for a missing vote (unordered network)',
      expect: { status: 'violation', property: 'CommitValidity' },
      // Unreachable on the set network, where no vote arrives twice (properties/commit-network.test.ts).
      params: { participants: 2, network: 1, duplicatesMax: 1 },
    },
  ],
  create: (params: Params, variant: string) => twoPc(params, variant as TwoPcVariant),
  scenarios: [
    {
      kind: 'liveness',
      name: 'coordinator-crash-blocks',
      description: '2PC blocks: with the coordinator crashed after the yes votes, prepared participants wait forever',
      params: { participants: 2, crashesMax: 1, crashCoordinatorOnly: 1 },
      expect: { status: 'violation', property: 'stuck' },
    },
    {
      kind: 'refinement',
      name: 'refines-tcommit',
      description: 'every 2PC step, projected onto the participants, is a TCommit.tla step or a stutter',
      params: { participants: 2, crashesMax: 1, dropsMax: 1 },
      spec: (p) => tCommit(p.participants),
      mapping: toTCommit,
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'atomic-on-unordered-network',
      description: 'on the unordered network, with a duplicate, a lost message and a crash, 2PC keeps every invariant',
      params: { participants: 2, network: 1, duplicatesMax: 1, dropsMax: 1, crashesMax: 1 },
      expect: { status: 'holds' },
    },
    {
      // The default row up to renaming the participants (--symmetry): distinct states are orbits.
      kind: 'safety',
      name: 'symmetric-participants',
      description: 'the default row with the participants interchangeable: one state per orbit, every invariant holds',
      params: {},
      symmetry: true,
      expect: { status: 'holds' },
    },
  ],
};
