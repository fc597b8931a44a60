// 2PC and 3PC as actor systems: what each guarantees, where each fails, side by side.

import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explore } from '../src/explore/explore.ts';
import type { Run } from '../src/explore/path.ts';
import { checkLiveness } from '../src/explore/liveness.ts';
import { checkRefinement } from '../src/explore/refinement.ts';
import { checkWithFastCheck } from '../src/check/runner.ts';
import { loadTrace, replayTrace, traceFromRun } from '../src/trace/trace.ts';
import { resolveParams, type ModelDefinition } from '../src/core/model.ts';
import { buildRegistered } from '../src/verify/index.ts';
import { toTCommit, twoPcDefinition } from '../models/twopc/index.ts';
import { threePcDefinition } from '../models/threepc/index.ts';
import { tCommit } from '../models/tcommit/index.ts';

const build = (def: ModelDefinition, variant: string, params: Record<string, number>) => def.create(resolveParams(def, params), variant);

/** A finding saved as a trace of the registered model replays step by step (each action
 * enabled, each state as recorded) and reproduces: the invariant fails at the end, or for
 * 'stuck' only faults are enabled there and the goal does not hold. */
function replays(def: ModelDefinition, variant: string, params: Record<string, number>, property: string, run: Run): boolean {
  const trace = traceFromRun({ model: def.name, variant, params: resolveParams(def, params), property, outcome: 'violation' }, run);
  return replayTrace(trace, `${def.name}-${variant}.json`, buildRegistered).reproduced;
}

describe('two-phase commit', () => {
  it('keeps atomicity, commit validity and decisions under a crash, a drop and a partition (2 participants)', () => {
    const r = explore(build(twoPcDefinition, 'default', { participants: 2, dropsMax: 1, partitionsMax: 1 }));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 79_657, 492_400, 20]);
    expect(r.witnesses.map((w) => [w.name, w.reached])).toEqual([['a run commits', true], ['a run aborts', true]]);
  });

  it('blocks: with the coordinator crashed after both yes votes, the prepared participants are stuck', () => {
    const params = { participants: 2, crashCoordinatorOnly: 1 };
    const r = checkLiveness(build(twoPcDefinition, 'default', params));
    expect([r.complete, r.distinctStates, r.stuckStates, r.livelocks]).toEqual([true, 4774, 7, 0]);
    // The shortest stuck run: both Prepares delivered, both yes votes, the crash; in some order.
    const run = r.stuck!.run;
    expect(run.steps.map((s) => s.label).sort()).toEqual(['coord->p1 Prepare', 'coord->p2 Prepare', 'crash coord', 'p1 votes yes', 'p2 votes yes']);
    expect(r.stuck!.message).toBe('only faults are enabled (restart coord) and the goal is not reached');
    expect(replays(twoPcDefinition, 'default', params, 'stuck', run)).toBe(true);
  });

  it('refines TCommit.tla: every step projected onto the participants is a TCommit step or a stutter', () => {
    const r = checkRefinement(build(twoPcDefinition, 'default', { participants: 2, dropsMax: 1 }), tCommit(2), toTCommit);
    expect([r.refines, r.complete, r.distinctStates, r.stepsChecked, r.stutters]).toEqual([true, true, 28_243, 148_913, 141_917]);
  });

  // Which participant a message names depends on the order BFS meets symmetric runs: not the claim.
  it.each([
    ['commit-on-vote-timeout', 'CommitValidity', 2, /^p\d committed but p\d never voted$/],
    ['participant-heuristic-abort', 'Atomicity', 8, /^p\d committed while p\d aborted$/],
    ['decide-after-first-yes', 'CommitValidity', 4, /^p\d committed but p\d never voted$/],
    ['coordinator-forgets-decision', 'NoReversal', 10, /^p\d reversed its decision: applied commit then abort$/],
    ['participant-forgets-vote', 'CommitValidity', 9, /^p\d committed but p\d never voted$/],
  ])('the %s bug breaks %s in %i steps', (variant, property, steps, message) => {
    const r = explore(build(twoPcDefinition, variant, { participants: 2 }));
    const v = r.violations[0];
    expect([v.property, v.steps]).toEqual([property, steps]);
    expect(v.message).toMatch(message);
    expect(replays(twoPcDefinition, variant, { participants: 2 }, property, v.run)).toBe(true);
  });
});

describe('three-phase commit', () => {
  it('commits on one side and aborts on the other when the network splits during PreCommit', () => {
    const params = { participants: 2, crashesMax: 0 };
    const r = explore(build(threePcDefinition, 'default', params));
    const v = r.violations[0];
    expect([v.property, v.steps]).toEqual(['Atomicity', 10]);
    expect(v.message).toMatch(/^p\d committed while p\d aborted$/);
    expect(replays(threePcDefinition, 'default', params, 'Atomicity', v.run)).toBe(true);
    // The story, whatever the order of independent steps: one PreCommit gets through, then the
    // partition; after it the participant that had PreCommit commits on its docommit-wait
    // timeout and the other aborts on its precommit-wait timeout.
    const labels = v.run.steps.map((s) => s.label);
    const preCommits = labels.flatMap((l, i) => (/^coord->p\d PreCommit$/.test(l) ? [i] : []));
    const partition = labels.findIndex((l) => l.startsWith('partition '));
    expect(preCommits).toHaveLength(1);
    expect(partition > preCommits[0]).toBe(true);
    const got = labels[preCommits[0]].slice('coord->'.length, -' PreCommit'.length);
    const other = got === 'p1' ? 'p2' : 'p1';
    expect(labels.slice(partition + 1).sort()).toEqual([`timeout ${got} docommit-wait`, `timeout ${other} precommit-wait`].sort());
  });

  it('keeps atomicity and terminates when only the coordinator crashes, where 2PC blocks', () => {
    const params = { participants: 2, partitionsMax: 0, crashCoordinatorOnly: 1 };
    const safety = explore(build(threePcDefinition, 'default', params));
    expect([safety.status, safety.distinctStates, safety.totalStates, safety.depth]).toEqual(['holds', 1180, 3066, 19]);
    const three = checkLiveness(build(threePcDefinition, 'default', params));
    const two = checkLiveness(build(twoPcDefinition, 'default', params));
    expect([three.complete, three.stuckStates, three.livelocks]).toEqual([true, 0, 0]);
    expect([two.complete, two.stuckStates, two.livelocks]).toEqual([true, 7, 0]);
  });

  it('does not refine TCommit.tla under a partition: committing by default after another aborted is no TCommit step', () => {
    const r = checkRefinement(build(threePcDefinition, 'default', { participants: 2, crashesMax: 0 }), tCommit(2), toTCommit);
    expect(r.refines).toBe(false);
    const f = r.failure!;
    expect(f.run.steps).toHaveLength(10);
    expect(f.message).toMatch(/^step "timeout p\d precommit-wait" maps to a change the specification does not allow$/);
    expect([...(f.abstractAfter as { rmState: string[] }).rmState].sort()).toEqual(['aborted', 'committed']);
  });

  it.each([
    ['no-precommit', 'Atomicity', 9],
    ['commit-on-precommit-timeout', 'CommitValidity', 4],
  ])('the %s bug breaks %s in %i steps', (variant, property, steps) => {
    const params = { participants: 2, crashesMax: 0 };
    const r = explore(build(threePcDefinition, variant, params));
    expect(r.violations[0]).toMatchObject({ property, steps });
    expect(replays(threePcDefinition, variant, params, property, r.violations[0].run)).toBe(true);
  });

  it('fast-check finds the partition bug from random schedules and shrinks it to the 10-step minimum, seed and path recorded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-3pc-'));
    const r = checkWithFastCheck(threePcDefinition, 'default', { participants: 2, crashesMax: 0 }, { numRuns: 5000, depthMax: 40, seed: 1, traceDir: dir });
    expect(r.ok).toBe(false);
    expect([r.failure!.property, r.failure!.run.steps.length]).toEqual(['Atomicity', 10]);
    expect(r.failure!.message).toMatch(/^p\d committed while p\d aborted$/);
    const trace = loadTrace(r.traceFile!);
    expect([trace.seed, trace.fastCheckPath]).toEqual([1, r.failure!.fastCheckPath]);
    expect(replayTrace(trace, r.traceFile!, buildRegistered).reproduced).toBe(true);
  });

  it('random schedules with faults never break 2PC', () => {
    const r = checkWithFastCheck(twoPcDefinition, 'default', { participants: 3, dropsMax: 1, crashesMax: 2, partitionsMax: 1 }, { numRuns: 300, depthMax: 60, seed: 3 });
    expect(r.ok, r.failure?.message).toBe(true);
  });
});
