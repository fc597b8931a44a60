// Refinement: model A refines model B under a mapping f when f maps every initial state of A
// to an initial state of B, and every reachable step s -> t of A to a step f(s) -> f(t) of B
// or to a stutter f(s) = f(t) (TLA+'s "Spec_A => Spec_B" with a refinement mapping, checked
// state by state as TLC checks an implementation against an INSTANCE).

import type { AnyCompleteModel, AnyModel } from '../core/model.ts';
import { withDefaults } from '../core/model.ts';
import { canonicalJson } from '../core/data.ts';
import { runJob, Traversal, type Bound, type SearchJob, type SearchLimits } from './traverse.ts';
import { replayPath, type Run } from './path.ts';

/** Bounds as for the explorer (breadth-first only); `statesMax` defaults to 2,000,000. */
export type RefinementOptions = Omit<SearchLimits, 'strategy'>;

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
  /** False when a bound cut the search: no failure found, but not proven. */
  readonly complete: boolean;
  readonly boundsHit: readonly Bound[];
  readonly distinctStates: number;
  /** Initial states plus every step of A generated (TLC's total states). */
  readonly totalStates: number;
  readonly depth: number;
  readonly stepsChecked: number;
  readonly stutters: number;
  readonly elapsedMs: number;
  readonly failure?: RefinementFailure;
}

export function checkRefinement(impl: AnyModel, spec: AnyModel, mapping: (state: unknown) => unknown, options: RefinementOptions = {}): RefinementResult {
  return runJob(refinementJob(impl, spec, mapping, options));
}

export function refinementJob(impl: AnyModel, spec: AnyModel, mapping: (state: unknown) => unknown, options: RefinementOptions = {}): SearchJob<RefinementResult> {
  return new Refinement(withDefaults(impl), withDefaults(spec), mapping, options);
}

/** A visitor of the one traversal of A: each initial state and each generated step is
 * checked against B. */
class Refinement implements SearchJob<RefinementResult> {
  readonly traversal: Traversal;
  private readonly specInit: Set<string>;
  private readonly cache = new Map<string, Set<string>>();
  private steps = 0;
  /** The image of the state being expanded (edges come one expanded state at a time). */
  private lastFrom = -1;
  private before: unknown;
  private beforeKey = '';
  private stutters = 0;
  private failure: { path: number[]; message: string; before: unknown; after: unknown } | undefined;

  constructor(
    private readonly impl: AnyCompleteModel,
    private readonly spec: AnyCompleteModel,
    private readonly mapping: (state: unknown) => unknown,
    options: RefinementOptions,
  ) {
    this.specInit = new Set(spec.init.map((s) => canonicalJson(s)));
    this.traversal = new Traversal(impl, {
      visit: (state, index) => this.checkInitial(state, index),
      edge: (from, k, action, next, _to, state) => this.checkStep(from, k, action, next, state),
    }, { ...options, strategy: 'bfs', statesMax: options.statesMax ?? 2_000_000 });
  }

  private checkInitial(state: unknown, index: number): boolean {
    if (this.traversal.store.parent[index] !== -1) return false;
    const image = this.mapping(state);
    if (this.specInit.has(canonicalJson(image))) return false;
    const i = this.traversal.store.action[index];
    this.failure = { path: [i], message: `initial state ${i} maps to ${canonicalJson(image)}, not an initial state of the specification`, before: image, after: image };
    return true;
  }

  private checkStep(from: number, k: number, action: unknown, next: unknown, state: unknown): boolean {
    const t = this.traversal;
    if (from !== this.lastFrom) {
      this.lastFrom = from;
      this.before = this.mapping(state);
      this.beforeKey = canonicalJson(this.before);
    }
    const { before, beforeKey } = this;
    const after = this.mapping(next);
    const afterKey = canonicalJson(after);
    this.steps++;
    if (afterKey === beforeKey) {
      this.stutters++;
      return false;
    }
    if (this.specSuccessors(before, beforeKey).has(afterKey)) return false;
    this.failure = {
      path: [...t.pathTo(from), k],
      message: `step "${this.impl.describe(action)}" maps to a change the specification does not allow`,
      before,
      after,
    };
    return true;
  }

  private specSuccessors(s: unknown, key: string): Set<string> {
    let out = this.cache.get(key);
    if (out === undefined) {
      out = new Set(this.spec.actions(s).map((a) => canonicalJson(this.spec.step(s, a))));
      this.cache.set(key, out);
    }
    return out;
  }

  result(): RefinementResult {
    const t = this.traversal;
    const f = this.failure;
    return {
      refines: f === undefined,
      complete: f !== undefined || t.boundsHit.size === 0,
      boundsHit: f === undefined ? [...t.boundsHit] : [],
      distinctStates: t.store.size,
      totalStates: t.totalStates,
      depth: t.maxDepth,
      stepsChecked: this.steps,
      stutters: this.stutters,
      elapsedMs: t.elapsedMs,
      ...(f === undefined ? {} : { failure: { run: replayPath(this.impl, f.path), path: f.path, message: f.message, abstractBefore: f.before, abstractAfter: f.after } }),
    };
  }
}
