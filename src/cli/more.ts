// `faultline simulate`, `faultline merge` and `faultline liveness`.

import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { findModel } from '../../models/index.ts';
import { InputError, findVariant, variantParams, type AnyModel, type ModelDefinition, type Params } from '../core/model.ts';
import { mergeReports, simulate, type SimulationReport } from '../explore/simulate.ts';
import { checkLiveness, stateGraphDot, type LivenessResult } from '../explore/liveness.ts';
import { saveTrace, traceFileName, traceFromRun, type TraceFile } from '../trace/trace.ts';
import { renderSteps } from '../render/text.ts';
import { parseParams, parsePositiveInt } from './args.ts';
import { writeFileSync } from 'node:fs';

const fmt = new Intl.NumberFormat('en-US');

interface Target {
  readonly def: ModelDefinition;
  readonly variant: string;
  readonly params: Params;
  readonly model: AnyModel;
}

function target(positionals: readonly string[], variant: string | undefined, params: readonly string[] | undefined, command: string): Target {
  if (positionals.length !== 1) throw new InputError(`${command} takes one model name`);
  const def = findModel(positionals[0]);
  const v = findVariant(def, variant ?? def.variants[0].name).name;
  const p = variantParams(def, v, parseParams(params));
  return { def, variant: v, params: p, model: def.create(p, v) };
}

const modelOptions = {
  variant: { type: 'string' },
  param: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  save: { type: 'string' },
} as const;

function parseShard(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new InputError(`--shard must be I/N with 1 <= I <= N, got '${text}'`);
  }
  return { index, count };
}

function parseSeed(text: string | undefined): number {
  if (text === undefined) return 1;
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new InputError(`--seed must be an integer in 0..4294967295, got '${text}'`);
  return Number(text);
}

export function simulateCommand(argv: readonly string[]): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { ...modelOptions, runs: { type: 'string' }, 'depth-max': { type: 'string' }, seed: { type: 'string' }, shard: { type: 'string' } },
  });
  const t = target(positionals, values.variant, values.param, 'simulate');
  const report = simulate(t.model, {
    runs: parsePositiveInt('--runs', values.runs) ?? 1000,
    depthMax: parsePositiveInt('--depth-max', values['depth-max']) ?? 50,
    seed: parseSeed(values.seed),
    shard: parseShard(values.shard),
  });
  const traces = report.violations.map((v) =>
    traceFromRun(
      {
        model: t.def.name, variant: t.variant, params: t.params, property: v.property, outcome: 'violation',
        description: `found by swarm simulation: seed ${report.seed}, run ${v.runIndex}`, message: v.message, seed: report.seed,
      },
      v.run,
    ),
  );
  const saved = save(values.save, traces, '.swarm.json');
  if (values.json) {
    console.log(JSON.stringify({ model: t.def.name, variant: t.variant, params: t.params, ...report, violations: report.violations.map(({ path, run, ...v }) => ({ ...v, path, trace: traces[report.violations.findIndex((x) => x.run === run)] })), saved }, null, 2));
  } else {
    console.log(renderSimulation(t, report));
    for (const f of saved) console.log(`saved trace ${f}`);
  }
  return report.violations.length === 0 ? 0 : 1;
}

function save(dir: string | undefined, traces: readonly TraceFile[], suffix: string): string[] {
  if (dir === undefined) return [];
  return traces.map((t) => {
    const file = traceFileName(dir, t).replace(/\.json$/, suffix);
    saveTrace(file, t);
    return file;
  });
}

function renderSimulation(t: Target, r: SimulationReport): string {
  const secs = r.elapsedMs / 1000;
  const lines = [
    `faultline simulate ${t.def.name} --variant ${t.variant} (seed ${r.seed}, shard ${r.shard.index}/${r.shard.count})`,
    `  runs:       ${fmt.format(r.runs)} (${fmt.format(Math.round(r.runs / Math.max(secs, 1e-9)))} runs/s), ${fmt.format(r.steps)} steps (${fmt.format(Math.round(r.steps / Math.max(secs, 1e-9)))} steps/s), ${secs.toFixed(2)} s`,
    `  result:     ${r.violations.length === 0 ? 'no violation in these runs (random search: NOT a proof)' : `${r.failedRuns} runs violated ${r.violations.map((v) => v.property).join(', ')}`}`,
    `  actions:    ${Object.entries(r.actionCounts).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${fmt.format(n)}`).join(', ')}`,
    `  sometimes:  ${Object.entries(r.witnessRuns).map(([k, n]) => `${k}: ${fmt.format(n)} runs`).join(', ')}`,
  ];
  for (const v of r.violations) {
    lines.push('', `  ${v.property} violated in run ${v.runIndex} after ${v.steps} steps: ${v.message}`, renderSteps(v.run.init, v.run.steps, '    '));
  }
  return lines.join('\n');
}

export function mergeCommand(argv: readonly string[]): number {
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { json: { type: 'boolean' } } });
  if (positionals.length === 0) throw new InputError('merge takes the JSON reports of `faultline simulate --json`');
  const reports = positionals.map((file) => {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new InputError(`${file}: not a readable JSON report (${(e as Error).message.split('\n')[0]})`);
    }
    if (typeof data.seed !== 'number' || typeof data.runs !== 'number' || typeof data.shard !== 'object') {
      throw new InputError(`${file}: not a report of faultline simulate --json`);
    }
    return data;
  });
  const key = (d: Record<string, unknown>) => JSON.stringify([d.model, d.variant, d.params]);
  if (new Set(reports.map(key)).size > 1) throw new InputError('the reports are of different models, variants or params');
  let merged: SimulationReport;
  try {
    merged = mergeReports(reports as unknown as SimulationReport[]);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  const head = reports[0];
  if (values.json) console.log(JSON.stringify({ model: head.model, variant: head.variant, params: head.params, ...merged }, null, 2));
  else {
    const complete = merged.shard.count === 1 ? 'every shard' : 'NOT every shard (partial campaign)';
    console.log(`${reports.length} reports of ${String(head.model)} (${String(head.variant)}), ${complete}: ${fmt.format(merged.runs)} of ${fmt.format(merged.runsTotal)} runs, ${fmt.format(merged.steps)} steps, ${merged.failedRuns} failed runs`);
    for (const v of merged.violations) console.log(`  ${v.property}: run ${v.runIndex}, ${v.steps} steps: ${v.message}`);
  }
  return merged.violations.length === 0 ? 0 : 1;
}

export function livenessCommand(argv: readonly string[]): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { ...modelOptions, 'states-max': { type: 'string' }, dot: { type: 'string' } },
  });
  const t = target(positionals, values.variant, values.param, 'liveness');
  const statesMax = parsePositiveInt('--states-max', values['states-max']);
  const r = checkLiveness(t.model, { statesMax });
  const traces: TraceFile[] = [];
  const info = (property: string, message: string) =>
    ({ model: t.def.name, variant: t.variant, params: t.params, property, outcome: 'violation' as const, message });
  if (r.stuck) traces.push(traceFromRun(info('stuck', r.stuck.message), r.stuck.run));
  if (r.livelock) traces.push({ ...traceFromRun(info('livelock', r.livelock.message), r.livelock.run), cycleStart: r.livelock.cycleStart });
  const saved = save(values.save, traces, '.json');
  if (values.dot !== undefined) writeFileSync(values.dot, stateGraphDot(t.model, { statesMax: statesMax ?? 2000 }));
  if (values.json) console.log(JSON.stringify({ model: t.def.name, variant: t.variant, params: t.params, ...r, saved }, null, 2));
  else console.log(renderLiveness(t, r));
  return r.stuckStates === 0 && r.livelocks === 0 ? 0 : 1;
}

function renderLiveness(t: Target, r: LivenessResult): string {
  const lines = [
    `faultline liveness ${t.def.name} --variant ${t.variant}`,
    `  graph:      ${fmt.format(r.distinctStates)} states, ${fmt.format(r.edges)} edges${r.complete ? '' : ' (CUT by --states-max: the analysis is partial)'}`,
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
