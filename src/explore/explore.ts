// The bounded-state explorer: breadth-first (shortest counterexamples) or depth-first with a
// depth bound. Every reached state is checked against every invariant; `sometimes` witnesses
// are recorded; a state with nothing enabled is a deadlock unless the model calls it final.
//
// Statistics follow TLC so results compare one to one: distinct states, total states (the
// initial states plus every successor generated, duplicates included), depth (initial states
// at depth 1). The status is honest: `holds` only when the reachable space was exhausted.

import type { AnyCompleteModel, AnyModel } from '../core/model.ts';
import { withDefaults } from '../core/model.ts';
import { runJob, Traversal, type Bound, type SearchJob, type SearchLimits, type Strategy } from './traverse.ts';
import { replayPath, type Run } from './path.ts';

export type { Bound, Strategy } from './traverse.ts';
export { ModelError } from './traverse.ts';
export type Status = 'holds' | 'bounded' | 'violation';

export interface ExploreOptions extends SearchLimits {
  /** Report states with no enabled action that the model does not call final (default on). */
  readonly checkDeadlock?: boolean;
  /** The invariants this run is expected to violate (a planted bug: its property, and any it is
   * declared to break too). A state that violates one of them is recorded (the first, shortest,
   * one per property is reported) and not expanded, and the search goes on, so that an expected
   * violation cannot mask another: a state violating only other properties stops the search
   * and is reported after them. */
  readonly expectViolationOf?: readonly string[];
  /** How many more distinct states to explore, looking for other violations, once the
   * expected one is found (default: no limit). When it cuts, the bound is afterExpectedMax. */
  readonly afterExpectedMax?: number;
  /** Do not stop at a violation (TLC's -continue): every violating state is recorded and not
   * expanded, and the shortest violation of each property (and the first deadlock) is reported
   * once the search ends. */
  readonly continueAfterViolation?: boolean;
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
  /** Peak of the process's memory in use (V8 heap plus typed arrays) seen at the end of the
   * search, divided by the distinct states: what a state really costs, frontier included. */
  readonly processBytesPerState: number;
  /** TLC's optimistic estimate of a fingerprint collision: n²/2⁶⁵ for n distinct states (0 with
   * exact packed keys). */
  readonly collisionProbability: number;
  readonly violations: readonly Violation[];
  readonly witnesses: readonly WitnessReport[];
  /** Present when states were kept packed (the model declares a schema): bits per state, and
   * whether they are their own exact keys (at most 62 bits: no collision is possible). */
  readonly packed?: { readonly bits: number; readonly exactKeys: boolean };
  /** Present under --symmetry: what is interchangeable; distinctStates then counts orbits. */
  readonly symmetry?: { readonly ids: string; readonly size: number };
}

/** Explores the reachable states of `model` and checks its properties. */
export function explore(model: AnyModel, options: ExploreOptions = {}): ExploreResult {
  return runJob(new Exploration(withDefaults(model), options));
}

/** The explorer's visitor: every invariant on every new state, witnesses, deadlocks. */
export class Exploration implements SearchJob<ExploreResult> {
  readonly traversal: Traversal;
  private readonly checkDeadlock: boolean;
  private readonly witnessAt: number[];
  /** Violations in the order found: at most one of the expected property, then whatever
   * stopped the search. */
  private readonly found: { property: string; kind: 'invariant' | 'deadlock'; message: string; index: number; k?: number }[] = [];

  constructor(
    private readonly model: AnyCompleteModel,
    private readonly options: ExploreOptions,
  ) {
    this.checkDeadlock = options.checkDeadlock ?? true;
    this.witnessAt = model.sometimes.map(() => -1);
    this.traversal = new Traversal(model, {
      visit: (state, index) => this.checkNewState(state, index),
      ...(this.checkDeadlock ? { expanding: (state: unknown, index: number, actions: readonly unknown[]) => actions.length === 0 && this.deadlockAt(state, index) } : {}),
      // Step invariants are checked on every edge, including those to states already seen.
      ...(model.stepInvariants.length > 0 ? { edge: (from: number, k: number, action: unknown, next: unknown, _to: number, fromState: unknown) => this.checkStep(fromState, action, next, from, k) } : {}),
    }, options);
  }

  /** A step invariant broken by the step `k` of state `from` is reported with the path to
   * `from` and that step; under BFS the first edge found breaking a property is a shortest one.
   * Past an expected violation the search goes on without following the breaking step (as it
   * does not expand a state that breaks an expected invariant): its target is stored only if
   * another step reaches it, and then checked as any state. */
  private checkStep(before: unknown, action: unknown, after: unknown, from: number, k: number): boolean | 'skip' {
    let failed: { property: string; message: string }[] | undefined;
    for (const inv of this.model.stepInvariants) {
      const message = inv.check(before, action, after);
      if (message !== undefined) (failed ??= []).push({ property: inv.name, message });
    }
    if (failed === undefined) return false;
    const recorded = this.record(failed, from, k);
    return recorded === 'prune' ? 'skip' : recorded;
  }

  private checkNewState(state: unknown, index: number): boolean | 'prune' {
    let failed: { property: string; message: string }[] | undefined;
    for (const inv of this.model.invariants) {
      const message = inv.check(state);
      if (message !== undefined) (failed ??= []).push({ property: inv.name, message });
    }
    const witnesses = this.model.sometimes;
    for (let w = 0; w < witnesses.length; w++) {
      if (this.witnessAt[w] < 0 && witnesses[w].holds(state)) this.witnessAt[w] = index;
    }
    if (failed === undefined) return false;
    return this.record(failed, index);
  }

  /** Records what a state (or the step `k` out of it) broke: true stops the search, 'prune'
   * goes on past an expected violation. */
  private record(failed: readonly { property: string; message: string }[], index: number, k?: number): boolean | 'prune' {
    const expected = this.options.expectViolationOf ?? [];
    const continuing = this.options.continueAfterViolation === true;
    const step = k === undefined ? {} : { k };
    const hit = failed.find((f) => expected.includes(f.property));
    if (hit === undefined && !continuing) {
      this.found.push({ ...failed[0], kind: 'invariant', index, ...step });
      return true;
    }
    for (const f of continuing ? failed : [hit!]) {
      if (this.found.some((v) => v.property === f.property)) continue;
      this.found.push({ ...f, kind: 'invariant', index, ...step });
      const more = this.options.afterExpectedMax;
      if (!continuing && more !== undefined && this.found.length === 1) this.traversal.limitStates(this.traversal.distinctStates + more, 'afterExpectedMax');
    }
    return 'prune';
  }

  private deadlockAt(state: unknown, index: number): boolean {
    if (this.model.isFinal(state)) return false;
    const continuing = this.options.continueAfterViolation === true;
    if (continuing && this.found.some((v) => v.kind === 'deadlock')) return false;
    this.found.push({
      property: 'deadlock',
      kind: 'deadlock',
      message: 'no action is enabled and the model does not consider this state final',
      index,
    });
    return !continuing;
  }

  result(): ExploreResult {
    const t = this.traversal;
    const elapsedMs = t.elapsedMs;
    const distinct = t.distinctStates;
    const violations: Violation[] = this.found.map(({ k, ...v }) => {
      const path = k === undefined ? t.pathTo(v.index) : [...t.pathTo(v.index), k];
      return { ...v, steps: path.length - 1, path, run: replayPath(this.model, path) };
    });
    const expected = this.options.expectViolationOf ?? [];
    const stoppedByViolation = this.options.continueAfterViolation !== true && violations.some((v) => !expected.includes(v.property));
    const status: Status = violations.length > 0 ? 'violation' : t.boundsHit.size > 0 ? 'bounded' : 'holds';
    const memory = process.memoryUsage();
    return {
      strategy: this.options.strategy ?? 'bfs',
      status,
      // A bound that cut the search for other violations past an expected one is kept.
      boundsHit: stoppedByViolation ? [] : [...t.boundsHit],
      distinctStates: distinct,
      totalStates: t.totalStates,
      depth: t.maxDepth,
      elapsedMs,
      statesPerSecond: elapsedMs > 0 ? Math.round((distinct / elapsedMs) * 1000) : distinct,
      bytesPerState: distinct > 0 ? t.storeBytes / distinct : 0,
      storeBytes: t.storeBytes,
      processBytesPerState: distinct > 0 ? (memory.heapUsed + memory.external) / distinct : 0,
      // Packed states of at most 62 bits are their own keys: no collision is possible.
      collisionProbability: t.codecInUse?.exact === true ? 0 : (distinct * distinct) / 2 ** 65,
      violations,
      witnesses: this.model.sometimes.map((w, i) => this.witnessReport(w.name, this.witnessAt[i])),
      ...(t.codecInUse === undefined ? {} : { packed: { bits: t.codecInUse.bits, exactKeys: t.codecInUse.exact } }),
      ...(this.options.symmetry === true && this.model.symmetry !== undefined ? { symmetry: { ids: this.model.symmetry.name, size: this.model.symmetry.size } } : {}),
    };
  }

  private witnessReport(name: string, index: number): WitnessReport {
    if (index < 0) return { name, reached: false };
    return { name, reached: true, depth: this.traversal.depthOf(index), path: this.traversal.pathTo(index) };
  }
}
