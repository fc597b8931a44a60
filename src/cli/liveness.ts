// `faultline liveness`: stuck states and fair livelocks of one model configuration once faults
// stop, on the state graph kept in memory (bounded by --states-max, time and memory).

import { parseArgs } from 'node:util';
import { InputError } from '../core/model.ts';
import { checkLivenessAsync, LIVENESS_STATES_MAX, stateGraphDot, type LivenessResult } from '../explore/liveness.ts';
import { traceFromRun, type TraceFile } from '../trace/trace.ts';
import { renderSteps } from '../render/text.ts';
import type { Instance } from '../verify/index.ts';
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_NOT_VERIFIED, EXIT_OK } from './exit.ts';
import { saveTraces, tryWrite, writeText } from './files.ts';
import { parseSearchOptions, searchOptions } from './options.ts';
import { describeTarget, target, targetOptions } from './target.ts';

const fmt = new Intl.NumberFormat('en-US');

export async function livenessCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { ...targetOptions, ...searchOptions, json: { type: 'boolean' }, save: { type: 'string' }, dot: { type: 'string' } },
  });
  if (values.strategy !== undefined) throw new InputError('liveness builds its graph breadth-first: --strategy does not apply');
  if (values['no-deadlock']) throw new InputError('--no-deadlock applies to check, not to liveness');
  if (values.continue) throw new InputError('--continue applies to check, not to liveness');
  const t = target(positionals, values.variant, values.param, 'liveness');
  const { strategy: _s, checkDeadlock: _d, continueAfterViolation: _c, ...options } = parseSearchOptions(values);
  const r = await checkLivenessAsync(t.model, options);
  const traces: TraceFile[] = [];
  const info = (property: string, message: string) =>
    ({ model: t.def.name, variant: t.variant.name, params: t.params, property, outcome: 'violation' as const, message });
  if (r.stuck) traces.push(traceFromRun(info('stuck', r.stuck.message), r.stuck.run));
  if (r.livelock) traces.push({ ...traceFromRun(info('livelock', r.livelock.message), r.livelock.run), cycleStart: r.livelock.cycleStart });
  const { value: saved = [], error: saveError } = values.save === undefined ? {} : tryWrite(() => saveTraces(values.save!, traces));
  const dot = values.dot;
  const { error: dotError } = dot === undefined ? {} : tryWrite(() => writeText(dot, stateGraphDot(t.model, { statesMax: options.statesMax ?? 2000 })));
  const found = r.stuckStates > 0 || r.livelocks > 0;
  const code = found ? EXIT_FAILED : r.complete ? EXIT_OK : EXIT_NOT_VERIFIED;
  if (values.json) console.log(JSON.stringify({ model: t.def.name, variant: t.variant.name, params: t.params, ...r, exitCode: code, saved }, null, 2));
  else {
    console.log(renderLiveness(t, r, options.statesMax ?? LIVENESS_STATES_MAX));
    for (const f of saved) console.log(`saved trace ${f}`);
  }
  for (const error of [saveError, dotError]) if (error !== undefined) console.error(`faultline: ${error}`);
  return saveError !== undefined || dotError !== undefined ? EXIT_BAD_INPUT : code;
}

function renderLiveness(t: Instance, r: LivenessResult, statesMax: number): string {
  const cut = r.complete ? '' : ` (CUT by ${r.boundsHit.map((b) => (b === 'statesMax' ? `statesMax=${fmt.format(statesMax)}` : b)).join(', ')}: the analysis is partial, NOT verified)`;
  const lines = [
    `faultline liveness ${describeTarget(t)}`,
    `  graph:      ${fmt.format(r.distinctStates)} states, ${fmt.format(r.edges)} edges, depth ${r.depth}${cut}`,
    `  fairness:   ${r.fairness}`,
    `  stuck:      ${r.stuckStates} states`,
    `  livelocks:  ${r.livelocks} fair cycles without the goal`,
  ];
  if (r.stuck) lines.push('', `  stuck after ${r.stuck.run.steps.length} steps: ${r.stuck.message}`, renderSteps(r.stuck.run.init, r.stuck.run.steps, '    '));
  if (r.livelock) {
    lines.push('', `  livelock: ${r.livelock.message}; the cycle starts after step ${r.livelock.cycleStart}`, renderSteps(r.livelock.run.init, r.livelock.run.steps, '    '));
  }
  return lines.join('\n');
}
