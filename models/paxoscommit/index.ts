// PaxosCommit.tla (Gray & Lamport, "Consensus on Transaction Commit"; tlaplus/Examples
// transaction_commit), ported action for action. Each RM's prepared/aborted decision is an
// instance of Paxos run by a set of acceptors; ballot 0 is the RM's own fast phase 2a. The
// message set only grows. Actions mirror how TLC enumerates the spec's existentials, so that
// total (generated) states compare with TLC's as well as distinct states.

import type { Invariant, Model, ModelDefinition, Params, Witness } from '../../src/core/model.ts';
import { setAdd, setHas, updateAt, type SortedSet } from '../../src/core/data.ts';
import { Codec, SchemaError } from '../../src/core/codec.ts';
import { schema, type Schema } from '../../src/core/schema.ts';
import { allDecided, commitOnlyIfAllPrepared, rmName, tCommit, tcConsistent, tcInstance, type RMState } from '../tcommit/index.ts';

export type InstanceValue = 'prepared' | 'aborted';

/** An acceptor's state in one RM's Paxos instance. bal = -1 / val = "none": nothing accepted. */
export interface AcceptorState {
  readonly mbal: number;
  readonly bal: number;
  readonly val: InstanceValue | 'none';
}

export type Message =
  | { readonly type: 'phase1a'; readonly ins: number; readonly bal: number }
  | {
      readonly type: 'phase1b';
      readonly ins: number;
      readonly mbal: number;
      readonly bal: number;
      readonly val: InstanceValue | 'none';
      readonly acc: number;
    }
  | { readonly type: 'phase2a'; readonly ins: number; readonly bal: number; readonly val: InstanceValue }
  | { readonly type: 'phase2b'; readonly acc: number; readonly ins: number; readonly bal: number; readonly val: InstanceValue }
  | { readonly type: 'Commit' }
  | { readonly type: 'Abort' };

export interface PaxosCommitState {
  readonly rmState: readonly RMState[];
  /** aState[ins][acc] */
  readonly aState: readonly (readonly AcceptorState[])[];
  readonly msgs: SortedSet<Message>;
}

export type PaxosCommitAction =
  | { readonly kind: 'RMPrepare'; readonly rm: number }
  | { readonly kind: 'RMChooseToAbort'; readonly rm: number }
  | { readonly kind: 'RMRcvCommitMsg'; readonly rm: number }
  | { readonly kind: 'RMRcvAbortMsg'; readonly rm: number }
  | { readonly kind: 'Phase1a'; readonly bal: number; readonly rm: number }
  | { readonly kind: 'Phase2a'; readonly bal: number; readonly rm: number; readonly majority: readonly number[] }
  /** The commit disjunct of Decide. TLC evaluates `\A rm \in RM : Decided(rm, "prepared")`
   * as a conjunction of existentials and generates one successor per choice of witnesses:
   * `witnesses[rm]` is the (ballot, majority) that shows rm's instance chose "prepared". */
  | { readonly kind: 'DecideCommit'; readonly witnesses: readonly { readonly bal: number; readonly majority: readonly number[] }[] }
  /** The abort disjunct of Decide, once per (rm, ballot, majority) that decided "aborted". */
  | { readonly kind: 'DecideAbort'; readonly rm: number; readonly bal: number; readonly majority: readonly number[] }
  | { readonly kind: 'Phase1b'; readonly acc: number; readonly msg: Message & { readonly type: 'phase1a' } }
  | { readonly kind: 'Phase2b'; readonly acc: number; readonly msg: Message & { readonly type: 'phase2a' } };

export type PaxosCommitVariant = 'default' | 'phase2a-ignores-accepted' | 'phase2a-lowest-ballot' | 'acceptor-ignores-promise';

const COMMIT: Message = { type: 'Commit' };
const ABORT: Message = { type: 'Abort' };

export interface PaxosCommitConfig {
  readonly rmCount: number;
  readonly acceptorCount: number;
  /** Ballot = 0 .. ballotCount-1 (MCPaxosCommit uses {0, 1}). */
  readonly ballotCount: number;
}

/** The spec's Majority: every set of floor(n/2)+1 acceptors, as sorted id lists. For three
 * acceptors this is {{a1,a2},{a1,a3},{a2,a3}}, exactly PaxosCommit.cfg's constant. (Adding the
 * full set would not change the reachable states, but TLC enumerates `\E MS \in Majority`
 * and would generate more successors.) */
export function majorities(acceptorCount: number): number[][] {
  const size = Math.floor(acceptorCount / 2) + 1;
  const out: number[][] = [];
  for (let mask = 1; mask < 1 << acceptorCount; mask++) {
    const members: number[] = [];
    for (let a = 0; a < acceptorCount; a++) if (mask & (1 << a)) members.push(a);
    if (members.length === size) out.push(members);
  }
  return out;
}

export function paxosCommit(
  config: PaxosCommitConfig,
  variant: PaxosCommitVariant = 'default',
): Model<PaxosCommitState, PaxosCommitAction> {
  const { rmCount, acceptorCount, ballotCount } = config;
  const rms = range(rmCount);
  const acceptors = range(acceptorCount);
  const ballots = range(ballotCount);
  const quorums = majorities(acceptorCount);

  const init: PaxosCommitState = {
    rmState: rms.map(() => 'working'),
    aState: rms.map(() => acceptors.map(() => ({ mbal: 0, bal: -1, val: 'none' as const }))),
    msgs: [],
  };

  /** Phase2a's value for (bal, rm) from the phase1b messages of quorum MS, or undefined when
   * some acceptor of MS has not sent its phase1b for this ballot. */
  function phase2aValue(s: PaxosCommitState, bal: number, rm: number, ms: readonly number[]): InstanceValue | undefined {
    const mset = s.msgs.filter(
      (m): m is Message & { type: 'phase1b' } => m.type === 'phase1b' && m.ins === rm && m.mbal === bal && ms.includes(m.acc),
    );
    if (!ms.every((ac) => mset.some((m) => m.acc === ac))) return undefined;
    const maxbal = Math.max(-1, ...mset.map((m) => m.bal));
    if (maxbal === -1 || variant === 'phase2a-ignores-accepted') return 'aborted';
    // The phase2a-lowest-ballot bug takes the lowest ballot with a vote (bal -1 reports none).
    // With ballots {0, 1} every reported vote is from ballot 0, so it needs three ballots.
    const from = variant === 'phase2a-lowest-ballot' ? Math.min(...mset.filter((m) => m.bal >= 0).map((m) => m.bal)) : maxbal;
    // CHOOSE m \in mset : m.bal = maxbal -- all such messages carry the same value; take the
    // first in the canonical order, deterministically.
    const chosen = mset.find((m) => m.bal === from)!;
    return chosen.val as InstanceValue;
  }

  const quorumMasks = quorums.map((ms) => ms.reduce((mask, acc) => mask | (1 << acc), 0));

  /** The phase 2b votes of a state as acceptor bitmasks per (instance, ballot, value): one
   * pass over msgs, so that Decided needs no set lookups. */
  function phase2bVotes(s: PaxosCommitState): Map<string, number> {
    const votes = new Map<string, number>();
    for (const m of s.msgs) {
      if (m.type !== 'phase2b') continue;
      const key = `${m.ins}/${m.bal}/${m.val}`;
      votes.set(key, (votes.get(key) ?? 0) | (1 << m.acc));
    }
    return votes;
  }

  /** Decided(rm, v) witnessed by ballot b and quorum number q: every acceptor of the quorum
   * sent [type |-> "phase2b", ins |-> rm, bal |-> b, val |-> v, acc |-> ac]. */
  function decidedBy(votes: Map<string, number>, rm: number, v: InstanceValue, b: number, q: number): boolean {
    const mask = quorumMasks[q];
    return ((votes.get(`${rm}/${b}/${v}`) ?? 0) & mask) === mask;
  }

  /** Every combination of one (ballot, majority) per RM showing that its instance chose
   * "prepared"; empty unless every instance did. */
  function commitWitnesses(votes: Map<string, number>): { bal: number; majority: readonly number[] }[][] {
    let combos: { bal: number; majority: readonly number[] }[][] = [[]];
    for (const rm of rms) {
      const mine = ballots.flatMap((bal) =>
        quorums.flatMap((majority, q) => (decidedBy(votes, rm, 'prepared', bal, q) ? [{ bal, majority }] : [])),
      );
      if (mine.length === 0) return [];
      combos = combos.flatMap((c) => mine.map((w) => [...c, w]));
    }
    return combos;
  }

  function actions(s: PaxosCommitState): PaxosCommitAction[] {
    const out: PaxosCommitAction[] = [];
    const commitSent = setHas(s.msgs, COMMIT);
    const abortSent = setHas(s.msgs, ABORT);
    for (const rm of rms) {
      if (s.rmState[rm] === 'working') {
        out.push({ kind: 'RMPrepare', rm }, { kind: 'RMChooseToAbort', rm });
      }
      if (commitSent) out.push({ kind: 'RMRcvCommitMsg', rm });
      if (abortSent) out.push({ kind: 'RMRcvAbortMsg', rm });
    }
    for (const bal of ballots) {
      if (bal === 0) continue;
      for (const rm of rms) {
        out.push({ kind: 'Phase1a', bal, rm });
        const sent = s.msgs.some((m) => m.type === 'phase2a' && m.bal === bal && m.ins === rm);
        if (sent) continue;
        for (const majority of quorums) {
          if (phase2aValue(s, bal, rm, majority) !== undefined) out.push({ kind: 'Phase2a', bal, rm, majority });
        }
      }
    }
    const votes = phase2bVotes(s);
    for (const witnesses of commitWitnesses(votes)) out.push({ kind: 'DecideCommit', witnesses });
    for (const rm of rms) {
      for (const bal of ballots) {
        quorums.forEach((majority, q) => {
          if (decidedBy(votes, rm, 'aborted', bal, q)) out.push({ kind: 'DecideAbort', rm, bal, majority });
        });
      }
    }
    for (const acc of acceptors) {
      for (const m of s.msgs) {
        if (m.type === 'phase1a' && s.aState[m.ins][acc].mbal < m.bal) out.push({ kind: 'Phase1b', acc, msg: m });
      }
      for (const m of s.msgs) {
        if (m.type === 'phase2a' && (s.aState[m.ins][acc].mbal <= m.bal || variant === 'acceptor-ignores-promise')) {
          out.push({ kind: 'Phase2b', acc, msg: m });
        }
      }
    }
    return out;
  }

  function setAcceptor(s: PaxosCommitState, ins: number, acc: number, a: AcceptorState) {
    return updateAt(s.aState, ins, updateAt(s.aState[ins], acc, a));
  }

  function step(s: PaxosCommitState, a: PaxosCommitAction): PaxosCommitState {
    switch (a.kind) {
      case 'RMPrepare':
        return {
          ...s,
          rmState: updateAt(s.rmState, a.rm, 'prepared'),
          msgs: setAdd(s.msgs, { type: 'phase2a', ins: a.rm, bal: 0, val: 'prepared' }),
        };
      case 'RMChooseToAbort':
        return {
          ...s,
          rmState: updateAt(s.rmState, a.rm, 'aborted'),
          msgs: setAdd(s.msgs, { type: 'phase2a', ins: a.rm, bal: 0, val: 'aborted' }),
        };
      case 'RMRcvCommitMsg':
        return { ...s, rmState: updateAt(s.rmState, a.rm, 'committed') };
      case 'RMRcvAbortMsg':
        return { ...s, rmState: updateAt(s.rmState, a.rm, 'aborted') };
      case 'Phase1a':
        return { ...s, msgs: setAdd(s.msgs, { type: 'phase1a', ins: a.rm, bal: a.bal }) };
      case 'Phase2a': {
        const val = phase2aValue(s, a.bal, a.rm, a.majority)!;
        return { ...s, msgs: setAdd(s.msgs, { type: 'phase2a', ins: a.rm, bal: a.bal, val }) };
      }
      case 'DecideCommit':
        return { ...s, msgs: setAdd(s.msgs, COMMIT) };
      case 'DecideAbort':
        return { ...s, msgs: setAdd(s.msgs, ABORT) };
      case 'Phase1b': {
        const { ins, bal } = a.msg;
        const cur = s.aState[ins][a.acc];
        return {
          ...s,
          aState: setAcceptor(s, ins, a.acc, { ...cur, mbal: bal }),
          msgs: setAdd(s.msgs, { type: 'phase1b', ins, mbal: bal, bal: cur.bal, val: cur.val, acc: a.acc }),
        };
      }
      case 'Phase2b': {
        const { ins, bal, val } = a.msg;
        return {
          ...s,
          aState: setAcceptor(s, ins, a.acc, { mbal: bal, bal, val }),
          msgs: setAdd(s.msgs, { type: 'phase2b', ins, bal, val, acc: a.acc }),
        };
      }
      default: {
        const never: never = a;
        throw new Error(`unknown PaxosCommit action ${JSON.stringify(never)}`);
      }
    }
  }

  return {
    init: [init],
    actions,
    step,
    invariants: paxosCommitInvariants(config),
    sometimes: paxosCommitWitnesses(),
    describe: describePaxosCommit,
    // RMRcvCommitMsg/RMRcvAbortMsg and Phase1a stay enabled forever: no state is terminal.
    isFinal: () => false,
    // Liveness: the transaction is over when every RM has committed or aborted.
    goal: allDecided,
    ...packable(paxosCommitSchema(config)),
  };
}

/** The state's shape, straight from PaxosCommit.tla's PCTypeOK: rmState, aState (mbal in
 * Ballot, bal in Ballot \cup {-1}) and msgs, a set over the spec's Message (one bit per
 * message). */
export function paxosCommitSchema(config: PaxosCommitConfig): Schema {
  const { rmCount, acceptorCount, ballotCount } = config;
  const ins = schema.int(0, rmCount - 1);
  const acc = schema.int(0, acceptorCount - 1);
  const bal = schema.int(0, ballotCount - 1);
  const value = schema.enum('prepared', 'aborted');
  const message = schema.union(
    schema.record({ type: schema.literal('phase1a'), ins, bal }),
    schema.record({ type: schema.literal('phase1b'), ins, mbal: bal, bal: schema.int(-1, ballotCount - 1), val: schema.enum('prepared', 'aborted', 'none'), acc }),
    schema.record({ type: schema.literal('phase2a'), ins, bal, val: value }),
    schema.record({ type: schema.literal('phase2b'), acc, ins, bal, val: value }),
    schema.record({ type: schema.literal('Commit') }),
    schema.record({ type: schema.literal('Abort') }),
  );
  return schema.record({
    rmState: schema.array(rmCount, schema.enum('working', 'prepared', 'committed', 'aborted')),
    aState: schema.array(rmCount, schema.array(acceptorCount, schema.record({ mbal: bal, bal: schema.int(-1, ballotCount - 1), val: schema.enum('prepared', 'aborted', 'none') }))),
    msgs: schema.set(message),
  });
}

/** The schema when the codec can pack it: large configurations (e.g. 8 RMs, 7 acceptors and 8
 * ballots) have more possible messages than a set's bitmap may cover, and keep the object path. */
function packable(s: Schema): { schema?: Schema } {
  try {
    new Codec(s);
    return { schema: s };
  } catch (e) {
    if (e instanceof SchemaError) return {};
    throw e;
  }
}

function paxosCommitInvariants(config: PaxosCommitConfig): Invariant<PaxosCommitState>[] {
  return [
    {
      // PCTypeOK: ballots in range, acceptor values of the right kind.
      name: 'PCTypeOK',
      check: (s) => {
        for (let ins = 0; ins < s.aState.length; ins++) {
          for (let acc = 0; acc < s.aState[ins].length; acc++) {
            const a = s.aState[ins][acc];
            const where = `acceptor a${acc + 1} in ${rmName(ins)}'s instance`;
            if (a.mbal < 0 || a.mbal >= config.ballotCount) return `${where} has mbal ${a.mbal} outside Ballot`;
            if (a.bal < -1 || a.bal >= config.ballotCount) return `${where} has bal ${a.bal} outside Ballot \\cup {-1}`;
            if ((a.bal === -1) !== (a.val === 'none')) return `${where} has bal ${a.bal} with val ${a.val}`;
          }
        }
        return undefined;
      },
    },
    {
      // Paxos agreement within each RM's instance: at most one value is chosen, where chosen
      // means a majority of acceptors sent phase2b for it in one ballot (Decided in the spec).
      name: 'InstanceAgreement',
      check: (s) => {
        const chosen = chosenValues(s, config.acceptorCount);
        for (let ins = 0; ins < config.rmCount; ins++) {
          const mine = chosen.filter((c) => c.ins === ins);
          const prepared = mine.find((c) => c.val === 'prepared');
          const aborted = mine.find((c) => c.val === 'aborted');
          if (prepared !== undefined && aborted !== undefined) {
            return (
              `${rmName(ins)}'s instance chose both prepared (ballot ${prepared.bal}) and ` +
              `aborted (ballot ${aborted.bal})`
            );
          }
        }
        return undefined;
      },
    },
    tcConsistent,
    commitOnlyIfAllPrepared,
  ];
}

/** The (instance, ballot, value) triples accepted by a majority of acceptors in phase 2b. */
function chosenValues(s: PaxosCommitState, acceptorCount: number): { ins: number; bal: number; val: InstanceValue }[] {
  const votes = new Map<string, { ins: number; bal: number; val: InstanceValue; count: number }>();
  for (const m of s.msgs) {
    if (m.type !== 'phase2b') continue;
    const key = `${m.ins}/${m.bal}/${m.val}`;
    const entry = votes.get(key);
    if (entry === undefined) votes.set(key, { ins: m.ins, bal: m.bal, val: m.val, count: 1 });
    else entry.count++;
  }
  return [...votes.values()].filter((v) => v.count * 2 > acceptorCount);
}

function paxosCommitWitnesses(): Witness<PaxosCommitState>[] {
  return [
    { name: 'all RMs commit', holds: (s) => s.rmState.every((x) => x === 'committed') },
    { name: 'all RMs abort', holds: (s) => s.rmState.every((x) => x === 'aborted') },
    {
      name: 'a ballot above 0 reaches phase 2',
      holds: (s) => s.msgs.some((m) => m.type === 'phase2a' && m.bal > 0),
    },
  ];
}

export function describePaxosCommit(a: PaxosCommitAction): string {
  const quorum = (ms: readonly number[]) => `{${ms.map((x) => `a${x + 1}`).join(',')}}`;
  switch (a.kind) {
    case 'RMPrepare':
      return `${rmName(a.rm)} prepare, ${rmName(a.rm)}->acceptors phase2a b=0 prepared`;
    case 'RMChooseToAbort':
      return `${rmName(a.rm)} chooses to abort, ${rmName(a.rm)}->acceptors phase2a b=0 aborted`;
    case 'RMRcvCommitMsg':
      return `->${rmName(a.rm)} Commit (received)`;
    case 'RMRcvAbortMsg':
      return `->${rmName(a.rm)} Abort (received)`;
    case 'Phase1a':
      return `leader->acceptors phase1a ins=${rmName(a.rm)} b=${a.bal}`;
    case 'Phase2a':
      return `leader->acceptors phase2a ins=${rmName(a.rm)} b=${a.bal} (from phase1b of ${quorum(a.majority)})`;
    case 'DecideCommit':
      return 'decide Commit (every instance chose prepared)';
    case 'DecideAbort':
      return `decide Abort (${rmName(a.rm)}'s instance chose aborted at b=${a.bal} by ${quorum(a.majority)})`;
    case 'Phase1b':
      return `a${a.acc + 1}->leader phase1b ins=${rmName(a.msg.ins)} mbal=${a.msg.bal}`;
    case 'Phase2b':
      return `a${a.acc + 1}->all phase2b ins=${rmName(a.msg.ins)} b=${a.msg.bal} ${a.msg.val}`;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export const paxosCommitDefinition: ModelDefinition = {
  name: 'paxoscommit',
  summary: 'Paxos Commit (Gray & Lamport) as specified in PaxosCommit.tla: one Paxos instance per RM',
  source: 'PaxosCommit.tla (Gray & Lamport), tlaplus/Examples specifications/transaction_commit',
  params: [
    { name: 'rm', description: 'number of resource managers', default: 2, min: 1, max: 8 },
    { name: 'acceptors', description: 'number of acceptors; Majority = every set of floor(n/2)+1 of them', default: 3, min: 1, max: 7 },
    { name: 'ballots', description: 'Ballot = {0 .. ballots-1}', default: 2, min: 1, max: 8 },
  ],
  variants: [
    { name: 'default', description: 'faithful port of PaxosCommit.tla', expect: { status: 'holds' } },
    {
      name: 'phase2a-ignores-accepted',
      description: 'bug: a leader proposes "aborted" in phase 2a even when a phase1b reports an accepted value',
      expect: { status: 'violation', property: 'InstanceAgreement' },
    },
    {
      // Found only with three ballots: a vote at 0 (prepared) and a later one at 1 (aborted,
      // chosen) reported to ballot 2, which re-proposes the older value.
      name: 'phase2a-lowest-ballot',
      description: 'bug: a leader proposes in phase 2a the value of the lowest ballot reported in phase1b, not the highest',
      expect: { status: 'violation', property: 'InstanceAgreement' },
      params: { rm: 1, acceptors: 3, ballots: 3 },
    },
    {
      name: 'acceptor-ignores-promise',
      description: 'bug: an acceptor accepts a phase2a below the ballot it promised in phase1b',
      expect: { status: 'violation', property: 'InstanceAgreement' },
    },
  ],
  create: (params: Params, variant: string) =>
    paxosCommit(
      { rmCount: params.rm, acceptorCount: params.acceptors, ballotCount: params.ballots },
      variant as PaxosCommitVariant,
    ),
  scenarios: [
    {
      // The default rows have ballots {0, 1}: a leader's phase 2a then only ever sees votes of
      // ballot 0, and a value-selection bug that needs an older and a newer vote cannot show.
      kind: 'safety',
      name: 'three-ballots',
      description: 'ballots {0, 1, 2} (1 RM, 3 acceptors): a second recovery ballot sees votes of two earlier ones; every invariant holds',
      params: { rm: 1, acceptors: 3, ballots: 3 },
      expect: { status: 'holds' },
    },
    {
      // PaxosCommit.tla: THEOREM PCSpec => TC!TCSpec, with TC == INSTANCE TCommit.
      kind: 'refinement',
      name: 'refines-tcommit',
      description: 'PCSpec => TC!TCSpec: every PaxosCommit step changes rmState as a TCommit.tla step does, or not at all',
      params: { rm: 2, acceptors: 3, ballots: 2 },
      spec: (p) => tCommit(p.rm),
      mapping: tcInstance,
      expect: { status: 'holds' },
    },
  ],
};
