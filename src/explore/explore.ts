// The bounded-state explorer: breadth-first (shortest counterexamples) or depth-first with a
// depth bound. Every reached state is checked against every invariant; `sometimes` witnesses
// are recorded; a state with nothing enabled is a deadlock unless the model calls it final.
//
// Statistics follow TLC so results compare one to one: distinct states, total states (the
// initial states plus every successor generated, duplicates included), depth (initial states
// at depth 1). The status is honest: `holds` only when the reachable space was exhausted.

import type { AnyModel } from '../core/model.ts';
import { InputError } from '../core/model.ts';
import { fingerprintInto, fingerprintRemembering, forgetSubtrees } from '../core/fingerprint.ts';
import { StateStore } from './state-store.ts';
import { replayPath, type Run } from './path.ts';

export type Strategy = 'bfs' | 'dfs';
export type Status = 'holds' | 'bounded' | 'violation';
export type Bound = 'depthMax' | 'statesMax' | 'timeLimit';

export interface ExploreOptions {
  readonly strategy?: Strategy;
  /** Deepest level explored; initial states are at depth 1. */
  readonly depthMax?: number;
  /** Stop after this many distinct states. */
  readonly statesMax?: number;
  /** Stop after this many milliseconds. */
  readonly timeLimitMs?: number;
  /** Report states with no enabled action that the model does not call final (default on). */
  readonly checkDeadlock?: boolean;
}

export interface Violation {
  readonly property: string;
  readonly kind: 'invariant' | 'deadlock';
  readonly message: string;
  /** Number of steps from the initial state. */
  readonly steps: number;
  readonly path: readonly number[];
  readonly run: Run;
}

export interface WitnessReport {
  readonly name: string;
  readonly reached: boolean;
  /** Depth of the first state found satisfying it (shortest under BFS). */
  readonly depth?: number;
  readonly path?: readonly number[];
}

export interface ExploreResult {
  readonly strategy: Strategy;
  readonly status: Status;
  /** Bounds that cut the search (empty when the space was exhausted or a violation stopped it). */
  readonly boundsHit: readonly Bound[];
  readonly distinctStates: number;
  readonly totalStates: number;
  readonly depth: number;
  readonly elapsedMs: number;
  readonly statesPerSecond: number;
  /** Bytes of the visited-state store divided by the distinct states it holds. */
  readonly bytesPerState: number;
  readonly storeBytes: number;
  /** TLC's optimistic estimate of a fingerprint collision: n²/2⁶⁵ for n distinct states. */
  readonly collisionProbability: number;
  readonly violations: readonly Violation[];
  readonly witnesses: readonly WitnessReport[];
}

const TIME_CHECK_INTERVAL = 1024;

/** Explores the reachable states of `model` and checks its properties. */
export function explore(model: AnyModel, options: ExploreOptions = {}): ExploreResult {
  validateOptions(options);
  const search = new Search(model, options);
  try {
    if (options.strategy === 'dfs') search.dfs();
    else search.bfs();
  } catch (e) {
    throw search.modelError(e);
  } finally {
    forgetSubtrees();
  }
  return search.result();
}

/** The model's own code threw while being explored: a bug in the model (or in faultline), not a
 * protocol violation. Carries the run to the state being expanded and the action that failed. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    message: string,
    readonly run: Run | undefined,
    readonly failingAction: string | undefined,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

function validateOptions(o: ExploreOptions): void {
  for (const [name, v] of [
    ['depthMax', o.depthMax],
    ['statesMax', o.statesMax],
    ['timeLimitMs', o.timeLimitMs],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
      throw new RangeError(`${name} must be a positive number, got ${v}`);
    }
  }
}

class Search {
  private readonly store = new StateStore();
  private readonly fp = new Int32Array(2);
  private readonly depthMax: number;
  private readonly statesMax: number;
  private readonly deadline: number;
  private readonly checkDeadlock: boolean;
  private readonly started = performance.now();
  private readonly witnessAt: number[];
  private readonly boundsHit = new Set<Bound>();
  private violation: { property: string; kind: 'invariant' | 'deadlock'; message: string; index: number } | undefined;
  private totalStates = 0;
  private maxDepth = 0;
  private sinceTimeCheck = 0;
  private stopped = false;
  /** The state being expanded and the action being taken, for ModelError (-1: none). */
  private at = -1;
  private atAction = -1;
  /** DFS states not expanded because of depthMax that had a new successor at the time. */
  private readonly cutStates: { state: unknown; index: number }[] = [];
  /** Index of the state whose sub-object hashes are remembered, or -1, and its fingerprint. */
  private remembered = -1;
  private rememberedHigh = 0;
  private rememberedLow = 0;

  constructor(
    private readonly model: AnyModel,
    private readonly options: ExploreOptions,
  ) {
    this.depthMax = options.depthMax ?? Infinity;
    this.statesMax = options.statesMax ?? Infinity;
    this.deadline = options.timeLimitMs === undefined ? Infinity : this.started + options.timeLimitMs;
    this.checkDeadlock = options.checkDeadlock ?? true;
    this.witnessAt = model.sometimes.map(() => -1);
  }

  bfs(): void {
    const roots = this.visitInitialStates();
    let levelStates = roots.map((x) => x.state);
    let levelIndices = roots.map((x) => x.index);
    while (levelStates.length > 0 && !this.stopped) {
      const nextStates: unknown[] = [];
      const nextIndices: number[] = [];
      for (let k = 0; k < levelStates.length && !this.stopped; k++) {
        const state = levelStates[k];
        // The level's states are not needed once expanded: let them be collected.
        levelStates[k] = undefined;
        this.expand(state, levelIndices[k], nextStates, nextIndices);
      }
      levelStates = nextStates;
      levelIndices = nextIndices;
    }
  }

  dfs(): void {
    // Explicit stack: the state, its index and its enabled actions with the next to try.
    const roots = this.visitInitialStates();
    for (const root of roots) {
      if (this.stopped) break;
      this.dfsFrom(root.state, root.index);
    }
    if (!this.stopped) this.settleCutStates();
    else if (this.cutStates.length > 0) this.boundsHit.add('depthMax');
  }

  private dfsFrom(rootState: unknown, rootIndex: number): void {
    const states: unknown[] = [];
    const indices: number[] = [];
    const pending: (readonly unknown[])[] = [];
    const positions: number[] = [];
    const push = (state: unknown, index: number): void => {
      const actions = this.enabledAt(state, index);
      states.push(state);
      indices.push(index);
      pending.push(actions);
      positions.push(0);
    };
    push(rootState, rootIndex);
    while (states.length > 0 && !this.stopped) {
      const top = states.length - 1;
      const actions = pending[top];
      const pos = positions[top];
      if (pos >= actions.length) {
        states.pop();
        indices.pop();
        pending.pop();
        positions.pop();
        continue;
      }
      positions[top] = pos + 1;
      if (this.remembered !== indices[top]) this.rememberSubtrees(states[top], indices[top]);
      this.at = indices[top];
      this.atAction = pos;
      const next = this.model.step(states[top], actions[pos]);
      const index = this.visitSuccessor(next, states[top], indices[top], pos, true);
      this.atAction = -1;
      if (index >= 0) push(next, index);
    }
  }

  /** Enabled actions of a state about to be expanded, after the deadlock and depth checks;
   * an empty list means "do not expand". */
  private enabledAt(state: unknown, index: number): readonly unknown[] {
    if (this.stopped) return [];
    this.at = index;
    this.atAction = -1;
    const actions = this.model.actions(state);
    if (actions.length === 0) {
      this.checkDeadlockAt(state, index);
      return actions;
    }
    if (this.store.depth[index] >= this.depthMax) {
      this.noteDepthBoundary(state, index, actions);
      return [];
    }
    return actions;
  }

  /** Generates the successors of a BFS state; new ones go to nextStates/nextIndices. */
  private expand(state: unknown, index: number, nextStates: unknown[], nextIndices: number[]): void {
    const actions = this.enabledAt(state, index);
    if (actions.length === 0) return;
    this.rememberSubtrees(state, index);
    const model = this.model;
    for (let pos = 0; pos < actions.length && !this.stopped; pos++) {
      this.atAction = pos;
      const next = model.step(state, actions[pos]);
      const nextIndex = this.visitSuccessor(next, state, index, pos, false);
      if (nextIndex >= 0) {
        nextStates.push(next);
        nextIndices.push(nextIndex);
      }
    }
  }

  private visitInitialStates(): { state: unknown; index: number }[] {
    const out: { state: unknown; index: number }[] = [];
    this.model.init.forEach((state, i) => {
      if (this.stopped) return;
      this.totalStates++;
      this.fingerprint(state);
      if (this.atStatesMax()) return;
      const index = this.store.insert(this.fp[0], this.fp[1], -1, i, 1);
      if (index < 0) return;
      this.maxDepth = Math.max(this.maxDepth, 1);
      out.push({ state, index });
      this.checkNewState(state, index);
    });
    return out;
  }

  /** Records a generated successor. Returns its index when it must be expanded, else -1.
   * Under DFS with a depth bound a state first reached deep is re-expanded when found again
   * at a shallower depth, so the bound does not hide states within it. */
  private visitSuccessor(
    next: unknown,
    parentState: unknown,
    parent: number,
    action: number,
    revisitShallower: boolean,
  ): number {
    this.totalStates++;
    // A step that changes nothing (TwoPhase's RMRcvAbortMsg by an RM already aborted) yields
    // the parent itself, which is stored: no need to hash it or look it up.
    if (next === parentState) return -1;
    this.fingerprint(next);
    if (parent === this.remembered && this.fp[0] === this.rememberedHigh && this.fp[1] === this.rememberedLow) return -1;
    if (this.atStatesMax()) return -1;
    const store = this.store;
    const depth = store.depth[parent] + 1;
    if (revisitShallower && this.depthMax !== Infinity) {
      const inserted = store.insert(this.fp[0], this.fp[1], parent, action, depth);
      if (inserted < 0) {
        const existing = -inserted - 1;
        if (store.depth[existing] <= depth) return -1;
        store.depth[existing] = depth;
        store.parent[existing] = parent;
        store.action[existing] = action;
        return existing;
      }
      return this.visitNew(next, inserted, depth);
    }
    // Most successors were seen before: `add` answers that without looking up their index.
    const added = store.add(this.fp[0], this.fp[1], parent, action, depth);
    return added < 0 ? -1 : this.visitNew(next, added, depth);
  }

  private visitNew(next: unknown, inserted: number, depth: number): number {
    if (depth > this.maxDepth) this.maxDepth = depth;
    this.checkNewState(next, inserted);
    this.checkLimits();
    return this.stopped && this.violation !== undefined ? -1 : inserted;
  }

  private checkNewState(state: unknown, index: number): void {
    for (const inv of this.model.invariants) {
      const message = inv.check(state);
      if (message !== undefined) {
        this.violation = { property: inv.name, kind: 'invariant', message, index };
        this.stopped = true;
        return;
      }
    }
    const witnesses = this.model.sometimes;
    for (let w = 0; w < witnesses.length; w++) {
      if (this.witnessAt[w] < 0 && witnesses[w].holds(state)) this.witnessAt[w] = index;
    }
  }

  private checkDeadlockAt(state: unknown, index: number): void {
    if (!this.checkDeadlock || this.violation !== undefined) return;
    if (this.model.isFinal?.(state) ?? false) return;
    this.violation = {
      property: 'deadlock',
      kind: 'deadlock',
      message: 'no action is enabled and the model does not consider this state final',
      index,
    };
    this.stopped = true;
  }

  /** At the depth bound: the bound cut the search only if some successor is a new state. */
  /** At the depth bound: the bound cut the search only if some successor is a new state.
   * Under BFS every state within the bound is already stored when the last level is expanded,
   * so the answer is final. Under DFS a successor may still be found later through a shorter
   * path, so the cut state is kept and checked again when the search ends. */
  private noteDepthBoundary(state: unknown, index: number, actions: readonly unknown[]): void {
    if (this.boundsHit.has('depthMax')) return;
    if (this.hasNewSuccessor(state, actions)) {
      if (this.options.strategy === 'dfs') this.cutStates.push({ state, index });
      else this.boundsHit.add('depthMax');
    }
  }

  private hasNewSuccessor(state: unknown, actions: readonly unknown[]): boolean {
    for (const action of actions) {
      this.fingerprint(this.model.step(state, action));
      if (this.store.find(this.fp[0], this.fp[1]) < 0) return true;
    }
    return false;
  }

  /** DFS: a cut state still at the bound with a successor never stored means the bound hid
   * states (one re-expanded at a shallower depth had its successors explored). */
  settleCutStates(): void {
    for (const { state, index } of this.cutStates) {
      if (this.boundsHit.has('depthMax')) break;
      if (this.store.depth[index] < this.depthMax) continue;
      if (this.hasNewSuccessor(state, this.model.actions(state))) this.boundsHit.add('depthMax');
    }
    this.cutStates.length = 0;
  }


  /** With the store full, a state not yet seen means the bound cuts the search. */
  private atStatesMax(): boolean {
    if (this.store.size < this.statesMax) return false;
    if (this.store.find(this.fp[0], this.fp[1]) < 0) {
      this.boundsHit.add('statesMax');
      this.stopped = true;
    }
    return true;
  }

  private checkLimits(): void {
    if (++this.sinceTimeCheck >= TIME_CHECK_INTERVAL) {
      this.sinceTimeCheck = 0;
      if (performance.now() >= this.deadline) {
        this.boundsHit.add('timeLimit');
        this.stopped = true;
      }
    }
  }

  /** Successors share sub-objects with the state they come from: remember its sub-object
   * hashes so that only what a step changed is hashed again. */
  private rememberSubtrees(state: unknown, index: number): void {
    const canonical = this.model.canonical;
    fingerprintRemembering(canonical === undefined ? state : canonical.call(this.model, state), this.fp);
    this.remembered = index;
    this.rememberedHigh = this.fp[0];
    this.rememberedLow = this.fp[1];
  }

  private fingerprint(state: unknown): void {
    const canonical = this.model.canonical;
    fingerprintInto(canonical === undefined ? state : canonical.call(this.model, state), this.fp);
  }

  /** Wraps an exception thrown by the model's code with the run that led to it. */
  modelError(e: unknown): unknown {
    if (e instanceof InputError || e instanceof ModelError) return e;
    const message = e instanceof Error ? e.message : String(e);
    if (this.at < 0) return new ModelError(`the model threw while building its initial states: ${message}`, undefined, undefined, e);
    let run: Run | undefined;
    let failingAction: string | undefined;
    try {
      run = replayPath(this.model, this.store.pathTo(this.at));
      const state = run.steps.length === 0 ? run.init : run.steps[run.steps.length - 1].state;
      if (this.atAction >= 0) failingAction = this.model.describe(this.model.actions(state)[this.atAction]);
    } catch {
      // the run itself cannot be rebuilt: report the message alone
    }
    const where = failingAction === undefined ? 'while computing the enabled actions of a state' : `while taking "${failingAction}"`;
    return new ModelError(`the model threw ${where}: ${message}`, run, failingAction, e);
  }

  result(): ExploreResult {
    const elapsedMs = performance.now() - this.started;
    const distinct = this.store.size;
    const v = this.violation;
    const violations: Violation[] = [];
    if (v !== undefined) {
      const path = this.store.pathTo(v.index);
      violations.push({ ...v, steps: path.length - 1, path, run: replayPath(this.model, path) });
    }
    const status: Status = v !== undefined ? 'violation' : this.boundsHit.size > 0 ? 'bounded' : 'holds';
    return {
      strategy: this.options.strategy ?? 'bfs',
      status,
      boundsHit: v !== undefined ? [] : [...this.boundsHit],
      distinctStates: distinct,
      totalStates: this.totalStates,
      depth: this.maxDepth,
      elapsedMs,
      statesPerSecond: elapsedMs > 0 ? Math.round((distinct / elapsedMs) * 1000) : distinct,
      bytesPerState: distinct > 0 ? this.store.bytes / distinct : 0,
      storeBytes: this.store.bytes,
      collisionProbability: (distinct * distinct) / 2 ** 65,
      violations,
      witnesses: this.model.sometimes.map((w, i) => this.witnessReport(w.name, this.witnessAt[i])),
    };
  }

  private witnessReport(name: string, index: number): WitnessReport {
    if (index < 0) return { name, reached: false };
    return { name, reached: true, depth: this.store.depth[index], path: this.store.pathTo(index) };
  }
}
