// Text transcripts of saved traces: the counterexample as a reviewer reads it in a diff, kept
// next to its JSON (traces/<model>/<name>.txt) and regenerated with `faultline replay
// --rewrite`, as etcd-raft keeps its datadriven testdata and rewrites it with `-rewrite`.
//
// A transcript is a pure function of the trace and its replay: no file paths, clock, host or
// random input, so the same trace gives the same bytes on every machine and a test can compare
// the file with what is generated now.

import { InputError } from '../core/model.ts';
import { renderSteps } from '../render/text.ts';
import { renderRunChart } from '../render/chart.ts';
import type { ReplayResult, TraceFile } from './trace.ts';

const REWRITE = 'npx faultline replay --rewrite';

/** The transcript file of a trace file: the same path with `.txt` instead of `.json`. */
export function transcriptFileName(jsonFile: string): string {
  if (!jsonFile.endsWith('.json')) throw new InputError(`${jsonFile}: a trace file name ends in .json`);
  return `${jsonFile.slice(0, -'.json'.length)}.txt`;
}

/** The transcript of a replayed trace: header, the steps with what each changed, the message
 * sequence chart for actor systems, and the outcome observed on replay. Ends with a newline. */
export function transcriptOf(trace: TraceFile, replayed: ReplayResult): string {
  if (replayed.states.length !== trace.steps.length + 1) {
    throw new Error('transcriptOf: the replay result is not the replay of this trace');
  }
  const steps = trace.steps.map((s, i) => ({ label: s.label, state: replayed.states[i + 1] }));
  const sections = [header(trace).join('\n'), `steps:\n${renderSteps(replayed.states[0], steps)}`];
  const chart = renderRunChart(replayed.model, replayed.states, trace.steps, trace.cycleStart);
  if (chart !== undefined) sections.push(`chart:\n${chart}`);
  sections.push(`${replayed.reproduced ? 'reproduced' : 'NOT reproduced'}: ${replayed.observed}`);
  return `${sections.join('\n\n')}\n`;
}

function header(trace: TraceFile): string[] {
  const params = Object.entries(trace.params).map(([k, v]) => `${k}=${v}`).join(' ');
  const rows: [string, string | undefined][] = [
    ['model', trace.model],
    ['variant', trace.variant],
    ['params', params === '' ? '(none)' : params],
    ['property', trace.property],
    ['expected', trace.outcome],
    ['description', trace.description],
    ['seed', trace.seed === undefined ? undefined : String(trace.seed)],
    ['fast-check path', trace.fastCheckPath],
    ['cycle', trace.cycleStart === undefined ? undefined : cycleText(trace.cycleStart, trace.steps.length)],
  ];
  const lines = [`# faultline trace transcript of the .json next to it; do not edit, regenerate with ${REWRITE}`];
  for (const [key, value] of rows) {
    if (value !== undefined) lines.push(`${`${key}:`.padEnd(17)}${value}`);
  }
  return lines;
}

/** A lasso: the steps after `start` form the cycle (trace.ts judgeLiveness). */
function cycleText(start: number, steps: number): string {
  return `steps ${start + 1}-${steps} return to the state after step ${start}`;
}
