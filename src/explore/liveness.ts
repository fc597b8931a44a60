// Liveness on the explored state graph: does every run reach the model's goal once faults stop?
//
// - Stuck states: the goal does not hold and nothing but faults is enabled (a 2PC participant
//   prepared while the coordinator is down). Reported with the shortest trace to one.
// - Livelocks: a reachable cycle of fault-free steps that never reaches the goal (dueling
//   Paxos proposers), under weak fairness of the model's fair actions (message delivery in
//   actor systems): a cycle that keeps a fair action enabled and never takes it is not a real
//   run. Found with Tarjan's strongly connected components (@dagrejs/graphlib) on the graph of
//   non-goal states and fault-free edges; reported as a lasso (prefix + cycle) that replays.
//
// The whole graph is kept in memory (states and edges), so this is for small models; a state
// bound makes the analysis partial and the result says so.

import { Graph, alg } from '@dagrejs/graphlib';
import type { AnyCompleteModel, AnyModel } from '../core/model.ts';
import { InputError, withDefaults } from '../core/model.ts';
import { canonicalJson } from '../core/data.ts';
import type { StateStore } from './state-store.ts';
import { runJob, runJobAsync, Traversal, type Bound, type SearchJob, type SearchLimits } from './traverse.ts';
import { replayPath, type Run } from './path.ts';


/** The graph is kept in memory: without a state bound of its own, liveness stops here. */
export const LIVENESS_STATES_MAX = 200_000;

/** Bounds as for the explorer; `statesMax` defaults to LIVENESS_STATES_MAX; the graph is built
 * breadth-first (no DFS). */
export type LivenessOptions = Omit<SearchLimits, 'strategy'>;

export interface Lasso {
  /** The whole run: prefix then one turn of the cycle, ending where the cycle starts. */
  readonly run: Run;
  readonly path: readonly number[];
  /** Index in run.steps where the cycle starts (steps before it are the prefix). */
  readonly cycleStart: number;
  readonly cycleStates: number;
}

export interface LivenessResult {
  /** Whether the whole reachable graph was built (no bound cut it). */
  readonly complete: boolean;
  readonly boundsHit: readonly Bound[];
  readonly distinctStates: number;
  /** Every successor generated (TLC's total states minus the initial states). */
  readonly edges: number;
  readonly totalStates: number;
  readonly depth: number;
  readonly stuckStates: number;
  readonly stuck?: { readonly run: Run; readonly path: readonly number[]; readonly message: string };
  readonly livelocks: number;
  readonly livelock?: Lasso & { readonly message: string };
  readonly fairness: string;
  readonly elapsedMs: number;
}

interface StateGraph {
  readonly states: unknown[];
  /** out[u] = list of [v, actionIndex] for every enabled action. */
  readonly out: [number, number][][];
  readonly store: StateStore;
  readonly traversal: Traversal;
}

/** The reachable graph, built by the one traversal (so canonicalisation and bounds are the
 * explorer's). Edges to states a bound kept out are left out. */
function graphSearch(model: AnyCompleteModel, options: LivenessOptions): StateGraph {
  const states: unknown[] = [];
  const out: [number, number][][] = [];
  const traversal = new Traversal(model, {
    visit: (state, index) => {
      states[index] = state;
      out[index] = [];
      return false;
    },
    edge: (from, k, _action, _next, to) => {
      if (to >= 0) out[from].push([to, k]);
      return false;
    },
  }, { ...options, strategy: 'bfs', statesMax: options.statesMax ?? LIVENESS_STATES_MAX });
  return { states, out, store: traversal.store, traversal };
}

export function buildStateGraph(model: AnyModel, statesMax = LIVENESS_STATES_MAX): StateGraph {
  const g = graphSearch(withDefaults(model), { statesMax });
  g.traversal.run();
  return g;
}

export function checkLiveness(model: AnyModel, options: LivenessOptions = {}): LivenessResult {
  return runJob(livenessJob(model, options));
}

/** The same check with the graph built in slices (Ctrl-C, progress). */
export function checkLivenessAsync(model: AnyModel, options: LivenessOptions = {}): Promise<LivenessResult> {
  return runJobAsync(livenessJob(model, options));
}

/** Liveness as a search job: the graph is built by the traversal, then analysed. */
export function livenessJob(model: AnyModel, options: LivenessOptions = {}): SearchJob<LivenessResult> {
  const m = withDefaults(model);
  if (!m.hasGoal) throw new InputError('liveness needs a goal: this model declares neither goal nor isFinal');
  const g = graphSearch(m, options);
  return { traversal: g.traversal, result: () => analyse(m, g) };
}

function analyse(model: AnyCompleteModel, g: StateGraph): LivenessResult {
  const goal = (s: unknown) => model.goal(s);
  const isFault = (a: unknown) => model.isFault(a);
  const stuckIdx = findStuck(model, g, goal, isFault);
  const live = findLivelock(model, g, goal, isFault);
  const stuck = stuckIdx.length === 0 ? undefined : stuckReport(model, g, stuckIdx[0]);
  const t = g.traversal;
  return {
    complete: t.boundsHit.size === 0,
    boundsHit: [...t.boundsHit],
    distinctStates: g.states.length,
    edges: t.totalStates - model.init.length,
    totalStates: t.totalStates,
    depth: t.maxDepth,
    stuckStates: stuckIdx.length,
    ...(stuck === undefined ? {} : { stuck }),
    livelocks: live.count,
    ...(live.lasso === undefined ? {} : { livelock: live.lasso }),
    fairness: model.fairness,
    elapsedMs: t.elapsedMs,
  };
}

/** Non-goal states where every enabled action is a fault or not fair (nothing the fairness
 * assumption promises will happen), shallowest first. */
function findStuck(model: AnyCompleteModel, g: StateGraph, goal: (s: unknown) => boolean, isFault: (a: unknown) => boolean): number[] {
  const out: number[] = [];
  g.states.forEach((s, u) => {
    if (!goal(s) && model.actions(s).every((a) => isFault(a) || !model.isFair(a))) out.push(u);
  });
  return out;
}

function stuckReport(model: AnyCompleteModel, g: StateGraph, u: number) {
  const path = g.store.pathTo(u);
  const enabled = model.actions(g.states[u]).map((a) => model.describe(a));
  const message =
    enabled.length === 0
      ? 'no action is enabled and the goal is not reached'
      : model.actions(g.states[u]).every((a) => model.isFault(a))
        ? `only faults are enabled (${enabled.join('; ')}) and the goal is not reached`
        : `only faults and actions not assumed fair are enabled (${enabled.join('; ')}) and the goal is not reached (${model.fairness})`;
  return { run: replayPath(model, path), path, message };
}

/** Fair, non-trivial SCCs of the non-goal, fault-free subgraph; the shallowest one as a lasso. */
function findLivelock(
  model: AnyCompleteModel,
  g: StateGraph,
  goal: (s: unknown) => boolean,
  isFault: (a: unknown) => boolean,
): { count: number; lasso?: Lasso & { message: string } } {
  const graph = new Graph({ directed: true });
  const eligible = g.states.map((s) => !goal(s));
  const actionsOf = g.states.map((s) => model.actions(s));
  g.states.forEach((_, u) => {
    if (eligible[u]) graph.setNode(String(u));
  });
  g.out.forEach((edges, u) => {
    if (!eligible[u]) return;
    for (const [v, k] of edges) {
      if (eligible[v] && !isFault(actionsOf[u][k])) graph.setEdge(String(u), String(v));
    }
  });
  const fair = (a: unknown) => model.isFair(a);
  const candidates: number[][] = [];
  for (const comp of alg.tarjan(graph)) {
    const members = comp.map(Number).sort((a, b) => a - b);
    const selfLoop = members.length === 1 && graph.hasEdge(comp[0], comp[0]);
    if (members.length < 2 && !selfLoop) continue;
    if (isFairComponent(members, g, actionsOf, fair, isFault)) candidates.push(members);
  }
  if (candidates.length === 0) return { count: 0 };
  candidates.sort((a, b) => g.store.depth[a[0]] - g.store.depth[b[0]] || a[0] - b[0]);
  const lasso = buildLasso(model, g, candidates[0], actionsOf, fair, isFault);
  return { count: candidates.length, lasso };
}

/** Weak fairness holds on an SCC when every fair action enabled in all of its states is taken
 * on some edge inside it (actions are identified by their canonical JSON). */
function isFairComponent(
  members: readonly number[],
  g: StateGraph,
  actionsOf: readonly (readonly unknown[])[],
  fair: (a: unknown) => boolean,
  isFault: (a: unknown) => boolean,
): boolean {
  return alwaysEnabledFair(members, actionsOf, fair).every((key) => takenInside(members, key, g, actionsOf, isFault));
}

function alwaysEnabledFair(members: readonly number[], actionsOf: readonly (readonly unknown[])[], fair: (a: unknown) => boolean): string[] {
  let keys: Set<string> | undefined;
  for (const u of members) {
    const here = new Set(actionsOf[u].filter(fair).map((a) => canonicalJson(a)));
    keys = keys === undefined ? here : new Set([...keys].filter((k) => here.has(k)));
    if (keys.size === 0) break;
  }
  return [...(keys ?? [])];
}

function takenInside(
  members: readonly number[],
  key: string,
  g: StateGraph,
  actionsOf: readonly (readonly unknown[])[],
  isFault: (a: unknown) => boolean,
): boolean {
  const inside = new Set(members);
  return members.some((u) =>
    g.out[u].some(([v, k]) => inside.has(v) && !isFault(actionsOf[u][k]) && canonicalJson(actionsOf[u][k]) === key),
  );
}

/** A lasso: the shortest path to the component's shallowest state, then a cycle through the
 * component that takes every fair action enabled throughout it. */
function buildLasso(
  model: AnyCompleteModel,
  g: StateGraph,
  members: readonly number[],
  actionsOf: readonly (readonly unknown[])[],
  fair: (a: unknown) => boolean,
  isFault: (a: unknown) => boolean,
): Lasso & { message: string } {
  const inside = new Set(members);
  const entry = members[0];
  const prefix = g.store.pathTo(entry);
  const must = alwaysEnabledFair(members, actionsOf, fair);
  const cycle: number[] = [];
  let at = entry;
  for (const key of must) {
    const hop = pathInside(g, inside, actionsOf, isFault, at, (u, k) => canonicalJson(actionsOf[u][k]) === key);
    cycle.push(...hop.actions);
    at = hop.end;
  }
  const back = pathInside(g, inside, actionsOf, isFault, at, (_u, _k, v) => v === entry, cycle.length === 0);
  cycle.push(...back.actions);
  const path = [...prefix, ...cycle];
  const run = replayPath(model, path);
  const labels = [...new Set(cycle.map((_, i) => run.steps[prefix.length - 1 + i].label))];
  return {
    run,
    path,
    cycleStart: prefix.length - 1,
    cycleStates: members.length,
    message: `a cycle of ${cycle.length} fault-free steps (${labels.join('; ')}) repeats forever without reaching the goal`,
  };
}

/** BFS inside the component from `from` to the first edge (u -k-> v) accepted by `done`;
 * returns the action indices and the state reached. */
function pathInside(
  g: StateGraph,
  inside: ReadonlySet<number>,
  actionsOf: readonly (readonly unknown[])[],
  isFault: (a: unknown) => boolean,
  from: number,
  done: (u: number, k: number, v: number) => boolean,
  needStep = false,
): { actions: number[]; end: number } {
  const prev = new Map<number, [number, number]>();
  const queue = [from];
  const seen = new Set([from]);
  for (let q = 0; q < queue.length; q++) {
    const u = queue[q];
    for (const [v, k] of g.out[u]) {
      if (!inside.has(v) || isFault(actionsOf[u][k])) continue;
      if (done(u, k, v)) {
        const actions = [k];
        for (let w = u; w !== from; ) {
          const [p, pk] = prev.get(w)!;
          actions.unshift(pk);
          w = p;
        }
        return { actions, end: v };
      }
      if (!seen.has(v)) {
        seen.add(v);
        prev.set(v, [u, k]);
        queue.push(v);
      }
    }
  }
  if (!needStep && done(from, -1, from)) return { actions: [], end: from };
  throw new Error('liveness: no path inside a strongly connected component (faultline bug)');
}

/** The explored graph in Graphviz DOT, for small models. */
export function stateGraphDot(model: AnyModel, options: { statesMax?: number; label?: (s: unknown) => string } = {}): string {
  const g = buildStateGraph(model, options.statesMax ?? 2_000);
  const complete = g.traversal.boundsHit.size === 0;
  const label = options.label ?? ((s: unknown) => canonicalJson(s));
  const esc = (t: string) => t.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const lines = ['digraph faultline {', '  node [shape=box, fontsize=9];'];
  g.states.forEach((s, u) => lines.push(`  s${u} [label="${esc(label(s))}"${u < model.init.length ? ', penwidth=2' : ''}];`));
  g.out.forEach((edges, u) => {
    const acts = model.actions(g.states[u]);
    for (const [v, k] of edges) lines.push(`  s${u} -> s${v} [label="${esc(model.describe(acts[k]))}"];`);
  });
  if (!complete) lines.push('  truncated [shape=plaintext, label="graph truncated at the state bound"];');
  lines.push('}');
  return lines.join('\n') + '\n';
}
