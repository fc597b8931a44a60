// Linearizability checking (Herlihy & Wing 1990) by the Wing & Gong search (J. Parallel
// Distrib. Comput. 1993) with Lowe's memoisation of configurations ("Testing for
// linearizability", Concurrency and Computation 2017), the algorithm Porcupine and Knossos's
// `wgl` checker implement:
//
// Lay every invocation and response on one time line. Repeatedly take the first operation
// whose invocation comes before the first remaining response, apply it to the spec and, if
// the result matches, "lift" both its events off the line and continue. Reaching a response
// whose operation is not yet linearized means the choices so far are wrong: backtrack. A
// configuration (set of linearized operations, spec state) seen before is skipped — the rest
// of the search from it is already known to fail.
//
// Pending operations have an invocation and no response: they never force a backtrack, so
// the search may linearize them anywhere after their invocation, or not at all, and their
// result is unconstrained. The search succeeds once every completed operation is placed.
//
// Fitted for histories recorded from real systems (src/cluster), which have thousands of
// operations over many keys and many pending (timed-out) operations:
// - keys are searched interleaved, a slice of steps each in turn, so a violation in any key
//   refutes the history at once, whatever the other keys cost; each key keeps its own budget;
// - the memo keys on 64-bit hashes (Zobrist hashing of the set of linearized completed
//   operations, the project's Fingerprinter for the spec state) instead of a bitset string and
//   the state's JSON; like the explorer's visited set it trusts 64-bit fingerprints (a collision
//   would prune a configuration not yet seen);
// - a configuration is skipped when one with the same completed set and state, and a subset of
//   its pending operations applied, was seen: from the subset every continuation of the
//   superset is still available (a pending operation forces nothing), so if that one fails
//   this one does. Pending operations that never took effect then cost no more than ones that
//   did (bench/cluster-history.ts measures both).

import type {
  CheckOptions,
  History,
  Operation,
  SequentialSpec,
  Verdict,
  VerdictUnknown,
  VerdictViolation,
} from './history.ts';
import { canonicalJson } from '../core/data.ts';
import {
  assertWellFormed,
  describeOperation,
  describeOperations,
  resultsMatch,
  returnTime,
  stepsBudget,
} from './history.ts';
import { Fingerprinter } from '../core/fingerprint.ts';

/** Whether some total order of the history's operations, consistent with real time, is a
 * legal run of `spec` — checked separately per key when the spec partitions operations. */
export function checkLinearizable<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  history: History<Op, Res>,
  options: CheckOptions = {},
): Verdict {
  assertWellFormed(history);
  const searches = partitionHistory(spec, history).map(([key, ops]) => {
    const stepsMax = stepsBudget(options, ops.length);
    return { key, ops, stepsMax, search: new KeySearch(spec, ops, stepsMax), outcome: undefined as SearchOutcome | undefined };
  });
  const totalSteps = (): number => searches.reduce((n, s) => n + s.search.steps, 0);
  let active = searches;
  while (active.length > 0) {
    for (const s of active) {
      s.outcome = s.search.run(SLICE_STEPS);
      if (s.outcome?.kind === 'violation') {
        const partition = s.key === undefined ? {} : { partition: s.key };
        return { ...violation(spec, s.ops, s.outcome, s.key), ...partition, steps: totalSteps() };
      }
    }
    active = active.filter((s) => s.outcome === undefined);
  }
  const steps = totalSteps();
  const unknown = searches.find((s) => s.outcome?.kind === 'unknown');
  if (unknown) {
    const partition = unknown.key === undefined ? {} : { partition: unknown.key };
    return { ...budgetExhausted(unknown.ops.length, unknown.stepsMax, unknown.key), ...partition, steps };
  }
  const chains = searches.map((s) => (s.outcome as { readonly order: readonly number[] }).order.map((i) => s.ops[i]));
  return { kind: 'ok', ok: true, linearization: mergeChains(chains).map((op) => op.id), steps };
}

/** Spec steps each key's search takes before the next key's turn. */
const SLICE_STEPS = 20_000;

/** Operations grouped by `spec.partition`, keys in sorted order; one group keyed `undefined`
 * when the spec does not partition. */
function partitionHistory<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  history: History<Op, Res>,
): [string | undefined, readonly Operation<Op, Res>[]][] {
  if (!spec.partition) return [[undefined, history]];
  const groups = new Map<string, Operation<Op, Res>[]>();
  for (const op of history) {
    const key = spec.partition(op.op);
    const group = groups.get(key);
    if (group) group.push(op);
    else groups.set(key, [op]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Merges per-key linearizations into one for the whole history. Give each operation the
 * point max(its invocation, its chain predecessor's point): that lies inside its own interval
 * because a chain respects real time, and if a precedes b in real time then
 * point(a) ≤ a.returnedAt < b.invokedAt ≤ point(b). Sorting by point (ties by chain position)
 * therefore respects real time and keeps every chain's order (Herlihy & Wing's locality). */
function mergeChains<Op, Res>(chains: readonly (readonly Operation<Op, Res>[])[]): readonly Operation<Op, Res>[] {
  if (chains.length === 1) return chains[0];
  const placed: { op: Operation<Op, Res>; point: number; rank: number }[] = [];
  for (const chain of chains) {
    let point = -Infinity;
    chain.forEach((op, rank) => {
      point = Math.max(point, op.invokedAt);
      placed.push({ op, point, rank });
    });
  }
  placed.sort((a, b) => a.point - b.point || a.rank - b.rank);
  return placed.map((p) => p.op);
}

// ---------------------------------------------------------------------------------------------
// The search over one (sub-)history

type SearchOutcome =
  | { readonly kind: 'ok'; readonly order: readonly number[]; readonly steps: number }
  | { readonly kind: 'violation'; readonly prefix: readonly number[]; readonly blocked: number; readonly steps: number }
  | { readonly kind: 'unknown'; readonly steps: number };

/** One event on the time line: a doubly linked list so that lifting an operation out and
 * putting it back are O(1) (the "dancing links" of Lowe §3). Internal and mutable. */
interface Entry {
  readonly op: number;
  readonly isCall: boolean;
  /** For a call: its operation's return entry, null when pending. */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

/** The search over one (sub-)history, resumable: `run(slice)` takes up to `slice` more steps and
 * returns the outcome, or undefined when it needs more. Owns all its scratch state. */
class KeySearch<S, Op, Res> {
  steps = 0;
  private readonly head: Entry;
  private entry: Entry | null;
  private readonly stack: { call: Entry; state: S }[] = [];
  private state: S;
  private remaining: number;
  private deepest: { prefix: readonly number[]; blocked: number } | undefined;
  private readonly memo: ConfigurationMemo;
  private readonly hasher = new StateHasher();
  private done: SearchOutcome | undefined;

  constructor(
    private readonly spec: SequentialSpec<S, Op, Res>,
    private readonly ops: readonly Operation<Op, Res>[],
    private readonly stepsMax: number,
  ) {
    this.head = buildTimeLine(ops);
    this.entry = this.head.next;
    this.state = spec.init();
    this.remaining = ops.filter((op) => op.kind === 'completed').length;
    this.memo = new ConfigurationMemo(ops);
  }

  run(slice: number): SearchOutcome | undefined {
    if (this.done) return this.done;
    const sliceEnd = this.steps + slice;
    const { ops, spec, stack, head, memo } = this;
    while (this.remaining > 0) {
      const entry = this.entry;
      if (entry !== null && entry.isCall) {
        const op = ops[entry.op];
        const pending = op.kind === 'pending';
        if (this.steps >= this.stepsMax) return (this.done = { kind: 'unknown', steps: this.steps });
        if (this.steps >= sliceEnd) return undefined;
        this.steps++;
        const next = spec.apply(this.state, op.op);
        if (pending || resultsMatch(spec, next.result, op.result)) {
          memo.toggle(entry.op);
          // A pending operation that changes nothing here (the spec returned the same state) is
          // dominated by this configuration itself; taking it, as an exact memo would, retires
          // it instead of retrying it at every configuration below: such a move is pruned only
          // by an exact match.
          const noOp = pending && next.state === this.state;
          if (!memo.seenOrDominated(this.hasher.hash(next.state), noOp)) {
            stack.push({ call: entry, state: this.state });
            this.state = next.state;
            if (!pending) this.remaining--;
            lift(entry);
            this.entry = head.next;
            continue;
          }
          memo.toggle(entry.op);
        }
        this.entry = entry.next;
        continue;
      }
      // A response of an operation not yet linearized: no extension of this prefix works.
      // The first remaining entry is never a pending call's end-of-line while `remaining > 0`,
      // because a completed operation's response is still on the line.
      if (entry === null) throw new Error('linearizability: time line ended with completed operations unplaced');
      if (!this.deepest || stack.length > this.deepest.prefix.length) {
        this.deepest = { prefix: stack.map((frame) => frame.call.op), blocked: entry.op };
      }
      const top = stack.pop();
      if (!top) return (this.done = { kind: 'violation', ...(this.deepest ?? { prefix: [], blocked: entry.op }), steps: this.steps });
      this.state = top.state;
      unlift(top.call);
      memo.toggle(top.call.op);
      if (ops[top.call.op].kind === 'completed') this.remaining++;
      this.entry = top.call.next;
    }
    return (this.done = { kind: 'ok', order: stack.map((frame) => frame.call.op), steps: this.steps });
  }
}

/** All calls and returns sorted by time behind a sentinel head; at equal times calls come
 * first, so operations whose stamps touch overlap (see OperationBase). */
function buildTimeLine<Op, Res>(ops: readonly Operation<Op, Res>[]): Entry {
  const events: { entry: Entry; time: number }[] = [];
  ops.forEach((op, i) => {
    const call: Entry = { op: i, isCall: true, match: null, prev: null, next: null };
    events.push({ entry: call, time: op.invokedAt });
    if (op.kind === 'completed') {
      call.match = { op: i, isCall: false, match: null, prev: null, next: null };
      events.push({ entry: call.match, time: returnTime(op) });
    }
  });
  events.sort((a, b) => a.time - b.time || Number(b.entry.isCall) - Number(a.entry.isCall) || a.entry.op - b.entry.op);
  const head: Entry = { op: -1, isCall: false, match: null, prev: null, next: null };
  let last = head;
  for (const { entry } of events) {
    last.next = entry;
    entry.prev = last;
    last = entry;
  }
  return head;
}

function lift(call: Entry): void {
  unlink(call);
  if (call.match) unlink(call.match);
}

/** Undoes `lift`; valid because lifts are undone in reverse order (stack discipline). */
function unlift(call: Entry): void {
  if (call.match) relink(call.match);
  relink(call);
}

function unlink(entry: Entry): void {
  entry.prev!.next = entry.next;
  if (entry.next) entry.next.prev = entry.prev;
}

function relink(entry: Entry): void {
  entry.prev!.next = entry;
  if (entry.next) entry.next.prev = entry;
}

/** 64-bit hashes of spec states: numbers by their bits, anything else by the project's
 * Fingerprinter (one per search: it keeps a cache). */
class StateHasher {
  private readonly fingerprinter = new Fingerprinter();
  private readonly out = new Int32Array(2);
  private readonly float = new Float64Array(1);
  private readonly floatWords = new Int32Array(this.float.buffer);
  hi = 0;
  lo = 0;

  hash(state: unknown): this {
    if (typeof state === 'number') {
      this.float[0] = state;
      this.hi = this.floatWords[1];
      this.lo = this.floatWords[0];
    } else {
      this.fingerprinter.into(state, this.out);
      this.hi = this.out[0];
      this.lo = this.out[1];
    }
    return this;
  }
}

/** Configurations seen: (Zobrist hash of the linearized completed operations, state hash) →
 * the sets of pending operations applied with it (bitsets over the pending operations). */
class ConfigurationMemo {
  private readonly zobristHi: Int32Array;
  private readonly zobristLo: Int32Array;
  /** Operation index → its pending index, or -1 when completed. */
  private readonly pendingIndex: Int32Array;
  private readonly pendingApplied: Uint32Array;
  private readonly anyPending: boolean;
  private setHi = 0;
  private setLo = 0;
  private readonly seen = new Map<string, Uint32Array[] | true>();

  constructor(ops: readonly { readonly kind: string }[]) {
    this.zobristHi = new Int32Array(ops.length);
    this.zobristLo = new Int32Array(ops.length);
    this.pendingIndex = new Int32Array(ops.length).fill(-1);
    let seed = 0x2545f491;
    const next = (): number => {
      // xorshift32: deterministic, so a search's steps never depend on the run
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed | 0;
    };
    let pendingCount = 0;
    ops.forEach((op, i) => {
      this.zobristHi[i] = next();
      this.zobristLo[i] = next();
      if (op.kind === 'pending') this.pendingIndex[i] = pendingCount++;
    });
    this.anyPending = pendingCount > 0;
    this.pendingApplied = new Uint32Array(Math.ceil(pendingCount / 32));
  }

  /** Adds or removes operation i from the linearized set. */
  toggle(i: number): void {
    const p = this.pendingIndex[i];
    if (p >= 0) this.pendingApplied[p >>> 5] ^= 1 << (p & 31);
    else {
      this.setHi ^= this.zobristHi[i];
      this.setLo ^= this.zobristLo[i];
    }
  }

  /** Whether the current configuration (with `state`'s hash) needs no search: it was seen, or
   * (unless `exact`) one that dominates it was; otherwise it is remembered. */
  seenOrDominated(state: StateHasher, exact = false): boolean {
    const key = String.fromCharCode(
      this.setHi & 0xffff, this.setHi >>> 16, this.setLo & 0xffff, this.setLo >>> 16,
      state.hi & 0xffff, state.hi >>> 16, state.lo & 0xffff, state.lo >>> 16,
    );
    const known = this.seen.get(key);
    if (!this.anyPending) {
      if (known !== undefined) return true;
      this.seen.set(key, true);
      return false;
    }
    if (known === undefined) {
      this.seen.set(key, [this.pendingApplied.slice()]);
      return false;
    }
    const sets = known as Uint32Array[];
    for (const set of sets) {
      if (isSubset(set, this.pendingApplied) && (!exact || isSubset(this.pendingApplied, set))) return true;
    }
    if (sets.length < PENDING_SETS_MAX) sets.push(this.pendingApplied.slice());
    return false;
  }
}

/** Pending sets remembered per (completed set, state); past it, configurations are searched
 * again (never wrongly skipped). */
const PENDING_SETS_MAX = 8;

function isSubset(a: Uint32Array, b: Uint32Array): boolean {
  for (let w = 0; w < a.length; w++) if ((a[w] & ~b[w]) !== 0) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Explanations

function violation<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  ops: readonly Operation<Op, Res>[],
  outcome: { readonly prefix: readonly number[]; readonly blocked: number },
  key: string | undefined,
): Omit<VerdictViolation, 'steps'> {
  const prefix = outcome.prefix.map((i) => ops[i]);
  const blocked = ops[outcome.blocked];
  return {
    kind: 'violation',
    ok: false,
    longestPrefix: prefix.map((op) => op.id),
    blocked: [blocked.id],
    explanation: (key === undefined ? '' : `key ${JSON.stringify(key)}: `) + explainBlocked(spec, ops, prefix, blocked),
  };
}

/** Why `blocked` cannot follow the longest prefix: the result it would have had there, and
 * the operations that had completed before it was invoked (which must precede it). */
function explainBlocked<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  ops: readonly Operation<Op, Res>[],
  prefix: readonly Operation<Op, Res>[],
  blocked: Operation<Op, Res>,
): string {
  const state = prefix.reduce((s, op) => spec.apply(s, op.op).state, spec.init());
  const specified = spec.apply(state, blocked.op).result;
  const before = ops
    .filter((op) => op.kind === 'completed' && op.returnedAt < blocked.invokedAt)
    .sort((a, b) => returnTime(a) - returnTime(b))
    .slice(-3)
    .map((op) => describeOperation(spec, op, false));
  const after = before.length > 0 ? ` after ${before.join(' and ')} completed` : '';
  const longest = `longest linearizable prefix: ${describeOperations(spec, prefix)}`;
  if (blocked.kind === 'completed' && !resultsMatch(spec, specified, blocked.result)) {
    return `${describeOperation(spec, blocked)}, but no linearization allows it${after}: ` +
      `after the ${longest} it would return ${canonicalJson(specified)}`;
  }
  return `${describeOperation(spec, blocked)}${after}, but every placement of it and the operations ` +
    `concurrent with it leads to a contradiction; ${longest}`;
}

function budgetExhausted(opsCount: number, stepsMax: number, key: string | undefined): Omit<VerdictUnknown, 'steps'> {
  const where = key === undefined ? '' : `key ${JSON.stringify(key)}: `;
  return {
    kind: 'unknown',
    ok: false,
    explanation: `${where}search budget exhausted after stepsMax=${stepsMax} spec steps over ${opsCount} operations; linearizability undecided`,
  };
}
