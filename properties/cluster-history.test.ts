// The history checkers fitted for histories recorded from real clusters (src/history, issue 18):
// keys are searched interleaved so any refuted key refutes the history at once; sequential
// consistency tries a system's own order (ZooKeeper's zxids) as a candidate witness and never
// trusts it blindly; reads that fit are placed without branching; the keyed register spec the
// campaigns use agrees with checking each key as its own register.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { History, HistoryEvent, KeyedRegisterOp, RegisterOp, RegisterResult } from '../src/history/index.ts';
import { checkLinearizable, checkSequentiallyConsistent, historyFromEvents, keyedRegisterSpec, registerSpec } from '../src/history/index.ts';
import { recordHistory, seededSchedule } from './fixtures/histories.ts';
import type { RecordedOperation } from '../src/cluster/recorder.ts';
import { zxidOrder } from '../src/cluster/zookeeper-campaign.ts';

type Op = KeyedRegisterOp<number>;
type Res = RegisterResult<number>;
const keyed = keyedRegisterSpec(0);
const invoke = (client: number, op: Op) => ({ kind: 'invoke', client, op }) as const;
const ok = (client: number, result: Res) => ({ kind: 'return', client, result }) as const;
const info = (client: number) => ({ kind: 'info', client }) as const;

/** Twelve overlapping writes of distinct values on `key`, then a read of a value nobody wrote:
 * refuting it takes 135,192 spec steps (properties/history.test.ts, "search budget"). */
function hardKey(key: string, clientBase: number): HistoryEvent<Op, Res>[] {
  const events: HistoryEvent<Op, Res>[] = [];
  for (let c = 0; c < 12; c++) events.push(invoke(clientBase + c, { kind: 'write', key, value: c + 1 }));
  for (let c = 0; c < 12; c++) events.push(ok(clientBase + c, 'ok'));
  events.push(invoke(clientBase + 99, { kind: 'read', key }), ok(clientBase + 99, 42));
  return events;
}

describe('keys searched interleaved', () => {
  it('a stale read on a later key refutes the history before an expensive earlier key has used its budget', () => {
    const stale: HistoryEvent<Op, Res>[] = [
      invoke(200, { kind: 'write', key: 'z', value: 1 }), ok(200, 'ok'),
      invoke(200, { kind: 'write', key: 'z', value: 2 }), ok(200, 'ok'),
      invoke(201, { kind: 'read', key: 'z' }), ok(201, 1),
    ];
    const h = historyFromEvents([...hardKey('a', 0), ...stale]);
    const verdict = checkLinearizable(keyed, h);
    expect(verdict).toMatchObject({ kind: 'violation', partition: 'z' });
    // One slice of key "a" (20,000 steps) and key "z"'s three: not a's 135,192.
    expect(verdict.steps).toBe(20_003);
    // With a budget too small for "a", the violation on "z" is still found.
    expect(checkLinearizable(keyed, h, { stepsMax: 1000 })).toMatchObject({ kind: 'violation', partition: 'z' });
  });

  it('an exhausted key gives unknown only when no other key is refuted, naming that key', () => {
    const h = historyFromEvents([...hardKey('a', 0), invoke(300, { kind: 'write', key: 'b', value: 1 }), ok(300, 'ok')]);
    const verdict = checkLinearizable(keyed, h, { stepsMax: 1000 });
    expect(verdict).toMatchObject({ kind: 'unknown', partition: 'a' });
    expect(verdict.kind === 'unknown' && verdict.explanation).toBe(
      'key "a": search budget exhausted after stepsMax=1000 spec steps over 13 operations; linearizability undecided',
    );
  });

  it('checking the keyed register per key gives the verdicts of one register per key, on random histories with pending operations', () => {
    const register = registerSpec(0);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 3 }), (seed, bad) => {
        const programs = Array.from({ length: 4 }, (_, c) =>
          Array.from({ length: 6 }, (_, i): RegisterOp<number> => ((i + c + seed) % 3 === 0 ? { kind: 'write', value: (i * c + seed) % 3 } : (i + c) % 3 === 1 ? { kind: 'read' } : { kind: 'cas', from: i % 3, to: (i + seed) % 3 })),
        );
        const single = historyFromEvents(recordHistory(register, programs, seededSchedule(seed, 70, 4)));
        // Perturb one read's result, sometimes, so that violations are compared too.
        const perturbed = single.map((op, i) => (op.kind === 'completed' && op.op.kind === 'read' && i % 4 === bad ? { ...op, result: ((op.result as number) + 1) % 3 } : op));
        const asKey = (key: string, shift: number): History<Op, Res> =>
          perturbed.map((op) => ({ ...op, id: op.id + shift, client: op.client + shift, op: { ...op.op, key } as Op }));
        const both = [...asKey('x', 0), ...asKey('y', 1000)];
        const expected = checkLinearizable(register, perturbed).ok;
        expect(checkLinearizable(keyed, both).ok).toBe(expected);
        expect(checkSequentiallyConsistent(keyed, asKey('x', 0)).ok).toBe(checkSequentiallyConsistent(register, perturbed).ok);
      }),
      { numRuns: 100 },
    );
  });
});

describe('a system order as a candidate witness', () => {
  // Client 1 writes 1 then 2; client 2, on a lagging server, reads 1 after the second write
  // returned: sequentially consistent (client 2 is ordered before the second write).
  const h = historyFromEvents<Op, Res>([
    invoke(1, { kind: 'write', key: 'r', value: 1 }), ok(1, 'ok'),
    invoke(1, { kind: 'write', key: 'r', value: 2 }), ok(1, 'ok'),
    invoke(2, { kind: 'read', key: 'r' }), ok(2, 1),
    invoke(3, { kind: 'write', key: 'r', value: 3 }), info(3),
  ]);

  it('a hint that is a legal order keeping each client\'s order decides in one pass, leaving out pending operations', () => {
    expect(checkSequentiallyConsistent(keyed, h, { orderHint: [0, 2, 1] })).toEqual({ kind: 'ok', ok: true, linearization: [0, 2, 1], steps: 3 });
  });

  it('a wrong hint is not trusted: the search decides as without it', () => {
    const without = checkSequentiallyConsistent(keyed, h);
    for (const hint of [[0, 1, 2], [1, 0, 2], [0, 2], [0, 2, 1, 1], [0, 2, 1, 99]]) {
      expect(checkSequentiallyConsistent(keyed, h, { orderHint: hint })).toEqual(without);
    }
    const impossible = historyFromEvents<Op, Res>([invoke(1, { kind: 'read', key: 'r' }), ok(1, 7)]);
    expect(checkSequentiallyConsistent(keyed, impossible, { orderHint: [0] }).kind).toBe('violation');
  });

  it("ZooKeeper's order: by zxid, a write before the reads that saw it, a pending write before the first read of its value", () => {
    const rec = (id: number, op: Op, position: bigint | undefined, outcome: 'ok' | 'info', result?: Res): RecordedOperation<Op, Res> =>
      ({ id, worker: 0, process: id, op, invokedAt: id, completedAt: id + 1, outcome, ...(result === undefined ? {} : { result }), ...(position === undefined ? {} : { position }) });
    const ops = [
      rec(0, { kind: 'read', key: 'r' }, 5n, 'ok', 10),
      rec(1, { kind: 'write', key: 'r', value: 10 }, 5n, 'ok', 'ok'),
      rec(2, { kind: 'write', key: 'r', value: 11 }, undefined, 'info'),
      rec(3, { kind: 'read', key: 'r' }, 6n, 'ok', 11),
      rec(4, { kind: 'write', key: 'r', value: 12 }, undefined, 'info'),
    ];
    expect(zxidOrder(ops)).toEqual([1, 0, 2, 3]);
  });
});

describe('reads that fit are placed without branching', () => {
  it('a history of many clients reading a value they all saw is decided in one step per operation', () => {
    const events: HistoryEvent<Op, Res>[] = [invoke(0, { kind: 'write', key: 'r', value: 1 })];
    for (let c = 1; c <= 40; c++) events.push(invoke(c, { kind: 'read', key: 'r' }));
    events.push(ok(0, 'ok'));
    for (let c = 1; c <= 40; c++) events.push(ok(c, 1));
    const verdict = checkSequentiallyConsistent(keyed, historyFromEvents(events));
    expect(verdict.kind).toBe('ok');
    expect(verdict.steps).toBeLessThan(200);
  });
});
