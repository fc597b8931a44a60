// A path is how the explorer names a run: the index of the initial state, then for each step
// the index of the action in the enabled-action list of the state it leaves. Replaying a path
// against the model rebuilds the states (stateright path.rs); a path that no longer fits the
// model fails loudly, naming the step.

import type { AnyModel } from '../core/model.ts';

export interface TraceStep {
  readonly action: unknown;
  readonly label: string;
  readonly state: unknown;
}

/** A run of a model: the initial state and each step's action and resulting state. */
export interface Run {
  readonly initIndex: number;
  readonly init: unknown;
  readonly steps: readonly TraceStep[];
}

/** path = [initIndex, actionIndex1, actionIndex2, ...] */
export function replayPath(model: AnyModel, path: readonly number[]): Run {
  const initIndex = path[0];
  if (initIndex === undefined || initIndex < 0 || initIndex >= model.init.length) {
    throw new Error(`path starts at initial state ${initIndex}, the model has ${model.init.length}`);
  }
  const init = model.init[initIndex];
  let state = init;
  const steps: TraceStep[] = [];
  for (let i = 1; i < path.length; i++) {
    const actions = model.actions(state);
    const action = actions[path[i]];
    if (action === undefined) {
      throw new Error(
        `path step ${i} picks action ${path[i]} but only ${actions.length} are enabled: the model is not deterministic`,
      );
    }
    state = model.step(state, action);
    steps.push({ action, label: model.describe(action), state });
  }
  return { initIndex, init, steps };
}

/** The state a run ends in. */
export function finalState(run: Run): unknown {
  return run.steps.length === 0 ? run.init : run.steps[run.steps.length - 1].state;
}
