// The model author's contract, checked on the first states a search would visit: states are
// plain data (records, arrays, strings, finite numbers, booleans, null), `step` never changes
// the state it is given, and `actions` and `step` are deterministic (the same state gives the
// same actions in the same order, and the same successor). A model that breaks it makes the
// explorer silently wrong (a mutated state corrupts the visited set; a Map hashes as {}; a
// nondeterministic order makes saved traces replay to other runs), so it is reported at once,
// naming the model, the step and the field.

import type { AnyModel } from './model.ts';
import { canonicalJson } from './data.ts';

export interface LintProblem {
  readonly kind: 'not-plain-data' | 'mutates-input' | 'actions-nondeterministic' | 'step-nondeterministic';
  readonly message: string;
  /** The labels of the steps that reach the state where the problem shows. */
  readonly reachedBy: readonly string[];
}

/** The first value in `value` that is not plain data, as [field path, what it is]. */
export function firstNonPlain(value: unknown, at = 'state'): [string, string] | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : [at, String(value)];
  if (typeof value !== 'object') return [at, typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (value[i] === undefined) return [`${at}[${i}]`, 'undefined (an array hole)'];
      const bad = firstNonPlain(value[i], `${at}[${i}]`);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return [at, `a ${proto?.constructor?.name ?? 'class'} instance (use a plain record or a sorted array)`];
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue; // an absent optional field
    const bad = firstNonPlain(v, `${at}.${k}`);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/** The first field where two plain values differ, as a path. */
function firstDifference(a: unknown, b: unknown, at = 'state'): string | undefined {
  if (canonicalJson(a) === canonicalJson(b)) return undefined;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return at;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${at}[${i}]`);
      if (d !== undefined) return d;
    }
    return at;
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
    if (d !== undefined) return d;
  }
  return at;
}

/** Breadth-first over at most `statesMax` states, checking the contract on each. */
export function lintModel(model: AnyModel, name: string, statesMax = 300): LintProblem | undefined {
  const seen = new Set<string>();
  const queue: { state: unknown; reachedBy: readonly string[] }[] = model.init.map((state) => ({ state, reachedBy: [] }));
  const where = (reachedBy: readonly string[]) => (reachedBy.length === 0 ? 'an initial state' : `the state reached by ${reachedBy.join('; ')}`);
  while (queue.length > 0 && seen.size < statesMax) {
    const { state, reachedBy } = queue.shift()!;
    const bad = firstNonPlain(state);
    if (bad !== undefined) {
      return { kind: 'not-plain-data', reachedBy, message: `model '${name}': ${bad[0]} in ${where(reachedBy)} is ${bad[1]}; states must be plain data` };
    }
    const key = canonicalJson(state);
    if (seen.has(key)) continue;
    seen.add(key);
    const actions = model.actions(state);
    const again = model.actions(state);
    if (canonicalJson(actions) !== canonicalJson(again)) {
      return { kind: 'actions-nondeterministic', reachedBy, message: `model '${name}': actions() gave two different lists for ${where(reachedBy)} (${actions.map((a) => model.describe(a)).join('; ')} / ${again.map((a) => model.describe(a)).join('; ')}); the order must be deterministic` };
    }
    for (const action of actions) {
      const label = model.describe(action);
      const next = model.step(state, action);
      if (canonicalJson(state) !== key) {
        const field = firstDifference(JSON.parse(key), state) ?? 'state';
        return { kind: 'mutates-input', reachedBy, message: `model '${name}': the step "${label}" changed the state it was given, at ${field} (in ${where(reachedBy)}); a step must return a new state` };
      }
      const twice = model.step(state, action);
      if (canonicalJson(next) !== canonicalJson(twice)) {
        return { kind: 'step-nondeterministic', reachedBy, message: `model '${name}': the step "${label}" from ${where(reachedBy)} gave two different successors, first differing at ${firstDifference(next, twice)}` };
      }
      queue.push({ state: next, reachedBy: [...reachedBy, label] });
    }
  }
  return undefined;
}
