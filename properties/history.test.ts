// Checking recorded histories: hand-made histories with known verdicts (the stories), then
// properties comparing the WGL checker with a deliberately naive permutation checker.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { History, HistoryEvent, Operation, SequentialSpec, Verdict } from '../src/history/index.ts';
import type { CounterOp, CounterResult, KvOp, KvResult, QueueOp, QueueResult, RegisterOp, RegisterResult } from '../src/history/index.ts';
import {
  checkLinearizable,
  checkSequentiallyConsistent,
  counterSpec,
  historyFromEvents,
  kvSpec,
  queueSpec,
  registerSpec,
} from '../src/history/index.ts';
import { equalValues } from '../src/core/data.ts';
import { recordHistory, seededSchedule } from './fixtures/histories.ts';

// ---------------------------------------------------------------------------------------------
// Vocabulary for writing histories as event logs, one line per event

type RegEvent = HistoryEvent<RegisterOp<number>, RegisterResult<number>>;
const register = registerSpec(0);
const read = { kind: 'read' } as const;
const write = (value: number) => ({ kind: 'write', value }) as const;
const cas = (from: number, to: number) => ({ kind: 'cas', from, to }) as const;
const invoke = <Op>(client: number, op: Op) => ({ kind: 'invoke', client, op }) as const;
const ok = <Res>(client: number, result: Res) => ({ kind: 'return', client, result }) as const;
const fail = (client: number) => ({ kind: 'fail', client }) as const;
const info = (client: number) => ({ kind: 'info', client }) as const;

function regHistory(events: readonly RegEvent[]): History<RegisterOp<number>, RegisterResult<number>> {
  return historyFromEvents(events);
}

// ---------------------------------------------------------------------------------------------
// Register stories

describe('linearizability of register histories', () => {
  it('a sequential history is linearizable in the order it happened', () => {
    const h = regHistory([
      invoke(1, write(1)), ok(1, 'ok'),
      invoke(2, read), ok(2, 1),
      invoke(1, write(2)), ok(1, 'ok'),
      invoke(2, read), ok(2, 2),
    ]);
    expect(checkLinearizable(register, h)).toMatchObject({ kind: 'ok', linearization: [0, 1, 2, 3] });
  });

  it('a read overlapping a write may see the old value or the new one', () => {
    const sawOld = regHistory([invoke(1, write(1)), invoke(2, read), ok(2, 0), ok(1, 'ok')]);
    const sawNew = regHistory([invoke(1, write(1)), invoke(2, read), ok(2, 1), ok(1, 'ok')]);
    expect(checkLinearizable(register, sawOld)).toMatchObject({ kind: 'ok', linearization: [1, 0] });
    expect(checkLinearizable(register, sawNew)).toMatchObject({ kind: 'ok', linearization: [0, 1] });
  });

  it('a read that returns a value overwritten before it was invoked is a stale read, and the verdict says which write it missed', () => {
    const h = regHistory([
      invoke(1, write(1)), ok(1, 'ok'),
      invoke(1, write(2)), ok(1, 'ok'),
      invoke(2, read), ok(2, 1),
    ]);
    expect(checkLinearizable(register, h)).toEqual({
      kind: 'violation',
      ok: false,
      longestPrefix: [0, 1],
      blocked: [2],
      explanation:
        'read() by client 2 returned 1, but no linearization allows it after write(1) by client 1 and ' +
        'write(2) by client 1 completed: after the longest linearizable prefix: ' +
        '[write(1) by client 1 returned "ok"; write(2) by client 1 returned "ok"] it would return 2',
      steps: 3,
    });
  });

  it('the stale read is sequentially consistent but not linearizable: client 2 may be ordered before the second write', () => {
    const h = regHistory([
      invoke(1, write(1)), ok(1, 'ok'),
      invoke(1, write(2)), ok(1, 'ok'),
      invoke(2, read), ok(2, 1),
    ]);
    expect(checkLinearizable(register, h).kind).toBe('violation');
    expect(checkSequentiallyConsistent(register, h)).toMatchObject({ kind: 'ok', linearization: [0, 2, 1] });
  });

  it('a read that sees a value before its write was invoked is neither linearizable nor sequentially consistent', () => {
    const h = regHistory([invoke(2, read), ok(2, 1), invoke(1, write(1)), ok(1, 'ok'), invoke(2, read), ok(2, 0)]);
    expect(checkLinearizable(register, h).kind).toBe('violation');
    const sc = checkSequentiallyConsistent(register, h);
    expect(sc).toMatchObject({ kind: 'violation', longestPrefix: [1, 0], blocked: [2] });
    expect(sc.kind === 'violation' && sc.explanation).toBe(
      "no order respecting each client's program order is a legal register run; after the longest legal prefix " +
        '[write(1) by client 1 returned "ok"; read() by client 2 returned 1] ' +
        "no client's next operation can go next: read() by client 2 returned 0 (here it would return 1)",
    );
  });

  it('two cas(0, _) cannot both succeed, even when they overlap', () => {
    const h = regHistory([invoke(1, cas(0, 1)), invoke(2, cas(0, 2)), ok(1, true), ok(2, true)]);
    expect(checkLinearizable(register, h).kind).toBe('violation');
    const oneWins = regHistory([invoke(1, cas(0, 1)), invoke(2, cas(0, 2)), ok(1, false), ok(2, true), invoke(1, read), ok(1, 2)]);
    expect(checkLinearizable(register, oneWins)).toMatchObject({ kind: 'ok', linearization: [1, 0, 2] });
  });
});

describe('pending operations', () => {
  it('a read may see a write that never returned: the pending write is assumed to have taken effect', () => {
    const h = regHistory([invoke(1, write(1)), invoke(2, read), ok(2, 1)]);
    expect(h[0].kind).toBe('pending');
    expect(checkLinearizable(register, h)).toMatchObject({ kind: 'ok', linearization: [0, 1] });
  });

  it('a write that never returned may never have taken effect, and is then left out of the linearization', () => {
    const h = regHistory([invoke(1, write(1)), invoke(2, read), ok(2, 0), invoke(2, read), ok(2, 0)]);
    expect(checkLinearizable(register, h)).toMatchObject({ kind: 'ok', linearization: [1, 2] });
  });

  it('a pending write may take effect long after its invocation, between two later reads', () => {
    const h = regHistory([invoke(1, write(1)), invoke(2, read), ok(2, 0), invoke(2, read), ok(2, 1)]);
    expect(checkLinearizable(register, h)).toMatchObject({ kind: 'ok', linearization: [1, 0, 2] });
  });

  it('a pending write cannot take effect before it was invoked', () => {
    const h = regHistory([invoke(2, read), ok(2, 1), invoke(1, write(1))]);
    expect(checkLinearizable(register, h)).toMatchObject({ kind: 'violation', blocked: [0] });
  });

  it('a pending write, once observed, cannot be undone by a later read', () => {
    const h = regHistory([invoke(1, write(1)), invoke(2, read), ok(2, 1), invoke(2, read), ok(2, 0)]);
    expect(checkLinearizable(register, h)).toMatchObject({ kind: 'violation', longestPrefix: [0, 1], blocked: [2] });
  });

  it('a failed write definitely did not happen, so a read of its value is a violation', () => {
    const failed = regHistory([invoke(1, write(1)), fail(1), invoke(2, read), ok(2, 1)]);
    expect(failed.map((op) => op.id)).toEqual([1]);
    expect(checkLinearizable(register, failed).kind).toBe('violation');
  });

  it("an indeterminate (info) write may take effect even after the same client's next write", () => {
    const h = regHistory([invoke(1, write(1)), info(1), invoke(1, write(2)), ok(1, 'ok'), invoke(2, read), ok(2, 1)]);
    expect(checkLinearizable(register, h)).toMatchObject({ kind: 'ok', linearization: [1, 0, 2] });
  });

  it('a client invoking while its previous operation is outstanding is a recorder bug and throws', () => {
    expect(() => regHistory([invoke(1, write(1)), invoke(1, read)])).toThrow(
      'event 1: client 1 invokes while operation 0 is outstanding',
    );
    expect(() => regHistory([ok(1, 'ok')])).toThrow('event 0: client 1 responds (return) with no operation outstanding');
  });
});

// ---------------------------------------------------------------------------------------------
// Queues, counters, keys

describe('queue, counter and key-value histories', () => {
  const queue = queueSpec<number>();
  type QEvent = HistoryEvent<QueueOp<number>, QueueResult<number>>;
  const enq = (value: number) => ({ kind: 'enqueue', value }) as const;
  const deq = { kind: 'dequeue' } as const;
  const qHistory = (events: readonly QEvent[]) => historyFromEvents(events);

  it('a queue dequeues sequentially enqueued values in FIFO order', () => {
    const h = qHistory([invoke(1, enq(1)), ok(1, 'ok'), invoke(2, enq(2)), ok(2, 'ok'), invoke(3, deq), ok(3, 1), invoke(3, deq), ok(3, 2)]);
    expect(checkLinearizable(queue, h)).toMatchObject({ kind: 'ok', linearization: [0, 1, 2, 3] });
  });

  it('a queue may dequeue overlapping enqueues in either order', () => {
    const h = qHistory([invoke(1, enq(1)), invoke(2, enq(2)), ok(1, 'ok'), ok(2, 'ok'), invoke(3, deq), ok(3, 2), invoke(3, deq), ok(3, 1)]);
    expect(checkLinearizable(queue, h)).toMatchObject({ kind: 'ok', linearization: [1, 0, 2, 3] });
  });

  it('a queue that dequeues a later enqueue first is not linearizable, but is sequentially consistent when the enqueuers differ', () => {
    const h = qHistory([invoke(1, enq(1)), ok(1, 'ok'), invoke(2, enq(2)), ok(2, 'ok'), invoke(3, deq), ok(3, 2)]);
    const verdict = checkLinearizable(queue, h);
    expect(verdict).toMatchObject({ kind: 'violation', longestPrefix: [0, 1], blocked: [2] });
    expect(verdict.kind === 'violation' && verdict.explanation).toContain('dequeue() by client 3 returned 2, but no linearization allows it');
    expect(checkSequentiallyConsistent(queue, h)).toMatchObject({ kind: 'ok', linearization: [1, 0, 2] });
  });

  it('a queue never dequeues a value nobody enqueued', () => {
    const h = qHistory([invoke(1, enq(1)), invoke(2, deq), ok(2, 7), ok(1, 'ok')]);
    expect(checkLinearizable(queue, h).kind).toBe('violation');
    expect(checkSequentiallyConsistent(queue, h).kind).toBe('violation');
  });

  it('a counter read overlapping two adds sees some subset of them, never more', () => {
    const add = (by: number) => ({ kind: 'add', by }) as const;
    const c = counterSpec();
    const events = (total: number) =>
      historyFromEvents<CounterOp, CounterResult>([invoke(1, add(1)), invoke(2, add(2)), invoke(3, { kind: 'read' } as const), ok(3, total), ok(1, 'ok'), ok(2, 'ok')]);
    expect([0, 1, 2, 3].map((total) => checkLinearizable(c, events(total)).ok)).toEqual([true, true, true, true]);
    expect(checkLinearizable(c, events(4)).ok).toBe(false);
  });

  it('a key-value history is checked per key, and the violation names the key with the stale read', () => {
    const kv = kvSpec<number>();
    const get = (key: string) => ({ kind: 'get', key }) as const;
    const put = (key: string, value: number) => ({ kind: 'put', key, value }) as const;
    const h = historyFromEvents<KvOp<number>, KvResult<number>>([
      invoke(1, put('x', 1)), invoke(2, put('y', 1)), ok(1, 'ok'), ok(2, 'ok'),
      invoke(1, put('y', 2)), invoke(2, get('x')), ok(2, 1), ok(1, 'ok'),
      invoke(3, get('y')), ok(3, 1),
    ]);
    const verdict = checkLinearizable(kv, h);
    expect(verdict).toMatchObject({ kind: 'violation', partition: 'y', longestPrefix: [1, 2], blocked: [4] });
    expect(verdict.kind === 'violation' && verdict.explanation).toMatch(/^key "y": get\("y"\) by client 3 returned 1, but/);
  });

  it('per-key linearizations merge into one linearization of the whole history that respects real time', () => {
    const kv = kvSpec<number>();
    // Chain x: put(x,1) overlaps everything; chain y is sequential. Merging by return time
    // alone would be wrong; merging by linearization points is not.
    const h = historyFromEvents<KvOp<number>, KvResult<number>>([
      invoke(1, { kind: 'put', key: 'x', value: 1 }),
      invoke(2, { kind: 'put', key: 'y', value: 1 }), ok(2, 'ok'),
      invoke(3, { kind: 'get', key: 'x' }), ok(3, 1),
      invoke(2, { kind: 'get', key: 'y' }), ok(2, 1),
      ok(1, 'ok'),
    ]);
    const verdict = checkLinearizable(kv, h);
    expect(verdict).toMatchObject({ kind: 'ok', linearization: [0, 1, 2, 3] });
    expect(verdict.kind === 'ok' && isWitness(kv, h, verdict.linearization, 'real-time')).toBe(true);
  });
});

describe('search budget', () => {
  // Twelve overlapping writes of distinct values, then a read of a value nobody wrote: the
  // search must rule out every subset and order of the writes (~2^12 configurations).
  const events: RegEvent[] = [];
  for (let c = 0; c < 12; c++) events.push(invoke(c, write(c + 1)));
  for (let c = 0; c < 12; c++) events.push(ok(c, 'ok'));
  events.push(invoke(99, read), ok(99, 42));
  const h = regHistory(events);

  it('an exhausted step budget yields unknown, never ok', () => {
    const verdict = checkLinearizable(register, h, { stepsMax: 1000 });
    expect(verdict).toMatchObject({ kind: 'unknown', ok: false, steps: 1000 });
    expect(verdict.kind === 'unknown' && verdict.explanation).toBe(
      'search budget exhausted after stepsMax=1000 spec steps over 13 operations; linearizability undecided',
    );
    expect(checkSequentiallyConsistent(register, h, { stepsMax: 1000 })).toMatchObject({ kind: 'unknown', ok: false });
  });

  it('the same history within the default budget is a violation, found after expanding each memoised configuration once', () => {
    // A configuration is (the set of writes linearized, the register's value). Each is expanded
    // once, trying every call it may linearize next: the empty one its 12 writes, each of the
    // C(12,k)·k with k writes its 12−k others, each of the 12 with all writes the read.
    // 12 + Σ C(12,k)·k·(12−k) + 12 = 135,192 spec steps (trying orders without memoisation:
    // up to 12! of them).
    const verdict = checkLinearizable(register, h);
    expect(verdict).toMatchObject({ kind: 'violation', blocked: [12], steps: 135_192 });
  });
});

// ---------------------------------------------------------------------------------------------
// A deliberately naive reference: try every order of every admissible set of operations

type Order = 'real-time' | 'program';

/** Whether `ids` is a witness: each completed operation once, pending ones at most once,
 * consistent with real time (or per-client program order), and a legal run of the spec. */
function isWitness<S, Op, Res>(spec: SequentialSpec<S, Op, Res>, history: History<Op, Res>, ids: readonly number[], order: Order): boolean {
  const byId = new Map(history.map((op) => [op.id, op]));
  const ops = ids.map((id) => byId.get(id));
  if (ops.some((op) => op === undefined) || new Set(ids).size !== ids.length) return false;
  if (history.some((op) => op.kind === 'completed' && !ids.includes(op.id))) return false;
  const seq = ops as Operation<Op, Res>[];
  for (let i = 0; i < seq.length; i++) {
    for (let j = i + 1; j < seq.length; j++) if (mustPrecede(seq[j], seq[i], order)) return false;
  }
  let state = spec.init();
  for (const op of seq) {
    const step = spec.apply(state, op.op);
    if (op.kind === 'completed' && !equalValues(step.result, op.result)) return false;
    state = step.state;
  }
  return true;
}

function mustPrecede<Op, Res>(a: Operation<Op, Res>, b: Operation<Op, Res>, order: Order): boolean {
  if (order === 'program') return a.client === b.client && a.invokedAt < b.invokedAt;
  return a.kind === 'completed' && a.returnedAt < b.invokedAt;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length === 0) return [[]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

function bruteForce<S, Op, Res>(spec: SequentialSpec<S, Op, Res>, history: History<Op, Res>, order: Order): boolean {
  const pending = history.filter((op) => op.kind === 'pending');
  const completed = history.filter((op) => op.kind === 'completed');
  for (let mask = 0; mask < 1 << pending.length; mask++) {
    const chosen = [...completed, ...pending.filter((_, i) => (mask >> i) & 1)].map((op) => op.id);
    if (permutations(chosen).some((ids) => isWitness(spec, history, ids, order))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Histories produced by running operations against the spec itself

/** Replaces some recorded results with arbitrary ones, making most histories illegal. */
function perturb<Op, Res>(history: History<Op, Res>, changes: readonly { at: number; result: Res }[]): History<Op, Res> {
  const out = history.slice();
  for (const { at, result } of changes) {
    const op = out[at % Math.max(1, out.length)];
    if (op?.kind === 'completed') out[at % out.length] = { ...op, result };
  }
  return out;
}

const registerOpArb: fc.Arbitrary<RegisterOp<number>> = fc.oneof(
  fc.constant(read),
  fc.integer({ min: 0, max: 2 }).map(write),
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })).map(([from, to]) => cas(from, to)),
);
const registerResultArb: fc.Arbitrary<RegisterResult<number>> = fc.oneof(fc.integer({ min: 0, max: 2 }), fc.boolean(), fc.constant('ok' as const));
const kvOpArb: fc.Arbitrary<KvOp<number>> = fc.oneof(
  fc.constantFrom('x', 'y').map((key) => ({ kind: 'get', key }) as const),
  fc.tuple(fc.constantFrom('x', 'y'), fc.integer({ min: 0, max: 2 })).map(([key, value]) => ({ kind: 'put', key, value }) as const),
);

function runArb<Op>(opArb: fc.Arbitrary<Op>, clientsMax: number, opsPerClientMax: number) {
  return fc.record({
    programs: fc.array(fc.array(opArb, { maxLength: opsPerClientMax }), { minLength: 1, maxLength: clientsMax }),
    schedule: fc.array(fc.nat({ max: 7 }), { maxLength: 60 }),
  });
}

const changesArb = <Res>(resultArb: fc.Arbitrary<Res>) => fc.array(fc.record({ at: fc.nat(), result: resultArb }), { maxLength: 2 });

describe('the WGL checker against running the spec and against brute force', () => {
  it('histories recorded from real concurrent runs with a linearization point inside each operation are linearizable, with a valid witness', () => {
    fc.assert(
      fc.property(runArb(registerOpArb, 4, 5), ({ programs, schedule }) => {
        const h = historyFromEvents(recordHistory(register, programs, schedule));
        const verdict = checkLinearizable(register, h);
        expect(verdict.kind).toBe('ok');
        expect(verdict.kind === 'ok' && isWitness(register, h, verdict.linearization, 'real-time')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('on small perturbed register histories WGL agrees with trying every permutation, for linearizability and sequential consistency', () => {
    let violations = 0;
    let scViolations = 0;
    let withPending = 0;
    fc.assert(
      fc.property(runArb(registerOpArb, 3, 3), changesArb(registerResultArb), ({ programs, schedule }, changes) => {
        const h = perturb(historyFromEvents(recordHistory(register, programs, schedule)), changes);
        fc.pre(h.length <= 6);
        const lin = checkLinearizable(register, h);
        const sc = checkSequentiallyConsistent(register, h);
        expect(lin.ok).toBe(bruteForce(register, h, 'real-time'));
        expect(sc.ok).toBe(bruteForce(register, h, 'program'));
        if (lin.ok) expect(isWitness(register, h, lin.linearization, 'real-time')).toBe(true);
        if (sc.ok) expect(isWitness(register, h, sc.linearization, 'program')).toBe(true);
        if (!lin.ok) violations++;
        if (!sc.ok) scViolations++;
        if (h.some((op) => op.kind === 'pending')) withPending++;
      }),
      { numRuns: 1000 },
    );
    // The comparison saw plenty of negative cases, and of pending operations.
    expect([violations, scViolations, withPending].every((n) => n > 50)).toBe(true);
  });

  it('on small perturbed queue histories WGL agrees with trying every permutation', () => {
    const queue = queueSpec<number>();
    const queueOpArb: fc.Arbitrary<QueueOp<number>> = fc.oneof(
      fc.constant({ kind: 'dequeue' } as const),
      fc.integer({ min: 0, max: 2 }).map((value) => ({ kind: 'enqueue', value }) as const),
    );
    const queueResultArb: fc.Arbitrary<QueueResult<number>> = fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constant(null));
    fc.assert(
      fc.property(runArb(queueOpArb, 3, 3), changesArb(queueResultArb), ({ programs, schedule }, changes) => {
        const h = perturb(historyFromEvents(recordHistory(queue, programs, schedule)), changes);
        fc.pre(h.length <= 6);
        expect(checkLinearizable(queue, h).ok).toBe(bruteForce(queue, h, 'real-time'));
        expect(checkSequentiallyConsistent(queue, h).ok).toBe(bruteForce(queue, h, 'program'));
      }),
      { numRuns: 500 },
    );
  });

  it('checking a key-value history per key gives the same verdict as checking it whole', () => {
    const kv = kvSpec<number>();
    const { partition: _, ...whole } = kv;
    const kvResultArb: fc.Arbitrary<KvResult<number>> = fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constant(null));
    fc.assert(
      fc.property(runArb(kvOpArb, 4, 4), changesArb(kvResultArb), ({ programs, schedule }, changes) => {
        const h = perturb(historyFromEvents(recordHistory(kv, programs, schedule)), changes);
        const perKey = checkLinearizable(kv, h);
        expect(perKey.ok).toBe(checkLinearizable(whole, h).ok);
        if (perKey.ok) expect(isWitness(kv, h, perKey.linearization, 'real-time')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// A long history: 100 operations from five concurrent clients. Only the verdicts are checked
// here; how long the checker takes is measured by `npx tsx bench/history.ts` (timings on a
// shared machine are not a test).


describe('a long history', () => {
  const programs = Array.from({ length: 5 }, (_, c) =>
    Array.from({ length: 20 }, (_, i): RegisterOp<number> => ((i + c) % 3 === 0 ? write((i * 7 + c) % 4) : (i + c) % 3 === 1 ? read : cas(i % 4, (i + 1) % 4))),
  );
  const events = recordHistory(register, programs, seededSchedule(2024, 2000));
  const h = regHistory(events);

  it('a 100-operation register history from five concurrent clients is linearizable, with a valid witness', () => {
    expect(h.filter((op) => op.kind === 'completed')).toHaveLength(100);
    const verdict = checkLinearizable(register, h);
    expect(verdict.kind).toBe('ok');
    expect(verdict.kind === 'ok' && isWitness(register, h, verdict.linearization, 'real-time')).toBe(true);
  });

  it('the same history with an impossible final read is refuted, blocked at that read', () => {
    const bad = regHistory([...events, invoke(9, read), ok(9, 42)]);
    const verdict: Verdict = checkLinearizable(register, bad);
    expect(verdict).toMatchObject({ kind: 'violation', blocked: [100] });
  });
});
