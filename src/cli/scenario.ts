// Scenario checks of `check --all`: liveness (stuck states and fair livelocks once faults stop)
// and refinement against a specification, each judged against what the model declares.

import type { ModelDefinition, ScenarioCheck } from '../core/model.ts';
import { findVariant, resolveParams } from '../core/model.ts';
import type { ExploreOptions } from '../explore/explore.ts';
import { checkLiveness } from '../explore/liveness.ts';
import { checkRefinement } from '../explore/refinement.ts';
import { traceFromRun } from '../trace/trace.ts';
import { judge, runCheck, type CheckOutcome, type CheckResult, type Finding } from './check.ts';

export function runScenario(def: ModelDefinition, scenario: ScenarioCheck, options: ExploreOptions): CheckOutcome {
  if (scenario.kind === 'safety') {
    const o = runCheck(def, scenario.variant ?? def.variants[0].name, scenario.params, options);
    const { matches, verdict } = judge(scenario.expect, o.result);
    return { ...o, variant: `scenario:${scenario.name}`, expect: scenario.expect, matchesExpected: matches, verdict };
  }
  const variant = findVariant(def, scenario.variant ?? def.variants[0].name);
  const params = resolveParams(def, scenario.params);
  const model = def.create(params, variant.name);
  const started = performance.now();
  const statesMax = options.statesMax;
  let findings: Finding[];
  let complete: boolean;
  let distinct: number;
  let total: number;
  if (scenario.kind === 'liveness') {
    const r = checkLiveness(model, { statesMax });
    complete = r.complete;
    distinct = r.distinctStates;
    total = r.edges + model.init.length;
    findings = [];
    if (r.stuck) findings.push({ property: 'stuck', kind: 'liveness', message: r.stuck.message, steps: r.stuck.run.steps.length, path: r.stuck.path, run: r.stuck.run });
    if (r.livelock) {
      const l = r.livelock;
      findings.push({ property: 'livelock', kind: 'liveness', message: l.message, steps: l.run.steps.length, path: l.path, run: l.run, cycleStart: l.cycleStart });
    }
  } else {
    const r = checkRefinement(model, scenario.spec(params), scenario.mapping, { statesMax });
    complete = r.complete;
    distinct = r.distinctStates;
    total = r.stepsChecked + model.init.length;
    const f = r.failure;
    findings = f ? [{ property: 'refinement', kind: 'refinement', message: `${f.message}: ${JSON.stringify(f.abstractBefore)} -> ${JSON.stringify(f.abstractAfter)}`, steps: f.run.steps.length, path: f.path, run: f.run }] : [];
  }
  const elapsedMs = performance.now() - started;
  const result: CheckResult = {
    strategy: 'bfs',
    status: findings.length > 0 ? 'violation' : complete ? 'holds' : 'bounded',
    boundsHit: findings.length === 0 && !complete ? ['statesMax'] : [],
    distinctStates: distinct,
    totalStates: total,
    depth: 0,
    elapsedMs,
    statesPerSecond: Math.round((distinct / Math.max(elapsedMs, 1e-9)) * 1000),
    bytesPerState: 0,
    storeBytes: 0,
    collisionProbability: (distinct * distinct) / 2 ** 65,
    violations: findings,
    witnesses: [],
  };
  const { matches, verdict } = judge(scenario.expect, result);
  // Liveness findings replay as traces; a refinement failure needs the specification too.
  const traces = findings.filter((f) => f.kind === 'liveness').map((f) => ({
    ...traceFromRun(
      {
        model: def.name, variant: variant.name, params, property: f.property, outcome: 'violation',
        description: `${scenario.kind} scenario '${scenario.name}': ${scenario.description}`, message: f.message,
      },
      f.run,
    ),
    ...(f.cycleStart === undefined ? {} : { cycleStart: f.cycleStart }),
  }));
  const nodeIds = (model as { nodeIds?: readonly string[] }).nodeIds;
  return {
    model: def.name, variant: `scenario:${scenario.name}`, params, expect: scenario.expect, result, matchesExpected: matches, verdict, traces,
    ...(nodeIds === undefined ? {} : { nodeIds }),
  };
}
