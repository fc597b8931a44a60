import { describe, expect } from 'vitest';
import fc from 'fast-check';
import { it, test } from '@fast-check/vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkWithFastCheck, assertSchedule } from '../src/check/runner.ts';
import { runSchedule, scheduleArbitrary } from '../src/check/schedule.ts';
import { loadTrace, replayTrace, traceFromRun } from '../src/trace/trace.ts';
import { findModel } from '../models/index.ts';
import { buildRegistered, builderFor } from '../src/verify/index.ts';
import { resolveParams, type ModelDefinition } from '../src/core/model.ts';
import { windowDefinition } from './fixtures/window.ts';

const withWindow = (name: string): ModelDefinition => (name === 'window' ? windowDefinition : findModel(name));

describe('fast-check schedules', () => {
  it('the same schedule always produces the same run', () => {
    const model = findModel('twophase').create({ rm: 3 }, 'default');
    const schedule = [5, 1, 7, 0, 3, 9, 2, 2, 4];
    expect(runSchedule(model, schedule).run).toEqual(runSchedule(model, schedule).run);
  });

  it('shrinking reaches the known 2-step minimum of the planted receiver bug, and both the shrunk schedule and the saved trace replay', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-fc-'));
    const r = checkWithFastCheck(windowDefinition, 'accept-ahead', { n: 2, dropsMax: 1, fifo: 1 }, { numRuns: 500, seed: 42, traceDir: dir });
    expect(r.ok).toBe(false);
    const failure = r.failure!;
    expect([failure.property, failure.run.steps.length]).toEqual(['InOrderDelivery', 2]);
    expect(failure.message).toBe('receiver delivered 2: Data 1 was skipped');
    // The shrunk schedule, run again, fails the same way.
    const { fastCheckPath: _path, shrinks: _shrinks, ...scheduleFailure } = failure;
    expect(runSchedule(windowDefinition.create(r.trace!.params, 'accept-ahead'), failure.schedule).failure).toEqual(scheduleFailure);
    const trace = loadTrace(r.traceFile!);
    expect([trace.property, trace.steps.length, trace.seed, trace.fastCheckPath]).toEqual(['InOrderDelivery', 2, 42, failure.fastCheckPath]);
    expect(trace.fastCheckPath).toMatch(/^\d+(:\d+)*$/);
    expect(replayTrace(trace, r.traceFile!, builderFor(withWindow)).reproduced).toBe(true);
  });

  it('shrinking finds the minimal 7-step TwoPhase counterexample when a prepared RM aborts on its own, and it replays', () => {
    // 7 steps is BFS's shortest (ports.test.ts); shrinking is not guaranteed to reach it, with this seed it does.
    const r = checkWithFastCheck(findModel('twophase'), 'rm-aborts-after-prepare', { rm: 2 }, { numRuns: 1000, seed: 1 });
    expect(r.ok).toBe(false);
    expect([r.failure!.property, r.failure!.run.steps.length]).toEqual(['TCConsistent', 7]);
    expect(r.failure!.message).toMatch(/^rm\d committed while rm\d aborted$/);
    const replay = replayTrace(r.trace!, 'twophase (fast-check)', buildRegistered);
    expect([replay.reproduced, replay.observed]).toEqual([true, `TCConsistent violated: ${r.failure!.message}`]);
  });

  it('150 random schedules of each faithful port never violate an invariant', () => {
    for (const name of ['tcommit', 'twophase', 'paxoscommit']) {
      const r = checkWithFastCheck(findModel(name), 'default', {}, { numRuns: 150, seed: 1 });
      expect([r.ok, r.numRuns], `${name}: ${r.failure?.message}`).toEqual([true, 150]);
    }
  });

  test.prop([scheduleArbitrary({ depthMax: 30 })], { numRuns: 100 })(
    'any schedule of TwoPhase with 3 RMs keeps TCConsistent (test.prop helper)',
    (schedule) => {
      assertSchedule(findModel('twophase'), 'default', { rm: 3 }, schedule);
    },
  );

  it.prop([scheduleArbitrary({ depthMax: 30 })], { numRuns: 50 })(
    'assertSchedule throws exactly when the run breaks an invariant, with the property, the step count and the run in protocol words',
    (schedule) => {
      const def = findModel('twophase');
      const { failure } = runSchedule(def.create(resolveParams(def, { rm: 2 }), 'commit-without-all-prepared'), schedule);
      const check = () => assertSchedule(def, 'commit-without-all-prepared', { rm: 2 }, schedule);
      if (failure === undefined) {
        expect(check).not.toThrow();
      } else {
        expect(check).toThrow(`${failure.property} violated after ${failure.run.steps.length} steps: ${failure.message}\n  0. initial state`);
      }
    },
  );

  it('a property over assertSchedule fails on the planted bug and fast-check shrinks it to the 7-step minimum, which replays', () => {
    const def = findModel('twophase');
    const property = fc.property(scheduleArbitrary({ depthMax: 30 }), (schedule) => {
      assertSchedule(def, 'rm-aborts-after-prepare', { rm: 2 }, schedule);
    });
    const details = fc.check(property, { numRuns: 200, seed: 3 });
    expect(details.failed).toBe(true);
    expect((details.errorInstance as Error).message).toMatch(/^TCConsistent violated after 7 steps: rm\d committed while rm\d aborted\n  0\. initial state/);
    const [shrunk] = details.counterexample!;
    const model = def.create(resolveParams(def, { rm: 2 }), 'rm-aborts-after-prepare');
    const failure = runSchedule(model, shrunk).failure!;
    expect([failure.property, failure.run.steps.length]).toEqual(['TCConsistent', 7]);
    const trace = traceFromRun(
      { model: 'twophase', variant: 'rm-aborts-after-prepare', params: { rm: 2 }, property: failure.property, outcome: 'violation' },
      failure.run,
    );
    expect(replayTrace(trace, 'shrunk.json', buildRegistered).reproduced).toBe(true);
  });
});
