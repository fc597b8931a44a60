// TwoPhase.tla (Lamport, "Consensus on Transaction Commit" / tlaplus Examples
// transaction_commit), ported action for action. A transaction manager (TM) collects
// "Prepared" messages from the resource managers (RMs) and broadcasts Commit or Abort.
// Messages are never removed: msgs only grows, as in the spec, and receiving is reading.

import type { Invariant, Model, ModelDefinition, Params, Witness } from '../../src/core/model.ts';
import { compareValues, setAdd, setHas, updateAt, type SortedSet } from '../../src/core/data.ts';
import { schema, type Schema, type Symmetry } from '../../src/core/schema.ts';
import { allDecided, rmName, tCommit, tcConsistent, tcInstance, type RMState } from '../tcommit/index.ts';

export type TMState = 'init' | 'done';

export type Message =
  | { readonly type: 'Prepared'; readonly rm: number }
  | { readonly type: 'Commit' }
  | { readonly type: 'Abort' };

export interface TwoPhaseState {
  readonly rmState: readonly RMState[];
  readonly tmState: TMState;
  /** tmPrepared as a membership vector over RMs (the spec's subset of RM). */
  readonly tmPrepared: readonly boolean[];
  readonly msgs: SortedSet<Message>;
}

export type TwoPhaseAction =
  | { readonly kind: 'TMCommit' }
  | { readonly kind: 'TMAbort' }
  | { readonly kind: 'TMRcvPrepared'; readonly rm: number }
  | { readonly kind: 'RMPrepare'; readonly rm: number }
  | { readonly kind: 'RMChooseToAbort'; readonly rm: number }
  | { readonly kind: 'RMRcvCommitMsg'; readonly rm: number }
  | { readonly kind: 'RMRcvAbortMsg'; readonly rm: number };

const COMMIT: Message = { type: 'Commit' };
const ABORT: Message = { type: 'Abort' };

/** Variants: the faithful spec, and mistakes a user might plant. */
export type TwoPhaseVariant = 'default' | 'commit-without-all-prepared' | 'commit-one-unprepared' | 'rm-aborts-after-prepare';

export function twoPhase(rmCount: number, variant: TwoPhaseVariant = 'default'): Model<TwoPhaseState, TwoPhaseAction> {
  const rms = Array.from({ length: rmCount }, (_, i) => i);
  const preparedMsgs: Message[] = rms.map((rm) => ({ type: 'Prepared', rm }));
  // Actions are plain data; the same few are shared by every state that enables them.
  const tmCommit: TwoPhaseAction = { kind: 'TMCommit' };
  const tmAbort: TwoPhaseAction = { kind: 'TMAbort' };
  const perRm = (kind: 'TMRcvPrepared' | 'RMPrepare' | 'RMChooseToAbort' | 'RMRcvCommitMsg' | 'RMRcvAbortMsg') =>
    rms.map((rm): TwoPhaseAction => ({ kind, rm }));
  const tmRcvPrepared = perRm('TMRcvPrepared');
  const rmPrepare = perRm('RMPrepare');
  const rmChooseToAbort = perRm('RMChooseToAbort');
  const rmRcvCommitMsg = perRm('RMRcvCommitMsg');
  const rmRcvAbortMsg = perRm('RMRcvAbortMsg');

  const init: TwoPhaseState = {
    rmState: rms.map(() => 'working'),
    tmState: 'init',
    tmPrepared: rms.map(() => false),
    msgs: [],
  };

  function actions(s: TwoPhaseState): TwoPhaseAction[] {
    const out: TwoPhaseAction[] = [];
    // One pass over msgs instead of a membership test per message.
    let commitSent = false;
    let abortSent = false;
    for (const m of s.msgs) {
      if (m.type === 'Commit') commitSent = true;
      else if (m.type === 'Abort') abortSent = true;
    }
    if (s.tmState === 'init') {
      // TMCommit: tmState = "init" /\ tmPrepared = RM
      let preparedCount = 0;
      for (const p of s.tmPrepared) if (p) preparedCount++;
      const allPrepared = preparedCount === rmCount;
      const bugCommits =
        (variant === 'commit-without-all-prepared' && preparedCount > 0) ||
        (variant === 'commit-one-unprepared' && preparedCount >= rmCount - 1);
      if (allPrepared || bugCommits) out.push(tmCommit);
      out.push(tmAbort);
      // TMRcvPrepared(rm) for each "Prepared" message, in rm order (the sorted set keeps them so).
      for (const m of s.msgs) {
        if (m.type === 'Prepared') out.push(tmRcvPrepared[m.rm]);
      }
    }
    for (const rm of rms) {
      const st = s.rmState[rm];
      if (st === 'working') {
        out.push(rmPrepare[rm]);
        out.push(rmChooseToAbort[rm]);
      } else if (st === 'prepared' && variant === 'rm-aborts-after-prepare') {
        out.push(rmChooseToAbort[rm]);
      }
      if (commitSent) out.push(rmRcvCommitMsg[rm]);
      if (abortSent) out.push(rmRcvAbortMsg[rm]);
    }
    return out;
  }

  // Each step builds the successor record field by field (no spread), so every state has
  // the same shape and the same key order. A step that changes no variable (the spec's
  // RMRcvAbortMsg for an RM already aborted: rmState' = rmState) returns the state itself.
  function withRmState(s: TwoPhaseState, rm: number, value: RMState, msgs: SortedSet<Message>): TwoPhaseState {
    if (s.rmState[rm] === value && msgs === s.msgs) return s;
    return { rmState: updateAt(s.rmState, rm, value), tmState: s.tmState, tmPrepared: s.tmPrepared, msgs };
  }

  function step(s: TwoPhaseState, a: TwoPhaseAction): TwoPhaseState {
    switch (a.kind) {
      case 'TMCommit':
        return { rmState: s.rmState, tmState: 'done', tmPrepared: s.tmPrepared, msgs: setAdd(s.msgs, COMMIT) };
      case 'TMAbort':
        return { rmState: s.rmState, tmState: 'done', tmPrepared: s.tmPrepared, msgs: setAdd(s.msgs, ABORT) };
      case 'TMRcvPrepared':
        if (s.tmPrepared[a.rm]) return s;
        return { rmState: s.rmState, tmState: s.tmState, tmPrepared: updateAt(s.tmPrepared, a.rm, true), msgs: s.msgs };
      case 'RMPrepare':
        return withRmState(s, a.rm, 'prepared', setAdd(s.msgs, preparedMsgs[a.rm]));
      case 'RMChooseToAbort':
        return withRmState(s, a.rm, 'aborted', s.msgs);
      case 'RMRcvCommitMsg':
        return withRmState(s, a.rm, 'committed', s.msgs);
      case 'RMRcvAbortMsg':
        return withRmState(s, a.rm, 'aborted', s.msgs);
      default: {
        const never: never = a;
        throw new Error(`unknown TwoPhase action ${JSON.stringify(never)}`);
      }
    }
  }

  return {
    init: [init],
    actions,
    step,
    invariants: twoPhaseInvariants(rmCount),
    sometimes: twoPhaseWitnesses(),
    describe: describeTwoPhase,
    // Once the TM has decided, RMRcv* stay enabled forever (the spec has no deadlock).
    isFinal: () => false,
    // Liveness: the transaction is over when every RM has committed or aborted.
    goal: allDecided,
    schema: twoPhaseSchema(rmCount),
    symmetry: twoPhaseSymmetry(rmCount),
  };
}

const RM_STATE_VALUES: readonly RMState[] = ['working', 'prepared', 'committed', 'aborted'];

/** The state's bounded shape: 2 bits per RM state, 1 bit per tmPrepared, and msgs as a set
 * over its rmCount + 2 possible messages (TwoPhase.tla's Messages). 35 bits for 8 RMs: the
 * packed state is its own exact key. */
export function twoPhaseSchema(rmCount: number): Schema {
  const message = schema.union(
    schema.record({ type: schema.literal('Prepared'), rm: schema.int(0, rmCount - 1) }),
    schema.record({ type: schema.literal('Commit') }),
    schema.record({ type: schema.literal('Abort') }),
  );
  return schema.record({
    rmState: schema.array(rmCount, schema.enum(...RM_STATE_VALUES)),
    tmState: schema.enum('init', 'done'),
    tmPrepared: schema.array(rmCount, schema.bool()),
    msgs: schema.set(message),
  });
}

/** The RMs are interchangeable (the spec's RM is a symmetric set: TLC's Permutations(RM)):
 * renaming them moves rmState[rm], tmPrepared[rm] and the rm of a Prepared message. */
export function twoPhaseSymmetry(rmCount: number): Symmetry<TwoPhaseState> {
  return {
    name: 'RMs',
    size: rmCount,
    permute: (s, perm) => {
      const rmState = new Array<RMState>(rmCount);
      const tmPrepared = new Array<boolean>(rmCount);
      for (let rm = 0; rm < rmCount; rm++) {
        rmState[perm[rm]] = s.rmState[rm];
        tmPrepared[perm[rm]] = s.tmPrepared[rm];
      }
      const msgs = s.msgs.map((m): Message => (m.type === 'Prepared' ? { type: 'Prepared', rm: perm[m.rm] } : m)).sort(compareValues);
      return { rmState, tmState: s.tmState, tmPrepared, msgs };
    },
    // An RM's part of the state: its state, whether the TM has its Prepared, whether it sent one.
    key: (s, rm) => RM_STATE_VALUES.indexOf(s.rmState[rm]) * 4 + (s.tmPrepared[rm] ? 2 : 0) + (s.msgs.some((m) => m.type === 'Prepared' && m.rm === rm) ? 1 : 0),
  };
}

const RM_STATES: ReadonlySet<string> = new Set(['working', 'prepared', 'committed', 'aborted']);

function twoPhaseInvariants(rmCount: number): Invariant<TwoPhaseState>[] {
  return [
    {
      // TPTypeOK: every variable is in its type (catches a step that writes a wrong value).
      name: 'TPTypeOK',
      check: (s) => {
        if (s.rmState.length !== rmCount || s.tmPrepared.length !== rmCount) return 'rmState/tmPrepared must cover every RM';
        const bad = s.rmState.findIndex((x) => !RM_STATES.has(x));
        if (bad >= 0) return `rmState[${rmName(bad)}] = ${JSON.stringify(s.rmState[bad])} is not an RM state`;
        if (s.tmState !== 'init' && s.tmState !== 'done') return `tmState = ${JSON.stringify(s.tmState)}`;
        return undefined;
      },
    },
    tcConsistent,
  ];
}

function twoPhaseWitnesses(): Witness<TwoPhaseState>[] {
  return [
    { name: 'all RMs commit', holds: (s) => s.rmState.every((x) => x === 'committed') },
    { name: 'all RMs abort', holds: (s) => s.rmState.every((x) => x === 'aborted') },
    { name: 'TM decides commit', holds: (s) => setHas(s.msgs, COMMIT) },
  ];
}

export function describeTwoPhase(a: TwoPhaseAction): string {
  switch (a.kind) {
    case 'TMCommit':
      return 'TM -> all Commit';
    case 'TMAbort':
      return 'TM -> all Abort';
    case 'TMRcvPrepared':
      return `${rmName(a.rm)}->TM Prepared (received)`;
    case 'RMPrepare':
      return `${rmName(a.rm)} prepare, ${rmName(a.rm)}->TM Prepared`;
    case 'RMChooseToAbort':
      return `${rmName(a.rm)} chooses to abort`;
    case 'RMRcvCommitMsg':
      return `TM->${rmName(a.rm)} Commit (received)`;
    case 'RMRcvAbortMsg':
      return `TM->${rmName(a.rm)} Abort (received)`;
  }
}

export const twoPhaseDefinition: ModelDefinition = {
  name: 'twophase',
  summary: 'Two-phase commit as specified in TwoPhase.tla: a TM, RMs, a set of messages that only grows',
  source: 'TwoPhase.tla (Lamport), tlaplus/Examples specifications/transaction_commit',
  params: [{ name: 'rm', description: 'number of resource managers', default: 3, min: 1, max: 16 }],
  variants: [
    { name: 'default', description: 'faithful port of TwoPhase.tla', expect: { status: 'holds' } },
    {
      name: 'commit-without-all-prepared',
      description: 'bug: the TM commits once any RM is prepared, not all',
      expect: { status: 'violation', property: 'TCConsistent' },
    },
    {
      // With 1 RM the TM commits before any Prepared and rm1 goes from working to committed:
      // TCConsistent cannot fail with one RM, the refinement of TCommit does (scenario
      // commit-one-unprepared-refinement). With 2 RMs it is commit-without-all-prepared.
      name: 'commit-one-unprepared',
      description: 'bug: the TM commits once every RM but one has sent Prepared',
      expect: { status: 'violation', property: 'TCConsistent' },
    },
    {
      name: 'rm-aborts-after-prepare',
      description: 'bug: a prepared RM may still choose to abort on its own',
      expect: { status: 'violation', property: 'TCConsistent' },
    },
  ],
  create: (params: Params, variant: string) => twoPhase(params.rm, variant as TwoPhaseVariant),
  scenarios: [
    {
      // TwoPhase.tla: THEOREM TPSpec => TC!TCSpec, with TC == INSTANCE TCommit, "checked with
      // TLC for six RMs, a configuration with 50816 reachable states".
      kind: 'refinement',
      name: 'refines-tcommit',
      description: 'TPSpec => TC!TCSpec: every TwoPhase step changes rmState as a TCommit.tla step does, or not at all',
      params: { rm: 6 },
      spec: (p) => tCommit(p.rm),
      mapping: tcInstance,
      expect: { status: 'holds' },
    },
    {
      kind: 'refinement',
      name: 'commit-one-unprepared-refinement',
      description: 'with 1 RM the commit-one-unprepared TM commits before rm1 prepares: rm1 goes from working to committed, no TCommit.tla step (every invariant holds)',
      variant: 'commit-one-unprepared',
      params: { rm: 1 },
      spec: (p) => tCommit(p.rm),
      mapping: tcInstance,
      expect: { status: 'violation', property: 'refinement' },
    },
    {
      // The default row up to renaming the RMs (--symmetry): its distinct states are orbits.
      kind: 'safety',
      name: 'symmetric-rms',
      description: 'the default row with the RMs interchangeable: one state per orbit, every invariant holds',
      params: {},
      symmetry: true,
      expect: { status: 'holds' },
    },
  ],
};
