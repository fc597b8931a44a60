// What a failing property over schedules says inside vitest (issue 17): the property and its
// message, the shrunk schedule as a message sequence chart, fast-check's seed and path with the
// call that replays them, and the saved trace, which replays to the same property.

import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectScheduleProperty, FAST_CHECK_OUT_DIR, ScheduleCounterexample } from '../src/check/report.ts';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { transcriptFileName } from '../src/trace/transcript.ts';
import { buildRegistered, findModel } from '../src/verify/index.ts';

const outDir = () => mkdtempSync(join(tmpdir(), 'faultline-fc-report-'));

/** The ScheduleCounterexample that `run` throws. */
function counterexampleOf(run: () => unknown): ScheduleCounterexample {
  try {
    run();
  } catch (e) {
    if (e instanceof ScheduleCounterexample) return e;
    throw e;
  }
  throw new Error('expected the property over schedules to fail');
}

/** The seed and path a report prints, as fast-check prints them. */
function seedAndPath(message: string): { seed: number; path: string } {
  const m = /^fast-check: \{ seed: (\d+), path: "(\d+(?::\d+)*)" \}/m.exec(message);
  expect(m, message).not.toBeNull();
  return { seed: Number(m![1]), path: m![2] };
}

/** The trace file a report names. */
function savedFile(message: string): string {
  const m = /^trace saved: (\S+\.fast-check\.json) \(replays: /m.exec(message);
  expect(m, message).not.toBeNull();
  return m![1];
}

// A delivered message drawn as an arrow between two lifelines, after the step's number.
const ARROW_LINE = /^ +\d+ +.*(?:-+>\||\|<-+)/m;

describe('expectScheduleProperty', () => {
  const twopc = findModel('twopc');
  const params = { participants: 2, crashesMax: 1 };

  it('when a 2PC participant forgets its vote, the error shows CommitValidity, the chart of the shrunk schedule, the seed and path, and the saved trace, which replays to CommitValidity', () => {
    const dir = outDir();
    const e = counterexampleOf(() => expectScheduleProperty(twopc, 'participant-forgets-vote', params, { seed: 1, traceDir: dir }));
    const { message } = e;
    expect(message).toMatch(/^CommitValidity violated after \d+ steps: p\d committed but p\d never voted\n/);
    expect(message).toContain('the shrunk schedule as a message sequence chart:');
    expect(message).toMatch(ARROW_LINE);
    expect(message).toMatch(/^ +\d+ +\|.* X crash/m);
    const { seed, path } = seedAndPath(message);
    expect([seed, path]).toEqual([1, e.result.failure!.fastCheckPath]);
    expect(message).toContain(`replay it: expectScheduleProperty(findModel('twopc'), 'participant-forgets-vote', { participants: 2, crashesMax: 1 }, { seed: 1, path: '${path}' })`);
    const file = savedFile(message);
    expect(file.startsWith(join(dir, 'twopc'))).toBe(true);
    expect(message).toContain(`npx faultline replay ${file} --chart`);
    expect(existsSync(file)).toBe(true);
    const trace = loadTrace(file);
    expect([trace.property, trace.seed, trace.fastCheckPath, trace.steps.length]).toEqual(['CommitValidity', 1, path, e.result.failure!.run.steps.length]);
    const replay = replayTrace(trace, file, buildRegistered);
    expect([replay.reproduced, replay.observed]).toEqual([true, `CommitValidity violated: ${e.result.failure!.message}`]);
    // The transcript next to it carries the same chart.
    expect(readFileSync(transcriptFileName(file), 'utf8')).toMatch(ARROW_LINE);
  });

  it('the seed and path printed in the message replay the same counterexample directly', () => {
    const first = counterexampleOf(() => expectScheduleProperty(twopc, 'participant-forgets-vote', params, { seed: 1, traceDir: outDir() }));
    const again = counterexampleOf(() => expectScheduleProperty(twopc, 'participant-forgets-vote', params, { ...seedAndPath(first.message), traceDir: outDir() }));
    expect(again.result.numRuns).toBe(1);
    expect(again.result.trace!.steps).toEqual(first.result.trace!.steps);
  });

  it('the replay call in the message repeats the options that change the schedules drawn, and replays the same counterexample', () => {
    const options = { depthMax: 30, schedules: 'uniform', numRuns: 500 } as const;
    const e = counterexampleOf(() => expectScheduleProperty(twopc, 'commit-on-vote-timeout', params, { ...options, seed: 2, traceDir: outDir() }));
    const { path } = seedAndPath(e.message);
    expect(e.message).toContain(`replay it: expectScheduleProperty(findModel('twopc'), 'commit-on-vote-timeout', { participants: 2, crashesMax: 1 }, { depthMax: 30, schedules: 'uniform', seed: 2, path: '${path}' })`);
    expect(e.message).toMatch(ARROW_LINE);
    const again = counterexampleOf(() =>
      expectScheduleProperty(twopc, 'commit-on-vote-timeout', params, { depthMax: 30, schedules: 'uniform', seed: 2, path, traceDir: outDir() }),
    );
    expect(again.result.trace!.steps).toEqual(e.result.trace!.steps);
  });

  it('for a model that is not an actor system the shrunk schedule is numbered step labels, saved by default under .faultline-out/fast-check', () => {
    const e = counterexampleOf(() => expectScheduleProperty(findModel('twophase'), 'rm-aborts-after-prepare', { rm: 2 }, { seed: 1 }));
    expect(e.message).toMatch(/^TCConsistent violated after \d+ steps: rm\d committed while rm\d aborted\n/);
    expect(e.message).toContain('the shrunk schedule, step by step:');
    expect(e.message).toMatch(/^ {3}1 {2}\S/m);
    const file = savedFile(e.message);
    expect(file.startsWith(join(FAST_CHECK_OUT_DIR, 'twophase'))).toBe(true);
    expect(e.message).toContain(`npx faultline replay ${file}\n`);
    expect(replayTrace(loadTrace(file), file, buildRegistered).reproduced).toBe(true);
  });

  it('a property that holds returns the result of checkWithFastCheck and saves nothing', () => {
    const dir = outDir();
    const r = expectScheduleProperty(twopc, 'default', params, { seed: 1, numRuns: 200, traceDir: dir });
    expect([r.ok, r.numRuns, r.traceFile]).toEqual([true, 200, undefined]);
    expect(existsSync(join(dir, 'twopc'))).toBe(false);
  });
});
