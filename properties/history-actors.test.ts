import { describe, expect, it } from 'vitest';
import { explore } from '../src/explore/explore.ts';
import { replayPath } from '../src/explore/path.ts';
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
