// The vitest face of checkWithFastCheck (issue 17): when a property over schedules fails, the
// thrown error says everything needed to read and reproduce the counterexample without
// rerunning anything — the violated property and its message, the shrunk run as a message
// sequence chart (numbered step labels for models that are not actor systems), fast-check's
// seed and path with the call that replays them, and the saved trace with the command that
// replays it — as TigerBeetle's "reproduce with seed=" and fast-check's own `{ seed, path }`.
//
// The trace is saved by checkWithFastCheck (<dir>/<model>/<variant>-<property>.fast-check.json)
// and replayed here once before the error is thrown, with its text transcript written next to
// it (transcript.ts), so the file the message points at is known to reproduce the failure.

import { writeFileSync } from 'node:fs';
import type { ModelDefinition } from '../core/model.ts';
import { renderRunChart } from '../render/chart.ts';
import { replayTrace, type ReplayResult } from '../trace/trace.ts';
import { transcriptFileName, transcriptOf } from '../trace/transcript.ts';
import { instantiate } from '../verify/instantiate.ts';
import { checkWithFastCheck, type PropertyRunOptions, type PropertyRunResult } from './runner.ts';

/** Where failing schedules are saved when the caller names no directory (gitignored). */
export const FAST_CHECK_OUT_DIR = '.faultline-out/fast-check';

/** The options of a failed run that decide which schedules fast-check draws: a replay with
 * the seed and path must pass the same ones. */
const REPLAY_OPTIONS = ['depthMax', 'schedules', 'weights', 'checkDeadlock', 'deleteSteps'] as const;

/** A property over schedules failed; the message is the report, the result is kept for tests. */
export class ScheduleCounterexample extends Error {
  constructor(
    message: string,
    readonly result: PropertyRunResult,
    readonly replayed: ReplayResult,
  ) {
    super(message);
    this.name = 'ScheduleCounterexample';
  }
}

/** checkWithFastCheck for vitest: returns the result when every schedule keeps every
 * invariant, and otherwise saves the shrunk counterexample (under `options.traceDir`, default
 * FAST_CHECK_OUT_DIR) and throws a ScheduleCounterexample whose message reports it. */
export function expectScheduleProperty(
  def: ModelDefinition,
  variant: string,
  given: Readonly<Record<string, number>> = {},
  options: PropertyRunOptions = {},
): PropertyRunResult {
  const result = checkWithFastCheck(def, variant, given, { ...options, traceDir: options.traceDir ?? FAST_CHECK_OUT_DIR });
  if (result.ok) return result;
  const trace = result.trace!;
  const traceFile = result.traceFile!;
  // Replayed against `def` itself, so unregistered test models replay too.
  const replayed = replayTrace(trace, traceFile, (_model, v, params) => instantiate(def, v, params).model);
  writeFileSync(transcriptFileName(traceFile), transcriptOf(trace, replayed));
  throw new ScheduleCounterexample(scheduleFailureReport(def, variant, given, options, result, replayed), result, replayed);
}

/** The report of a failed run: what failed, the chart, how to replay it. Pure: the caller has
 * saved and replayed the trace (`replayed` gives the states and the model's node ids). */
export function scheduleFailureReport(
  def: ModelDefinition,
  variant: string,
  given: Readonly<Record<string, number>>,
  options: PropertyRunOptions,
  result: PropertyRunResult,
  replayed: ReplayResult,
): string {
  const failure = result.failure!;
  const trace = result.trace!;
  const steps = trace.steps;
  const chart = renderRunChart(replayed.model, replayed.states, steps, trace.cycleStart);
  const numbered = steps.map((s, i) => `${String(i + 1).padStart(4)}  ${s.label}`).join('\n');
  const params = Object.entries(trace.params).map(([k, v]) => `${k}=${v}`).join(' ');
  const replayWith = { ...pick(options), seed: result.seed, path: failure.fastCheckPath };
  const call = `expectScheduleProperty(findModel('${def.name}'), '${variant}', ${literal(given)}, ${literal(replayWith)})`;
  return [
    `${failure.property} violated after ${steps.length} steps: ${failure.message}`,
    `${def.name} ${variant}${params === '' ? '' : ` ${params}`}; ${trace.description}`,
    '',
    chart === undefined ? 'the shrunk schedule, step by step:' : 'the shrunk schedule as a message sequence chart:',
    chart ?? numbered,
    '',
    `fast-check: { seed: ${result.seed}, path: "${failure.fastCheckPath}" } (after ${result.numRuns} runs)`,
    `replay it: ${call}`,
    `trace saved: ${result.traceFile} (${replayed.reproduced ? 'replays' : 'does NOT replay'}: ${replayed.observed})`,
    `  npx faultline replay ${result.traceFile}${chart === undefined ? '' : ' --chart'}`,
    `transcript: ${transcriptFileName(result.traceFile!)}`,
  ].join('\n');
}

/** The options given that a replay must repeat, in a fixed order. */
function pick(options: PropertyRunOptions): Partial<PropertyRunOptions> {
  const out: Record<string, unknown> = {};
  for (const key of REPLAY_OPTIONS) if (options[key] !== undefined) out[key] = options[key];
  return out as Partial<PropertyRunOptions>;
}

/** A plain object as a TypeScript literal: `{ participants: 2, path: '0:1' }`. */
function literal(value: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(value).map(([k, v]) => `${k}: ${typeof v === 'string' ? `'${v}'` : typeof v === 'object' && v !== null ? literal(v as Record<string, unknown>) : String(v)}`);
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
}
