// Anti-entropy gossip (models/gossip): values only move forward and every node converges once
// writes and faults stop; last-writer-wins loses one of two concurrent writes where vector
// clocks keep both; a merge that keeps the older value is caught by Monotone; a node that
// never starts an exchange blocks convergence under push when it holds the newest write, and
// does not under push-pull.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { buildRegistered, findModel, findScenario, runCheck, scenarioCheck, variantCheck, type Outcome } from '../src/verify/index.ts';

const def = findModel('gossip');
const stats = (o: Outcome) => [o.summary.status, o.summary.distinctStates, o.summary.totalStates, o.summary.depth];
const scenario = (name: string) => runCheck(scenarioCheck(def, findScenario(def, name)));
const replays = (name: string) => {
  const file = join(import.meta.dirname, '..', 'traces', 'gossip', name);
  return replayTrace(loadTrace(file), file, buildRegistered).reproduced;
};

describe('gossip', () => {
  it('push gossip between three nodes with two writers: values only move forward, and a concurrent write is lost (last-writer-wins): 15,321 states', () => {
    const o = runCheck(variantCheck(def, 'default'));
    expect(stats(o)).toEqual(['holds', 15_321, 174_345, 23]);
    const witnesses = o.result.kind === 'safety' ? o.result.explore.witnesses.map((w) => [w.name, w.reached]) : [];
    expect(witnesses).toEqual([['every node holds the same written value', true], ['a concurrent write is lost', true]]);
  });

  it('with vector clocks both concurrent writes are kept as siblings', () => {
    const o = scenario('vector-clocks-push');
    expect(stats(o)).toEqual(['holds', 56_881, 807_025, 25]);
    const witnesses = o.result.kind === 'safety' ? o.result.explore.witnesses.map((w) => [w.name, w.reached]) : [];
    expect(witnesses).toContainEqual(['concurrent writes are kept as siblings', true]);
  });

  it('push-pull and pull keep values monotone too', () => {
    expect(stats(scenario('push-pull'))).toEqual(['holds', 163_904, 2_286_209, 27]);
    expect(stats(scenario('pull'))).toEqual(['holds', 12_928, 185_793, 28]);
  });

  it('once writes and losses stop every node converges, under last-writer-wins and under vector clocks', () => {
    expect(scenario('push-converges').summary.status).toBe('holds');
    expect(scenario('vector-clocks-converge').summary.status).toBe('holds');
  });

  it('a healed partition converges when recovery is declared (partitions heal, crashed nodes restart), and without it the sides may never agree', () => {
    const healed = scenario('healed-partition-converges');
    expect(healed.summary.status).toBe('holds');
    expect(healed.result.kind === 'liveness' && healed.result.liveness.fairness).toContain('restarts and heals');
    const never = scenario('partition-never-healing-blocks');
    expect([never.findings[0].property, never.matchesExpected]).toEqual(['livelock', true]);
  });

  it('a merge that keeps the older value sends a node back in 4 steps, and the saved trace replays', () => {
    const o = runCheck(variantCheck(def, 'merge-keeps-older'));
    expect([o.findings[0].property, o.findings[0].steps, o.matchesExpected]).toEqual(['Monotone', 4, true]);
    expect(o.findings[0].message).toMatch(/^n\d holds \{.*\} after holding a newer value/);
    expect(replays('merge-keeps-older-monotone.json')).toBe(true);
  });

  it('under push a silent writer keeps its write to itself forever (a livelock), under push-pull the others pull it out', () => {
    const push = scenario('silent-writer-under-push');
    expect([push.findings[0].property, push.findings[0].steps, push.matchesExpected]).toEqual(['livelock', 14, true]);
    expect(replays('silent-node-livelock.json')).toBe(true);
    expect(scenario('silent-node-under-push-pull').summary.status).toBe('holds');
  });
});
