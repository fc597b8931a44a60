// `faultline check`: one model configuration (a variant, or a declared scenario), or every
// model's rows (--all), each judged against what it expects.

import { parseArgs } from 'node:util';
import { InputError } from '../core/model.ts';
import type { ExploreOptions } from '../explore/explore.ts';
import { checkAll, findModel, findScenario, models, runCheckAsync, scenarioCheck, variantCheck, type Outcome } from '../verify/index.ts';
import { parseParams } from './args.ts';
import { saveTraces, tryWrite } from './files.ts';
import { parseSearchOptions, searchOptions } from './options.ts';
import { outcomeJson, renderCheck, renderSummary } from './report.ts';
import { EXIT_BAD_INPUT, exitCode } from './exit.ts';

export async function checkCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      ...searchOptions,
      all: { type: 'boolean' },
      variant: { type: 'string' },
      param: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      save: { type: 'string' },
      scenario: { type: 'string' },
      chart: { type: 'boolean' },
    },
  });
  const options = parseSearchOptions(values);
  const json = values.json === true;
  if (values.all) {
    if (positionals.length > 0) throw new InputError(`check --all takes no model name (got '${positionals[0]}')`);
    if (values.variant !== undefined || values.param !== undefined || values.scenario !== undefined) {
      throw new InputError('check --all runs every variant and scenario at its own params: --variant, --param and --scenario do not apply');
    }
    if (values.chart) throw new InputError('--chart applies to one check, not to --all');
    return finish(await checkAllModels(options, json), values.save, json, true);
  }
  if (positionals.length !== 1) {
    throw new InputError(positionals.length === 0 ? 'check needs a model name, or --all' : `check takes one model, got ${positionals.join(' ')}`);
  }
  const def = findModel(positionals[0]);
  let check;
  if (values.scenario !== undefined) {
    if (values.variant !== undefined || values.param !== undefined) throw new InputError('--scenario fixes its own variant and params');
    check = scenarioCheck(def, findScenario(def, values.scenario));
    if (check.kind !== 'safety' && values.strategy === 'dfs') throw new InputError(`--strategy dfs does not apply to a ${check.kind} scenario (its graph is built breadth-first)`);
  } else {
    check = variantCheck(def, values.variant, parseParams(values.param));
  }
  if (values.chart && check.instance.model.nodeIds === undefined) throw new InputError(`--chart needs an actor-system model; ${def.name} is not one`);
  const outcome = await runCheckAsync(check, options);
  if (!json) console.log(renderCheck(outcome, values.chart === true));
  return finish([outcome], values.save, json, false);
}

async function checkAllModels(options: ExploreOptions, json: boolean): Promise<Outcome[]> {
  if (!json) {
    console.log('faultline check --all: every model, variant and scenario at its own params\n');
    console.log(renderSummary([], true));
  }
  return checkAll(models, options, (o) => {
    if (!json) console.log(renderSummary([o], false));
  });
}

function finish(outcomes: readonly Outcome[], saveDir: string | undefined, json: boolean, all: boolean): number {
  const traces = outcomes.flatMap((o) => o.findings.flatMap((f) => (f.trace === undefined ? [] : [f.trace])));
  const { value: saved = [], error: saveError } = saveDir === undefined ? {} : tryWrite(() => saveTraces(saveDir, traces));
  const interrupted = outcomes.some((o) => o.summary.boundsHit.includes('interrupted'));
  const code = exitCode(outcomes);
  if (json) {
    const body = all
      ? { ok: code === 0, exitCode: code, interrupted, results: outcomes.map(outcomeJson), saved }
      : { ...outcomeJson(outcomes[0]), exitCode: code, saved };
    console.log(JSON.stringify(body, null, 2));
  } else {
    if (all) {
      const bad = outcomes.filter((o) => !o.matchesExpected).length;
      const cut = outcomes.filter((o) => o.matchesExpected && o.summary.status === 'bounded').length;
      const stopped = interrupted ? ' (interrupted: the remaining checks did not run)' : '';
      console.log(`\n${outcomes.length} checks, ${outcomes.length - bad - cut} as expected, ${cut} cut by a bound (not verified), ${bad} not as expected${stopped}`);
    }
    for (const f of saved) console.log(`saved trace ${f}`);
  }
  if (saveError !== undefined) {
    console.error(`faultline: ${saveError}`);
    return EXIT_BAD_INPUT;
  }
  return code;
}
