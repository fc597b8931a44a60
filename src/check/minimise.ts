// After fast-check's shrink, a small deterministic pass that deletes steps (issue 10).
// fast-check shrinks a schedule choice by choice, and a choice means "the k-th enabled action"
// (of a group): deleting one step shifts what every later choice picks, so its shrink often
// stops a few steps above the shortest counterexample. This pass works on the run's actions
// instead: it deletes one step, or two adjacent ones, replays the rest by action identity
// (canonical JSON, as trace replay does), and keeps the shorter run when it still fails the
// same property; repeated until no deletion helps. A later action that the deletion disabled
// is skipped on replay (a Prepare never sent is never delivered), so a deletion may remove a
// step and what depended on it at once. The result is only a local minimum: it reaches BFS's
// shortest on the crash bugs of properties/fastcheck-faults.test.ts, and may stay above it
// when fast-check found another route to the same property.

import type { AnyCompleteModel } from '../core/model.ts';
import { brokenByStep, brokenIn } from '../core/model.ts';
import { canonicalJson } from '../core/data.ts';
import { runSchedule, type Schedule, type ScheduleFailure } from './schedule.ts';

export interface Minimised {
  readonly failure: ScheduleFailure;
  /** Candidate runs replayed. */
  readonly replays: number;
}

/** Deletes steps of `failure`'s run while the rest still fails `failure.property`. */
export function deleteSteps(model: AnyCompleteModel, failure: ScheduleFailure, options: { checkDeadlock?: boolean } = {}): Minimised {
  let keys = failure.run.steps.map((s) => canonicalJson(s.action));
  let best: Schedule | undefined;
  let replays = 0;
  for (let improved = true; improved; ) {
    improved = false;
    for (const width of [1, 2]) {
      for (let at = 0; at + width <= keys.length; ) {
        replays++;
        const found = replayKeys(model, [...keys.slice(0, at), ...keys.slice(at + width)], failure, options.checkDeadlock ?? false);
        if (found !== undefined && found.keys.length < keys.length) {
          ({ keys } = found);
          best = found.schedule;
          improved = true;
        } else {
          at++;
        }
      }
    }
  }
  if (best === undefined) return { failure, replays };
  // Deadlock is detected on the choice after the last step (runSchedule), hence the extra 0.
  const again = runSchedule(model, failure.kind === 'deadlock' ? [...best, 0] : best, options).failure;
  if (again === undefined || again.property !== failure.property) {
    throw new Error(`deleteSteps: the shortened run no longer fails ${failure.property} (a model that is not deterministic?)`);
  }
  return { failure: again, replays };
}

/** Replays actions by identity, skipping those not enabled; returns the actions taken and their
 * indices when the run fails `failure.property` (and no other property first). */
function replayKeys(
  model: AnyCompleteModel,
  keys: readonly string[],
  failure: ScheduleFailure,
  checkDeadlock: boolean,
): { keys: string[]; schedule: number[] } | undefined {
  let state = model.init[0];
  const taken: string[] = [];
  const schedule: number[] = [];
  if (brokenIn(model, state) !== undefined) return undefined;
  for (const key of keys) {
    const actions = model.actions(state);
    const index = actions.findIndex((a) => canonicalJson(a) === key);
    if (index < 0) continue;
    const before = state;
    state = model.step(state, actions[index]);
    taken.push(key);
    schedule.push(index);
    const bad = brokenByStep(model, before, actions[index], state);
    if (bad !== undefined) return bad.name === failure.property ? { keys: taken, schedule } : undefined;
  }
  const deadlocked = checkDeadlock && model.actions(state).length === 0 && !model.isFinal(state);
  return deadlocked && failure.kind === 'deadlock' ? { keys: taken, schedule } : undefined;
}
