// 2PC and 3PC as actor systems: what each guarantees, where each fails, side by side.

import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explore } from '../src/explore/explore.ts';
import { checkLiveness } from '../src/explore/liveness.ts';
import { checkRefinement } from '../src/explore/refinement.ts';
import { checkWithFastCheck } from '../src/check/runner.ts';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { resolveParams, type ModelDefinition } from '../src/core/model.ts';
import { findModel } from '../models/index.ts';
import { toTCommit, twoPcDefinition } from '../models/twopc/index.ts';
import { threePcDefinition } from '../models/threepc/index.ts';
import { tCommit } from '../models/tcommit/index.ts';

const build = (def: ModelDefinition, variant: string, params: Record<string, number>) => def.create(resolveParams(def, params), variant);
const labels = (r: ReturnType<typeof explore>) => r.violations[0].run.steps.map((s) => s.label);

describe('two-phase commit', () => {
  it('keeps atomicity, commit validity and decisions under a crash, a drop and a partition (2 participants)', () => {
    const r = explore(build(twoPcDefinition, 'default', { participants: 2, dropsMax: 1, partitionsMax: 1 }));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 79_657, 492_400, 20]);
    expect(r.witnesses.map((w) => [w.name, w.reached])).toEqual([['a run commits', true], ['a run aborts', true]]);
  });

  it('blocks: with the coordinator crashed after both yes votes, the prepared participants are stuck', () => {
    const r = checkLiveness(build(twoPcDefinition, 'default', { participants: 2, crashCoordinatorOnly: 1 }));
    expect(r.stuck!.run.steps.map((s) => s.label)).toEqual(['coord->p1 Prepare', 'coord->p2 Prepare', 'p1 votes yes', 'p2 votes yes', 'crash coord']);
    expect(r.stuck!.message).toBe('only faults are enabled (restart coord) and the goal is not reached');
    expect(r.livelocks).toBe(0);
  });

  it('refines TCommit.tla: every step projected onto the participants is a TCommit step or a stutter', () => {
    const r = checkRefinement(build(twoPcDefinition, 'default', { participants: 2, dropsMax: 1 }), tCommit(2), toTCommit);
    expect([r.refines, r.complete]).toEqual([true, true]);
    expect(r.stutters).toBeGreaterThan(0);
  });

  it.each([
    ['commit-on-vote-timeout', 'CommitValidity', 2, 'p1 committed but p1 never voted'],
    ['participant-heuristic-abort', 'Atomicity', 8, 'p1 committed while p2 aborted'],
    ['decide-after-first-yes', 'CommitValidity', 4, 'p1 committed but p2 never voted'],
    ['coordinator-forgets-decision', 'NoReversal', 10, 'p1 reversed its decision: applied commit then abort'],
    ['participant-forgets-vote', 'CommitValidity', 9, 'p1 committed but p2 never voted'],
  ])('the %s bug breaks %s in %i steps', (variant, property, steps, message) => {
    const r = explore(build(twoPcDefinition, variant, { participants: 2 }));
    expect(r.violations[0]).toMatchObject({ property, steps, message });
  });
});

describe('three-phase commit', () => {
  it('commits on one side and aborts on the other when the network splits during PreCommit', () => {
    const r = explore(build(threePcDefinition, 'default', { participants: 2, crashesMax: 0 }));
    expect(r.violations[0]).toMatchObject({ property: 'Atomicity', steps: 10, message: 'p1 committed while p2 aborted' });
    expect(labels(r)).toEqual([
      'coord->p1 CanCommit', 'coord->p2 CanCommit', 'p1 votes yes', 'p1->coord Vote yes', 'p2 votes yes', 'p2->coord Vote yes',
      'coord->p1 PreCommit', 'partition {coord} | {p1,p2}', 'timeout p1 docommit-wait', 'timeout p2 precommit-wait',
    ]);
  });

  it('keeps atomicity and terminates when only the coordinator crashes, where 2PC blocks', () => {
    const params = { participants: 2, partitionsMax: 0, crashCoordinatorOnly: 1 };
    const safety = explore(build(threePcDefinition, 'default', params));
    expect([safety.status, safety.distinctStates]).toEqual(['holds', 1180]);
    const three = checkLiveness(build(threePcDefinition, 'default', params));
    const two = checkLiveness(build(twoPcDefinition, 'default', params));
    expect([three.complete, three.stuckStates, three.livelocks]).toEqual([true, 0, 0]);
    expect(two.stuckStates).toBeGreaterThan(0);
  });

  it('does not refine TCommit.tla under a partition: committing by default after another aborted is no TCommit step', () => {
    const r = checkRefinement(build(threePcDefinition, 'default', { participants: 2, crashesMax: 0 }), tCommit(2), toTCommit);
    expect(r.refines).toBe(false);
    expect(r.failure!.message).toBe('step "timeout p2 precommit-wait" maps to a change the specification does not allow');
    expect(r.failure!.abstractAfter).toEqual({ rmState: ['committed', 'aborted'] });
  });

  it.each([
    ['no-precommit', 'Atomicity', 9],
    ['commit-on-precommit-timeout', 'CommitValidity', 4],
  ])('the %s bug breaks %s in %i steps', (variant, property, steps) => {
    const r = explore(build(threePcDefinition, variant, { participants: 2, crashesMax: 0 }));
    expect(r.violations[0]).toMatchObject({ property, steps });
  });

  it('fast-check finds the partition bug from random schedules and shrinks it to the 10-step minimum, seed and path recorded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-3pc-'));
    const r = checkWithFastCheck(threePcDefinition, 'default', { participants: 2, crashesMax: 0 }, { numRuns: 5000, depthMax: 40, seed: 1, traceDir: dir });
    expect(r.ok).toBe(false);
    expect(r.failure!.run.steps).toHaveLength(10);
    expect(r.failure!.message).toBe('p1 committed while p2 aborted');
    const trace = loadTrace(r.traceFile!);
    expect([trace.seed, trace.fastCheckPath]).toEqual([1, r.failure!.fastCheckPath]);
    expect(replayTrace(trace, r.traceFile!, findModel).reproduced).toBe(true);
  });

  it('random schedules with faults never break 2PC', () => {
    const r = checkWithFastCheck(twoPcDefinition, 'default', { participants: 3, dropsMax: 1, crashesMax: 2, partitionsMax: 1 }, { numRuns: 300, depthMax: 60, seed: 3 });
    expect(r.ok, r.failure?.message).toBe(true);
  });
});
