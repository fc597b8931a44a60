// Histories of a concurrent object as a model records them, the sequential specifications
// they are checked against, and the verdicts the checkers return.
//
// Vocabulary follows Herlihy & Wing, "Linearizability: A Correctness Condition for Concurrent
// Objects" (TOPLAS 1990): a history is a sequence of invocation and response events; an
// operation is a matched pair; one whose response never arrived is *pending*. The event form
// and its one-pending-operation-per-client rule are Jepsen/Knossos's (`:invoke`, `:ok`,
// `:fail`, `:info`); Porcupine uses the same shape with call/return times.

import { canonicalJson, equalValues } from '../core/data.ts';

// ---------------------------------------------------------------------------------------------
// Histories

/** Fields every operation has. `invokedAt` (and `returnedAt` below) are positions in the
 * recorded event log, or any timestamps: operation a precedes b in real time iff
 * `a.returnedAt < b.invokedAt` (strictly); equal stamps count as overlapping. */
export interface OperationBase<Op> {
  /** Unique within a history; verdicts name operations by this id. */
  readonly id: number;
  readonly client: number;
  readonly op: Op;
  readonly invokedAt: number;
}

/** An operation whose response was recorded. */
export interface CompletedOperation<Op, Res> extends OperationBase<Op> {
  readonly kind: 'completed';
  readonly result: Res;
  readonly returnedAt: number;
}

/** An operation with no recorded response (the client crashed, timed out, or the run ended).
 * It may have taken effect at any point after its invocation, or never; its result is
 * unconstrained (Herlihy & Wing §3: complete(H) may extend or drop pending invocations). */
export interface PendingOperation<Op> extends OperationBase<Op> {
  readonly kind: 'pending';
}

export type Operation<Op, Res> = CompletedOperation<Op, Res> | PendingOperation<Op>;

/** The canonical form the checkers take: operations in any order, ids unique. */
export type History<Op, Res> = readonly Operation<Op, Res>[];

/** The event-log form a model records in its state, one event per step:
 * - `invoke`: the client starts an operation; a client has at most one outstanding at a time;
 * - `return`: the outstanding operation completed with `result` (Jepsen `:ok`);
 * - `fail`: it definitely did not take effect, so it is dropped (Jepsen `:fail`);
 * - `info`: its outcome is unknown; it stays pending and the client may invoke again
 *   (Jepsen `:info`). An `invoke` with no later event is pending too.
 * Extra fields (a node name, say) are allowed and ignored. */
export type HistoryEvent<Op, Res> =
  | { readonly kind: 'invoke'; readonly client: number; readonly op: Op }
  | { readonly kind: 'return'; readonly client: number; readonly result: Res }
  | { readonly kind: 'fail'; readonly client: number }
  | { readonly kind: 'info'; readonly client: number };

/** Converts an event log to operations; times are event positions and ids number the
 * operations in invocation order. Throws when a client invokes while an operation is
 * outstanding or responds with none outstanding: the recorder is broken, not the protocol. */
export function historyFromEvents<Op, Res>(events: readonly HistoryEvent<Op, Res>[]): History<Op, Res> {
  const ops: (Operation<Op, Res> | undefined)[] = [];
  const outstanding = new Map<number, PendingOperation<Op>>();
  events.forEach((event, at) => {
    const open = outstanding.get(event.client);
    if (event.kind === 'invoke') {
      if (open) throw new Error(`event ${at}: client ${event.client} invokes while operation ${open.id} is outstanding`);
      const op: PendingOperation<Op> = { kind: 'pending', id: ops.length, client: event.client, op: event.op, invokedAt: at };
      ops.push(op);
      outstanding.set(event.client, op);
      return;
    }
    if (!open) throw new Error(`event ${at}: client ${event.client} responds (${event.kind}) with no operation outstanding`);
    outstanding.delete(event.client);
    if (event.kind === 'return') ops[open.id] = { ...open, kind: 'completed', result: event.result, returnedAt: at };
    if (event.kind === 'fail') ops[open.id] = undefined;
  });
  return ops.filter((op): op is Operation<Op, Res> => op !== undefined);
}

/** Checks the shape the checkers rely on: unique ids, finite times, returns not before
 * invocations. Throws: a malformed history is a bug in whoever recorded it. */
export function assertWellFormed<Op, Res>(history: History<Op, Res>): void {
  const ids = new Set<number>();
  for (const op of history) {
    if (ids.has(op.id)) throw new Error(`history: duplicate operation id ${op.id}`);
    ids.add(op.id);
    if (!Number.isFinite(op.invokedAt)) throw new Error(`history: operation ${op.id} has no finite invokedAt`);
    if (op.kind === 'completed' && !(op.returnedAt >= op.invokedAt)) {
      throw new Error(`history: operation ${op.id} returns (${op.returnedAt}) before it is invoked (${op.invokedAt})`);
    }
  }
}

/** When the operation returned; pending operations never do. */
export function returnTime<Op, Res>(op: Operation<Op, Res>): number {
  return op.kind === 'completed' ? op.returnedAt : Infinity;
}

// ---------------------------------------------------------------------------------------------
// Sequential specifications

/** A deterministic sequential object: what each operation does to the state and returns when
 * operations run one at a time. States are plain data; two states with the same canonical
 * JSON are the same state (the checkers memoise on it). */
export interface SequentialSpec<S, Op, Res> {
  readonly name: string;
  init(): S;
  apply(state: S, op: Op): { readonly state: S; readonly result: Res };
  /** Whether a recorded result matches the specified one; default: equal plain data. */
  equalResults?(specified: Res, recorded: Res): boolean;
  /** Operations on different keys touch disjoint parts of the state and never affect each
   * other's results, so linearizability can be checked one key at a time (linearizability is
   * local: Herlihy & Wing 1990 Theorem 1; Porcupine's partitioning). */
  partition?(op: Op): string;
  /** How the operation reads in explanations, e.g. `write(2)`. */
  describe?(op: Op): string;
  /** The operation never changes the state, in any state (a read). Optional: the sequential
   * consistency search then places such an operation as soon as it fits, without branching
   * (moving a read that fits now to now changes no other operation's result). */
  readOnly?(op: Op): boolean;
}

export function resultsMatch<S, Op, Res>(spec: SequentialSpec<S, Op, Res>, specified: Res, recorded: Res): boolean {
  return spec.equalResults ? spec.equalResults(specified, recorded) : equalValues(specified, recorded);
}

/** `write(2) by client 1`, `read() by client 2 returned 1`, `put("x", 1) by client 0 (pending)`. */
export function describeOperation<S, Op, Res>(spec: SequentialSpec<S, Op, Res>, op: Operation<Op, Res>, withResult = true): string {
  const call = `${spec.describe ? spec.describe(op.op) : describeValueOp(op.op)} by client ${op.client}`;
  if (!withResult) return call;
  return op.kind === 'completed' ? `${call} returned ${canonicalJson(op.result)}` : `${call} (pending)`;
}

/** `{kind: 'cas', from: 1, to: 2}` reads `cas(1, 2)`; anything else reads as JSON. */
function describeValueOp(op: unknown): string {
  if (op === null || typeof op !== 'object' || typeof (op as { kind?: unknown }).kind !== 'string') return canonicalJson(op);
  const { kind, ...args } = op as Record<string, unknown>;
  return `${kind as string}(${Object.values(args).map(canonicalJson).join(', ')})`;
}

/** A list of operations for an explanation, eliding all but the last `shown`. */
export function describeOperations<S, Op, Res>(spec: SequentialSpec<S, Op, Res>, ops: readonly Operation<Op, Res>[], shown = 6): string {
  const tail = ops.slice(-shown).map((op) => describeOperation(spec, op));
  const elided = ops.length - tail.length;
  return `[${elided > 0 ? `…${elided} earlier, ` : ''}${tail.join('; ')}]`;
}

// ---------------------------------------------------------------------------------------------
// Verdicts

export interface CheckOptions {
  /** Spec applications allowed per search (per key when partitioned) before giving up with
   * `unknown`. Both checks are NP-complete (Gibbons & Korach 1997), so a bound is needed.
   * Default: STEPS_MAX_DEFAULT, or STEPS_PER_OPERATION_DEFAULT per operation searched when
   * that is more (a long history that needs no backtracking still takes a few steps per
   * operation). */
  readonly stepsMax?: number;
  /** A candidate witness: operation ids in the order the system says they took effect (etcd's
   * revisions, ZooKeeper's zxids). Sequential consistency tries it first — if it is a legal
   * run that keeps each client's order (pending operations left out of it never took effect),
   * the history is decided at the cost of one pass; otherwise the search runs as without it.
   * Never trusted blindly: a wrong hint costs one pass. */
  readonly orderHint?: readonly number[];
}

export const STEPS_MAX_DEFAULT = 1_000_000;
export const STEPS_PER_OPERATION_DEFAULT = 1000;

/** The step budget of one search over `operations` operations (see CheckOptions.stepsMax). */
export function stepsBudget(options: CheckOptions, operations: number): number {
  return options.stepsMax ?? Math.max(STEPS_MAX_DEFAULT, STEPS_PER_OPERATION_DEFAULT * operations);
}

/** The history satisfies the condition; `linearization` lists operation ids in a witnessing
 * total order. Pending operations appear iff the witness needs them to have taken effect. */
export interface VerdictOk {
  readonly kind: 'ok';
  readonly ok: true;
  readonly linearization: readonly number[];
  readonly steps: number;
}

/** No total order exists. `longestPrefix` is the longest order the search could build (ids),
 * `blocked` the operations none of which could come next, `partition` the key whose
 * sub-history fails (when the spec partitions). */
export interface VerdictViolation {
  readonly kind: 'violation';
  readonly ok: false;
  readonly partition?: string;
  readonly longestPrefix: readonly number[];
  readonly blocked: readonly number[];
  readonly explanation: string;
  readonly steps: number;
}

/** The step budget ran out before the search decided: neither ok nor a violation. */
export interface VerdictUnknown {
  readonly kind: 'unknown';
  readonly ok: false;
  readonly partition?: string;
  readonly explanation: string;
  readonly steps: number;
}

export type Verdict = VerdictOk | VerdictViolation | VerdictUnknown;

/** A spec state's memoisation key. */
export function stateKey(state: unknown): string {
  return typeof state === 'number' ? String(state) : canonicalJson(state);
}
