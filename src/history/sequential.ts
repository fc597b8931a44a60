// Sequential consistency (Lamport, "How to Make a Multiprocessor Computer That Correctly
// Executes Multiprocess Programs", 1979): some total order of the operations is a legal run of
// the spec and keeps each client's operations in the order that client issued them (per-client
// FIFO). Unlike linearizability, real time between different clients is not respected.
//
// The search walks client program orders: a configuration is how far each client has got plus
// the spec state, memoised as in Lowe's WGL variant, so each is expanded at most once. A
// pending operation may be applied (any result) or skipped as never having taken effect.
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
  STEPS_MAX_DEFAULT,
  stateKey,
} from './history.ts';

/** Whether some total order that respects each client's program order (by invocation time)
 * is a legal run of `spec`. */
export function checkSequentiallyConsistent<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  history: History<Op, Res>,
  options: CheckOptions = {},
): Verdict {
  assertWellFormed(history);
  const stepsMax = options.stepsMax ?? STEPS_MAX_DEFAULT;
  const programs = programsOf(history);
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

/** A node of the depth-first search; `choice` enumerates (client, apply | skip) pairs and is
 * the only mutable field. `via` is the operation applied to get here (null: root or skip). */
interface Frame<S, Op, Res> {
  readonly positions: readonly number[];
  readonly state: S;
  readonly via: Operation<Op, Res> | null;
  choice: number;
}

function searchProgramOrder<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  programs: readonly (readonly Operation<Op, Res>[])[],
  stepsMax: number,
): SearchOutcome<Op, Res> {
  const total = programs.reduce((n, program) => n + program.length, 0);
  const stack: Frame<S, Op, Res>[] = [{ positions: programs.map(() => 0), state: spec.init(), via: null, choice: 0 }];
  const seen = new Set<string>();
  let steps = 0;
  let deepest: Frame<S, Op, Res>[] = stack.slice();
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (stack.length - 1 === total) return { kind: 'ok', order: applied(stack), steps };
    if (top.choice >= 2 * programs.length) {
      if (stack.length > deepest.length) deepest = stack.slice();
      stack.pop();
      continue;
    }
    const client = top.choice >> 1;
    const skip = (top.choice & 1) === 1;
    top.choice++;
    const op = programs[client][top.positions[client]];
    if (op === undefined || (skip && op.kind !== 'pending')) continue;
    let state = top.state;
    if (!skip) {
      if (steps >= stepsMax) return { kind: 'unknown', steps };
      steps++;
      const next = spec.apply(top.state, op.op);
      if (op.kind === 'completed' && !resultsMatch(spec, next.result, op.result)) continue;
      state = next.state;
    }
    const positions = top.positions.map((p, c) => (c === client ? p + 1 : p));
    const key = `${positions.join(',')}|${stateKey(state)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    stack.push({ positions, state, via: skip ? null : op, choice: 0 });
  }
  const last = deepest[deepest.length - 1];
  const heads = programs.map((program, c) => program[last.positions[c]]).filter((op) => op !== undefined);
  return { kind: 'violation', prefix: applied(deepest), heads, steps };
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
