// "Search from here": a breadth-first search from the state a path reaches, for the nearest
// state that violates an invariant (or deadlocks), satisfies a chosen `sometimes` witness, or is
// stuck (the liveness engine's notion: the goal does not hold and only faults are enabled). It
// is the one traversal (src/explore/traverse.ts) with a visitor of its own, over the model with
// that state as its only initial state, so canonicalisation and bounds are the explorer's. It
// runs in slices so the server keeps answering (and Ctrl-C is heard) while it works, and it
// says honestly whether "not found" means "not reachable" or "not within the bound".

import type { AnyCompleteModel } from '../core/model.ts';
import { InputError } from '../core/model.ts';
import { Traversal, type Bound, type Interrupt, type Visitor } from '../explore/traverse.ts';
import type { Instance } from '../verify/index.ts';
import { walk } from './session.ts';

/** Distinct states a search from the page explores at most, unless the server is told otherwise. */
export const SEARCH_STATES_MAX = 200_000;
/** And for at most this long. */
export const SEARCH_TIME_LIMIT_MS = 60_000;

export type SearchTarget =
  | { readonly kind: 'violation' }
  | { readonly kind: 'witness'; readonly name: string }
  | { readonly kind: 'stuck' };

export interface SearchOutcome {
  readonly found: boolean;
  /** The path extended to the state found (only when found). */
  readonly path?: readonly number[];
  /** Steps added to the path (0: the current state is already one). */
  readonly steps?: number;
  /** What was found or why nothing was, in words. */
  readonly message: string;
  readonly distinctStates: number;
  /** Whether the reachable space from here was exhausted (a "not found" is then definitive). */
  readonly exhausted: boolean;
  readonly boundsHit: readonly Bound[];
  readonly elapsedMs: number;
}

export interface SearchLimitsUi {
  readonly statesMax?: number;
  readonly timeLimitMs?: number;
  readonly signal?: Interrupt;
}

/** Checks a target sent by the page; throws an InputError naming the valid choices. */
export function parseTarget(model: AnyCompleteModel, data: unknown): SearchTarget {
  const kind = isRecord(data) ? data.kind : undefined;
  if (kind === 'violation' || kind === 'stuck') return { kind };
  if (kind === 'witness') {
    const name = (data as Record<string, unknown>).name;
    const names = model.sometimes.map((w) => w.name);
    if (typeof name !== 'string' || !names.includes(name)) {
      throw new InputError(`no witness named ${JSON.stringify(name)} (witnesses: ${names.join(', ') || '(none)'})`);
    }
    return { kind, name };
  }
  throw new InputError('a search target is {"kind":"violation"}, {"kind":"stuck"} or {"kind":"witness","name":…}');
}

/** What a visitor found: the index of the state, and why it is the target. */
interface Hit {
  index: number;
  /** A step invariant broken by this step out of the state `index`. */
  k?: number;
  why: string;
}

function visitorFor(model: AnyCompleteModel, target: SearchTarget, checkDeadlock: boolean, hit: { value?: Hit }): Visitor {
  switch (target.kind) {
    case 'violation':
      return {
        visit: (state, index) => {
          for (const inv of model.invariants) {
            const message = inv.check(state);
            if (message !== undefined) {
              hit.value = { index, why: `${inv.name} violated: ${message}` };
              return true;
            }
          }
          return false;
        },
        ...(model.stepInvariants.length > 0
          ? {
              edge: (from: number, k: number, action: unknown, next: unknown, _to: number, before: unknown) => {
                for (const inv of model.stepInvariants) {
                  const message = inv.check(before, action, next);
                  if (message === undefined) continue;
                  hit.value = { index: from, k, why: `${inv.name} violated: ${message}` };
                  return true;
                }
                return false;
              },
            }
          : {}),
        ...(checkDeadlock
          ? {
              expanding: (state: unknown, index: number, actions: readonly unknown[]) => {
                if (actions.length > 0 || model.isFinal(state)) return false;
                hit.value = { index, why: 'deadlock: no action is enabled and the model does not consider this state final' };
                return true;
              },
            }
          : {}),
      };
    case 'witness': {
      const witness = model.sometimes.find((w) => w.name === target.name)!;
      return {
        visit: (state, index) => {
          if (!witness.holds(state)) return false;
          hit.value = { index, why: `${witness.name} holds` };
          return true;
        },
      };
    }
    case 'stuck':
      return {
        visit: () => false,
        expanding: (state, index, actions) => {
          if (model.goal(state) || !actions.every((a) => model.isFault(a) || !model.isFair(a))) return false;
          hit.value = { index, why: 'stuck: the goal does not hold and only faults (or actions not assumed fair) are enabled' };
          return true;
        },
      };
  }
}

function targetWords(target: SearchTarget, checkDeadlock: boolean): string {
  switch (target.kind) {
    case 'violation':
      return checkDeadlock ? 'violation (of an invariant, or a deadlock)' : 'violation of an invariant';
    case 'witness':
      return `state where ${target.name} holds`;
    case 'stuck':
      return 'stuck state';
  }
}

/** Breadth-first from the end of `path` to the nearest state that meets `target`. */
export async function searchFrom(instance: Instance, path: readonly number[], target: SearchTarget, limits: SearchLimitsUi = {}): Promise<SearchOutcome> {
  const model = instance.model;
  const w = walk(model, path);
  const start = w.states[w.states.length - 1];
  // Still a complete model (the spread keeps every hook), with one initial state: here.
  const fromHere: AnyCompleteModel = { ...model, init: [start] };
  const checkDeadlock = instance.variant.checkDeadlock ?? true;
  const hit: { value?: Hit } = {};
  const statesMax = limits.statesMax ?? SEARCH_STATES_MAX;
  const traversal = new Traversal(fromHere, visitorFor(model, target, checkDeadlock, hit), {
    strategy: 'bfs',
    statesMax,
    timeLimitMs: limits.timeLimitMs ?? SEARCH_TIME_LIMIT_MS,
    ...(limits.signal === undefined ? {} : { signal: limits.signal }),
  });
  while (!traversal.runFor(50)) await new Promise<void>((resolve) => setImmediate(resolve));
  const stats = { distinctStates: traversal.store.size, elapsedMs: Math.round(traversal.elapsedMs) };
  const searched = `${stats.distinctStates.toLocaleString('en-US')} states searched`;
  const found = hit.value;
  if (found !== undefined) {
    const extra = [...traversal.pathTo(found.index).slice(1), ...(found.k === undefined ? [] : [found.k])];
    const where = extra.length === 0 ? 'here' : `${extra.length} step${extra.length === 1 ? '' : 's'} on`;
    return { found: true, path: [...path, ...extra], steps: extra.length, message: `${found.why} (${where}; ${searched})`, exhausted: false, boundsHit: [], ...stats };
  }
  const bounds = [...traversal.boundsHit];
  const what = targetWords(target, checkDeadlock);
  const message = bounds.length === 0
    ? `no ${what} is reachable from here (all ${stats.distinctStates.toLocaleString('en-US')} states reachable from here were searched)`
    : `no ${what} found within ${bounds.includes('statesMax') ? `${statesMax.toLocaleString('en-US')} states` : searched} (search cut by ${bounds.join(', ')})`;
  return { found: false, message, exhausted: bounds.length === 0, boundsHit: bounds, ...stats };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
