// `faultline merge`: adds up the JSON reports of `faultline simulate --json --shard I/N` into
// the report of the whole campaign.

import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { InputError } from '../core/model.ts';
import { mergeReports, type SimulationReport } from '../explore/simulate.ts';

const fmt = new Intl.NumberFormat('en-US');

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

