// fast-check defaults that find crash bugs (issue 10): fault-biased schedules find the crash
// bugs of the bundled models within the default runs, where uniform schedules miss them, and
// the deletion pass after fast-check's shrink brings each counterexample down to BFS's shortest
// (the saved BFS traces under traces/, whose lengths paxos.test.ts and commit.test.ts pin).

import { describe, expect } from 'vitest';
import { it, test } from '@fast-check/vitest';
import { join } from 'node:path';
import { checkWithFastCheck, RUN_DEFAULTS } from '../src/check/runner.ts';
import { deleteSteps } from '../src/check/minimise.ts';
import { faultBiasedSchedule, runSchedule, type BiasedSchedule } from '../src/check/schedule.ts';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { buildRegistered, findModel, instantiate } from '../src/verify/index.ts';

const traces = join(import.meta.dirname, '..', 'traces');

// model, variant, its saved BFS counterexample, the property, BFS's minimal length
const crashBugs = [
  ['paxos', 'accepted-not-persisted', 'paxos/accepted-not-persisted-agreement.json', 'Agreement', 16],
  ['paxos', 'acceptor-forgets-promise', 'paxos/acceptor-forgets-promise-promiseneverdecreases.json', 'PromiseNeverDecreases', 4],
  ['twopc', 'participant-forgets-vote', 'twopc/participant-forgets-vote-commitvalidity.json', 'CommitValidity', 9],
] as const;

/** The params of the saved BFS counterexample: fast-check runs the very model BFS explored. */
const bfsParams = (file: string) => loadTrace(join(traces, file)).params;

/** checkWithFastCheck with the default settings and seed 1, run once per bug. */
const runs = new Map<string, ReturnType<typeof checkWithFastCheck>>();
function foundWithDefaults([model, variant, file]: readonly [string, string, string, ...unknown[]]) {
  const key = `${model}/${variant}`;
  if (!runs.has(key)) runs.set(key, checkWithFastCheck(findModel(model), variant, bfsParams(file), { seed: 1 }));
  return runs.get(key)!;
}

describe('fast-check with fault-biased schedules', () => {
  it.each(crashBugs)(
    'with the default settings and seed 1, finds %s %s and shrinks it to BFS\'s shortest counterexample, which replays',
    (model, variant, file, property, minimum) => {
      const bfs = loadTrace(join(traces, file));
      expect([bfs.property, bfs.steps.length]).toEqual([property, minimum]);
      const r = foundWithDefaults([model, variant, file]);
      expect(r.ok).toBe(false);
      expect(r.numRuns).toBeLessThanOrEqual(RUN_DEFAULTS.numRuns);
      expect([r.failure!.property, r.failure!.run.steps.length]).toEqual([property, minimum]);
      // The resolved choices are a plain schedule that replays the same run.
      const { fastCheckPath: _path, shrinks: _shrinks, ...failure } = r.failure!;
      expect(runSchedule(instantiate(findModel(model), variant, bfs.params).model, failure.schedule).failure).toEqual(failure);
      const replay = replayTrace(r.trace!, `${model}-${variant}.fast-check.json`, buildRegistered);
      expect([replay.reproduced, replay.observed]).toEqual([true, `${property} violated: ${r.failure!.message}`]);
    },
  );

  it('uniform schedules with seed 1 miss two of the three crash bugs in 200 runs (the defaults before issue 10), and the acceptor that forgets its vote even in 2,000', () => {
    const before = { schedules: 'uniform', numRuns: 200, seed: 1 } as const;
    const found = crashBugs.map(([model, variant, file]) => checkWithFastCheck(findModel(model), variant, bfsParams(file), before).ok === false);
    expect(found).toEqual([false, true, false]);
    const [model, variant, file] = crashBugs[0];
    const sameBudget = checkWithFastCheck(findModel(model), variant, bfsParams(file), { ...before, numRuns: RUN_DEFAULTS.numRuns });
    expect([sameBudget.ok, sameBudget.numRuns]).toEqual([true, 2000]);
  });

  it('on the Paxos acceptor that forgets its vote, fast-check\'s own shrink stops above 16 steps and deleting steps reaches 16', () => {
    const r = foundWithDefaults(crashBugs[0]);
    expect(r.shrunk!.fastCheckSteps).toBeGreaterThan(16);
    expect(r.shrunk!.steps).toBe(16);
    expect(r.trace!.description).toMatch(/^found by fast-check \(seed 1, fault-biased schedules of depth 40\), shrunk \d+ times to \d+ steps, then to 16 by deleting steps$/);
  });

  it('the seed and fast-check path recorded in the trace reproduce the same counterexample, steps deleted included', () => {
    const [model, variant, file] = crashBugs[0];
    const first = foundWithDefaults(crashBugs[0]);
    const again = checkWithFastCheck(findModel(model), variant, bfsParams(file), { seed: first.trace!.seed, path: first.trace!.fastCheckPath });
    expect(again.trace!.steps).toEqual(first.trace!.steps);
  });
});

describe('fault-biased schedules', () => {
  it('a fault pick crashes the node that just moved, a node pick restarts it, and with the crash budget spent a fault pick takes an action that is no fault', () => {
    const { model } = instantiate(findModel('twopc'), 'default', { participants: 2, crashesMax: 1 });
    const schedule: BiasedSchedule = [
      { pick: 'any', k: 0 },
      { pick: 'fault', k: 0 },
      { pick: 'node', k: 0 },
      { pick: 'fault', k: 0 },
      { pick: 'node', k: 1 },
    ];
    expect(model.actions(model.init[0]).map((a: unknown) => model.describe(a))).toEqual([
      'coord->p1 Prepare', 'coord->p2 Prepare', 'timeout coord vote', 'crash coord', 'crash p1', 'crash p2',
    ]);
    expect(runSchedule(model, schedule).run.steps.map((s) => s.label)).toEqual([
      'coord->p1 Prepare', 'crash p1', 'restart p1', 'coord->p2 Prepare', 'p2 votes no',
    ]);
  });

  test.prop([faultBiasedSchedule({ depthMax: 30 })], { numRuns: 100, seed: 7 })(
    'a biased schedule is plain data: after a JSON round trip it runs the same, and the choices it resolved to replay the run as a plain schedule',
    (schedule) => {
      const { model } = instantiate(findModel('twopc'), 'default', { participants: 2, crashesMax: 2, dropsMax: 1 });
      const outcome = runSchedule(model, schedule);
      expect(runSchedule(model, JSON.parse(JSON.stringify(schedule)) as BiasedSchedule)).toEqual(outcome);
      expect(runSchedule(model, outcome.schedule)).toEqual(outcome);
    },
  );

  it.prop([faultBiasedSchedule()], { numRuns: 60, seed: 3 })(
    'deleting steps keeps the property, never lengthens the run, gives a plain schedule that replays it, and stops at a fixpoint',
    (schedule) => {
      const { model } = instantiate(findModel('paxos'), 'acceptor-forgets-promise');
      const { failure } = runSchedule(model, schedule);
      if (failure === undefined) return;
      const { failure: shorter } = deleteSteps(model, failure);
      expect(shorter.property).toBe(failure.property);
      expect(shorter.run.steps.length).toBeLessThanOrEqual(failure.run.steps.length);
      expect(runSchedule(model, shorter.schedule).failure).toEqual(shorter);
      expect(deleteSteps(model, shorter).failure.run.steps.length).toBe(shorter.run.steps.length);
    },
  );
});
