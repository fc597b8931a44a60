import { describe, expect } from 'vitest';
import { it, test } from '@fast-check/vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkWithFastCheck, assertSchedule } from '../src/check/runner.ts';
import { runSchedule, scheduleArbitrary } from '../src/check/schedule.ts';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { findModel } from '../models/index.ts';
import type { ModelDefinition } from '../src/core/model.ts';
import { windowDefinition } from './fixtures/window.ts';

const withWindow = (name: string): ModelDefinition => (name === 'window' ? windowDefinition : findModel(name));

describe('fast-check schedules', () => {
  it('the same schedule always produces the same run', () => {
    const model = findModel('twophase').create({ rm: 3 }, 'default');
    const schedule = [5, 1, 7, 0, 3, 9, 2, 2, 4];
    expect(runSchedule(model, schedule).run).toEqual(runSchedule(model, schedule).run);
  });

  it('shrinking reaches the known 2-step minimum of the planted receiver bug, and the saved trace replays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-fc-'));
    const r = checkWithFastCheck(windowDefinition, 'accept-ahead', { n: 2, dropsMax: 1, fifo: 1 }, { numRuns: 500, seed: 42, traceDir: dir });
    expect(r.ok).toBe(false);
    expect(r.failure!.run.steps.map((s) => s.label)).toEqual(['drop sender->receiver Data 1', 'sender->receiver Data 2']);
    expect(r.failure!.schedule).toEqual([2, 0]);
    const trace = loadTrace(r.traceFile!);
    expect(trace.seed).toBe(42);
    expect(trace.fastCheckPath).toMatch(/^\d+(:\d+)*$/);
    expect(replayTrace(trace, r.traceFile!, withWindow).reproduced).toBe(true);
  });

  it('shrinking finds the minimal 5-step TwoPhase counterexample when the TM commits after one Prepared', () => {
    const r = checkWithFastCheck(findModel('twophase'), 'commit-without-all-prepared', { rm: 2 }, { numRuns: 1000, seed: 7 });
    expect(r.ok).toBe(false);
    expect(r.failure!.run.steps).toHaveLength(5);
    expect(r.failure!.message).toMatch(/committed while .* aborted/);
  });

  it('random schedules of the faithful ports never violate an invariant', () => {
    for (const name of ['tcommit', 'twophase', 'paxoscommit']) {
      const r = checkWithFastCheck(findModel(name), 'default', {}, { numRuns: 150, seed: 1 });
      expect(r.ok, `${name}: ${r.failure?.message}`).toBe(true);
    }
  });

  test.prop([scheduleArbitrary({ depthMax: 30 })], { numRuns: 100 })(
    'any schedule of TwoPhase with 3 RMs keeps TCConsistent (test.prop helper)',
    (schedule) => {
      assertSchedule(findModel('twophase'), 'default', { rm: 3 }, schedule);
    },
  );

  it.prop([scheduleArbitrary({ depthMax: 30 })], { numRuns: 50 })(
    'a failing schedule throws with the run in protocol words',
    (schedule) => {
      try {
        assertSchedule(findModel('twophase'), 'commit-without-all-prepared', { rm: 2 }, schedule);
      } catch (e) {
        expect((e as Error).message).toMatch(/^TCConsistent violated after \d+ steps: rm\d committed while rm\d aborted\n  0\. initial state/);
      }
    },
  );
});
