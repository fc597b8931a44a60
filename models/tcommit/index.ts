// TCommit.tla (Lamport, tlaplus/Examples transaction_commit): the specification of
// transaction commit itself. Each resource manager (RM) prepares or aborts; an RM may commit
// only when every RM is prepared or committed, and may abort only while none has committed.

import type { Invariant, Model, ModelDefinition, Params } from '../../src/core/model.ts';
import { updateAt } from '../../src/core/data.ts';
import { schema, type Schema, type Symmetry } from '../../src/core/schema.ts';

export type RMState = 'working' | 'prepared' | 'committed' | 'aborted';

export interface TCommitState {
  readonly rmState: readonly RMState[];
}

export type TCommitAction =
  | { readonly kind: 'Prepare'; readonly rm: number }
  | { readonly kind: 'Decide'; readonly rm: number; readonly decision: 'committed' | 'aborted' };

export function rmName(rm: number): string {
  return `rm${rm + 1}`;
}

/** TCConsistent: no RM committed while another aborted. TwoPhase and PaxosCommit implement
 * TCommit, so they check the same invariant on their rmState. */
export const tcConsistent: Invariant<{ readonly rmState: readonly RMState[] }> = {
  name: 'TCConsistent',
  check: (s) => {
    const committed = s.rmState.indexOf('committed');
    const aborted = s.rmState.indexOf('aborted');
    return committed >= 0 && aborted >= 0 ? `${rmName(committed)} committed while ${rmName(aborted)} aborted` : undefined;
  },
};

/** CommitOnlyIfAllPrepared: an RM commits only if every RM has prepared, i.e. while some RM is
 * committed no RM is still working. TCommit.tla puts it in canCommit, the guard of the commit
 * step (every RM prepared or committed), and it stays true after the commit: notCommitted then
 * disables every abort, and no RM is left working to prepare. The exact invariant,
 * `(some RM committed) => canCommit`, is TCConsistent /\ CommitOnlyIfAllPrepared; the half about
 * aborted RMs is left to TCConsistent so that each state a bug reaches breaks one property, not
 * two (a planted bug's row fails when a second property is violated). Together they admit
 * exactly TCommit's 3^n + 2^n - 1 reachable states. PaxosCommit checks it on its rmState;
 * TwoPhase has it through its refinement of TCommit (scenario refines-tcommit): as a TwoPhase
 * invariant it would report commit-without-all-prepared one step before the TCConsistent
 * violation that row and its saved trace pin. */
export const commitOnlyIfAllPrepared: Invariant<{ readonly rmState: readonly RMState[] }> = {
  name: 'CommitOnlyIfAllPrepared',
  check: (s) => {
    const committed = s.rmState.indexOf('committed');
    const working = s.rmState.indexOf('working');
    return committed >= 0 && working >= 0 ? `${rmName(committed)} committed while ${rmName(working)} is working (never prepared)` : undefined;
  },
};

/** The refinement mapping of TwoPhase and PaxosCommit onto TCommit. Both specs state their
 * theorem with `TC == INSTANCE TCommit`, which substitutes TCommit's rmState by the
 * implementation's variable of the same name: the mapping keeps rmState and hides the rest. */
export function tcInstance(state: unknown): TCommitState {
  return { rmState: (state as TCommitState).rmState };
}

/** Every RM has committed or aborted: the transaction is over. */
export function allDecided(s: { readonly rmState: readonly RMState[] }): boolean {
  return s.rmState.every((x) => x === 'committed' || x === 'aborted');
}

export type TCommitVariant = 'default' | 'abort-after-commit' | 'commit-while-working';

export function tCommit(rmCount: number, variant: TCommitVariant = 'default'): Model<TCommitState, TCommitAction> {
  const rms = Array.from({ length: rmCount }, (_, i) => i);
  // canCommit == \A rm : rmState[rm] \in {"prepared", "committed"}; the commit-while-working
  // bug also lets a working RM through (only an aborted one blocks the commit).
  const canCommit = variant === 'commit-while-working'
    ? (s: TCommitState) => s.rmState.every((x) => x !== 'aborted')
    : (s: TCommitState) => s.rmState.every((x) => x === 'prepared' || x === 'committed');
  // notCommitted == \A rm : rmState[rm] # "committed"
  const notCommitted = (s: TCommitState) => s.rmState.every((x) => x !== 'committed');

  return {
    init: [{ rmState: rms.map(() => 'working') }],
    actions(s) {
      const out: TCommitAction[] = [];
      const commitOk = canCommit(s);
      const abortOk = variant === 'abort-after-commit' || notCommitted(s);
      for (const rm of rms) {
        const st = s.rmState[rm];
        // TCPrepare(rm)
        if (st === 'working') out.push({ kind: 'Prepare', rm });
        // TCDecide(rm), first disjunct: commit
        if (st === 'prepared' && commitOk) out.push({ kind: 'Decide', rm, decision: 'committed' });
        // TCDecide(rm), second disjunct: abort
        if ((st === 'working' || st === 'prepared') && abortOk) out.push({ kind: 'Decide', rm, decision: 'aborted' });
      }
      return out;
    },
    step(s, a) {
      return { rmState: updateAt(s.rmState, a.rm, a.kind === 'Prepare' ? 'prepared' : a.decision) };
    },
    invariants: [
      {
        name: 'TCTypeOK',
        check: (s) => {
          const bad = s.rmState.findIndex((x) => !['working', 'prepared', 'committed', 'aborted'].includes(x));
          return bad >= 0 ? `rmState[${rmName(bad)}] = ${JSON.stringify(s.rmState[bad])} is not an RM state` : undefined;
        },
      },
      tcConsistent,
      commitOnlyIfAllPrepared,
    ],
    sometimes: [
      { name: 'all RMs commit', holds: (s) => s.rmState.every((x) => x === 'committed') },
      { name: 'all RMs abort', holds: (s) => s.rmState.every((x) => x === 'aborted') },
    ],
    describe: (a) => (a.kind === 'Prepare' ? `${rmName(a.rm)} prepare` : `${rmName(a.rm)} decide ${a.decision}`),
    // The transaction is over when every RM has decided; anything else with no step is stuck.
    isFinal: allDecided,
    schema: tCommitSchema(rmCount),
    symmetry: tCommitSymmetry(rmCount),
  };
}

const RM_STATES: readonly RMState[] = ['working', 'prepared', 'committed', 'aborted'];

/** 2 bits per RM: the packed state is its own exact key up to 31 RMs. */
export function tCommitSchema(rmCount: number): Schema {
  return schema.record({ rmState: schema.array(rmCount, schema.enum(...RM_STATES)) });
}

/** The RMs are interchangeable (TCommit.tla's RM is a symmetric set). */
export function tCommitSymmetry(rmCount: number): Symmetry<TCommitState> {
  return {
    name: 'RMs',
    size: rmCount,
    permute: (s, perm) => {
      const rmState = new Array<RMState>(rmCount);
      for (let rm = 0; rm < rmCount; rm++) rmState[perm[rm]] = s.rmState[rm];
      return { rmState };
    },
    key: (s, rm) => RM_STATES.indexOf(s.rmState[rm]),
  };
}

export const tCommitDefinition: ModelDefinition = {
  name: 'tcommit',
  summary: 'The transaction commit specification TCommit.tla: RMs prepare, then all commit or all abort',
  source: 'TCommit.tla (Lamport), tlaplus/Examples specifications/transaction_commit',
  params: [{ name: 'rm', description: 'number of resource managers', default: 3, min: 1, max: 16 }],
  variants: [
    { name: 'default', description: 'faithful port of TCommit.tla', expect: { status: 'holds' } },
    {
      name: 'abort-after-commit',
      description: 'bug: an RM may abort even after another RM committed (notCommitted dropped)',
      expect: { status: 'violation', property: 'TCConsistent' },
    },
    {
      name: 'commit-while-working',
      description: 'bug: canCommit lets an RM commit while another is still working (only an aborted RM blocks a commit)',
      expect: { status: 'violation', property: 'CommitOnlyIfAllPrepared' },
    },
  ],
  create: (params: Params, variant: string) => tCommit(params.rm, variant as TCommitVariant),
};
