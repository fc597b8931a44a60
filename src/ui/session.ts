// What the browser explorer shows, computed on the server: the state a path reaches, what the
// last step changed, the enabled actions, every property evaluated there, and the run as a
// message sequence chart. A path is the explorer's own name for a run (src/explore/path.ts):
// [initIndex, actionIndex...], so a link with a path in it reproduces the same run as long as
// the model does.

import type { AnyCompleteModel, ClientLanes } from '../core/model.ts';
import { InputError, resolveParams } from '../core/model.ts';
import { canonicalJson } from '../core/data.ts';
import type { Instance } from '../verify/index.ts';
import { diffStates, renderSteps, runLayout } from '../render/text.ts';
import { renderRunChart } from '../render/chart.ts';
import { renderHtmlChart } from '../render/html.ts';
import { replayTrace, TraceError, type ModelBuilder, type TraceFile } from '../trace/trace.ts';

/** Deepest path the explorer replays: far beyond any run a person clicks through or a search
 * returns, and a guard against a pasted URL that would keep the server busy. */
export const PATH_STEPS_MAX = 10_000;

export interface ModelInfo {
  readonly name: string;
  readonly summary: string;
  readonly variant: string;
  readonly variantDescription: string;
  readonly params: Readonly<Record<string, number>>;
  readonly invariants: readonly string[];
  readonly witnesses: readonly string[];
  /** The lanes of the sequence chart; absent for models that are not actor systems. */
  readonly nodeIds?: readonly string[];
  readonly initialStates: number;
  /** Whether a state with nothing enabled that the model does not call final is a violation. */
  readonly checkDeadlock: boolean;
}

export interface ActionView {
  readonly index: number;
  readonly label: string;
  readonly fault: boolean;
}

export interface PropertyView {
  readonly name: string;
  readonly ok: boolean;
  /** Why it fails, in protocol words (invariants only). */
  readonly message?: string;
}

export interface WitnessView {
  readonly name: string;
  /** Holds in the current state. */
  readonly holds: boolean;
  /** The first step of the path (0: the initial state) at which it held, if it did. */
  readonly firstAt?: number;
}

export interface StepView {
  readonly label: string;
  readonly fault: boolean;
}

export interface StateView {
  readonly path: readonly number[];
  readonly state: unknown;
  /** The path's steps, in order. */
  readonly steps: readonly StepView[];
  /** What the last step changed, as `path: old -> new` lines (src/render/text.ts diffStates). */
  readonly changes: readonly string[];
  /** The state paths those lines name (`nodes[1].state.status`), for highlighting. */
  readonly changed: readonly string[];
  readonly actions: readonly ActionView[];
  readonly invariants: readonly PropertyView[];
  readonly witnesses: readonly WitnessView[];
  /** Nothing is enabled and the model does not call the state final. */
  readonly deadlock: boolean;
  readonly final: boolean;
  /** The goal does not hold and only faults (or actions not assumed fair) are enabled. */
  readonly stuck: boolean;
  /** The run as numbered steps with their changes (every model). */
  readonly transcript: string;
  /** The run as a terminal sequence chart, and as a self-contained HTML page with an SVG
   * chart (actor systems only). */
  readonly chart?: string;
  readonly chartHtml?: string;
}

/** A replayed path: the states it goes through (states[0] the initial state) and its steps. */
export interface Walk {
  readonly path: readonly number[];
  readonly states: readonly unknown[];
  readonly steps: readonly { readonly action: unknown; readonly label: string }[];
}

export function modelInfo(instance: Instance): ModelInfo {
  const m = instance.model;
  return {
    name: instance.def.name,
    summary: instance.def.summary,
    variant: instance.variant.name,
    variantDescription: instance.variant.description,
    params: instance.params,
    invariants: [...m.invariants, ...m.stepInvariants].map((i) => i.name),
    witnesses: m.sometimes.map((w) => w.name),
    ...(m.nodeIds === undefined ? {} : { nodeIds: m.nodeIds }),
    initialStates: m.init.length,
    checkDeadlock: instance.variant.checkDeadlock ?? true,
  };
}

/** Parses `0,3,1` (the URL's form of a path). */
export function parsePath(text: string): number[] {
  const parts = text.trim() === '' ? [] : text.split(',');
  if (parts.length === 0) throw new InputError('a path needs at least the index of an initial state, e.g. 0');
  if (parts.length > PATH_STEPS_MAX + 1) throw new InputError(`a path may have at most ${PATH_STEPS_MAX} steps`);
  return parts.map((p) => {
    if (!/^\d+$/.test(p.trim())) throw new InputError(`a path is comma-separated action indices, e.g. 0,3,1; got '${text}'`);
    return Number(p);
  });
}

/** Replays a path, failing with an InputError that names the step that does not fit. */
export function walk(model: AnyCompleteModel, path: readonly number[]): Walk {
  if (path.length === 0) throw new InputError('a path needs at least the index of an initial state');
  if (path.length > PATH_STEPS_MAX + 1) throw new InputError(`a path may have at most ${PATH_STEPS_MAX} steps`);
  const init = model.init[path[0]];
  if (!Number.isSafeInteger(path[0]) || init === undefined) {
    throw new InputError(`path starts at initial state ${path[0]}, but the model has ${model.init.length} (0..${model.init.length - 1})`);
  }
  const states: unknown[] = [init];
  const steps: { action: unknown; label: string }[] = [];
  let state = init;
  for (let i = 1; i < path.length; i++) {
    const actions = model.actions(state);
    const action = Number.isSafeInteger(path[i]) ? actions[path[i]] : undefined;
    if (action === undefined) {
      throw new InputError(`step ${i} of the path picks action ${path[i]}, but ${actions.length} are enabled after step ${i - 1}`);
    }
    state = model.step(state, action);
    states.push(state);
    steps.push({ action, label: model.describe(action) });
  }
  return { path: [...path], states, steps };
}

/** Everything the page shows at the end of `path`. */
export function stateView(instance: Instance, path: readonly number[]): StateView {
  const model = instance.model;
  const w = walk(model, path);
  const state = w.states[w.states.length - 1];
  const changes = w.states.length < 2 ? [] : diffStates(w.states[w.states.length - 2], state, runLayout(w.states));
  const enabled = model.actions(state);
  const deadlock = enabled.length === 0 && !model.isFinal(state);
  return {
    path: w.path,
    state,
    steps: w.steps.map((s) => ({ label: s.label, fault: model.isFault(s.action) })),
    changes,
    changed: changes.map(changedPath),
    actions: enabled.map((a, index) => ({ index, label: model.describe(a), fault: model.isFault(a) })),
    invariants: [
      ...model.invariants.map((inv) => {
        const message = inv.check(state);
        return message === undefined ? { name: inv.name, ok: true } : { name: inv.name, ok: false, message };
      }),
      // A step invariant is judged on the step that led here (it holds before any step).
      ...model.stepInvariants.map((inv) => {
        const n = w.steps.length;
        const message = n === 0 ? undefined : inv.check(w.states[n - 1], w.steps[n - 1].action, state);
        return message === undefined ? { name: inv.name, ok: true } : { name: inv.name, ok: false, message };
      }),
    ],
    witnesses: model.sometimes.map((wit) => {
      const firstAt = w.states.findIndex((s) => wit.holds(s));
      return { name: wit.name, holds: wit.holds(state), ...(firstAt < 0 ? {} : { firstAt }) };
    }),
    deadlock,
    final: model.isFinal(state),
    stuck: !model.goal(state) && enabled.every((a) => model.isFault(a) || !model.isFair(a)),
    transcript: renderSteps(w.states[0], w.steps.map((s, i) => ({ label: s.label, state: w.states[i + 1] }))),
    ...charts(instance, w),
  };
}

/** The state path a diff line is about: "nodes[1].state.status: a -> b" -> "nodes[1].state.status". */
function changedPath(line: string): string {
  const colon = line.indexOf(': ');
  return colon < 0 ? line : line.slice(0, colon);
}

function charts(instance: Instance, w: Walk): { chart?: string; chartHtml?: string } {
  const model = instance.model;
  const chart = renderRunChart(model, w.states, w.steps);
  if (chart === undefined || model.nodeIds === undefined) return {};
  const chartHtml = renderHtmlChart({
    title: `${instance.def.name} (${instance.variant.name})`,
    subtitle: `path ${w.path.join(',')}`,
    nodeIds: model.nodeIds,
    ...(model.clientLanes === undefined ? {} : { clientLanes: model.clientLanes as ClientLanes<unknown, unknown> }),
    init: w.states[0],
    steps: w.steps.map((s, i) => ({ label: s.label, action: s.action, state: w.states[i + 1] })),
  });
  return { chart, chartHtml };
}

export interface TracePath {
  readonly path: readonly number[];
  readonly description: string;
  /** Whether the trace's recorded outcome reproduces now, and what was seen. */
  readonly reproduced: boolean;
  readonly observed: string;
}

/** The path of a saved trace in this instance: the trace must be of the same model, variant
 * and params (a trace of another configuration is a run of another state space). Throws a
 * TraceError naming `file` when it does not fit. */
export function tracePath(instance: Instance, trace: TraceFile, file: string): TracePath {
  const { def, variant, params } = instance;
  const fail = (what: string): never => {
    throw new TraceError(`${file}: ${what}`);
  };
  if (trace.model !== def.name) fail(`a trace of model '${trace.model}', but the explorer runs '${def.name}'`);
  if (trace.variant !== variant.name) fail(`a trace of variant '${trace.variant}', but the explorer runs '${variant.name}'`);
  let traceParams: Readonly<Record<string, number>>;
  try {
    traceParams = resolveParams(def, { ...(variant.params ?? {}), ...trace.params });
  } catch (e) {
    if (e instanceof InputError) return fail(e.message);
    throw e;
  }
  if (canonicalJson(traceParams) !== canonicalJson(params)) {
    fail(`a trace with params ${paramText(traceParams)}, but the explorer runs ${paramText(params)}`);
  }
  const build: ModelBuilder = () => instance.model;
  const r = replayTrace(trace, file, build);
  const path = [trace.init];
  trace.steps.forEach((step, i) => {
    const wanted = canonicalJson(step.action);
    path.push(instance.model.actions(r.states[i]).findIndex((a) => canonicalJson(a) === wanted));
  });
  return { path, description: trace.description ?? `${trace.outcome} of ${trace.property}`, reproduced: r.reproduced, observed: r.observed };
}

function paramText(params: Readonly<Record<string, number>>): string {
  return Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ') || '(none)';
}
