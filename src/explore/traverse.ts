// The one state-space traversal. The explorer (invariants, deadlock, witnesses), liveness (the
// state graph) and refinement (every step mapped onto a specification) are visitors of it, so
// canonicalisation, bounds, statistics, progress, interruption and the memory budget are
// decided here once and cannot drift apart between engines.
//
// - BFS (default) visits states level by level, in insertion order: shortest counterexamples.
//   DFS goes deep with an explicit stack; under a depth bound a state first reached deep is
//   re-expanded when found again at a shallower depth, so the bound hides nothing within it.
// - States are identified by the 64-bit fingerprint of `model.canonical(state)`; the store
//   keeps (parent, action index, depth) per state, so a run is rebuilt by replay.
// - Statistics are TLC's: distinct states; total states = initial states plus every successor
//   generated, duplicates included; depth = the longest shortest path, initial states at 1.
// - A model that declares a state schema is searched on the packed path (breadth-first, no
//   state graph): the frontier is a typed array of encoded states, a successor is encoded
//   against its parent, and a state of at most 62 bits is its own exact key (core/codec.ts).
//   With workers > 1 the packed search runs on worker threads (explore/parallel.ts); with
//   symmetry every engine identifies a state by its orbit's representative
//   (explore/symmetry.ts).
// - The search is resumable: `runFor(ms)` works for about that long and returns, so an async
//   caller can let signal handlers (Ctrl-C) and timers run between slices. `run()` goes to
//   the end. Scratch state lives in this object (and its own Fingerprinter): two traversals
//   in one process are independent.

import { getHeapStatistics } from 'node:v8';
import type { AnyCompleteModel } from '../core/model.ts';
import { Codec, firstDifference } from '../core/codec.ts';
import { Fingerprinter } from '../core/fingerprint.ts';
import { InputError } from '../core/model.ts';
import { StateStore } from './state-store.ts';
import { replayPath, type Run } from './path.ts';
import { PackedQueue } from './packed-queue.ts';
import { ParallelModelError, ParallelSearch } from './parallel.ts';
import type { ModelSource } from './parallel-protocol.ts';
import { withSymmetry } from './symmetry.ts';

export type Strategy = 'bfs' | 'dfs';

/** What can cut a search short. A cut search is `bounded`, never `holds`. */
export type Bound = 'depthMax' | 'statesMax' | 'timeLimit' | 'memoryMax' | 'interrupted' | 'afterExpectedMax';

/** Statistics of a running search, for progress lines. */
export interface Progress {
  readonly distinctStates: number;
  readonly totalStates: number;
  /** States stored but not yet expanded. */
  readonly frontier: number;
  readonly depth: number;
  readonly elapsedMs: number;
  readonly statesPerSecond: number;
  /** V8 heap in use plus memory outside it (typed arrays), or the process's RSS in a parallel
   * search: what the memory budget measures. */
  readonly memoryBytes: number;
}

/** Anything with an `aborted` flag: an AbortSignal, or a plain object in tests. */
export interface Interrupt {
  readonly aborted: boolean;
}

export interface SearchLimits {
  readonly strategy?: Strategy;
  /** Deepest level explored; initial states are at depth 1. */
  readonly depthMax?: number;
  /** Stop after this many distinct states. */
  readonly statesMax?: number;
  /** Stop after this many milliseconds. */
  readonly timeLimitMs?: number;
  /** Stop when the memory in use (V8 heap plus typed arrays; the process's RSS when workers
   * run) exceeds this many bytes. Whatever is given, the search also stops before V8's own heap
   * limit, as `bounded`, never a crash. */
  readonly memoryMaxBytes?: number;
  /** Checked between slices of work: when aborted, the search stops as `bounded` (interrupted). */
  readonly signal?: Interrupt;
  /** Called at most every `progressEveryMs` (default 2000) while the search runs. */
  readonly onProgress?: (p: Progress) => void;
  readonly progressEveryMs?: number;
  /** How states are kept: `packed` (the default for a model that declares a schema, breadth-
   * first, without edges: a typed-array frontier of encoded states, exact keys for states of
   * at most 62 bits) or `object` (structural fingerprints and a frontier of objects: the path
   * of every model without a schema, and the baseline the bench measures against). */
  readonly codec?: 'packed' | 'object';
  /** Check that every new state decodes back to itself (default: the first
   * CODEC_VERIFY_FIRST of the run). */
  readonly verifyCodec?: boolean;
  /** Explore one state per orbit of the model's declared symmetry (explore/symmetry.ts). */
  readonly symmetry?: boolean;
  /** Threads of a packed breadth-first search (explore/parallel.ts); default 1. */
  readonly workers?: number;
  /** How a worker thread builds the model (needed with workers > 1): the CLI passes the
   * registry's builder. */
  readonly modelSource?: ModelSource;
}

/** What an engine does with the states and edges of the traversal. A `true` return stops the
 * search (a violation was found); the traversal then records no bound. */
export interface Visitor {
  /** A new state was stored at `index`. `'prune'`: keep it, but do not expand it (a state that
   * shows an expected violation, past which the search goes on looking for others). */
  visit(state: unknown, index: number): boolean | 'prune';
  /** A state is about to be expanded with these enabled actions (empty: nothing enabled). */
  expanding?(state: unknown, index: number, actions: readonly unknown[]): boolean;
  /** A successor was generated: `to` is its index (the parent's own for a step that changes
   * nothing; for a new state, the index it gets once stored, after this call), or -1 when a
   * bound kept it out of the store. Engines that ask for edges pay for a lookup of every
   * successor's index; depth-first under a depth bound, the edges of a state re-expanded
   * (found again by a shorter path) are seen again. `'skip'`: the search goes on but does not
   * follow this step (a new target is not stored through it; another step may reach it). */
  edge?(from: number, k: number, action: unknown, next: unknown, to: number, fromState: unknown): boolean | 'skip';
}

/** Successors generated between looks at the clock (time limit, slices, progress, memory). */
const CHECK_INTERVAL = 1024;
const MEMORY_CHECK_MS = 100;
/** Without a budget of its own, a search stops when the V8 heap reaches this share of its
 * limit, so running out of memory is a `bounded` result instead of a crash. */
const HEAP_GUARD = 0.85;
/** New states of every packed run whose encoding is decoded and compared with the state: a
 * schema that leaves a field out or bounds it wrongly shows at once. */
const CODEC_VERIFY_FIRST = 2000;

export class Traversal {
  readonly store: StateStore;
  readonly boundsHit = new Set<Bound>();
  /** Initial states plus every successor generated. */
  totalStates = 0;
  maxDepth = 0;
  /** Set when the search ended early (a visitor's stop, or a bound). */
  stopped = false;
  /** The state being expanded and the index of the action being taken (-1: none), so that an
   * engine can report where the model threw. */
  at = -1;
  atAction = -1;
  readonly startedAt = performance.now();

  private readonly fp = new Int32Array(2);
  private readonly fingerprinter = new Fingerprinter();
  private readonly model: AnyCompleteModel;
  /** The packed path (see SearchLimits.codec): the codec, scratch words for the state being
   * expanded, for a successor and for a canonical form, and the two BFS levels. */
  private readonly codec: Codec | undefined;
  private readonly curWords: Int32Array;
  private readonly succWords: Int32Array;
  private readonly keyWords: Int32Array;
  private packedLevel: PackedQueue | undefined;
  private packedNext: PackedQueue | undefined;
  private verifyLeft: number;
  /** The parallel search (workers > 1), and the depth of each state it showed the visitor. */
  private parallel: ParallelSearch | undefined;
  private readonly workers: number;
  private readonly reportedDepth = new Map<number, number>();
  private readonly strategy: Strategy;
  private readonly depthMax: number;
  private statesMax: number;
  /** The bound reported when the store reaches statesMax (see limitStates). */
  private statesBound: Bound = 'statesMax';
  private readonly deadline: number;
  private readonly memoryMax: number;
  private readonly heapGuard: number;
  private readonly wantsEdges: boolean;
  private started = false;
  private finished = false;
  private tick = 0;
  private sliceEnd = Infinity;
  private yieldNow = false;
  private nextMemoryCheck = 0;
  private nextProgress: number;
  /** Index and fingerprint of the state whose sub-object hashes the fingerprinter remembers. */
  private remembered = -1;
  private rememberedHigh = 0;
  private rememberedLow = 0;
  // BFS: the level being expanded (from position `k`) and the next one.
  private level: unknown[] = [];
  private levelIndex: number[] = [];
  private k = 0;
  private nextLevel: unknown[] = [];
  private nextIndex: number[] = [];
  // DFS: the roots still to start from, and the stack (state, index, actions, next position).
  private roots: { state: unknown; index: number }[] = [];
  private root = 0;
  private readonly stackState: unknown[] = [];
  private readonly stackIndex: number[] = [];
  private readonly stackActions: (readonly unknown[])[] = [];
  private readonly stackPos: number[] = [];
  /** States a visitor asked not to expand (DFS must not re-expand them either). */
  private readonly pruned = new Set<number>();
  /** DFS states not expanded because of depthMax that had a new successor at the time. */
  private readonly cutStates: { state: unknown; index: number }[] = [];

  constructor(
    model: AnyCompleteModel,
    private readonly visitor: Visitor,
    private readonly limits: SearchLimits = {},
  ) {
    validateLimits(limits);
    this.model = limits.symmetry === true ? withSymmetry(model) : model;
    this.strategy = limits.strategy ?? 'bfs';
    this.depthMax = limits.depthMax ?? Infinity;
    this.statesMax = limits.statesMax ?? Infinity;
    this.deadline = limits.timeLimitMs === undefined ? Infinity : this.startedAt + limits.timeLimitMs;
    this.memoryMax = limits.memoryMaxBytes ?? Infinity;
    this.heapGuard = getHeapStatistics().heap_size_limit * HEAP_GUARD;
    this.wantsEdges = visitor.edge !== undefined;
    this.nextProgress = this.startedAt + (limits.progressEveryMs ?? 2000);
    // The packed path: a schema, breadth-first, no state graph, and no canonical form of the
    // model's own (a symmetric one is computed on decoded states, so it is fine).
    const packed = model.schema !== undefined && limits.codec !== 'object' && this.strategy === 'bfs' && !this.wantsEdges && (!model.hasCanonical || limits.symmetry === true);
    this.codec = packed ? new Codec(model.schema!) : undefined;
    this.store = packed ? new StateStore(undefined, { compact: true }) : new StateStore();
    const words = this.codec?.words ?? 0;
    this.curWords = new Int32Array(words);
    this.succWords = new Int32Array(words);
    this.keyWords = new Int32Array(words);
    this.verifyLeft = limits.verifyCodec === true ? Infinity : CODEC_VERIFY_FIRST;
    if (this.codec !== undefined) {
      this.packedLevel = new PackedQueue(words);
      this.packedNext = new PackedQueue(words);
    }
    this.workers = limits.workers ?? 1;
    this.refuseUnsupported();
  }

  /** Options this search cannot honour are bad input, said in one line. */
  private refuseUnsupported(): void {
    const limits = this.limits;
    // A state graph up to symmetry has lassos that close only up to a renaming: they would not
    // replay as they are, so liveness and refinement keep the states themselves.
    if (limits.symmetry === true && this.wantsEdges) throw new InputError('--symmetry applies to safety checks (a variant or a safety scenario) of models without step invariants, not to liveness or refinement');
    if (this.workers <= 1) return;
    if (this.codec === undefined) throw new InputError('--workers needs a model that declares a schema, searched breadth-first without a state graph (check of a variant or a safety scenario)');
    if (limits.modelSource === undefined) throw new InputError('--workers needs a model a worker thread can rebuild (the registry\'s models)');
    if (limits.depthMax !== undefined) throw new InputError('--workers does not take --depth-max (a parallel search is cut between levels)');
  }

  /** Distinct states stored so far. */
  get distinctStates(): number {
    return this.parallel?.distinct ?? this.store.size;
  }

  /** Bytes of the visited-state store (all workers' stores and frontiers in a parallel search). */
  get storeBytes(): number {
    return this.parallel?.storeBytes ?? this.store.bytes;
  }

  /** Depth of a stored state (in a parallel search: of one the visitor was shown). */
  depthOf(index: number): number {
    if (this.parallel !== undefined) return this.reportedDepth.get(index) ?? -1;
    return this.store.depthOf(index);
  }

  /** The codec of the packed path, or undefined on the object path (see SearchLimits.codec). */
  get codecInUse(): Codec | undefined {
    return this.codec;
  }

  /** States stored but not yet expanded, and the bytes the frontier holds. */
  get frontierBytes(): number {
    return (this.packedLevel?.bytes ?? 0) + (this.packedNext?.bytes ?? 0);
  }

  /** Runs the search to its end. */
  run(): void {
    this.runFor(Infinity);
  }

  /** Works for about `ms` milliseconds; returns true when the search has ended. An exception
   * thrown by the model's code ends the search and is rethrown as a ModelError carrying the
   * run to the state being expanded. */
  runFor(ms: number): boolean {
    if (this.finished) return true;
    this.sliceEnd = ms === Infinity ? Infinity : performance.now() + ms;
    this.yieldNow = false;
    try {
      if (!this.started) {
        this.started = true;
        this.begin();
      }
      if (this.strategy === 'dfs') this.dfsSlice();
      else this.bfsSlice();
      if (this.stopped || !this.yieldNow) this.end();
    } catch (e) {
      // The error first: a worker's error is rebuilt from the parent links the workers hold.
      const error = this.modelError(e);
      this.abandon();
      throw error;
    } finally {
      if (this.finished) this.fingerprinter.forget();
    }
    return this.finished;
  }

  /** Ends the search early (e.g. on an exception in the model); the result is what was seen. */
  abandon(): void {
    this.stopped = true;
    this.finished = true;
    this.fingerprinter.forget();
    this.parallel?.abandon();
  }

  /** Wraps an exception thrown by the model's code with the run that led to it. */
  private modelError(e: unknown): unknown {
    if (e instanceof InputError || e instanceof ModelError) return e;
    if (e instanceof ParallelModelError) return this.parallelModelError(e);
    const message = e instanceof Error ? e.message : String(e);
    if (this.at < 0) return new ModelError(`the model threw while building its initial states: ${message}`, undefined, undefined, e);
    let run: Run | undefined;
    let failingAction: string | undefined;
    try {
      run = replayPath(this.model, this.pathTo(this.at));
      const state = run.steps.length === 0 ? run.init : run.steps[run.steps.length - 1].state;
      if (this.atAction >= 0) failingAction = this.model.describe(this.model.actions(state)[this.atAction]);
    } catch {
      // the run itself cannot be rebuilt: report the message alone
    }
    const where = failingAction === undefined ? 'while computing the enabled actions of a state' : `while taking "${failingAction}"`;
    return new ModelError(`the model threw ${where}: ${message}`, run, failingAction, e);
  }

  /** A model exception in a worker thread, with the run to the state it was expanding (the
   * run is rebuilt from the workers' parent links, collected first). */
  private parallelModelError(e: ParallelModelError): ModelError {
    let run: Run | undefined;
    let failingAction: string | undefined;
    try {
      this.parallel!.finish();
      if (e.at >= 0) {
        run = replayPath(this.model, this.parallel!.pathTo(e.at));
        const state = run.steps.length === 0 ? run.init : run.steps[run.steps.length - 1].state;
        if (e.action >= 0) failingAction = this.model.describe(this.model.actions(state)[e.action]);
      }
    } catch {
      // the run itself cannot be rebuilt: report the message alone
    }
    const where = failingAction === undefined ? 'while computing the enabled actions of a state' : `while taking "${failingAction}"`;
    return new ModelError(`the model threw ${where}: ${e.message}`, run, failingAction, e);
  }

  /** Lowers the state bound to `statesMax` for the rest of the search, reported as `bound`
   * when it cuts (the explorer's budget for looking past an expected violation). */
  limitStates(statesMax: number, bound: Bound): void {
    if (statesMax >= this.statesMax) return;
    this.statesMax = statesMax;
    this.statesBound = bound;
  }

  get elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** The path of action indices from an initial state to `index`: [initIndex, a1, a2, ...]. */
  pathTo(index: number): number[] {
    return this.parallel !== undefined ? this.parallel.pathTo(index) : this.store.pathTo(index);
  }

  progress(): Progress {
    const elapsedMs = this.elapsedMs;
    const frontier =
      this.strategy === 'dfs' ? this.stackState.length
      : this.parallel !== undefined ? this.parallel.frontier
      : this.codec !== undefined ? this.packedLevel!.length - this.k + this.packedNext!.length
      : this.level.length - this.k + this.nextLevel.length;
    const m = process.memoryUsage();
    return {
      distinctStates: this.distinctStates,
      totalStates: this.totalStates,
      frontier,
      depth: this.maxDepth,
      elapsedMs,
      statesPerSecond: elapsedMs > 0 ? Math.round((this.distinctStates / elapsedMs) * 1000) : 0,
      // What the memory budget measures: a parallel search's workers are in the process's RSS.
      memoryBytes: this.parallel !== undefined ? m.rss : m.heapUsed + m.external,
    };
  }

  private begin(): void {
    if (this.workers > 1) {
      this.parallel = new ParallelSearch(this.model, this.codec!, this.workers, this.limits.modelSource!, {
        symmetry: this.limits.symmetry === true,
        verifyCodec: this.limits.verifyCodec === true,
        reportDeadlocks: this.visitor.expanding !== undefined,
        memoryMax: Math.min(this.memoryMax, Number.MAX_SAFE_INTEGER),
      });
      this.totalStates = this.parallel.seed();
      return;
    }
    const out: { state: unknown; index: number }[] = [];
    const init = this.model.init;
    for (let i = 0; i < init.length && !this.stopped; i++) {
      const state = init[i];
      this.totalStates++;
      this.keyOf(state);
      if (this.atStatesMax()) continue;
      // `add`: an initial state equal to an earlier one is not stored again.
      const index = this.store.add(this.fp[0], this.fp[1], -1, i, 1);
      if (index < 0) continue;
      this.maxDepth = Math.max(this.maxDepth, 1);
      const seen = this.visitor.visit(state, index);
      if (seen === 'prune') this.pruned.add(index);
      else out.push({ state, index });
      if (seen === true) this.stopped = true;
    }
    if (this.strategy === 'dfs') {
      this.roots = out;
    } else if (this.codec !== undefined) {
      for (const { state, index } of out) {
        this.codec.encode(state, this.succWords);
        if (this.verifyLeft > 0) this.verifyEncoding(state, this.succWords, index);
        this.packedLevel!.push(this.succWords, index);
      }
    } else {
      this.level = out.map((x) => x.state);
      this.levelIndex = out.map((x) => x.index);
    }
  }

  private end(): void {
    this.parallel?.finish();
    if (this.strategy === 'dfs') {
      if (!this.stopped) this.settleCutStates();
      else if (this.cutStates.length > 0 && this.boundsHit.size > 0) this.boundsHit.add('depthMax');
      this.cutStates.length = 0;
    }
    this.level = [];
    this.nextLevel = [];
    this.packedLevel?.release();
    this.packedNext?.release();
    this.codec?.forget();
    this.finished = true;
  }

  private bfsSlice(): void {
    if (this.parallel !== undefined) return this.parallelSlice();
    if (this.codec !== undefined) return this.packedSlice();
    while (!this.stopped && !this.yieldNow) {
      if (this.k >= this.level.length) {
        if (this.nextLevel.length === 0) return;
        this.level = this.nextLevel;
        this.levelIndex = this.nextIndex;
        this.nextLevel = [];
        this.nextIndex = [];
        this.k = 0;
        continue;
      }
      const k = this.k++;
      const state = this.level[k];
      // The level's states are not needed once expanded: let them be collected.
      this.level[k] = undefined;
      this.expand(state, this.levelIndex[k]);
    }
  }

  /** Generates the successors of a BFS state; new ones join the next level. */
  private expand(state: unknown, index: number): void {
    const actions = this.enabledAt(state, index);
    if (actions.length === 0) return;
    this.rememberSubtrees(state, index);
    const model = this.model;
    for (let pos = 0; pos < actions.length && !this.stopped; pos++) {
      this.atAction = pos;
      const action = actions[pos];
      const next = model.step(state, action);
      const nextIndex = this.visitSuccessor(next, state, index, pos, action, false);
      if (nextIndex >= 0) {
        this.nextLevel.push(next);
        this.nextIndex.push(nextIndex);
      }
    }
    this.atAction = -1;
  }

  /** A parallel search, a level at a time; bounds are checked between levels. */
  private parallelSlice(): void {
    const parallel = this.parallel!;
    const initial = this.totalStates - parallel.generated;
    const hooks = {
      visit: (state: unknown, index: number, depth: number) => {
        this.reportedDepth.set(index, depth);
        return this.visitor.visit(state, index) === true;
      },
      deadlock: (state: unknown, index: number, depth: number) => {
        this.reportedDepth.set(index, depth);
        return this.visitor.expanding!(state, index, []);
      },
    };
    while (!this.stopped && !this.yieldNow && !parallel.done) {
      if (parallel.level(hooks)) this.stopped = true;
      this.totalStates = initial + parallel.generated;
      this.maxDepth = parallel.maxDepth;
      if (!this.stopped && !parallel.done && parallel.distinct >= this.statesMax) this.cut(this.statesBound);
      if (!this.stopped && parallel.memoryCut) this.cut('memoryMax');
      this.tick = CHECK_INTERVAL;
      this.periodic();
    }
  }

  /** BFS over packed levels: each state is decoded, expanded, and its new successors are
   * encoded against it into the next level. */
  private packedSlice(): void {
    const codec = this.codec!;
    while (!this.stopped && !this.yieldNow) {
      const level = this.packedLevel!;
      if (this.k >= level.length) {
        const next = this.packedNext!;
        if (next.length === 0) return;
        this.packedLevel = next;
        this.packedNext = level;
        level.reset();
        this.k = 0;
        continue;
      }
      const index = level.read(this.k++, this.curWords);
      this.expandPacked(codec.decodeNext(this.curWords), index);
    }
  }

  /** As `expand`, for the packed path. */
  private expandPacked(state: unknown, index: number): void {
    const actions = this.enabledAt(state, index);
    if (actions.length === 0) return;
    const codec = this.codec!;
    const model = this.model;
    const symmetric = this.limits.symmetry === true;
    // The key of the state being expanded: a successor with the same key is the state itself.
    this.packedKey(state, this.curWords);
    const parentHigh = this.fp[0];
    const parentLow = this.fp[1];
    const succ = this.succWords;
    const cur = this.curWords;
    const words = cur.length;
    const store = this.store;
    const depth = store.depthOf(index) + 1;
    for (let pos = 0; pos < actions.length && !this.stopped; pos++) {
      this.atAction = pos;
      const next = model.step(state, actions[pos]);
      this.totalStates++;
      if (++this.tick >= CHECK_INTERVAL) this.periodic();
      if (next === state) continue;
      // A loop, not succ.set(cur): a state is a few words, and the builtin's call costs more.
      for (let i = 0; i < words; i++) succ[i] = cur[i];
      codec.encodeAgainst(next, state, succ);
      if (symmetric) this.packedKey(next, succ);
      else codec.key(succ, this.fp);
      if (this.fp[0] === parentHigh && this.fp[1] === parentLow) continue;
      if (this.atStatesMax()) continue;
      const added = store.add(this.fp[0], this.fp[1], index, pos, depth);
      if (added < 0) continue;
      if (this.verifyLeft > 0) this.verifyEncoding(next, succ, added);
      if (this.visitNew(next, added, depth) >= 0 && !this.packedNext!.push(succ, added)) this.cut('memoryMax');
    }
    this.atAction = -1;
  }

  /** The visited-set key of a state whose encoding is `words`, into this.fp: its canonical
   * form's under symmetry, else its own. */
  private packedKey(state: unknown, words: Int32Array): void {
    const codec = this.codec!;
    if (this.model.hasCanonical) {
      codec.encode(this.model.canonical(state), this.keyWords);
      codec.key(this.keyWords, this.fp);
    } else {
      codec.key(words, this.fp);
    }
  }

  /** Decodes a new state's encoding and compares it with the state: a schema that leaves a
   * field out would merge states silently. */
  private verifyEncoding(state: unknown, words: Int32Array, index: number): void {
    this.verifyLeft--;
    const difference = firstDifference(state, this.codec!.decode(words));
    if (difference === undefined) return;
    let run: Run | undefined;
    try {
      run = replayPath(this.model, this.pathTo(index));
    } catch {
      // report the message alone
    }
    throw new ModelError(`the state does not round-trip through its schema's codec at ${difference} (the schema leaves the field out or bounds it wrongly)`, run, undefined, undefined);
  }

  private dfsSlice(): void {
    while (!this.stopped && !this.yieldNow) {
      if (this.stackState.length === 0) {
        if (this.root >= this.roots.length) return;
        const r = this.roots[this.root++];
        this.push(r.state, r.index);
        continue;
      }
      const top = this.stackState.length - 1;
      const actions = this.stackActions[top];
      const pos = this.stackPos[top];
      if (pos >= actions.length) {
        this.stackState.pop();
        this.stackIndex.pop();
        this.stackActions.pop();
        this.stackPos.pop();
        continue;
      }
      this.stackPos[top] = pos + 1;
      const state = this.stackState[top];
      const index = this.stackIndex[top];
      if (this.remembered !== index) this.rememberSubtrees(state, index);
      this.at = index;
      this.atAction = pos;
      const next = this.model.step(state, actions[pos]);
      const nextIndex = this.visitSuccessor(next, state, index, pos, actions[pos], true);
      this.atAction = -1;
      if (nextIndex >= 0) this.push(next, nextIndex);
    }
  }

  private push(state: unknown, index: number): void {
    this.stackState.push(state);
    this.stackIndex.push(index);
    this.stackActions.push(this.enabledAt(state, index));
    this.stackPos.push(0);
  }

  /** Enabled actions of a state about to be expanded, after the visitor has seen them and the
   * depth check; an empty list means "do not expand". */
  private enabledAt(state: unknown, index: number): readonly unknown[] {
    if (this.stopped) return [];
    this.at = index;
    this.atAction = -1;
    const actions = this.model.actions(state);
    if (this.visitor.expanding !== undefined && this.visitor.expanding(state, index, actions)) {
      this.stopped = true;
      return [];
    }
    if (actions.length > 0 && this.store.depthOf(index) >= this.depthMax) {
      this.noteDepthBoundary(state, index, actions);
      return [];
    }
    return actions;
  }

  /** Records a generated successor. Returns its index when it must be expanded, else -1. */
  private visitSuccessor(next: unknown, parentState: unknown, parent: number, k: number, action: unknown, revisitShallower: boolean): number {
    this.totalStates++;
    if (++this.tick >= CHECK_INTERVAL) this.periodic();
    // A step that changes nothing yields the parent itself, which is stored: no need to hash
    // it or look it up.
    if (next === parentState) {
      if (this.wantsEdges) this.edgeTo(parent, k, action, next, parent, parentState);
      return -1;
    }
    this.fingerprint(next);
    if (parent === this.remembered && this.fp[0] === this.rememberedHigh && this.fp[1] === this.rememberedLow) {
      if (this.wantsEdges) this.edgeTo(parent, k, action, next, parent, parentState);
      return -1;
    }
    if (this.atStatesMax()) {
      if (this.wantsEdges) this.edgeTo(parent, k, action, next, this.store.find(this.fp[0], this.fp[1]), parentState);
      return -1;
    }
    const store = this.store;
    const depth = store.depthOf(parent) + 1;
    if (this.wantsEdges) {
      // The edge is seen before a new state is stored (with the index it is about to get), so
      // a step an engine rejects does not count its target as a distinct state.
      const existing = store.find(this.fp[0], this.fp[1]);
      const skip = this.edgeTo(parent, k, action, next, existing >= 0 ? existing : store.size, parentState);
      if (this.stopped || skip) return -1;
      if (existing < 0) return this.visitNew(next, store.insert(this.fp[0], this.fp[1], parent, k, depth), depth);
      // Depth-first under a depth bound, a state found again by a shorter path is re-expanded.
      if (!revisitShallower || this.depthMax === Infinity) return -1;
    }
    if (revisitShallower && this.depthMax !== Infinity) {
      const inserted = store.insert(this.fp[0], this.fp[1], parent, k, depth);
      if (inserted < 0) {
        const existing = -inserted - 1;
        if (store.depthOf(existing) <= depth || this.pruned.has(existing)) return -1;
        store.relink(existing, parent, k, depth);
        return existing;
      }
      return this.visitNew(next, inserted, depth);
    }
    // Most successors were seen before: `add` answers that without looking up their index.
    const added = store.add(this.fp[0], this.fp[1], parent, k, depth);
    return added < 0 ? -1 : this.visitNew(next, added, depth);
  }

  /** Shows the visitor an edge; true when it asked not to follow it. */
  private edgeTo(from: number, k: number, action: unknown, next: unknown, to: number, fromState: unknown): boolean {
    const seen = this.visitor.edge!(from, k, action, next, to, fromState);
    if (seen === true) this.stopped = true;
    return seen === 'skip';
  }

  private visitNew(next: unknown, index: number, depth: number): number {
    if (depth > this.maxDepth) this.maxDepth = depth;
    const seen = this.visitor.visit(next, index);
    if (seen === false) return index;
    if (seen === 'prune') this.pruned.add(index);
    else this.stopped = true;
    return -1;
  }

  /** At the depth bound: the bound cut the search only if some successor is a new state.
   * Under BFS every state within the bound is already stored when the last level is expanded,
   * so the answer is final. Under DFS a successor may still be found later through a shorter
   * path, so the cut state is kept and checked again when the search ends. */
  private noteDepthBoundary(state: unknown, index: number, actions: readonly unknown[]): void {
    if (this.boundsHit.has('depthMax')) return;
    if (this.hasNewSuccessor(state, actions)) {
      if (this.strategy === 'dfs') this.cutStates.push({ state, index });
      else this.boundsHit.add('depthMax');
    }
  }

  private hasNewSuccessor(state: unknown, actions: readonly unknown[]): boolean {
    for (const action of actions) {
      this.keyOf(this.model.step(state, action));
      if (!this.store.has(this.fp[0], this.fp[1])) return true;
    }
    return false;
  }

  /** DFS: a cut state still at the bound with a successor never stored means the bound hid
   * states (one re-expanded at a shallower depth had its successors explored). */
  private settleCutStates(): void {
    for (const { state, index } of this.cutStates) {
      if (this.boundsHit.has('depthMax')) break;
      if (this.store.depthOf(index) < this.depthMax) continue;
      if (this.hasNewSuccessor(state, this.model.actions(state))) this.boundsHit.add('depthMax');
    }
  }

  /** With the store full, a state not yet seen means the bound cuts the search. */
  private atStatesMax(): boolean {
    if (this.store.size < this.statesMax) return false;
    if (!this.store.has(this.fp[0], this.fp[1])) this.cut(this.statesBound);
    return true;
  }

  private cut(bound: Bound): void {
    this.boundsHit.add(bound);
    this.stopped = true;
  }

  /** Every CHECK_INTERVAL successors: the clock (time limit, end of slice, progress), the
   * interrupt flag and, less often, the memory in use. */
  private periodic(): void {
    this.tick = 0;
    const now = performance.now();
    if (now >= this.deadline) this.cut('timeLimit');
    if (this.limits.signal?.aborted === true) this.cut('interrupted');
    if (now >= this.sliceEnd) this.yieldNow = true;
    if (now >= this.nextMemoryCheck) {
      this.nextMemoryCheck = now + MEMORY_CHECK_MS;
      const m = process.memoryUsage();
      // Worker threads' heaps are not this isolate's: a parallel search measures the process.
      const used = this.parallel !== undefined ? m.rss : m.heapUsed + m.external;
      if (used > this.memoryMax || m.heapUsed > this.heapGuard) this.cut('memoryMax');
    }
    if (this.limits.onProgress !== undefined && now >= this.nextProgress) {
      this.nextProgress = now + (this.limits.progressEveryMs ?? 2000);
      this.limits.onProgress(this.progress());
    }
  }

  /** Successors share sub-objects with the state they come from: remember its sub-object
   * hashes so that only what a step changed is hashed again. */
  private rememberSubtrees(state: unknown, index: number): void {
    this.fingerprinter.remembering(this.model.canonical(state), this.fp);
    this.remembered = index;
    this.rememberedHigh = this.fp[0];
    this.rememberedLow = this.fp[1];
  }

  private fingerprint(state: unknown): void {
    this.fingerprinter.into(this.model.canonical(state), this.fp);
  }

  /** The store's key of a state, on either path. */
  private keyOf(state: unknown): void {
    if (this.codec === undefined) return this.fingerprint(state);
    this.codec.encode(state, this.succWords);
    this.packedKey(state, this.succWords);
  }
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

/** A search an engine has set up: its traversal, and how to read its result once the
 * traversal has ended. The verify layer drives every engine through this. */
export interface SearchJob<R> {
  readonly traversal: Traversal;
  result(): R;
}

export function runJob<R>(job: SearchJob<R>): R {
  job.traversal.run();
  return job.result();
}

/** Runs a job in slices of about `sliceMs`, letting the event loop run in between (signal
 * handlers, timers, progress output). */
export async function runJobAsync<R>(job: SearchJob<R>, sliceMs = 50): Promise<R> {
  while (!job.traversal.runFor(sliceMs)) await new Promise<void>((resolve) => setImmediate(resolve));
  return job.result();
}

function validateLimits(o: SearchLimits): void {
  for (const [name, v] of [
    ['depthMax', o.depthMax],
    ['statesMax', o.statesMax],
    ['timeLimitMs', o.timeLimitMs],
    ['memoryMaxBytes', o.memoryMaxBytes],
    ['workers', o.workers],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
      throw new RangeError(`${name} must be a positive number, got ${v}`);
    }
  }
}
