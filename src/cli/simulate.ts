// `faultline simulate`: swarm testing, many random walks with random fault mixes, deterministic
// from --seed and splittable into shards (--shard I/N) whose JSON reports `faultline merge` adds
// up.

import { parseArgs } from 'node:util';
import { InputError } from '../core/model.ts';
import { simulate, type SimulationReport } from '../explore/simulate.ts';
import { traceFromRun } from '../trace/trace.ts';
import { renderSteps } from '../render/text.ts';
import type { Instance } from '../verify/index.ts';
import { parsePositiveInt } from './args.ts';
import { saveTraces, tryWrite } from './files.ts';
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK } from './exit.ts';
import { parseTimeLimitMs } from './options.ts';
import { describeTarget, target, targetOptions } from './target.ts';

const fmt = new Intl.NumberFormat('en-US');

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
    options: { ...targetOptions, json: { type: 'boolean' }, save: { type: 'string' }, runs: { type: 'string' }, 'depth-max': { type: 'string' }, seed: { type: 'string' }, shard: { type: 'string' }, 'time-limit': { type: 'string' } },
  });
  const t = target(positionals, values.variant, values.param, 'simulate');
  const report = simulate(t.model, {
    runs: parsePositiveInt('--runs', values.runs) ?? 1000,
    depthMax: parsePositiveInt('--depth-max', values['depth-max']) ?? 50,
    seed: parseSeed(values.seed),
    shard: parseShard(values.shard),
    timeLimitMs: parseTimeLimitMs(values['time-limit']),
  });
  const traces = report.violations.map((v) =>
    traceFromRun(
      {
        model: t.def.name, variant: t.variant.name, params: t.params, property: v.property, outcome: 'violation',
        description: `found by swarm simulation: seed ${report.seed}, run ${v.runIndex}`, message: v.message, seed: report.seed,
      },
      v.run,
    ),
  );
  const { value: saved = [], error: saveError } = values.save === undefined ? {} : tryWrite(() => saveTraces(values.save!, traces, '.swarm.json'));
  if (values.json) {
    console.log(JSON.stringify({ model: t.def.name, variant: t.variant.name, params: t.params, ...report, violations: report.violations.map(({ path, run, ...v }) => ({ ...v, path, trace: traces[report.violations.findIndex((x) => x.run === run)] })), saved }, null, 2));
  } else {
    console.log(renderSimulation(t, report));
    for (const f of saved) console.log(`saved trace ${f}`);
  }
  if (saveError !== undefined) {
    console.error(`faultline: ${saveError}`);
    return EXIT_BAD_INPUT;
  }
  return report.violations.length > 0 ? EXIT_FAILED : EXIT_OK;
}

function renderSimulation(t: Instance, r: SimulationReport): string {
  const secs = r.elapsedMs / 1000;
  const lines = [
    `faultline simulate ${describeTarget(t)} (seed ${r.seed}, shard ${r.shard.index}/${r.shard.count})`,
    `  runs:       ${fmt.format(r.runs)} (${fmt.format(Math.round(r.runs / Math.max(secs, 1e-9)))} runs/s), ${fmt.format(r.steps)} steps (${fmt.format(Math.round(r.steps / Math.max(secs, 1e-9)))} steps/s), ${secs.toFixed(2)} s`,
    `  result:     ${r.timeLimited ? `TIME LIMIT: ${fmt.format(r.runs)} of the shard's runs done; ` : ''}${r.violations.length === 0 ? 'no violation in these runs (random search: NOT a proof)' : `${r.failedRuns} runs violated ${r.violations.map((v) => v.property).join(', ')}`}`,
    `  actions:    ${Object.entries(r.actionCounts).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${fmt.format(n)}`).join(', ')}`,
    `  sometimes:  ${Object.entries(r.witnessRuns).map(([k, n]) => `${k}: ${fmt.format(n)} runs`).join(', ')}`,
  ];
  for (const v of r.violations) {
    lines.push('', `  ${v.property} violated in run ${v.runIndex} after ${v.steps} steps: ${v.message}`, renderSteps(v.run.init, v.run.steps, '    '));
  }
  return lines.join('\n');
}

