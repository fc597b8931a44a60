// Sequential consistency (Lamport, "How to Make a Multiprocessor Computer That Correctly
// Executes Multiprocess Programs", 1979): some total order of the operations is a legal run of
// the spec and keeps each client's operations in the order that client issued them (per-client
// FIFO). Unlike linearizability, real time between different clients is not respected.
//
// The search walks client program orders: a configuration is how far each client has got plus
// the spec state, memoised as in Lowe's WGL variant, so each is expanded at most once. A
// pending operation may be applied (any result) or skipped as never having taken effect; one
// that ends its client's program need not be skipped: the search succeeds once every completed
// operation is placed.
//
// Fitted for recorded histories (src/cluster: hundreds of clients once timed-out clients are
// renumbered): the clients' next operations are tried in the order they were invoked, so the
// order the system actually ran in is tried first and a consistent history is usually decided
// without backtracking; the memo keys on 64-bit hashes (Zobrist hashing of the clients'
// positions, the project's Fingerprinter for the state) rather than strings of positions and
// JSON, trusting 64-bit fingerprints as the explorer's visited set does.
//
// `spec.partition` is ignored: sequential consistency is not local (Herlihy & Wing 1990, on
// locality, give a history of two queues that is sequentially consistent per queue but not as
// a whole), so checking keys separately would be unsound.

import type { CheckOptions, History, Operation, SequentialSpec, Verdict } from './history.ts';
import { canonicalJson } from '../core/data.ts';
import {
  assertWellFormed,
  describeOperation,
  describeOperations,
  resultsMatch,
  stepsBudget,
} from './history.ts';
import { Fingerprinter, fmix } from '../core/fingerprint.ts';

/** Whether some total order that respects each client's program order (by invocation time)
 * is a legal run of `spec`. */
export function checkSequentiallyConsistent<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  history: History<Op, Res>,
  options: CheckOptions = {},
): Verdict {
  assertWellFormed(history);
  const stepsMax = stepsBudget(options, history.length);
  const programs = programsOf(history);
  if (options.orderHint !== undefined) {
    const witness = hintedWitness(spec, programs, options.orderHint);
    if (witness.order !== undefined) return { kind: 'ok', ok: true, linearization: witness.order, steps: witness.steps };
  }
  const outcome = searchProgramOrder(spec, programs, stepsMax);
  const steps = outcome.steps;
  switch (outcome.kind) {
    case 'ok':
      return { kind: 'ok', ok: true, linearization: outcome.order.map((op) => op.id), steps };
    case 'unknown':
      return {
        kind: 'unknown',
        ok: false,
        explanation: `search budget exhausted after stepsMax=${stepsMax} spec steps over ${history.length} operations; sequential consistency undecided`,
        steps,
      };
    case 'violation':
      return {
        kind: 'violation',
        ok: false,
        longestPrefix: outcome.prefix.map((op) => op.id),
        blocked: outcome.heads.map((op) => op.id),
        explanation: explainStuck(spec, outcome.prefix, outcome.heads),
        steps,
      };
    default:
      return outcome satisfies never;
  }
}

/** Whether `hint` is a witness: every completed operation once, pending ones at most once, each
 * client's in its program order, and a legal run of `spec`. */
function hintedWitness<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  programs: readonly (readonly Operation<Op, Res>[])[],
  hint: readonly number[],
): { order?: readonly number[]; steps: number } {
  const where = new Map<number, { client: number; index: number }>();
  programs.forEach((program, client) => program.forEach((op, index) => where.set(op.id, { client, index })));
  const next = programs.map(() => 0);
  let state = spec.init();
  let steps = 0;
  for (const id of hint) {
    const at = where.get(id);
    if (at === undefined || at.index < next[at.client]) return { steps };
    const program = programs[at.client];
    for (let i = next[at.client]; i < at.index; i++) if (program[i].kind !== 'pending') return { steps };
    const op = program[at.index];
    steps++;
    const applied = spec.apply(state, op.op);
    if (op.kind === 'completed' && !resultsMatch(spec, applied.result, op.result)) return { steps };
    state = applied.state;
    next[at.client] = at.index + 1;
  }
  const complete = programs.every((program, c) => program.slice(next[c]).every((op) => op.kind === 'pending'));
  return complete ? { order: hint, steps } : { steps };
}

/** Each client's operations in invocation order, clients by id. */
function programsOf<Op, Res>(history: History<Op, Res>): readonly (readonly Operation<Op, Res>[])[] {
  const byClient = new Map<number, Operation<Op, Res>[]>();
  for (const op of history) {
    const program = byClient.get(op.client);
    if (program) program.push(op);
    else byClient.set(op.client, [op]);
  }
  return [...byClient.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, program]) => program.sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id));
}

type SearchOutcome<Op, Res> =
  | { readonly kind: 'ok'; readonly order: readonly Operation<Op, Res>[]; readonly steps: number }
  | { readonly kind: 'violation'; readonly prefix: readonly Operation<Op, Res>[]; readonly heads: readonly Operation<Op, Res>[]; readonly steps: number }
  | { readonly kind: 'unknown'; readonly steps: number };

/** A node of the depth-first search: the move that led here (to undo it) and the moves still to
 * try, clients in the order their next operations were invoked, each client's apply before its
 * skip. Internal and mutable. */
interface Frame<S, Op, Res> {
  /** The client moved to get here (-1: the root), whether its operation was skipped, the state
   * before and the memo hash before. */
  readonly client: number;
  readonly via: Operation<Op, Res> | null;
  readonly stateBefore: S;
  readonly hashHi: number;
  readonly hashLo: number;
  readonly wasCompleted: boolean;
  /** Candidate moves: client * 2 + (1 when skipping). */
  moves: number[] | undefined;
  choice: number;
}

function searchProgramOrder<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  programs: readonly (readonly Operation<Op, Res>[])[],
  stepsMax: number,
): SearchOutcome<Op, Res> {
  const positions = programs.map(() => 0);
  let remaining = programs.reduce((n, program) => n + program.filter((op) => op.kind === 'completed').length, 0);
  let state = spec.init();
  const hasher = new PositionHasher();
  const stateHash = new Fingerprinter();
  const words = new Int32Array(2);
  const float = new Float64Array(1);
  const floatWords = new Int32Array(float.buffer);
  const seen = new Set<string>();
  const stack: Frame<S, Op, Res>[] = [{ client: -1, via: null, stateBefore: state, hashHi: 0, hashLo: 0, wasCompleted: false, moves: undefined, choice: 0 }];
  let steps = 0;
  let deepest = { prefix: [] as Operation<Op, Res>[], positions: positions.slice() };
  while (stack.length > 0) {
    if (remaining === 0) return { kind: 'ok', order: applied(stack), steps };
    const top = stack[stack.length - 1];
    if (top.moves === undefined) {
      const fits = fittingRead(spec, programs, positions, state);
      steps += fits.steps;
      if (fits.move !== undefined) top.moves = [fits.move];
      else {
        const ordered = movesFrom(spec, programs, positions, state);
        steps += ordered.steps;
        top.moves = ordered.moves;
      }
    }
    if (top.choice >= top.moves.length) {
      if (stack.length - 1 > deepest.prefix.length) deepest = { prefix: [...applied(stack)], positions: positions.slice() };
      stack.pop();
      if (top.client >= 0) {
        positions[top.client]--;
        state = top.stateBefore;
        hasher.hi = top.hashHi;
        hasher.lo = top.hashLo;
        if (top.wasCompleted) remaining++;
      }
      continue;
    }
    const move = top.moves[top.choice++];
    const client = move >> 1;
    const skip = (move & 1) === 1;
    const op = programs[client][positions[client]];
    let next = state;
    if (!skip) {
      if (steps >= stepsMax) return { kind: 'unknown', steps };
      steps++;
      const applied = spec.apply(state, op.op);
      if (op.kind === 'completed' && !resultsMatch(spec, applied.result, op.result)) continue;
      next = applied.state;
    }
    const hashHi = hasher.hi;
    const hashLo = hasher.lo;
    hasher.advance(client, positions[client]);
    if (typeof next === 'number') {
      float[0] = next;
      words[0] = floatWords[1];
      words[1] = floatWords[0];
    } else stateHash.into(next, words);
    const key = String.fromCharCode(
      hasher.hi & 0xffff, hasher.hi >>> 16, hasher.lo & 0xffff, hasher.lo >>> 16,
      words[0] & 0xffff, words[0] >>> 16, words[1] & 0xffff, words[1] >>> 16,
    );
    if (seen.has(key)) {
      hasher.hi = hashHi;
      hasher.lo = hashLo;
      continue;
    }
    seen.add(key);
    stack.push({ client, via: skip ? null : op, stateBefore: state, hashHi, hashLo, wasCompleted: op.kind === 'completed', moves: undefined, choice: 0 });
    positions[client]++;
    state = next;
    if (op.kind === 'completed') remaining--;
  }
  const heads = programs.map((program, c) => program[deepest.positions[c]]).filter((op) => op !== undefined);
  return { kind: 'violation', prefix: deepest.prefix, heads, steps };
}

/** A move that needs no branching, when there is one (spec.readOnly): a client's next operation
 * is a read that fits the current state (apply it now), or a pending read (skip it: it
 * constrains nothing). If any order from here works, one that starts with this move does: the
 * read changes no state, so every other operation sees the states it saw. */
function fittingRead<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  programs: readonly (readonly Operation<Op, Res>[])[],
  positions: readonly number[],
  state: S,
): { move?: number; steps: number } {
  if (spec.readOnly === undefined) return { steps: 0 };
  let steps = 0;
  for (let c = 0; c < programs.length; c++) {
    const op = programs[c][positions[c]];
    if (op === undefined || !spec.readOnly(op.op)) continue;
    if (op.kind === 'pending') {
      if (positions[c] + 1 < programs[c].length) return { move: c * 2 + 1, steps };
      continue;
    }
    steps++;
    if (resultsMatch(spec, spec.apply(state, op.op).result, op.result)) return { move: c * 2, steps };
  }
  return { steps };
}

/** The moves from a configuration, best guess first (every move is tried; the order only
 * decides how soon a witness is found):
 * 1. fragile operations: completed ones that fit the current state but would not fit after some
 *    other client's next operation (a successful cas right after the write it swapped from);
 *    deferring one past that operation strands it;
 * 2. the others, by return time (pending ones last): in the systems recorded, an update takes
 *    effect shortly before it returns, so return order approximates the order they ran in;
 * 3. skips of pending operations that have more of their client's program after them.
 * A pending read that ends its client's program is never needed. Returns the moves and the
 * spec steps spent on ordering them. */
function movesFrom<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  programs: readonly (readonly Operation<Op, Res>[])[],
  positions: readonly number[],
  state: S,
): { moves: number[]; steps: number } {
  const heads: { client: number; op: Operation<Op, Res>; at: number; fragile: boolean }[] = [];
  for (let c = 0; c < programs.length; c++) {
    const op = programs[c][positions[c]];
    if (op === undefined || (op.kind === 'pending' && spec.readOnly?.(op.op) === true)) continue;
    heads.push({ client: c, op, at: op.kind === 'completed' ? op.returnedAt : Infinity, fragile: false });
  }
  let steps = 0;
  const fits = (s: S, op: Operation<Op, Res>): boolean => {
    steps++;
    return op.kind === 'completed' && resultsMatch(spec, spec.apply(s, op.op).result, op.result);
  };
  if (heads.length <= FRAGILE_HEADS_MAX) {
    const after = heads.map((h) => {
      steps++;
      return spec.apply(state, h.op.op).state;
    });
    for (const h of heads) {
      if (h.op.kind !== 'completed' || !fits(state, h.op)) continue;
      h.fragile = heads.some((other, i) => other !== h && !fits(after[i], h.op));
    }
  }
  heads.sort((a, b) => Number(b.fragile) - Number(a.fragile) || (a.at === b.at ? 0 : a.at < b.at ? -1 : 1) || a.op.invokedAt - b.op.invokedAt || a.client - b.client);
  const moves: number[] = [];
  for (const { client } of heads) moves.push(client * 2);
  for (const { client, op } of heads) {
    if (op.kind === 'pending' && positions[client] + 1 < programs[client].length) moves.push(client * 2 + 1);
  }
  return { moves, steps };
}

/** Past this many clients with operations left, fragility is not worked out (it costs a spec
 * step per pair). */
const FRAGILE_HEADS_MAX = 16;

/** Zobrist hashing of the clients' positions: the hash is the XOR of one random 64-bit word
 * per (client, position), computed by mixing rather than stored. */
class PositionHasher {
  hi = 0;
  lo = 0;
  /** Client c moves from position p to p + 1. */
  advance(c: number, p: number): void {
    this.hi ^= mix(c, p, 0x9e3779b9) ^ mix(c, p + 1, 0x9e3779b9);
    this.lo ^= mix(c, p, 0x85ebca6b) ^ mix(c, p + 1, 0x85ebca6b);
  }
}

/** A 32-bit mix of (c, p) (murmur3's finaliser). */
function mix(c: number, p: number, salt: number): number {
  return fmix(Math.imul(c + 1, 0xcc9e2d51) ^ Math.imul(p + 1, 0x1b873593) ^ salt);
}

function applied<S, Op, Res>(frames: readonly Frame<S, Op, Res>[]): readonly Operation<Op, Res>[] {
  return frames.flatMap((frame) => (frame.via ? [frame.via] : []));
}

/** After the longest legal prefix, what each client's next operation would have returned. */
function explainStuck<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  prefix: readonly Operation<Op, Res>[],
  heads: readonly Operation<Op, Res>[],
): string {
  const state = prefix.reduce((s, op) => spec.apply(s, op.op).state, spec.init());
  const reasons = heads.map((op) => {
    const specified = spec.apply(state, op.op).result;
    const fits = op.kind === 'pending' || resultsMatch(spec, specified, op.result);
    return `${describeOperation(spec, op)} (${fits ? 'fits here, but every continuation fails' : `here it would return ${canonicalJson(specified)}`})`;
  });
  return `no order respecting each client's program order is a legal ${spec.name} run; after the longest ` +
    `legal prefix ${describeOperations(spec, prefix)} no client's next operation can go next: ${reasons.join('; ')}`;
}
