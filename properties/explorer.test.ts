import { describe, expect, it } from 'vitest';
import { explore, ModelError } from '../src/explore/explore.ts';
import { replayPath } from '../src/explore/path.ts';
import { counters, neverWitness, shortcut, shuffledRecords } from './fixtures/toys.ts';

describe('explorer on toy models with known state spaces', () => {
  it.each([
    [1, 5],
    [2, 3],
    [3, 4],
    [4, 2],
  ])('%i counters up to %i: (k+1)^n distinct states, depth n·k+1, total 1 + n·k·(k+1)^(n-1)', (n, k) => {
    for (const strategy of ['bfs', 'dfs'] as const) {
      const r = explore(counters(n, k), { strategy });
      expect(r.status).toBe('holds');
      expect(r.distinctStates).toBe((k + 1) ** n);
      expect(r.totalStates).toBe(1 + n * k * (k + 1) ** (n - 1));
      expect(r.witnesses).toEqual([expect.objectContaining({ name: 'all counters full', reached: true })]);
      if (strategy === 'bfs') expect(r.depth).toBe(n * k + 1);
    }
  });

  it('BFS finds the shortest counterexample and it replays to the violating state', () => {
    const model = counters(3, 4, { sumBelow: 5 });
    const r = explore(model);
    expect(r.status).toBe('violation');
    const v = r.violations[0];
    // Any five increments reach sum 5; which counters BFS picks is not the claim.
    expect([v.property, v.steps]).toEqual(['SumBelow', 5]);
    expect(v.message).toBe('the counters sum to 5, not below 5');
    const run = replayPath(model, v.path);
    expect(run).toEqual(v.run);
    expect(model.invariants[0].check(run.steps.at(-1)!.state as readonly number[])).toBe(v.message);
  });

  it('a state with nothing enabled that is not final is reported as a deadlock with its trace', () => {
    const r = explore(counters(2, 1, { final: false }));
    expect(r.status).toBe('violation');
    expect(r.violations[0]).toMatchObject({ kind: 'deadlock', property: 'deadlock', steps: 2 });
    expect(r.violations[0].run.steps.at(-1)!.state).toEqual([1, 1]);
    expect(explore(counters(2, 1, { final: false }), { checkDeadlock: false }).status).toBe('holds');
  });

  it('a depth bound that cuts the search makes the result bounded, never holds', () => {
    const r = explore(counters(2, 3), { depthMax: 4 });
    expect(r.status).toBe('bounded');
    expect(r.boundsHit).toEqual(['depthMax']);
    // depths 1..4 hold the states with sum 0..3: 1 + 2 + 3 + 4
    expect(r.distinctStates).toBe(10);
    expect(r.depth).toBe(4);
  });

  it('a depth bound at exactly the diameter still exhausts the space and says holds', () => {
    const r = explore(counters(2, 3), { depthMax: 7 });
    // (3+1)^2 distinct, 1 + 2·3·4 total, depth 2·3 + 1: the whole space, as without the bound
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 16, 25, 7]);
  });

  it('a state bound reports bounded unless the space fits exactly', () => {
    const cut = explore(counters(2, 3), { statesMax: 10 });
    expect(cut.status).toBe('bounded');
    expect(cut.boundsHit).toEqual(['statesMax']);
    expect(cut.distinctStates).toBe(10);
    const fits = explore(counters(2, 3), { statesMax: 16 });
    expect([fits.status, fits.boundsHit, fits.distinctStates]).toEqual(['holds', [], 16]);
  });

  it('a time limit reports bounded', () => {
    const r = explore(counters(6, 9), { timeLimitMs: 1 });
    expect(r.status).toBe('bounded');
    expect(r.boundsHit).toEqual(['timeLimit']);
  });

  it('DFS with a depth bound re-expands a state found again at a shallower depth', () => {
    // 0->1->2->3 reaches 3 at depth 4, the shortcut 0->3 at depth 2; with depthMax 5 the
    // states 4 (depth 3) and 5 (depth 4) are within the bound only through the shortcut.
    const r = explore(shortcut(), { strategy: 'dfs', depthMax: 5 });
    expect(r.distinctStates).toBe(7);
    expect(r.status).toBe('holds');
    const bfs = explore(shortcut(), { strategy: 'bfs', depthMax: 5 });
    expect(bfs.distinctStates).toBe(7);
  });

  it('records with the same fields in a different key order are one state', () => {
    const r = explore(shuffledRecords());
    // a + b <= 4 with a, b >= 0: 15 states; the 10 with a + b < 4 have two successors each
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 15, 21, 5]);
  });

  it('a sometimes property that is never reached is reported as not reached', () => {
    const r = explore(neverWitness());
    expect(r.status).toBe('holds');
    expect(r.witnesses).toEqual([{ name: 'reaches 10', reached: false }]);
  });

  it('the visited-state store grows past its initial capacity without losing states', () => {
    const r = explore(counters(5, 9));
    // 10^5 distinct, 1 + 5·9·10^4 total, depth 5·9 + 1
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 100_000, 450_001, 46]);
    expect(r.bytesPerState).toBeLessThan(64);
  });

  it('rejects bounds that are not positive numbers', () => {
    expect(() => explore(counters(1, 1), { depthMax: 0 })).toThrow(/depthMax must be a positive number/);
    expect(() => explore(counters(1, 1), { statesMax: Number.NaN })).toThrow(/statesMax/);
  });
});

describe('a model that throws', () => {
  it('is reported with the run to the state being expanded and the failing action', () => {
    const base = counters(2, 3);
    const broken = { ...base, step: (s: readonly number[], a: { counter: number }) => {
      if (s[0] === 2 && a.counter === 1) throw new Error('boom');
      return base.step(s, a);
    } };
    let error: unknown;
    try {
      explore(broken);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelError);
    const m = error as ModelError;
    expect(m.message).toBe('the model threw while taking "inc c1": boom');
    expect(m.run!.steps.map((s) => s.label)).toEqual(['inc c0', 'inc c0']);
  });
});
