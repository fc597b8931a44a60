// A fast-check runner for models: random schedules, every invariant checked after every step,
// and on failure a shrunk counterexample saved as a trace file that records fast-check's seed
// and path, so `faultline replay` and `fc.assert(..., { seed, path })` both reproduce it.

import fc from 'fast-check';
import type { ModelDefinition, Params } from '../core/model.ts';
import { instantiate } from '../verify/instantiate.ts';
import { renderSteps } from '../render/text.ts';
import { saveTrace, traceFileName, traceFromRun, type TraceFile } from '../trace/trace.ts';
import { runSchedule, scheduleArbitrary, type Schedule, type ScheduleFailure } from './schedule.ts';

export interface PropertyRunOptions {
  readonly numRuns?: number;
  readonly depthMax?: number;
  readonly seed?: number;
  /** Where to save the shrunk counterexample (as <dir>/<model>/<variant>-<property>.json). */
  readonly traceDir?: string;
  readonly checkDeadlock?: boolean;
}

export interface PropertyRunResult {
  readonly ok: boolean;
  readonly numRuns: number;
  readonly seed: number;
  readonly failure?: ScheduleFailure & { readonly fastCheckPath: string; readonly shrinks: number };
  readonly trace?: TraceFile;
  readonly traceFile?: string;
}

/** Runs random schedules of a registered model and shrinks the first failure. */
export function checkWithFastCheck(
  def: ModelDefinition,
  variant: string,
  given: Readonly<Record<string, number>>,
  options: PropertyRunOptions = {},
): PropertyRunResult {
  const { params, model } = instantiate(def, variant, given);
  const property = fc.property(scheduleArbitrary({ depthMax: options.depthMax }), (schedule: Schedule) => {
    return runSchedule(model, schedule, { checkDeadlock: options.checkDeadlock }).failure === undefined;
  });
  const details = fc.check(property, {
    numRuns: options.numRuns ?? 200,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  if (!details.failed || details.counterexample === null) {
    return { ok: true, numRuns: details.numRuns, seed: details.seed };
  }
  const [schedule] = details.counterexample;
  const failure = runSchedule(model, schedule, { checkDeadlock: options.checkDeadlock }).failure!;
  const fastCheckPath = details.counterexamplePath ?? '';
  const trace = traceFromRun(
    {
      model: def.name,
      variant,
      params,
      property: failure.property,
      outcome: 'violation',
      description: `found by fast-check (seed ${details.seed}), shrunk ${details.numShrinks} times to ${failure.run.steps.length} steps`,
      message: failure.message,
      seed: details.seed,
      fastCheckPath,
    },
    failure.run,
  );
  let traceFile: string | undefined;
  if (options.traceDir !== undefined) {
    traceFile = traceFileName(options.traceDir, trace).replace(/\.json$/, '.fast-check.json');
    saveTrace(traceFile, trace);
  }
  return {
    ok: false,
    numRuns: details.numRuns,
    seed: details.seed,
    failure: { ...failure, fastCheckPath, shrinks: details.numShrinks },
    trace,
    traceFile,
  };
}

/** For vitest (`test.prop([scheduleArbitrary()])(...)`): runs a schedule and throws an Error
 * that shows the failing run in protocol words. */
export function assertSchedule(def: ModelDefinition, variant: string, given: Readonly<Record<string, number>>, schedule: Schedule): void {
  const { model } = instantiate(def, variant, given);
  const { failure } = runSchedule(model, schedule);
  if (failure !== undefined) {
    throw new Error(
      `${failure.property} violated after ${failure.run.steps.length} steps: ${failure.message}\n` +
        renderSteps(failure.run.init, failure.run.steps),
    );
  }
}
