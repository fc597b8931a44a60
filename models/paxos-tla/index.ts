// Paxos.tla (Lamport, "The Paxos Algorithm or How to Win a Turing Award"; tlaplus/Examples
// specifications/PaxosHowToWinATuringAward), ported action for action, with the constants of
// MCPaxos.tla: Acceptor = {a1..an}, Value = {v1..vk}, Ballot = 0..MaxBallot, Quorum = every
// set of floor(n/2)+1 acceptors (MCPaxosTiny: {{a1,a2},{a1,a3},{a2,a3}}), None a model value.
//
// msgs only grows (a message is never removed), exactly as in the spec. Actions mirror how TLC
// enumerates the existentials of Next, so that total (generated) states compare with TLC's as
// well as distinct states: one successor per witness of every `\E`, including those in pure
// guards (Phase2a's `\E Q \in Quorum` and `\E m \in Q1bv`).

import type { Invariant, Model, ModelDefinition, Params, Witness } from '../../src/core/model.ts';
import { setAdd, setHas, updateAt, type SortedSet } from '../../src/core/data.ts';

/** None is a model value (MCPaxosTiny.cfg: `None = None`), distinct from every Value. */
export const NONE = 'None';

export type Message =
  | { readonly type: '1a'; readonly bal: number }
  | { readonly type: '1b'; readonly acc: number; readonly bal: number; readonly mbal: number; readonly mval: string }
  | { readonly type: '2a'; readonly bal: number; readonly val: string }
  | { readonly type: '2b'; readonly acc: number; readonly bal: number; readonly val: string };

type Msg<T extends Message['type']> = Message & { readonly type: T };

export interface PaxosTlaState {
  readonly maxBal: readonly number[];
  readonly maxVBal: readonly number[];
  readonly maxVal: readonly string[];
  readonly msgs: SortedSet<Message>;
}

export type PaxosTlaAction =
  | { readonly kind: 'Phase1a'; readonly b: number }
  /** Phase2a(b, v) with the witnesses TLC enumerates: the quorum Q, and the 1b message of Q1bv
   * with the highest mbal carrying v (undefined when Q1bv = {}). */
  | {
      readonly kind: 'Phase2a';
      readonly b: number;
      readonly v: string;
      readonly q: readonly number[];
      readonly m?: Msg<'1b'>;
      /** Set only by the phase2a-any-value bug, when Q1bv is not empty and is ignored. */
      readonly ignoresVotes?: true;
      /** Set only by the phase2a-lowest-ballot bug: m has the lowest mbal in Q1bv, not the highest. */
      readonly lowestVote?: true;
    }
  | { readonly kind: 'Phase1b'; readonly a: number; readonly m: Msg<'1a'> }
  | { readonly kind: 'Phase2b'; readonly a: number; readonly m: Msg<'2a'> };

/** The witnesses of Phase2a(b, v)'s existentials, as its action carries them. */
type Phase2aWitness = Omit<Extract<PaxosTlaAction, { kind: 'Phase2a' }>, 'kind' | 'b' | 'v'>;

export type PaxosTlaVariant = 'default' | 'phase2a-any-value' | 'phase2a-lowest-ballot' | 'phase2b-ignores-maxbal';

export interface PaxosTlaConfig {
  readonly acceptors: number;
  readonly values: number;
  /** Ballot = 0..maxBallot */
  readonly maxBallot: number;
}

/** Quorum = every set of floor(n/2)+1 acceptors, as sorted index lists. */
export function majorityQuorums(n: number): number[][] {
  const size = Math.floor(n / 2) + 1;
  const out: number[][] = [];
  for (let mask = 1; mask < 1 << n; mask++) {
    const members = range(n).filter((a) => mask & (1 << a));
    if (members.length === size) out.push(members);
  }
  return out;
}

export function paxosTla(config: PaxosTlaConfig, variant: PaxosTlaVariant = 'default'): Model<PaxosTlaState, PaxosTlaAction> {
  const acceptors = range(config.acceptors);
  const values = range(config.values).map((i) => `v${i + 1}`);
  const ballots = range(config.maxBallot + 1);
  const quorums = majorityQuorums(config.acceptors);

  // Init: maxBal = maxVBal = -1, maxVal = None, msgs = {}
  const init: PaxosTlaState = {
    maxBal: acceptors.map(() => -1),
    maxVBal: acceptors.map(() => -1),
    maxVal: acceptors.map(() => NONE),
    msgs: [],
  };

  /** Phase2a(b, v)'s witnesses (Q, m) in TLC's enumeration order. */
  function phase2aWitnesses(s: PaxosTlaState, b: number, v: string): Phase2aWitness[] {
    // ~ \E m \in msgs : m.type = "2a" /\ m.bal = b
    if (s.msgs.some((m) => m.type === '2a' && m.bal === b)) return [];
    const out: Phase2aWitness[] = [];
    for (const q of quorums) {
      const q1b = s.msgs.filter((m): m is Msg<'1b'> => m.type === '1b' && q.includes(m.acc) && m.bal === b);
      // \A a \in Q : \E m \in Q1b : m.acc = a -- an acceptor sends one 1b per ballot, so each
      // \E has exactly one witness and the product TLC forms has one element.
      if (!q.every((a) => q1b.some((m) => m.acc === a))) continue;
      const q1bv = q1b.filter((m) => m.mbal >= 0);
      if (q1bv.length === 0) {
        out.push({ q });
        continue;
      }
      if (variant === 'phase2a-any-value') {
        out.push({ q, ignoresVotes: true });
        continue;
      }
      if (variant === 'phase2a-lowest-ballot') {
        // The bug: m.mbal <= mm.mbal. With Ballot = 0..1 every vote in Q1bv is from ballot 0,
        // lowest and highest agree, and the bug cannot show: it needs MaxBallot >= 2.
        const low = Math.min(...q1bv.map((m) => m.mbal));
        for (const m of q1bv) if (m.mval === v && m.mbal === low) out.push({ q, m, lowestVote: true });
        continue;
      }
      // \E m \in Q1bv : m.mval = v /\ \A mm \in Q1bv : m.mbal >= mm.mbal
      const top = Math.max(...q1bv.map((m) => m.mbal));
      for (const m of q1bv) if (m.mval === v && m.mbal === top) out.push({ q, m });
    }
    return out;
  }

  function actions(s: PaxosTlaState): PaxosTlaAction[] {
    const out: PaxosTlaAction[] = [];
    // \E b \in Ballot : Phase1a(b) \/ \E v \in Value : Phase2a(b, v)
    for (const b of ballots) {
      out.push({ kind: 'Phase1a', b });
      for (const v of values) {
        for (const w of phase2aWitnesses(s, b, v)) out.push({ kind: 'Phase2a', b, v, ...w });
      }
    }
    // \E a \in Acceptor : Phase1b(a) \/ Phase2b(a)
    for (const a of acceptors) {
      for (const m of s.msgs) {
        if (m.type === '1a' && m.bal > s.maxBal[a]) out.push({ kind: 'Phase1b', a, m });
      }
      for (const m of s.msgs) {
        if (m.type === '2a' && (m.bal >= s.maxBal[a] || variant === 'phase2b-ignores-maxbal')) out.push({ kind: 'Phase2b', a, m });
      }
    }
    return out;
  }

  function step(s: PaxosTlaState, act: PaxosTlaAction): PaxosTlaState {
    switch (act.kind) {
      case 'Phase1a':
        return { ...s, msgs: setAdd(s.msgs, { type: '1a', bal: act.b }) };
      case 'Phase2a':
        return { ...s, msgs: setAdd(s.msgs, { type: '2a', bal: act.b, val: act.v }) };
      case 'Phase1b': {
        const a = act.a;
        const sent: Message = { type: '1b', acc: a, bal: act.m.bal, mbal: s.maxVBal[a], mval: s.maxVal[a] };
        return { ...s, maxBal: updateAt(s.maxBal, a, act.m.bal), msgs: setAdd(s.msgs, sent) };
      }
      case 'Phase2b': {
        const { a, m } = act;
        return {
          maxBal: updateAt(s.maxBal, a, m.bal),
          maxVBal: updateAt(s.maxVBal, a, m.bal),
          maxVal: updateAt(s.maxVal, a, m.val),
          msgs: setAdd(s.msgs, { type: '2b', acc: a, bal: m.bal, val: m.val }),
        };
      }
      default: {
        const never: never = act;
        throw new Error(`unknown Paxos.tla action ${JSON.stringify(never)}`);
      }
    }
  }

  return {
    init: [init],
    actions,
    step,
    invariants: paxosTlaInvariants(config, quorums, values),
    sometimes: paxosTlaWitnesses(config, quorums),
    describe: describePaxosTla,
    // Phase1a(b) has no enabling condition (re-sending is a stuttering step), so every state
    // has a successor and the spec cannot deadlock; TLC's default deadlock check finds none.
    // No state is final: a state without successors would be a port bug, reported as one.
    isFinal: () => false,
  };
}

/** votes[a] == {<<m.bal, m.val>> : m \in {mm \in msgs : mm.type = "2b" /\ mm.acc = a}} */
function votedFor(s: PaxosTlaState, a: number, b: number, v: string): boolean {
  return setHas(s.msgs, { type: '2b', acc: a, bal: b, val: v });
}

function didNotVoteAt(s: PaxosTlaState, a: number, b: number, values: readonly string[]): boolean {
  return values.every((v) => !votedFor(s, a, b, v));
}

/** Voting.tla ShowsSafeAt(Q, b, v), with V's votes and maxBal as Paxos.tla maps them. */
function showsSafeAt(s: PaxosTlaState, q: readonly number[], b: number, v: string, values: readonly string[]): boolean {
  if (!q.every((a) => s.maxBal[a] >= b)) return false;
  for (let c = -1; c <= b - 1; c++) {
    if (c !== -1 && !q.some((a) => votedFor(s, a, c, v))) continue;
    let quiet = true;
    for (let d = c + 1; d <= b - 1 && quiet; d++) quiet = q.every((a) => didNotVoteAt(s, a, d, values));
    if (quiet) return true;
  }
  return false;
}

/** Voting.tla chosen == {v \in Value : \E b \in Ballot : ChosenAt(b, v)} */
export function chosenValues(s: PaxosTlaState, quorums: readonly (readonly number[])[], maxBallot: number, values: readonly string[]) {
  const out: { v: string; b: number; q: readonly number[] }[] = [];
  for (const v of values) {
    for (let b = 0; b <= maxBallot; b++) {
      const q = quorums.find((qq) => qq.every((a) => votedFor(s, a, b, v)));
      if (q !== undefined) {
        out.push({ v, b, q });
        break;
      }
    }
  }
  return out;
}

const accName = (a: number) => `a${a + 1}`;

function paxosTlaInvariants(config: PaxosTlaConfig, quorums: readonly (readonly number[])[], values: readonly string[]): Invariant<PaxosTlaState>[] {
  const acceptors = range(config.acceptors);
  const inBallot = (b: number) => Number.isInteger(b) && b >= 0 && b <= config.maxBallot;
  const typeOK = (s: PaxosTlaState): string | undefined => {
    for (const a of acceptors) {
      if (!(s.maxBal[a] === -1 || inBallot(s.maxBal[a]))) return `TypeOK: maxBal[${accName(a)}] = ${s.maxBal[a]}`;
      if (!(s.maxVBal[a] === -1 || inBallot(s.maxVBal[a]))) return `TypeOK: maxVBal[${accName(a)}] = ${s.maxVBal[a]}`;
      if (!(s.maxVal[a] === NONE || values.includes(s.maxVal[a]))) return `TypeOK: maxVal[${accName(a)}] = ${s.maxVal[a]}`;
    }
    return undefined;
  };
  return [
    {
      // Paxos.tla Inv: TypeOK and the inductive invariant relating acceptor state and msgs.
      name: 'Inv',
      check: (s) => {
        const t = typeOK(s);
        if (t !== undefined) return t;
        for (const a of acceptors) {
          const n = accName(a);
          if (!(s.maxBal[a] >= s.maxVBal[a])) return `maxBal[${n}] = ${s.maxBal[a]} is below maxVBal[${n}] = ${s.maxVBal[a]}`;
          if (s.maxVBal[a] === -1 ? s.maxVal[a] !== NONE : !votedFor(s, a, s.maxVBal[a], s.maxVal[a])) {
            return `${n}'s vote <<${s.maxVBal[a]}, ${s.maxVal[a]}>> is not in votes[${n}]`;
          }
        }
        for (const m of s.msgs) {
          if (m.type === '1b') {
            if (!(s.maxBal[m.acc] >= m.bal)) return `${accName(m.acc)} sent 1b for ballot ${m.bal} but maxBal is ${s.maxBal[m.acc]}`;
            if (m.mbal >= 0 && !votedFor(s, m.acc, m.mbal, m.mval)) {
              return `${accName(m.acc)}'s 1b reports vote <<${m.mbal}, ${m.mval}>> that it never cast`;
            }
          } else if (m.type === '2a') {
            if (!quorums.some((q) => showsSafeAt(s, q, m.bal, m.val, values))) {
              return `2a for ballot ${m.bal} value ${m.val} but no quorum shows ${m.val} safe at ${m.bal}`;
            }
            const other = s.msgs.find((mm) => mm.type === '2a' && mm.bal === m.bal && mm.val !== m.val);
            if (other !== undefined) return `two 2a messages for ballot ${m.bal}: ${m.val} and ${(other as Msg<'2a'>).val}`;
          } else if (m.type === '2b') {
            if (!(s.maxVBal[m.acc] >= m.bal)) return `${accName(m.acc)} voted in ballot ${m.bal} but maxVBal is ${s.maxVBal[m.acc]}`;
            if (!setHas(s.msgs, { type: '2a', bal: m.bal, val: m.val })) {
              return `${accName(m.acc)} voted <<${m.bal}, ${m.val}>> without a 2a for it`;
            }
          }
        }
        return undefined;
      },
    },
    {
      // Consensus.tla Inv (Cardinality(chosen) <= 1) as Paxos refines it: V == INSTANCE Voting,
      // whose C == INSTANCE Consensus WITH chosen <- chosen (votes derived from 2b messages).
      name: 'V!C!Inv',
      check: (s) => {
        const chosen = chosenValues(s, quorums, config.maxBallot, values);
        if (chosen.length <= 1) return undefined;
        return `more than one value chosen: ${chosen.map((c) => `${c.v} at ballot ${c.b} by {${c.q.map(accName).join(',')}}`).join(' and ')}`;
      },
    },
  ];
}

function paxosTlaWitnesses(config: PaxosTlaConfig, quorums: readonly (readonly number[])[]): Witness<PaxosTlaState>[] {
  const values = range(config.values).map((i) => `v${i + 1}`);
  return [
    { name: 'a value is chosen', holds: (s) => chosenValues(s, quorums, config.maxBallot, values).length > 0 },
    {
      name: 'a 2a message re-proposes a value voted in a lower ballot',
      holds: (s) => s.msgs.some((m) => m.type === '2a' && s.msgs.some((mm) => mm.type === '2b' && mm.bal < m.bal && mm.val === m.val)),
    },
  ];
}

export function describePaxosTla(a: PaxosTlaAction): string {
  switch (a.kind) {
    case 'Phase1a':
      return `Phase1a(${a.b}): send 1a bal=${a.b}`;
    case 'Phase2a': {
      const why = a.ignoresVotes
        ? 'votes in Q1b ignored'
        : a.m === undefined
          ? 'no votes in Q1b'
          : `${a.lowestVote ? 'lowest' : 'highest'} vote ${accName(a.m.acc)} <<${a.m.mbal}, ${a.m.mval}>>`;
      return `Phase2a(${a.b}, ${a.v}): send 2a (Q = {${a.q.map(accName).join(',')}}, ${why})`;
    }
    case 'Phase1b':
      return `Phase1b(${accName(a.a)}): receive 1a bal=${a.m.bal}, send 1b`;
    case 'Phase2b':
      return `Phase2b(${accName(a.a)}): receive 2a bal=${a.m.bal} val=${a.m.val}, vote`;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export const paxosTlaDefinition: ModelDefinition = {
  name: 'paxos-tla',
  summary: "Lamport's Paxos consensus spec (How to Win a Turing Award), ported action for action for TLC comparison",
  source: 'Paxos.tla + MCPaxos.tla (Lamport), tlaplus/Examples specifications/PaxosHowToWinATuringAward',
  params: [
    { name: 'acceptors', description: 'number of acceptors; Quorum = every set of floor(n/2)+1 of them', default: 3, min: 1, max: 6 },
    { name: 'values', description: 'Value = {v1 .. vk}', default: 2, min: 1, max: 4 },
    { name: 'maxBallot', description: 'Ballot = 0..maxBallot (MCPaxosTiny: 1, MCPaxosSmall: 2)', default: 1, min: 0, max: 4 },
  ],
  variants: [
    { name: 'default', description: 'faithful port of Paxos.tla with the MCPaxos constants', expect: { status: 'holds' } },
    {
      name: 'phase2a-any-value',
      description: 'bug: Phase2a sends any value once a quorum answered, ignoring the votes its 1b messages report',
      expect: { status: 'violation', property: 'Inv' },
    },
    {
      // Needs three ballots: a vote at 0 and a newer one at 1, both reported to ballot 2.
      name: 'phase2a-lowest-ballot',
      description: 'bug: Phase2a sends the value of the lowest-numbered vote its 1b messages report, not the highest',
      expect: { status: 'violation', property: 'Inv' },
      params: { maxBallot: 2 },
    },
    {
      name: 'phase2b-ignores-maxbal',
      description: 'bug: Phase2b votes for a 2a message below the ballot the acceptor promised in Phase1b',
      expect: { status: 'violation', property: 'Inv' },
    },
  ],
  create: (params: Params, variant: string) =>
    paxosTla({ acceptors: params.acceptors, values: params.values, maxBallot: params.maxBallot }, variant as PaxosTlaVariant),
  scenarios: [
    {
      // MCPaxosSmall.cfg's constants (MaxBallot = 2); tlaplus/Examples publishes no state count
      // for it. With Ballot = 0..1 a Phase2a only ever sees votes of ballot 0.
      kind: 'safety',
      name: 'mcpaxos-small',
      description: 'MCPaxosSmall (ballots 0..2): a 2a for ballot 2 must pick among votes of two earlier ballots; Inv and V!C!Inv hold',
      params: { maxBallot: 2 },
      expect: { status: 'holds' },
    },
  ],
};
