import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson } from '../src/core/data.ts';
import { explore, type ExploreOptions, type ExploreResult } from '../src/explore/explore.ts';
import { replayPath } from '../src/explore/path.ts';
import type { RegisterOp, RegisterResult, SequentialSpec } from '../src/history/index.ts';
import { registerSpec } from '../src/history/index.ts';
import { linearizableHistory, sequentiallyConsistentHistory, type HistoryInvariantOptions } from '../src/history/invariant.ts';
import { VerdictMemo } from '../src/history/verdict-memo.ts';
import { registerModel } from './fixtures/register.ts';

describe('histories recorded by actor systems', () => {
  it('a primary that acks writes after the backup has them is linearizable in every reachable state', () => {
    const r = explore(registerModel(false));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 34, 34, 6]);
    expect(r.witnesses.map((w) => [w.name, w.reached])).toEqual([['a read returns 1', true]]);
  });

  it('acking a write before replication lets the backup serve a stale read: not linearizable, found by BFS in 2 steps', () => {
    const model = registerModel(true);
    const r = explore(model);
    expect(r.status).toBe('violation');
    const v = r.violations[0];
    expect([v.property, v.steps]).toEqual(['Linearizable', 2]);
    expect(v.message).toMatch(/^read\(\) by client 1 returned 0, but no linearization allows it after write\(1\) by client 0 completed/);
    // The path replays to the same run, and the invariant fails in its last state.
    const run = replayPath(model, v.path);
    expect(run).toEqual(v.run);
    const last = run.steps.at(-1)!.state as (typeof model.init)[number];
    expect(model.invariants.find((i) => i.name === 'Linearizable')!.check(last)).toBe(v.message);
  });
});

// ---------------------------------------------------------------------------------------------
// Verdicts remembered per history (issue 10): the same results, fewer checker runs

type RegisterState = ReturnType<typeof registerModel>['init'][number];
type RegSpec = SequentialSpec<number, RegisterOp<number>, RegisterResult<number>>;

/** The register fixture with its two history invariants built from `spec` with `options`. */
function registerWith(ackEarly: boolean, options: HistoryInvariantOptions, spec: RegSpec = registerSpec(0)) {
  return {
    ...registerModel(ackEarly),
    invariants: [linearizableHistory(spec, 'Linearizable', options), sequentiallyConsistentHistory(spec, 'SequentiallyConsistent', options)],
  };
}

/** Everything an exploration reports except timings and memory. */
function outcome(r: ExploreResult) {
  return {
    status: r.status,
    boundsHit: r.boundsHit,
    distinct: r.distinctStates,
    total: r.totalStates,
    depth: r.depth,
    violations: r.violations.map((v) => ({ property: v.property, kind: v.kind, message: v.message, steps: v.steps, path: v.path })),
    witnesses: r.witnesses,
  };
}

/** A spec that counts its `init` calls: one per checker run on a history that holds (the
 * explanation of a violation replays from `init` once more). */
function counted(spec: RegSpec): { spec: RegSpec; runs: () => number } {
  let runs = 0;
  return {
    spec: {
      ...spec,
      init: () => {
        runs++;
        return spec.init();
      },
    },
    runs: () => runs,
  };
}

describe('history invariants remember their verdicts per history', () => {
  const searches: [string, boolean, ExploreOptions][] = [
    ['the faithful register, BFS', false, {}],
    ['the faithful register, DFS', false, { strategy: 'dfs' }],
    ['the buggy register, BFS', true, {}],
    ['the buggy register, BFS going on past every violation', true, { continueAfterViolation: true }],
    ['the buggy register, DFS', true, { strategy: 'dfs' }],
  ];

  it.each(searches)('remembering verdicts, or keeping just one or two, changes nothing in the result: %s', (_name, ackEarly, options) => {
    const reference = outcome(explore(registerWith(ackEarly, { memoMax: 0 }), options));
    expect(outcome(explore(registerWith(ackEarly, {}), options))).toEqual(reference);
    expect(outcome(explore(registerWith(ackEarly, { memoMax: 1 }), options))).toEqual(reference);
    expect(outcome(explore(registerWith(ackEarly, { memoMax: 2 }), options))).toEqual(reference);
  });

  it('the checker runs once per distinct history, not once per state: 27 distinct histories in the 33 states that have one', () => {
    /** Checker runs of each invariant, and the states and distinct histories the search saw. */
    const explored = (memo: HistoryInvariantOptions) => {
      const lin = counted(registerSpec(0));
      const sc = counted(registerSpec(0));
      const histories = new Set<string>();
      let states = 0;
      const spy = {
        name: 'spy',
        check: (s: RegisterState) => {
          if (s.history.length > 0) {
            states++;
            histories.add(canonicalJson(s.history));
          }
          return undefined;
        },
      };
      const invariants = [linearizableHistory(lin.spec, 'Linearizable', memo), sequentiallyConsistentHistory(sc.spec, 'SequentiallyConsistent', memo), spy];
      expect(explore({ ...registerModel(false), invariants }).status).toBe('holds');
      return { runs: [lin.runs(), sc.runs()], states, histories: histories.size };
    };
    expect(explored({ memoMax: 0 })).toEqual({ runs: [33, 33], states: 33, histories: 27 });
    expect(explored({})).toEqual({ runs: [27, 27], states: 33, histories: 27 });
  });

  it('each invariant owns its memo: a second model built from the same spec runs the checker again, the same model explored again does not', () => {
    const lin = counted(registerSpec(0));
    const first = registerWith(false, {}, lin.spec);
    const result = outcome(explore(first));
    const once = lin.runs();
    expect(once).toBeGreaterThan(0);
    // Both invariants of the model share the counted spec, so `once` counts both.
    expect(outcome(explore(registerWith(false, {}, lin.spec)))).toEqual(result);
    expect(lin.runs()).toBe(2 * once);
    expect(outcome(explore(first))).toEqual(result);
    expect(lin.runs()).toBe(2 * once);
  });
});

// ---------------------------------------------------------------------------------------------
// The memo against no memo, over random sequences of histories

type Ev =
  | { readonly kind: 'invoke'; readonly client: number; readonly op: RegisterOp<number>; readonly node: string }
  | { readonly kind: 'return'; readonly client: number; readonly result: RegisterResult<number>; readonly node: string };

const eventArb: fc.Arbitrary<Ev> = fc.oneof(
  fc.record({
    kind: fc.constant('invoke' as const),
    client: fc.integer({ min: 0, max: 1 }),
    op: fc.constantFrom<RegisterOp<number>>({ kind: 'read' }, { kind: 'write', value: 0 }, { kind: 'write', value: 1 }),
    node: fc.constantFrom('a', 'b'),
  }),
  fc.record({
    kind: fc.constant('return' as const),
    client: fc.integer({ min: 0, max: 1 }),
    result: fc.constantFrom<RegisterResult<number>>(0, 1, 'ok'),
    node: fc.constantFrom('a', 'b'),
  }),
);

/** How the next history is made from those already checked: the same array again, an equal
 * history made of fresh event objects (another node recorded), one of them plus an event
 * (sharing its event objects, as actor systems do), or a fresh one. */
type Make =
  | { readonly kind: 'same'; readonly pick: number }
  | { readonly kind: 'copy'; readonly pick: number }
  | { readonly kind: 'extend'; readonly pick: number; readonly event: Ev }
  | { readonly kind: 'fresh'; readonly events: readonly Ev[] };

const makeArb: fc.Arbitrary<Make> = fc.oneof(
  fc.record({ kind: fc.constant('same' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('copy' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), pick: fc.nat(), event: eventArb }),
  fc.record({ kind: fc.constant('fresh' as const), events: fc.array(eventArb, { maxLength: 4 }) }),
);

function make(pool: readonly (readonly Ev[])[], m: Make): readonly Ev[] {
  if (m.kind === 'fresh') return m.events.slice();
  const h = pool[m.pick % pool.length];
  if (m.kind === 'same') return h;
  if (m.kind === 'copy') return h.map((e) => ({ ...e, node: e.node === 'a' ? 'b' : 'a' }));
  return [...h, m.event];
}

/** A stand-in checker: a function of what the checkers read (not the node), holding for some. */
function naiveVerdict(h: readonly Ev[]): string | undefined {
  const seen = canonicalJson(h.map((e) => [e.kind, e.client, 'op' in e ? e.op : e.result]));
  return h.length % 3 === 0 ? undefined : seen;
}

describe('VerdictMemo', () => {
  it('answers as the checker does, whatever its size and however often it renumbers events', () => {
    fc.assert(
      fc.property(fc.array(makeArb, { maxLength: 60 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), (makes, entriesMax, eventsMax) => {
        const memo = new VerdictMemo(entriesMax, eventsMax);
        const pool: (readonly Ev[])[] = [[]];
        for (const m of makes) {
          const h = make(pool, m);
          pool.push(h);
          expect(memo.answer(h, naiveVerdict)).toBe(naiveVerdict(h));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('with room for every history, the checker runs once per distinct history, whatever node recorded its events', () => {
    fc.assert(
      fc.property(fc.array(makeArb, { maxLength: 60 }), (makes) => {
        const memo = new VerdictMemo(1_000);
        const pool: (readonly Ev[])[] = [[]];
        const distinct = new Set<string>();
        let runs = 0;
        for (const m of makes) {
          const h = make(pool, m);
          pool.push(h);
          distinct.add(canonicalJson(h.map((e) => [e.kind, e.client, 'op' in e ? e.op : e.result])));
          memo.answer(h, (events) => {
            runs++;
            return naiveVerdict(events);
          });
        }
        expect(runs).toBe(distinct.size);
      }),
      { numRuns: 300 },
    );
  });

  it('remembers nothing when the checker gives up, so the next state asks again', () => {
    const memo = new VerdictMemo(10);
    const h: Ev[] = [{ kind: 'invoke', client: 0, op: { kind: 'read' }, node: 'a' }];
    expect(() =>
      memo.answer(h, () => {
        throw new Error('gave up');
      }),
    ).toThrow('gave up');
    expect(memo.answer(h, () => 'checked')).toBe('checked');
    expect(memo.answer(h, () => 'not asked')).toBe('checked');
  });
});
