// The only place a check is built and judged. A check is a tagged union: the model's invariants
// (safety), liveness once faults stop, or refinement of a specification; each result keeps its
// engine's own fields, and a summary common to all of them (status, bounds, statistics) is
// computed here once. The CLI parses arguments and renders; tests and benchmarks call the
// same functions. Room is left for the next kinds (simulation, conformance).

import type { AnyCompleteModel, Expectation, ModelDefinition, ScenarioCheck } from '../core/model.ts';
import { InputError, withDefaults } from '../core/model.ts';
import { Exploration, type ExploreOptions, type ExploreResult, type Status } from '../explore/explore.ts';
import { livenessJob, type LivenessResult } from '../explore/liveness.ts';
import { refinementJob, type RefinementResult } from '../explore/refinement.ts';
import { ModelError, runJob, runJobAsync, type Bound, type SearchJob } from '../explore/traverse.ts';
import type { Run } from '../explore/path.ts';
import { traceFromRun, type TraceFile } from '../trace/trace.ts';
import { instantiate, type Instance } from './instantiate.ts';

/** States a planted bug's row explores past its expected violation, looking for others (a
 * buggy variant's space can be far larger than the faithful model's). A row cut there says so:
 * "the rest cut by afterExpectedMax". */
export const AFTER_EXPECTED_MAX = 250_000;

/** Which row of a model a check is: one of its variants at its params, or a named scenario. */
export type Row = { readonly kind: 'variant'; readonly name: string } | { readonly kind: 'scenario'; readonly name: string };

interface CheckBase {
  readonly row: Row;
  readonly instance: Instance;
  readonly description: string;
}

export type Check =
  | (CheckBase & {
      readonly kind: 'safety';
      readonly expect: Expectation;
      /** The variant's or scenario's deadlock setting (a run's --no-deadlock overrides it). */
      readonly checkDeadlock: boolean;
      /** A scenario that explores one state per orbit of the model's symmetry (as --symmetry). */
      readonly symmetry: boolean;
    })
  | (CheckBase & {
      readonly kind: 'liveness';
      readonly expect: { readonly status: 'holds' } | { readonly status: 'violation'; readonly property: 'stuck' | 'livelock' };
    })
  | (CheckBase & {
      readonly kind: 'refinement';
      readonly spec: AnyCompleteModel;
      readonly mapping: (state: unknown) => unknown;
      readonly expect: { readonly status: 'holds' } | { readonly status: 'violation'; readonly property: 'refinement' };
    });

export type CheckKind = Check['kind'];

/** The invariants of one variant (default: the faithful one) at the given params. */
export function variantCheck(def: ModelDefinition, variant?: string, given: Readonly<Record<string, number>> = {}): Check {
  const instance = instantiate(def, variant, given);
  const v = instance.variant;
  return { kind: 'safety', row: { kind: 'variant', name: v.name }, instance, description: v.description, expect: v.expect, checkDeadlock: v.checkDeadlock ?? true, symmetry: false };
}

/** A scenario the model declares, with its own variant and params. */
export function scenarioCheck(def: ModelDefinition, scenario: ScenarioCheck): Check {
  const instance = instantiate(def, scenario.variant, scenario.params);
  const base = { row: { kind: 'scenario', name: scenario.name } as const, instance, description: scenario.description };
  switch (scenario.kind) {
    case 'safety':
      return {
        ...base,
        kind: 'safety',
        expect: scenario.expect,
        checkDeadlock: scenario.checkDeadlock ?? instance.variant.checkDeadlock ?? true,
        symmetry: scenario.symmetry === true,
      };
    case 'liveness':
      return { ...base, kind: 'liveness', expect: scenario.expect };
    case 'refinement':
      return { ...base, kind: 'refinement', expect: scenario.expect, mapping: scenario.mapping, spec: withDefaults(scenario.spec(instance.params)) };
    default:
      return assertNever(scenario);
  }
}

export function findScenario(def: ModelDefinition, name: string): ScenarioCheck {
  const scenario = (def.scenarios ?? []).find((c) => c.name === name);
  if (scenario === undefined) {
    const known = (def.scenarios ?? []).map((c) => c.name).join(', ') || '(none)';
    throw new InputError(`model '${def.name}' has no scenario '${name}' (scenarios: ${known})`);
  }
  return scenario;
}

/** Every row of a model in check --all: each variant at its params, then each scenario. */
export function checksOf(def: ModelDefinition): Check[] {
  return [...def.variants.map((v) => variantCheck(def, v.name)), ...(def.scenarios ?? []).map((s) => scenarioCheck(def, s))];
}

/** What an engine produced, with its own fields; `error` when the model's code threw. */
export type EngineResult =
  | { readonly kind: 'safety'; readonly explore: ExploreResult }
  | { readonly kind: 'liveness'; readonly liveness: LivenessResult }
  | { readonly kind: 'refinement'; readonly refinement: RefinementResult }
  | { readonly kind: 'error'; readonly error: ModelError };

/** A violation, a stuck state, a livelock lasso or a refinement failure, with its trace. */
export interface Finding {
  readonly property: string;
  readonly kind: 'invariant' | 'deadlock' | 'liveness' | 'refinement';
  readonly message: string;
  readonly steps: number;
  readonly path: readonly number[];
  readonly run: Run;
  /** Livelock lassos: the step after which the cycle starts. */
  readonly cycleStart?: number;
  /** The run as a trace file; absent for refinement failures (their replay needs the
   * specification too). */
  readonly trace?: TraceFile;
}

/** What every kind of check reports, worked out once from the engine's result. */
export type Summary = Pick<ExploreResult, 'status' | 'boundsHit' | 'distinctStates' | 'totalStates' | 'depth' | 'elapsedMs' | 'statesPerSecond'>;

export interface Outcome {
  readonly check: Check;
  readonly result: EngineResult;
  readonly summary: Summary;
  readonly findings: readonly Finding[];
  /** Whether the outcome is what the check expects (and, when exhausted, no witness is missing). */
  readonly matchesExpected: boolean;
  /** One line for the summary: "holds (exhausted)", "violation of TCConsistent (expected), 5 steps", ... */
  readonly verdict: string;
}

export function runCheck(check: Check, options: ExploreOptions = {}): Outcome {
  return conclude(check, () => runJob(jobOf(check, options)));
}

/** The same check in slices: Ctrl-C (options.signal), progress lines and timers get their turn. */
export async function runCheckAsync(check: Check, options: ExploreOptions = {}): Promise<Outcome> {
  let result: EngineResult;
  try {
    result = await runJobAsync(jobOf(check, options));
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    result = { kind: 'error', error: e };
  }
  return judgeOutcome(check, result);
}

function conclude(check: Check, run: () => EngineResult): Outcome {
  let result: EngineResult;
  try {
    result = run();
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    result = { kind: 'error', error: e };
  }
  return judgeOutcome(check, result);
}

/** The engine job of a check. Liveness and refinement are breadth-first: `strategy` does not
 * apply to them (the CLI says so); every other bound does. */
function jobOf(check: Check, options: ExploreOptions): SearchJob<EngineResult> {
  const model = check.instance.model;
  const { strategy: _strategy, checkDeadlock: _deadlock, ...limits } = options;
  switch (check.kind) {
    case 'safety': {
      // A planted bug's row goes on past its expected violation, so it cannot mask another.
      const expectViolationOf = check.expect.status === 'violation' ? [check.expect.property, ...(check.expect.also ?? [])] : undefined;
      const checkDeadlock = options.checkDeadlock ?? check.checkDeadlock;
      const symmetry = options.symmetry === true || check.symmetry;
      const job = new Exploration(model, { afterExpectedMax: AFTER_EXPECTED_MAX, ...options, expectViolationOf, checkDeadlock, ...(symmetry ? { symmetry } : {}) });
      return { traversal: job.traversal, result: () => ({ kind: 'safety', explore: job.result() }) };
    }
    case 'liveness': {
      const job = livenessJob(model, limits);
      return { traversal: job.traversal, result: () => ({ kind: 'liveness', liveness: job.result() }) };
    }
    case 'refinement': {
      const job = refinementJob(model, check.spec, check.mapping, limits);
      return { traversal: job.traversal, result: () => ({ kind: 'refinement', refinement: job.result() }) };
    }
    default:
      return assertNever(check);
  }
}

function judgeOutcome(check: Check, result: EngineResult): Outcome {
  const summary = summarise(result);
  const findings = findingsOf(check, result);
  const { matches, verdict } = result.kind === 'error'
    ? { matches: false, verdict: `MODEL ERROR: ${result.error.message}` }
    : judge(check.expect, summary, findings, result.kind === 'safety' ? result.explore.witnesses : []);
  return { check, result, summary, findings, matchesExpected: matches, verdict: verdict + orbitsNote(result) };
}

/** A search up to symmetry counts orbits, not states: every report of it says so. */
function orbitsNote(result: EngineResult): string {
  const symmetry = result.kind === 'safety' ? result.explore.symmetry : undefined;
  return symmetry === undefined ? '' : `; distinct counts orbits of the ${symmetry.size} interchangeable ${symmetry.ids}`;
}

export function summarise(result: EngineResult): Summary {
  switch (result.kind) {
    case 'safety': {
      const r = result.explore;
      return { status: r.status, boundsHit: r.boundsHit, distinctStates: r.distinctStates, totalStates: r.totalStates, depth: r.depth, elapsedMs: r.elapsedMs, statesPerSecond: r.statesPerSecond };
    }
    case 'liveness': {
      const r = result.liveness;
      const found = r.stuck !== undefined || r.livelock !== undefined;
      return searchSummary(found, r.boundsHit, r.distinctStates, r.totalStates, r.depth, r.elapsedMs);
    }
    case 'refinement': {
      const r = result.refinement;
      return searchSummary(r.failure !== undefined, r.boundsHit, r.distinctStates, r.totalStates, r.depth, r.elapsedMs);
    }
    case 'error':
      return { status: 'violation', boundsHit: [], distinctStates: 0, totalStates: 0, depth: 0, elapsedMs: 0, statesPerSecond: 0 };
    default:
      return assertNever(result);
  }
}

function searchSummary(found: boolean, boundsHit: readonly Bound[], distinct: number, total: number, depth: number, elapsedMs: number): Summary {
  const status: Status = found ? 'violation' : boundsHit.length > 0 ? 'bounded' : 'holds';
  const statesPerSecond = elapsedMs > 0 ? Math.round((distinct / elapsedMs) * 1000) : distinct;
  return { status, boundsHit: found ? [] : boundsHit, distinctStates: distinct, totalStates: total, depth, elapsedMs, statesPerSecond };
}

function findingsOf(check: Check, result: EngineResult): Finding[] {
  const i = check.instance;
  const trace = (property: string, message: string, run: Run, description: string, cycleStart?: number): TraceFile => ({
    ...traceFromRun(
      { model: i.def.name, variant: i.variant.name, params: i.params, property, outcome: 'violation', description, message },
      run,
    ),
    ...(cycleStart === undefined ? {} : { cycleStart }),
  });
  switch (result.kind) {
    case 'safety':
      return result.explore.violations.map((v) => ({
        ...v,
        trace: trace(v.property, v.message, v.run, `${v.property} violated in ${i.def.name} (${i.variant.name}): ${check.row.kind === 'variant' ? i.variant.description : check.description}`),
      }));
    case 'liveness': {
      const r = result.liveness;
      const out: Finding[] = [];
      const description = `liveness scenario '${check.row.name}': ${check.description}`;
      if (r.stuck) {
        const s = r.stuck;
        out.push({ property: 'stuck', kind: 'liveness', message: s.message, steps: s.run.steps.length, path: s.path, run: s.run, trace: trace('stuck', s.message, s.run, description) });
      }
      if (r.livelock) {
        const l = r.livelock;
        out.push({ property: 'livelock', kind: 'liveness', message: l.message, steps: l.run.steps.length, path: l.path, run: l.run, cycleStart: l.cycleStart, trace: trace('livelock', l.message, l.run, description, l.cycleStart) });
      }
      return out;
    }
    case 'refinement': {
      const f = result.refinement.failure;
      if (f === undefined) return [];
      const message = `${f.message}: ${JSON.stringify(f.abstractBefore)} -> ${JSON.stringify(f.abstractAfter)}`;
      return [{ property: 'refinement', kind: 'refinement', message, steps: f.run.steps.length, path: f.path, run: f.run }];
    }
    case 'error':
      return [];
    default:
      return assertNever(result);
  }
}

/** Judges a result against what the check expects. */
export function judge(
  expect: Expectation,
  r: Summary,
  findings: readonly Finding[],
  witnesses: readonly { readonly name: string; readonly reached: boolean }[],
): { matches: boolean; verdict: string } {
  const missing = witnesses.filter((w) => !w.reached).map((w) => w.name);
  const bound = r.boundsHit.length > 0 ? ` (search cut by ${r.boundsHit.join(', ')})` : '';
  if (expect.status === 'holds') {
    if (findings.length > 0) return { matches: false, verdict: `VIOLATION of ${findings.map((f) => f.property).join(', ')} (unexpected)` };
    if (r.status === 'holds' && missing.length > 0) {
      return { matches: false, verdict: `holds but vacuous: never reached ${missing.join(', ')}` };
    }
    return {
      matches: true,
      verdict: r.status === 'holds' ? 'holds (exhausted)' : `no violation within bounds${bound}, NOT verified`,
    };
  }
  // A planted bug: its property must be violated, and nothing it is not declared to break
  // (the explorer goes on past expected violations; see ExploreOptions.expectViolationOf).
  const allowed = [expect.property, ...(expect.also ?? [])];
  const hit = findings.find((f) => f.property === expect.property);
  const other = findings.find((f) => !allowed.includes(f.property));
  if (other !== undefined) {
    const besides = hit === undefined ? `, expected ${expect.property}` : `, besides the expected ${expect.property} (${hit.steps} steps)`;
    return { matches: false, verdict: `VIOLATION of ${other.property} in ${other.steps} steps${besides}` };
  }
  if (hit !== undefined) {
    const also = findings.filter((f) => f !== hit).map((f) => `${f.property} ${f.steps}`);
    const rest = r.boundsHit.length > 0 ? `; the rest cut by ${r.boundsHit.join(', ')}` : '';
    return { matches: true, verdict: `violation of ${hit.property} (expected), ${hit.steps} steps${also.length > 0 ? ` (also ${also.join(', ')})` : ''}${rest}` };
  }
  return {
    matches: false,
    verdict: r.status === 'holds'
      ? `expected violation of ${expect.property} NOT found (space exhausted)`
      : `expected violation of ${expect.property} not found within bounds${bound}`,
  };
}

/** Every model's rows, one after the other; `onResult` sees each outcome as it comes (the CLI
 * prints the table row by row). A model that throws fails its own row only. */
export async function checkAll(models: readonly ModelDefinition[], options: ExploreOptions, onResult: (o: Outcome) => void = () => {}): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const def of models) {
    for (const check of checksOf(def)) {
      if (isInterrupted(options)) return out;
      const o = await runCheckAsync(check, options);
      out.push(o);
      onResult(o);
    }
  }
  return out;
}

function isInterrupted(options: ExploreOptions): boolean {
  return options.signal?.aborted === true;
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}
