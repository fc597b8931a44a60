// Three-phase commit as an actor system (Skeen 1981), with synchronous timeouts — 3PC is built
// for a synchronous network, where a timeout means the other side is gone:
// 1. CanCommit: the coordinator asks; a participant answers yes or no.
// 2. PreCommit: on all yes the coordinator logs "precommit" and sends PreCommit; participants
//    log redo/undo, ack, and wait for DoCommit. On a no or a vote timeout the coordinator
//    aborts; a participant that gets Abort, or times out waiting for PreCommit, aborts.
// 3. DoCommit: with every PreCommit acked the coordinator logs commit and sends DoCommit;
//    participants commit and ack. If a PreCommit ack is missing when its timer fires, the
//    coordinator aborts and participants roll back with their undo records. A participant that
//    pre-committed and times out waiting for DoCommit commits by default.
// The last two rules are what a partition breaks: the coordinator aborts on its side while a
// pre-committed participant on the other side commits.
// Synchronous also means reliable: a lost message is taken for a crash just as a partition is.
// One lost PreCommit (dropsMax=1, on either network: 11 steps) leaves its participant
// uncertain, to abort on its PreCommit timeout, while the other, pre-committed, commits on its
// DoCommit timeout; so the safety rows with coordinator crashes have no loss. Duplication is
// harmless to the faithful handlers: on the unordered network (network=1, see
// models/twopc/common.ts) atomic-on-unordered-network holds with two duplicates, and
// participant-revotes-on-duplicate shows what a handler that is not idempotent does there.

import type { ModelDefinition, Params } from '../../src/core/model.ts';
import { tCommit } from '../tcommit/index.ts';
import { actorSystem, type ActorModel, type HandlerResult, type NodeContext, type NodeInput, type NodeSpec } from '../../src/core/actors.ts';
import { updateAt } from '../../src/core/data.ts';
import { actorSystemSchema, schema, type Schema } from '../../src/core/schema.ts';
import {
  boundRetransmission, commitCopiesMax, commitNetwork, COORDINATOR, commitInvariants, commitParams, commitWitnesses, describeMsg, everyoneDecided,
  faultBudget, participantIds, participantSymmetry, recordDecision, toTCommit, type Decision, type ParticipantView,
} from '../twopc/index.ts';

export type Msg =
  | { readonly type: 'CanCommit' }
  | { readonly type: 'Vote'; readonly vote: 'yes' | 'no' }
  | { readonly type: 'PreCommit' }
  | { readonly type: 'PreAck' }
  | { readonly type: 'DoCommit' }
  | { readonly type: 'Abort' }
  | { readonly type: 'Ack' };

export interface Coordinator {
  readonly role: 'coordinator';
  readonly phase: 'collecting' | 'precommitting' | 'deciding' | 'done';
  readonly decision: Decision | undefined;
  readonly votes: readonly ('yes' | 'no' | null)[];
  readonly preAcks: readonly boolean[];
  readonly acks: readonly boolean[];
}

export interface Participant extends ParticipantView {
  readonly status: 'working' | 'asked' | 'uncertain' | 'precommitted' | 'committed' | 'aborted';
}

type Node = Coordinator | Participant;
type Logged = { readonly decision: Decision | 'precommit' } | Participant;
type Result = HandlerResult<Node, Msg, Logged, never>;
type Input = NodeInput<Msg, never>;

export type ThreePcVariant = 'default' | 'no-precommit' | 'commit-on-precommit-timeout' | 'participant-revotes-on-duplicate';

const participantIndex = (id: string) => Number(id.slice(1)) - 1;
const others = (ctx: NodeContext) => ctx.nodes.filter((id) => id !== COORDINATOR);
const sendAll = (ctx: NodeContext, msg: Msg) => others(ctx).map((to) => ({ kind: 'send' as const, to, msg }));
const decisionMsg = (d: Decision | undefined): Msg => ({ type: d === 'commit' ? 'DoCommit' : 'Abort' });

function coordinator(n: number, variant: ThreePcVariant): NodeSpec<Node, Msg, Logged, never, never> {
  const fresh = (): Coordinator => ({
    role: 'coordinator', phase: 'collecting', decision: undefined,
    votes: Array(n).fill(null), preAcks: Array(n).fill(false), acks: Array(n).fill(false),
  });
  return {
    init: (ctx) => ({ state: fresh(), effects: [...sendAll(ctx, { type: 'CanCommit' }), { kind: 'set-timer', timer: 'vote' }] }),
    handle: (s, input, ctx) => (s.role === 'coordinator' ? coordinatorStep(s, input, ctx, variant) : { state: s }),
    // Recovery: a logged precommit or commit finishes as commit, anything else aborts.
    restart: (logged, ctx) => {
      const d = logged !== undefined && 'decision' in logged && logged.decision !== 'abort' ? 'commit' : 'abort';
      return decide(fresh(), d, ctx);
    },
  };
}

function decide(c: Coordinator, decision: Decision, ctx: NodeContext): Result {
  return {
    state: { ...c, phase: 'deciding', decision },
    effects: [
      { kind: 'persist', data: { decision } },
      ...sendAll(ctx, decisionMsg(decision)),
      { kind: 'cancel-timer', timer: 'vote' },
      { kind: 'cancel-timer', timer: 'preack' },
      { kind: 'set-timer', timer: 'resend' },
    ],
  };
}

function coordinatorStep(c: Coordinator, input: Input, ctx: NodeContext, variant: ThreePcVariant): Result {
  if (input.kind === 'timeout') return coordinatorTimeout(c, input.timer, ctx);
  if (input.kind !== 'receive') return { state: c };
  const i = participantIndex(input.from);
  const msg = input.msg;
  if (msg.type === 'Vote' && c.phase === 'collecting') {
    const next = { ...c, votes: updateAt(c.votes, i, msg.vote) };
    if (msg.vote === 'no') return decide(next, 'abort', ctx);
    if (!next.votes.every((v) => v === 'yes')) return { state: next };
    if (variant === 'no-precommit') return decide(next, 'commit', ctx);
    return {
      state: { ...next, phase: 'precommitting' },
      effects: [
        { kind: 'persist', data: { decision: 'precommit' } },
        ...sendAll(ctx, { type: 'PreCommit' }),
        { kind: 'cancel-timer', timer: 'vote' },
        { kind: 'set-timer', timer: 'preack' },
      ],
    };
  }
  if (msg.type === 'PreAck' && c.phase === 'precommitting') {
    const next = { ...c, preAcks: updateAt(c.preAcks, i, true) };
    return next.preAcks.every((a) => a) ? decide(next, 'commit', ctx) : { state: next };
  }
  if (msg.type === 'Ack' && c.phase === 'deciding') {
    const acks = updateAt(c.acks, i, true);
    const done = acks.every((a) => a);
    return { state: { ...c, acks, phase: done ? 'done' : 'deciding' }, effects: done ? [{ kind: 'cancel-timer', timer: 'resend' }] : [] };
  }
  return { state: c };
}

function coordinatorTimeout(c: Coordinator, timer: string, ctx: NodeContext): Result {
  if (timer === 'vote' && c.phase === 'collecting') return decide(c, 'abort', ctx);
  // A PreCommit ack is missing: abort, and the participants roll back.
  if (timer === 'preack' && c.phase === 'precommitting') return decide(c, 'abort', ctx);
  if (timer === 'resend' && c.phase === 'deciding') {
    const pending = others(ctx).filter((id) => !c.acks[participantIndex(id)]);
    return { state: c, effects: [...pending.map((to) => ({ kind: 'send' as const, to, msg: decisionMsg(c.decision) })), { kind: 'set-timer', timer: 'resend' }] };
  }
  return { state: c };
}

function participant(variant: ThreePcVariant): NodeSpec<Node, Msg, Logged, never, never> {
  const fresh: Participant = { role: 'participant', status: 'working', vote: undefined, applied: [] };
  return {
    init: () => ({ state: fresh }),
    internal: (s) => (s.role === 'participant' && s.status === 'asked' ? ['votes yes', 'votes no'] : []),
    handle: (s, input) => (s.role === 'participant' ? participantStep(s, input, variant) : { state: s }),
    // Recovery from the log; waiting states re-arm their timer (the wait goes on).
    restart: (logged) => {
      const p = logged !== undefined && 'role' in logged ? logged : fresh;
      const timer = p.status === 'uncertain' ? 'precommit-wait' : p.status === 'precommitted' ? 'docommit-wait' : undefined;
      return { state: p, effects: timer ? [{ kind: 'set-timer', timer }] : [] };
    },
  };
}

function apply(p: Participant, d: Decision, ack: boolean): Result {
  const next: Participant = {
    ...p,
    status: d === 'commit' ? 'committed' : 'aborted',
    applied: recordDecision(p.applied, d),
  };
  return {
    state: next,
    effects: [
      { kind: 'persist', data: next },
      { kind: 'cancel-timer', timer: 'precommit-wait' },
      { kind: 'cancel-timer', timer: 'docommit-wait' },
      ...(ack ? [{ kind: 'send' as const, to: COORDINATOR, msg: { type: 'Ack' as const } }] : []),
    ],
  };
}

function participantStep(p: Participant, input: Input, variant: ThreePcVariant): Result {
  switch (input.kind) {
    case 'internal': {
      if (p.status !== 'asked') return { state: p };
      const yes = input.choice === 'votes yes';
      const next: Participant = yes
        ? { ...p, status: 'uncertain', vote: 'yes' }
        : { ...p, status: 'aborted', vote: 'no', applied: [...p.applied, 'abort'] };
      return {
        state: next,
        effects: [
          { kind: 'persist', data: next },
          { kind: 'send', to: COORDINATOR, msg: { type: 'Vote', vote: yes ? 'yes' : 'no' } },
          ...(yes ? [{ kind: 'set-timer' as const, timer: 'precommit-wait' }] : []),
        ],
      };
    }
    case 'timeout':
      if (input.timer === 'precommit-wait' && p.status === 'uncertain') {
        return apply(p, variant === 'commit-on-precommit-timeout' ? 'commit' : 'abort', false);
      }
      if (input.timer === 'docommit-wait' && p.status === 'precommitted') return apply(p, 'commit', false);
      return { state: p };
    case 'receive':
      return participantReceive(p, input.msg, variant);
    default:
      return { state: p };
  }
}

function participantReceive(p: Participant, msg: Msg, variant: ThreePcVariant): Result {
  switch (msg.type) {
    case 'CanCommit': {
      // A CanCommit after voting is a copy of the one already answered. The revotes bug takes
      // it, while uncertain, as a new question and may answer it differently.
      const asks = p.status === 'working' || (variant === 'participant-revotes-on-duplicate' && p.status === 'uncertain');
      return asks ? { state: { ...p, status: 'asked' } } : { state: p };
    }
    case 'PreCommit': {
      if (p.status !== 'uncertain') {
        return { state: p, effects: p.status === 'precommitted' ? [{ kind: 'send', to: COORDINATOR, msg: { type: 'PreAck' } }] : [] };
      }
      const next: Participant = { ...p, status: 'precommitted' };
      return {
        state: next,
        effects: [
          { kind: 'persist', data: next }, // redo/undo records
          { kind: 'send', to: COORDINATOR, msg: { type: 'PreAck' } },
          { kind: 'cancel-timer', timer: 'precommit-wait' },
          { kind: 'set-timer', timer: 'docommit-wait' },
        ],
      };
    }
    case 'DoCommit':
      return apply(p, 'commit', true);
    case 'Abort':
      return apply(p, 'abort', true);
    default:
      return { state: p };
  }
}

export function threePc(params: Params, variant: ThreePcVariant = 'default'): ActorModel<Node, Msg, Logged, never, never> {
  const n = params.participants;
  const ids = [COORDINATOR, ...participantIds(n)];
  const network = commitNetwork(params);
  const model = actorSystem<Node, Msg, Logged, never, never>({
    nodes: ids.map((id) => ({ id, spec: id === COORDINATOR ? coordinator(n, variant) : participant(variant) })),
    network,
    timeouts: 'synchronous',
    faults: faultBudget(params),
    invariants: commitInvariants(ids, n),
    sometimes: commitWitnesses(ids, n),
    goal: (sys) => everyoneDecided(sys, ids, n),
    // 3PC's termination rests on its timeouts firing (the synchronous-network assumption): every
    // timer is fair, so a participant waiting only on its timer is not a stuck state.
    fairness: { timers: 'all' },
    describeMessage: describeMsg,
  });
  // Synchronous timeouts already wait for every deliverable message: no quiet rule needed.
  const bounded = network === 'set' ? model : boundRetransmission(model, { quiet: false });
  return { ...bounded, schema: threePcSchema(params, ids), symmetry: participantSymmetry<Node, Msg, Logged>(n, ['votes', 'preAcks', 'acks']) };
}

const DECISION = schema.enum('commit', 'abort');

/** The bounded shape of a 3PC state (core/schema.ts), for the packed explorer. As 2PC's
 * (models/twopc/index.ts twoPcSchema), bounds are room to spare, not proofs: a value past one is
 * a model error naming it. A participant applies at most two decisions before NoReversal stops
 * the search there; on the unordered network a message has at most 3 + crashesMax +
 * 2 * duplicatesMax copies in flight, the bound 2PC's decisions and Acks need (PreCommit and the
 * votes are never retransmitted, and a decision is resent only without a copy in flight). */
export function threePcSchema(params: Params, ids: readonly string[]): Schema {
  const n = params.participants;
  const participant = schema.record({
    role: schema.literal('participant'),
    status: schema.enum('working', 'asked', 'uncertain', 'precommitted', 'committed', 'aborted'),
    vote: schema.optional(schema.enum('yes', 'no')),
    applied: schema.list(3, DECISION),
  });
  const coordinator = schema.record({
    role: schema.literal('coordinator'),
    phase: schema.enum('collecting', 'precommitting', 'deciding', 'done'),
    decision: schema.optional(DECISION),
    votes: schema.array(n, schema.enum(null, 'yes', 'no')),
    preAcks: schema.array(n, schema.bool()),
    acks: schema.array(n, schema.bool()),
  });
  const msg = schema.union(
    ...['CanCommit', 'PreCommit', 'PreAck', 'DoCommit', 'Abort', 'Ack'].map((type) => schema.record({ type: schema.literal(type) })),
    schema.record({ type: schema.literal('Vote'), vote: schema.enum('yes', 'no') }),
  );
  return actorSystemSchema({
    nodeIds: ids,
    node: (i) => (i === 0 ? coordinator : participant),
    durable: (i) => (i === 0 ? schema.record({ decision: schema.enum('commit', 'abort', 'precommit') }) : participant),
    timers: ['docommit-wait', 'precommit-wait', 'preack', 'resend', 'vote'],
    msg,
    copiesMax: commitCopiesMax(params),
    dropsMax: params.dropsMax,
    duplicatesMax: params.duplicatesMax,
    crashesMax: params.crashesMax,
    partitionsMax: params.partitionsMax,
  });
}

export const threePcDefinition: ModelDefinition = {
  name: 'threepc',
  summary: 'Three-phase commit with synchronous timeouts: non-blocking under coordinator crashes, not atomic under partitions',
  source: 'Skeen 1981, "Nonblocking commit protocols"; the CanCommit/PreCommit/DoCommit formulation',
  params: commitParams.map((p) => (p.name === 'partitionsMax' ? { ...p, default: 1 } : p)),
  variants: [
    { name: 'default', description: '3PC as specified: a partition during the PreCommit phase splits the decision', expect: { status: 'violation', property: 'Atomicity', also: ['NoReversal'] } },
    { name: 'no-precommit', description: 'bug: 3PC without the PreCommit phase (uncertain participants abort on timeout)', expect: { status: 'violation', property: 'Atomicity', also: ['NoReversal'] } },
    { name: 'commit-on-precommit-timeout', description: 'bug: a participant that voted yes commits when PreCommit does not come', expect: { status: 'violation', property: 'CommitValidity', also: ['Atomicity', 'NoReversal'] } },
    {
      name: 'participant-revotes-on-duplicate',
      description: 'bug: an uncertain participant takes a duplicated CanCommit as a new question and may vote again, no this time (unordered network)',
      expect: { status: 'violation', property: 'Atomicity', also: ['CommitValidity', 'NoReversal'] },
      // Where the faithful protocol holds (atomic-on-unordered-network, with one duplicate): no
      // partition and no loss, either of which splits the decision without the bug.
      params: { participants: 2, network: 1, duplicatesMax: 1, partitionsMax: 0, crashesMax: 1, crashCoordinatorOnly: 1 },
    },
  ],
  create: (params: Params, variant: string) => threePc(params, variant as ThreePcVariant),
  scenarios: [
    {
      kind: 'safety',
      name: 'atomic-under-coordinator-crash',
      description: 'with the coordinator crashing (and restarting from its log) but no partition, 3PC keeps every invariant',
      params: { partitionsMax: 0, crashesMax: 1, crashCoordinatorOnly: 1 },
      expect: { status: 'holds' },
    },
    {
      kind: 'liveness',
      name: 'coordinator-crash-terminates',
      description: '3PC does not block: with the coordinator crashed (no partition), every participant decides',
      params: { participants: 2, crashesMax: 1, crashCoordinatorOnly: 1, partitionsMax: 0 },
      expect: { status: 'holds' },
    },
    {
      kind: 'refinement',
      name: 'refines-tcommit-under-partition',
      description: 'with a partition, a 3PC step (commit by default after another aborted) is no TCommit.tla step',
      params: { participants: 2, partitionsMax: 1, crashesMax: 0 },
      spec: (p) => tCommit(p.participants),
      mapping: toTCommit,
      expect: { status: 'violation', property: 'refinement' },
    },
    {
      kind: 'safety',
      name: 'atomic-on-unordered-network',
      description: 'on the unordered network, with two duplicates and the coordinator crashing but no partition and no loss, 3PC keeps every invariant',
      params: { participants: 2, network: 1, duplicatesMax: 2, partitionsMax: 0, crashesMax: 1, crashCoordinatorOnly: 1 },
      expect: { status: 'holds' },
    },
    {
      // atomic-under-coordinator-crash up to renaming the participants (--symmetry): orbits.
      kind: 'safety',
      name: 'symmetric-participants',
      description: 'atomic-under-coordinator-crash with the participants interchangeable: one state per orbit, every invariant holds',
      params: { partitionsMax: 0, crashesMax: 1, crashCoordinatorOnly: 1 },
      symmetry: true,
      expect: { status: 'holds' },
    },
  ],
};
