// Trace files: a versioned, human-readable JSON record of one run of a model, with the
// property it demonstrates and the outcome expected on replay. Counterexamples found by the
// explorer are saved as traces and replayed by CI forever (docs/ARCHITECTURE.md).
//
// Replay is strict: every step's action must be enabled where it is replayed, a recorded state
// must equal the state the model produces now, and the recorded outcome must reproduce. A
// trace that no longer fits fails with a message naming the file and the step.

import { readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AnyCompleteModel, AnyModel, Params } from '../core/model.ts';
import { hasSafetyProperty, InputError, withDefaults } from '../core/model.ts';
import { canonicalJson } from '../core/data.ts';
import type { Run } from '../explore/path.ts';

export const TRACE_FORMAT = 'faultline-trace';
export const TRACE_VERSION = 1;

/** What replaying the trace must show:
 * - `violation`: the property (an invariant, or "deadlock") fails in the last state and in no
 *   earlier one;
 * - `witness`: the `sometimes` property holds in the last state;
 * - `holds`: a scenario; every invariant holds in every state. */
export type TraceOutcome = 'violation' | 'witness' | 'holds';

export interface TraceStepRecord {
  readonly label: string;
  readonly action: unknown;
  /** The state after the step (optional in hand-written traces; checked when present). */
  readonly state?: unknown;
}

export interface TraceFile {
  readonly format: typeof TRACE_FORMAT;
  readonly version: number;
  readonly model: string;
  readonly variant: string;
  readonly params: Params;
  readonly property: string;
  readonly outcome: TraceOutcome;
  readonly description?: string;
  /** The failure message seen when the trace was recorded (informative; not compared). */
  readonly message?: string;
  /** Set when the run came from a seeded search (fast-check or swarm simulation). */
  readonly seed?: number;
  readonly fastCheckPath?: string;
  /** For a livelock lasso: the step after which the cycle starts (the last state equals the
   * state after this many steps). */
  readonly cycleStart?: number;
  /** Index into the model's initial states. */
  readonly init: number;
  readonly initialState?: unknown;
  readonly steps: readonly TraceStepRecord[];
}

/** A trace that cannot be read or no longer fits the model: bad input, exit code 2. */
export class TraceError extends InputError {}

/** What a caller says about a run when recording it; the rest of a TraceFile comes from the run. */
export type TraceInput = Pick<
  TraceFile,
  'model' | 'variant' | 'params' | 'property' | 'outcome' | 'description' | 'message' | 'seed' | 'fastCheckPath'
>;

export function traceFromRun(info: TraceInput, run: Run): TraceFile {
  // Optional fields that were not given are left out, so the JSON has no empty keys.
  const given = Object.fromEntries(Object.entries(info).filter(([, v]) => v !== undefined)) as TraceInput;
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    ...given,
    init: run.initIndex,
    initialState: run.init,
    steps: run.steps.map((s) => ({ label: s.label, action: s.action, state: s.state })),
  };
}

export function traceToJson(trace: TraceFile): string {
  return JSON.stringify(trace, null, 2) + '\n';
}

export function saveTrace(file: string, trace: TraceFile): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, traceToJson(trace));
}

/** The conventional file of a trace under a traces directory: <dir>/<model>/<name>.json. */
export function traceFileName(dir: string, trace: TraceFile): string {
  const name = `${trace.variant}-${trace.property}`.replace(/[^A-Za-z0-9._-]+/g, '-').toLowerCase();
  return join(dir, trace.model, `${name}.json`);
}

/** Largest trace file read: far above any counterexample (the longest saved ones are tens of
 * KiB), far below what would make reading it a problem. */
export const TRACE_BYTES_MAX = 64 * 2 ** 20;
/** Deepest nesting of arrays and objects accepted in a trace (states of the models nest a
 * dozen levels); deeper input is refused before anything recurses into it. */
export const TRACE_NESTING_MAX = 64;

export function loadTrace(file: string): TraceFile {
  let text: string;
  try {
    const info = statSync(file);
    if (!info.isFile()) throw new TraceError(`${file}: not a regular file`);
    if (info.size > TRACE_BYTES_MAX) throw new TraceError(`${file}: ${info.size} bytes, more than a trace may have (${TRACE_BYTES_MAX})`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof TraceError) throw e;
    throw new TraceError(`${file}: cannot read trace (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new TraceError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const depth = nestingDepth(data, TRACE_NESTING_MAX);
  if (depth > TRACE_NESTING_MAX) throw new TraceError(`${file}: nested more than ${TRACE_NESTING_MAX} levels deep: not a trace`);
  return validateTrace(data, file);
}

/** How deeply arrays and objects nest in parsed JSON, counted without recursion and given up
 * past `limit` (the answer is then limit + 1). */
function nestingDepth(data: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[data, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth + 1 > limit) return limit + 1;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Checks the shape of parsed JSON and returns it as a trace, or throws a TraceError that
 * names the file and the field. */
export function validateTrace(data: unknown, file: string): TraceFile {
  const fail = (what: string): never => {
    throw new TraceError(`${file}: ${what}`);
  };
  if (!isRecord(data)) return fail('a trace must be a JSON object');
  if (data.format !== TRACE_FORMAT) fail(`"format" must be "${TRACE_FORMAT}"`);
  if (data.version !== TRACE_VERSION) fail(`unsupported trace version ${JSON.stringify(data.version)} (this faultline reads version ${TRACE_VERSION})`);
  for (const key of ['model', 'variant', 'property'] as const) {
    if (typeof data[key] !== 'string' || data[key] === '') fail(`"${key}" must be a non-empty string`);
  }
  if (!['violation', 'witness', 'holds'].includes(data.outcome as string)) {
    fail(`"outcome" must be "violation", "witness" or "holds", got ${JSON.stringify(data.outcome)}`);
  }
  if (!isRecord(data.params) || !Object.values(data.params).every((v) => Number.isInteger(v))) {
    fail('"params" must be an object of integer values');
  }
  if (!Number.isInteger(data.init) || (data.init as number) < 0) fail('"init" must be a non-negative integer');
  if (!Array.isArray(data.steps)) return fail('"steps" must be an array');
  if (data.cycleStart !== undefined && !(Number.isInteger(data.cycleStart) && (data.cycleStart as number) >= 0)) {
    fail('"cycleStart" must be a non-negative integer');
  }
  data.steps.forEach((step: unknown, i: number) => {
    if (!isRecord(step) || !('action' in step)) fail(`step ${i + 1} must be an object with an "action"`);
    const rec = step as Record<string, unknown>;
    if (typeof rec.label !== 'string') fail(`step ${i + 1} must have a "label" string`);
  });
  return data as unknown as TraceFile;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface ReplayResult {
  readonly trace: TraceFile;
  readonly model: AnyCompleteModel;
  /** States after each step, starting with the initial state. */
  readonly states: readonly unknown[];
  /** Whether the recorded outcome reproduced, and what was seen. */
  readonly reproduced: boolean;
  readonly observed: string;
}

/** Builds the model a trace names (src/verify's `buildRegistered` for registered models);
 * throws an InputError for an unknown model, variant or param. */
export type ModelBuilder = (model: string, variant: string, params: Params) => AnyModel;

/** Replays a trace against the current model. Throws a TraceError when the trace does not fit
 * the model (unknown model/variant/param, a step not enabled, a state that differs); returns
 * `reproduced: false` when it fits but the recorded outcome is not what happens now. */
export function replayTrace(trace: TraceFile, file: string, build: ModelBuilder): ReplayResult {
  const at = (what: string) => new TraceError(`${file}: ${what}`);
  let model: AnyCompleteModel;
  try {
    model = withDefaults(build(trace.model, trace.variant, trace.params));
  } catch (e) {
    if (e instanceof InputError) throw at(e.message);
    throw e;
  }
  const initial = model.init[trace.init];
  if (initial === undefined) throw at(`initial state ${trace.init} does not exist (the model has ${model.init.length})`);
  if (trace.initialState !== undefined && canonicalJson(trace.initialState) !== canonicalJson(initial)) {
    throw at('the initial state differs from the recorded one (stale trace: the model changed)');
  }
  const states: unknown[] = [initial];
  const actions: unknown[] = [];
  let state = initial;
  let early: string | undefined;
  trace.steps.forEach((step, i) => {
    early ??= earlyFailure(model, trace, states, actions);
    const wanted = canonicalJson(step.action);
    const action = model.actions(state).find((a) => canonicalJson(a) === wanted);
    if (action === undefined) {
      const enabled = model.actions(state).map((a) => model.describe(a));
      throw at(
        `step ${i + 1} (${step.label}): action is not enabled here; enabled: ${enabled.join('; ') || '(none)'}`,
      );
    }
    const label = model.describe(action);
    if (step.label !== label) {
      throw at(`step ${i + 1}: the label "${step.label}" is not what the model calls this action ("${label}"): an edited or stale trace`);
    }
    state = model.step(state, action);
    if (step.state !== undefined && canonicalJson(step.state) !== canonicalJson(state)) {
      throw at(`step ${i + 1} (${step.label}): the state differs from the recorded one (stale trace: the model changed)`);
    }
    states.push(state);
    actions.push(action);
  });
  if (early !== undefined) return { trace, model, states, reproduced: false, observed: early };
  const { reproduced, observed } = judgeOutcome(model, trace, states, actions);
  return { trace, model, states, reproduced, observed };
}

/** No invariant may fail before the last state, nor any step invariant before the last step: a
 * violation trace that fails earlier is not the run that was recorded, and a scenario must hold
 * throughout. `states` are those replayed so far, `actions` the steps between them. */
function earlyFailure(model: AnyCompleteModel, trace: TraceFile, states: readonly unknown[], actions: readonly unknown[]): string | undefined {
  if (trace.outcome === 'witness') return undefined;
  const i = states.length - 1;
  const state = states[i];
  if (i > 0) {
    for (const inv of model.stepInvariants) {
      const message = inv.check(states[i - 1], actions[i - 1], state);
      if (message !== undefined) return `${inv.name} already fails at step ${i}: ${message}`;
    }
  }
  for (const inv of model.invariants) {
    const message = inv.check(state);
    if (message !== undefined) {
      const where = i === 0 ? 'the initial state' : `the state after step ${i}`;
      return `${inv.name} already fails in ${where}: ${message}`;
    }
  }
  return undefined;
}

/** A stuck trace ends where the goal does not hold and only faults (and actions the model does
 * not assume fair) are enabled; a livelock
 * trace ends in the state where its cycle started, with no fault and no goal in the cycle. */
function judgeLiveness(model: AnyCompleteModel, trace: TraceFile, states: readonly unknown[]): { reproduced: boolean; observed: string } {
  const goal = (s: unknown) => model.goal(s);
  const isFault = (a: unknown) => model.isFault(a);
  const last = states[states.length - 1];
  if (trace.property === 'stuck') {
    const enabled = model.actions(last);
    const ok = !goal(last) && enabled.every((a) => isFault(a) || !model.isFair(a));
    const what = enabled.every(isFault) ? 'only faults are enabled' : 'only faults and actions not assumed fair are enabled';
    return { reproduced: ok, observed: ok ? `stuck: the goal does not hold and ${what}` : 'the last state is not stuck' };
  }
  const start = trace.cycleStart;
  if (start === undefined || start < 0 || start >= states.length - 1) {
    return { reproduced: false, observed: 'a livelock trace needs "cycleStart" before its last step' };
  }
  const closes = canonicalJson(states[start]) === canonicalJson(last);
  const cycle = trace.steps.slice(start);
  const faulty = cycle.some((s) => isFault(s.action));
  const reachesGoal = states.slice(start).some(goal);
  const ok = closes && !faulty && !reachesGoal;
  const why = !closes ? 'the cycle does not return to its first state' : faulty ? 'the cycle contains a fault' : 'the cycle reaches the goal';
  return { reproduced: ok, observed: ok ? `livelock: a ${cycle.length}-step cycle returns to the state after step ${start} without reaching the goal` : why };
}

function judgeOutcome(model: AnyCompleteModel, trace: TraceFile, states: readonly unknown[], actions: readonly unknown[]): { reproduced: boolean; observed: string } {
  const n = states.length - 1;
  const state = states[n];
  // The last step's step invariants (none for a trace without steps), then the last state's.
  const ofStep = n === 0 ? [] : model.stepInvariants.map((inv) => ({ name: inv.name, message: inv.check(states[n - 1], actions[n - 1], state) }));
  const failing = [...ofStep, ...model.invariants.map((inv) => ({ name: inv.name, message: inv.check(state) }))]
    .filter((x) => x.message !== undefined);
  switch (trace.outcome) {
    case 'violation': {
      if (trace.property === 'stuck' || trace.property === 'livelock') return judgeLiveness(model, trace, states);
      if (trace.property === 'deadlock') {
        const stuck = model.actions(state).length === 0 && !model.isFinal(state);
        return { reproduced: stuck, observed: stuck ? 'deadlock: no action is enabled' : 'the last state is not a deadlock' };
      }
      if (!hasSafetyProperty(model, trace.property)) {
        return { reproduced: false, observed: `the model has no invariant named ${trace.property}` };
      }
      const hit = failing.find((x) => x.name === trace.property);
      if (hit !== undefined) return { reproduced: true, observed: `${hit.name} violated: ${hit.message}` };
      return {
        reproduced: false,
        observed: failing.length > 0
          ? `${trace.property} holds; instead ${failing.map((f) => `${f.name}: ${f.message}`).join('; ')}`
          : `${trace.property} holds ${model.stepInvariants.some((i) => i.name === trace.property) ? 'on the last step' : 'in the last state'}`,
      };
    }
    case 'witness': {
      const w = model.sometimes.find((x) => x.name === trace.property);
      if (w === undefined) return { reproduced: false, observed: `the model has no sometimes property named ${trace.property}` };
      const ok = w.holds(state);
      return { reproduced: ok, observed: ok ? `${w.name} reached` : `${w.name} does not hold in the last state` };
    }
    case 'holds': {
      if (failing.length > 0) {
        return { reproduced: false, observed: failing.map((f) => `${f.name}: ${f.message}`).join('; ') };
      }
      return { reproduced: true, observed: 'every invariant holds in every state' };
    }
  }
}
