// `faultline check`: explore one model configuration, or every model and variant (--all), and
// judge the result against what the variant expects: the faithful model must hold, a buggy
// variant must violate its property.

import type { Expectation, ModelDefinition, Params, VariantSpec } from '../core/model.ts';
import { findVariant, variantParams } from '../core/model.ts';
import { explore, ModelError, type ExploreOptions, type ExploreResult, type Violation } from '../explore/explore.ts';
import { traceFromRun, type TraceFile } from '../trace/trace.ts';
import { runScenario } from './scenario.ts';

/** A violation, or a liveness/refinement finding of a scenario check. */
export type Finding = Omit<Violation, 'kind'> & {
  readonly kind: Violation['kind'] | 'liveness' | 'refinement';
  /** Livelock lassos: the step after which the cycle starts. */
  readonly cycleStart?: number;
};

export type CheckResult = Omit<ExploreResult, 'violations'> & { readonly violations: readonly Finding[] };

export interface CheckOutcome {
  readonly model: string;
  /** The variant, or for a scenario check "scenario:<name>". */
  readonly variant: string;
  readonly params: Params;
  readonly expect: Expectation;
  readonly result: CheckResult;
  /** Whether the outcome is what the variant expects (and, when exhausted, no witness is
   * missing). */
  readonly matchesExpected: boolean;
  /** One line for the summary: "holds", "violation of TCConsistent (expected)", ... */
  readonly verdict: string;
  readonly traces: readonly TraceFile[];
  /** Node ids when the model is an actor system (for message sequence charts). */
  readonly nodeIds?: readonly string[];
}

export function runCheck(
  def: ModelDefinition,
  variantName: string,
  given: Readonly<Record<string, number>>,
  options: ExploreOptions,
): CheckOutcome {
  const variant = findVariant(def, variantName);
  const params = variantParams(def, variant.name, given);
  const model = def.create(params, variant.name);
  const result = explore(model, options);
  const traces = result.violations.map((v) => violationTrace(def, variant, params, v));
  const { matches, verdict } = judge(variant.expect, result);
  const nodeIds = (model as { nodeIds?: readonly string[] }).nodeIds;
  return {
    model: def.name, variant: variant.name, params, expect: variant.expect, result, matchesExpected: matches, verdict, traces,
    ...(nodeIds === undefined ? {} : { nodeIds }),
  };
}

function violationTrace(def: ModelDefinition, variant: VariantSpec, params: Params, v: Finding): TraceFile {
  return traceFromRun(
    {
      model: def.name,
      variant: variant.name,
      params,
      property: v.property,
      outcome: 'violation',
      description: `${v.property} violated in ${def.name} (${variant.name}): ${variant.description}`,
      message: v.message,
    },
    v.run,
  );
}

export function judge(expect: Expectation, r: CheckResult): { matches: boolean; verdict: string } {
  const missing = r.witnesses.filter((w) => !w.reached).map((w) => w.name);
  const bound = r.boundsHit.length > 0 ? ` (search cut by ${r.boundsHit.join(', ')})` : '';
  const v = r.violations[0];
  if (expect.status === 'holds') {
    if (v !== undefined) return { matches: false, verdict: `VIOLATION of ${v.property} (unexpected)` };
    if (r.status === 'holds' && missing.length > 0) {
      return { matches: false, verdict: `holds but vacuous: never reached ${missing.join(', ')}` };
    }
    return {
      matches: true,
      verdict: r.status === 'holds' ? 'holds (exhausted)' : `no violation within bounds${bound}, NOT verified`,
    };
  }
  if (v !== undefined && v.property === expect.property) {
    return { matches: true, verdict: `violation of ${v.property} (expected), ${v.steps} steps` };
  }
  if (v !== undefined) {
    return { matches: false, verdict: `violation of ${v.property}, expected ${expect.property}` };
  }
  return {
    matches: false,
    verdict: r.status === 'holds'
      ? `expected violation of ${expect.property} NOT found (space exhausted)`
      : `expected violation of ${expect.property} not found within bounds${bound}`,
  };
}

/** Every model and variant at its default params, then every scenario check. */
export function checkAll(models: readonly ModelDefinition[], options: ExploreOptions, onResult: (o: CheckOutcome) => void): CheckOutcome[] {
  const out: CheckOutcome[] = [];
  const record = (o: CheckOutcome) => {
    out.push(o);
    onResult(o);
  };
  for (const def of models) {
    for (const variant of def.variants) record(guard(def, variant.name, variant.expect, () => runCheck(def, variant.name, {}, options)));
    for (const scenario of def.scenarios ?? []) {
      record(guard(def, `scenario:${scenario.name}`, scenario.expect, () => runScenario(def, scenario, options)));
    }
  }
  return out;
}

/** A model that throws fails its row of check --all instead of stopping the others. */
function guard(def: ModelDefinition, variant: string, expect: Expectation, run: () => CheckOutcome): CheckOutcome {
  try {
    return run();
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    const result: CheckResult = {
      strategy: 'bfs', status: 'violation', boundsHit: [], distinctStates: 0, totalStates: 0, depth: 0, elapsedMs: 0,
      statesPerSecond: 0, bytesPerState: 0, storeBytes: 0, collisionProbability: 0, violations: [], witnesses: [],
    };
    return { model: def.name, variant, params: {}, expect, result, matchesExpected: false, verdict: `MODEL ERROR: ${e.message}`, traces: [] };
  }
}
