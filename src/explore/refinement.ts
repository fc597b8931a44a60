// Refinement: model A refines model B under a mapping f when f maps every initial state of A
// to an initial state of B, and every reachable step s -> t of A to a step f(s) -> f(t) of B
// or to a stutter f(s) = f(t) (TLA+'s "Spec_A => Spec_B" with a refinement mapping, checked
// state by state as TLC checks an implementation against an INSTANCE).

import type { AnyModel } from '../core/model.ts';
import { canonicalJson } from '../core/data.ts';
import { fingerprintInto } from '../core/fingerprint.ts';
import { StateStore } from './state-store.ts';
import { replayPath, type Run } from './path.ts';

export interface RefinementOptions {
  readonly statesMax?: number;
}

export interface RefinementFailure {
  /** The run of A up to and including the step that has no matching step in B. */
  readonly run: Run;
  readonly path: readonly number[];
  readonly message: string;
  readonly abstractBefore: unknown;
  readonly abstractAfter: unknown;
}

export interface RefinementResult {
  readonly refines: boolean;
  /** False when the state bound cut the search: no failure found, but not proven. */
  readonly complete: boolean;
  readonly distinctStates: number;
  readonly stepsChecked: number;
  readonly stutters: number;
  readonly failure?: RefinementFailure;
}

export function checkRefinement(
  impl: AnyModel,
  spec: AnyModel,
  mapping: (state: unknown) => unknown,
  options: RefinementOptions = {},
): RefinementResult {
  const statesMax = options.statesMax ?? 2_000_000;
  const specInit = new Set(spec.init.map((s) => canonicalJson(s)));
  const store = new StateStore();
  const fp = new Int32Array(2);
  let frontier: { state: unknown; index: number }[] = [];
  for (const [i, s] of impl.init.entries()) {
    fingerprintInto(s, fp);
    const index = store.insert(fp[0], fp[1], -1, i, 1);
    if (index < 0) continue;
    if (!specInit.has(canonicalJson(mapping(s)))) {
      const path = [i];
      return fail(impl, path, `initial state ${i} maps to ${canonicalJson(mapping(s))}, not an initial state of the specification`, mapping(s), mapping(s), store.size, 0, 0);
    }
    frontier.push({ state: s, index });
  }
  let steps = 0;
  let stutters = 0;
  let complete = true;
  const cache = new Map<string, Set<string>>();
  while (frontier.length > 0) {
    const next: { state: unknown; index: number }[] = [];
    for (const { state, index } of frontier) {
      const before = mapping(state);
      const beforeKey = canonicalJson(before);
      const allowed = specSuccessors(spec, before, beforeKey, cache);
      for (const [k, action] of impl.actions(state).entries()) {
        const t = impl.step(state, action);
        const after = mapping(t);
        const afterKey = canonicalJson(after);
        steps++;
        if (afterKey === beforeKey) stutters++;
        else if (!allowed.has(afterKey)) {
          const path = [...store.pathTo(index), k];
          return fail(impl, path, `step "${impl.describe(action)}" maps to a change the specification does not allow`, before, after, store.size, steps, stutters);
        }
        fingerprintInto(t, fp);
        if (store.find(fp[0], fp[1]) >= 0) continue;
        if (store.size >= statesMax) {
          complete = false;
          continue;
        }
        next.push({ state: t, index: store.insert(fp[0], fp[1], index, k, store.depth[index] + 1) });
      }
    }
    frontier = next;
  }
  return { refines: true, complete, distinctStates: store.size, stepsChecked: steps, stutters };
}

function specSuccessors(spec: AnyModel, s: unknown, key: string, cache: Map<string, Set<string>>): Set<string> {
  let out = cache.get(key);
  if (out === undefined) {
    out = new Set(spec.actions(s).map((a) => canonicalJson(spec.step(s, a))));
    cache.set(key, out);
  }
  return out;
}

function fail(
  impl: AnyModel,
  path: readonly number[],
  message: string,
  abstractBefore: unknown,
  abstractAfter: unknown,
  distinctStates: number,
  stepsChecked: number,
  stutters: number,
): RefinementResult {
  return {
    refines: false,
    complete: true,
    distinctStates,
    stepsChecked,
    stutters,
    failure: { run: replayPath(impl, path), path, message, abstractBefore, abstractAfter },
  };
}
