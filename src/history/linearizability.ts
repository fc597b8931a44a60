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
  STEPS_MAX_DEFAULT,
  stateKey,
} from './history.ts';

/** Whether some total order of the history's operations, consistent with real time, is a
 * legal run of `spec` — checked separately per key when the spec partitions operations. */
export function checkLinearizable<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  history: History<Op, Res>,
  options: CheckOptions = {},
): Verdict {
  assertWellFormed(history);
  const stepsMax = options.stepsMax ?? STEPS_MAX_DEFAULT;
  let steps = 0;
  let unknown: VerdictUnknown | undefined;
  const chains: (readonly Operation<Op, Res>[])[] = [];
  for (const [key, ops] of partitionHistory(spec, history)) {
    const outcome = searchLinearization(spec, ops, stepsMax);
    steps += outcome.steps;
    const partition = key === undefined ? {} : { partition: key };
    if (outcome.kind === 'ok') chains.push(outcome.order.map((i) => ops[i]));
    // A definite violation in a later key beats an exhausted budget in an earlier one.
    if (outcome.kind === 'violation') return { ...violation(spec, ops, outcome, key), ...partition, steps };
    if (outcome.kind === 'unknown' && !unknown) unknown = { ...budgetExhausted(ops.length, stepsMax, key), ...partition, steps };
  }
  if (unknown) return { ...unknown, steps };
  return { kind: 'ok', ok: true, linearization: mergeChains(chains).map((op) => op.id), steps };
}

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

function searchLinearization<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  ops: readonly Operation<Op, Res>[],
  stepsMax: number,
): SearchOutcome {
  const head = buildTimeLine(ops);
  const linearized = new Bitset(ops.length);
  const seen = new Set<string>();
  const stack: { call: Entry; state: S }[] = [];
  let state = spec.init();
  let remaining = ops.filter((op) => op.kind === 'completed').length;
  let steps = 0;
  let deepest: { prefix: readonly number[]; blocked: number } | undefined;
  let entry = head.next;
  while (remaining > 0) {
    if (entry !== null && entry.isCall) {
      if (steps >= stepsMax) return { kind: 'unknown', steps };
      steps++;
      const op = ops[entry.op];
      const next = spec.apply(state, op.op);
      if (op.kind === 'pending' || resultsMatch(spec, next.result, op.result)) {
        linearized.set(entry.op);
        const key = `${linearized.key()}|${stateKey(next.state)}`;
        if (!seen.has(key)) {
          seen.add(key);
          stack.push({ call: entry, state });
          state = next.state;
          if (op.kind === 'completed') remaining--;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized.clear(entry.op);
      }
      entry = entry.next;
      continue;
    }
    // A response of an operation not yet linearized: no extension of this prefix works.
    // The first remaining entry is never a pending call's end-of-line while `remaining > 0`,
    // because a completed operation's response is still on the line.
    if (entry === null) throw new Error('linearizability: time line ended with completed operations unplaced');
    if (!deepest || stack.length > deepest.prefix.length) {
      deepest = { prefix: stack.map((frame) => frame.call.op), blocked: entry.op };
    }
    const top = stack.pop();
    if (!top) return { kind: 'violation', ...(deepest ?? { prefix: [], blocked: entry.op }), steps };
    state = top.state;
    unlift(top.call);
    linearized.clear(top.call.op);
    if (ops[top.call.op].kind === 'completed') remaining++;
    entry = top.call.next;
  }
  return { kind: 'ok', order: stack.map((frame) => frame.call.op), steps };
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

/** The set of linearized operations; `key()` packs it 16 bits per character for the memo. */
class Bitset {
  private readonly words: Uint16Array;
  constructor(size: number) {
    this.words = new Uint16Array(Math.ceil(size / 16));
  }
  set(i: number): void {
    this.words[i >>> 4] |= 1 << (i & 15);
  }
  clear(i: number): void {
    this.words[i >>> 4] &= ~(1 << (i & 15));
  }
  key(): string {
    let out = '';
    for (let i = 0; i < this.words.length; i += 4096) {
      out += String.fromCharCode(...this.words.subarray(i, i + 4096));
    }
    return out;
  }
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
