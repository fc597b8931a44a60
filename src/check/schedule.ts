// fast-check drives the same models as the explorer. A schedule is a sequence of choices among
// the enabled actions (choice k picks action k mod n), so running it is deterministic, a failure
// replays exactly, and fast-check shrinks it towards fewer and earlier choices: a minimal
// failing schedule.

import fc from 'fast-check';
import type { AnyModel } from '../core/model.ts';
import { withDefaults } from '../core/model.ts';
import type { Run, TraceStep } from '../explore/path.ts';

export type Schedule = readonly number[];

export interface ScheduleOptions {
  /** Longest schedule generated (default 40). */
  readonly depthMax?: number;
}

/** An arbitrary of schedules for `model`. Choices are small naturals so that shrinking them
 * towards 0 means "the first enabled action", which keeps shrunk schedules readable. */
export function scheduleArbitrary(options: ScheduleOptions = {}): fc.Arbitrary<Schedule> {
  // size 'max': lengths up to depthMax (fast-check's default 'small' size stops near 10 steps).
  return fc.array(fc.noBias(fc.nat({ max: 1 << 16 })), { maxLength: options.depthMax ?? 40, size: 'max' });
}

export interface ScheduleFailure {
  readonly property: string;
  readonly kind: 'invariant' | 'deadlock';
  readonly message: string;
  /** The run up to and including the failing step. */
  readonly run: Run;
  /** The choices actually made, as indices into each state's enabled actions (choice mod n),
   * so equal runs have equal schedules; trailing unused choices are removed. */
  readonly schedule: Schedule;
}

export interface ScheduleOutcome {
  readonly run: Run;
  readonly failure: ScheduleFailure | undefined;
  /** Names of `sometimes` witnesses that held in some state of the run. */
  readonly witnesses: readonly string[];
}

/** Runs a schedule from initial state 0, checking every invariant in every state. Stops at the
 * first failure, when nothing is enabled, or when the schedule ends. */
export function runSchedule(given: AnyModel, schedule: Schedule, options: { checkDeadlock?: boolean } = {}): ScheduleOutcome {
  const model = withDefaults(given);
  let state = model.init[0];
  const steps: TraceStep[] = [];
  const taken: number[] = [];
  const seen = new Set<string>();
  const observe = (s: unknown) => {
    for (const w of model.sometimes) if (!seen.has(w.name) && w.holds(s)) seen.add(w.name);
  };
  const fail = (property: string, kind: 'invariant' | 'deadlock', message: string): ScheduleOutcome => {
    const run = { initIndex: 0, init: model.init[0], steps };
    return { run, failure: { property, kind, message, run, schedule: taken }, witnesses: [...seen] };
  };
  const broken = (s: unknown) => {
    for (const inv of model.invariants) {
      const message = inv.check(s);
      if (message !== undefined) return { name: inv.name, message };
    }
    return undefined;
  };
  let bad = broken(state);
  if (bad !== undefined) return fail(bad.name, 'invariant', bad.message);
  observe(state);
  for (const choice of schedule) {
    const actions = model.actions(state);
    if (actions.length === 0) {
      if ((options.checkDeadlock ?? false) && !model.isFinal(state)) {
        return fail('deadlock', 'deadlock', 'no action is enabled and the model does not consider this state final');
      }
      break;
    }
    const action = actions[choice % actions.length];
    taken.push(choice % actions.length);
    state = model.step(state, action);
    steps.push({ action, label: model.describe(action), state });
    bad = broken(state);
    if (bad !== undefined) return fail(bad.name, 'invariant', bad.message);
    observe(state);
  }
  return { run: { initIndex: 0, init: model.init[0], steps }, failure: undefined, witnesses: [...seen] };
}
