// `faultline check`: one model configuration (a variant, or a declared scenario), or every
// model's rows (--all, or the models --only names), each judged against what it expects; with
// --jobs N the rows run in N worker processes (parallel.ts). --junit and --github report the
// outcomes for CI (junit.ts, github.ts).

import { closeSync, existsSync, openSync, unlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { InputError, type ModelDefinition } from '../core/model.ts';
import type { ExploreOptions } from '../explore/explore.ts';
import { traceFileName } from '../trace/trace.ts';
import { lintModel } from '../core/lint.ts';
import { ModelError } from '../explore/traverse.ts';
import {
  checkAll, checksOf, findModel, findScenario, models, runCheckAsync, scenarioCheck, variantCheck, type Check, type Outcome,
} from '../verify/index.ts';
import { parseParams, parsePositiveInt } from './args.ts';
import { saveTraces, tryWrite } from './files.ts';
import { githubAnnotations } from './github.ts';
import { junitReport } from './junit.ts';
import { parseSearchOptions, searchOptions } from './options.ts';
import { checkInParallel, type RowJob } from './parallel.ts';
import { outcomeJson, renderCheck, renderSummary } from './report.ts';
import { EXIT_BAD_INPUT, EXIT_NOT_VERIFIED, EXIT_OK, exitCode } from './exit.ts';

/** Where the outcomes go besides stdout. */
interface Reports {
  readonly saveDir?: string;
  readonly json: boolean;
  readonly all: boolean;
  readonly junit?: string;
  readonly github: boolean;
  /** Rows of check --all that an interrupt kept from running. */
  readonly notRun: readonly Check[];
}

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
      jobs: { type: 'string' },
      only: { type: 'string' },
      junit: { type: 'string' },
      github: { type: 'boolean' },
    },
  });
  const options = parseSearchOptions(values);
  const json = values.json === true;
  if (values.github && json) throw new InputError('--github prints annotations on stdout, where --json prints its object: use one of them');
  // Before any row runs: a report that cannot be written is found now, not after ten minutes.
  if (values.junit !== undefined) checkWritable(values.junit);
  const reports = { saveDir: values.save, json, junit: values.junit, github: values.github === true, notRun: [] };
  if (values.all) {
    if (positionals.length > 0) throw new InputError(`check --all takes no model name (got '${positionals[0]}')`);
    if (values.variant !== undefined || values.param !== undefined || values.scenario !== undefined) {
      throw new InputError('check --all runs every variant and scenario at its own params: --variant, --param and --scenario do not apply');
    }
    if (values.chart) throw new InputError('--chart applies to one check, not to --all');
    if (values.symmetry || values.workers !== undefined) throw new InputError('--symmetry and --workers apply to one check, not to --all (they need a model that declares a symmetry or a schema)');
    const selected = parseOnly(values.only);
    const jobs = parsePositiveInt('--jobs', values.jobs) ?? availableParallelism();
    const rows = selected.flatMap((def) => checksOf(def).map((check, index) => ({ model: def.name, index, check })));
    const outcomes = await checkAllModels(selected, rows, options, jobs, json);
    return finish(outcomes, { ...reports, all: true, notRun: rows.slice(outcomes.length).map((r) => r.check) });
  }
  if (values.jobs !== undefined || values.only !== undefined) throw new InputError('--jobs and --only apply to check --all');
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
  if (values['verify-codec'] && check.instance.model.schema === undefined) throw new InputError(`--verify-codec needs a model that declares a state schema; ${def.name} has none`);
  if (values.chart && check.instance.model.nodeIds === undefined) throw new InputError(`--chart needs an actor-system model; ${def.name} is not one`);
  // The author's contract (plain data, pure deterministic steps) on the first states, before a
  // search that a broken contract would make silently wrong.
  const problem = lintModel(check.instance.model, def.name);
  if (problem !== undefined) throw new ModelError(problem.message, undefined, undefined, undefined);
  // A worker thread rebuilds the model the way a trace replay does, from the registry.
  const modelSource = { module: new URL('../verify/registry.ts', import.meta.url).href, name: 'buildRegistered', args: [def.name, check.instance.variant.name, check.instance.params] };
  const outcome = await runCheckAsync(check, options.workers === undefined ? options : { ...options, modelSource });
  if (!json) console.log(renderCheck(outcome, values.chart === true));
  if (!json) for (const line of searchNotes(outcome)) console.log(line);
  return finish([outcome], { ...reports, all: false });
}

/** What a packed or symmetric search adds to the report: the orbits, the bits per state. */
function searchNotes(outcome: Outcome): string[] {
  if (outcome.result.kind !== 'safety') return [];
  const r = outcome.result.explore;
  const fmt = new Intl.NumberFormat('en-US');
  const notes: string[] = [];
  if (r.symmetry !== undefined) {
    notes.push(`symmetry: ${fmt.format(r.distinctStates)} orbits of the ${r.symmetry.size} interchangeable ${r.symmetry.ids} explored (distinct states are orbit representatives)`);
  }
  if (r.packed !== undefined) {
    notes.push(`packed: ${r.packed.bits} bits per state, ${r.packed.exactKeys ? 'exact keys (no collision possible)' : '64-bit hashes of the packed words'}`);
  }
  return notes;
}

/** --only model[,model...]: the models check --all runs, in the registry's order. */
function parseOnly(text: string | undefined): readonly ModelDefinition[] {
  if (text === undefined) return models;
  const names = text.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0) throw new InputError(`--only needs model names separated by commas, got '${text}'`);
  const wanted = new Set(names.map((n) => findModel(n).name));
  return models.filter((m) => wanted.has(m.name));
}

async function checkAllModels(selected: readonly ModelDefinition[], rows: readonly RowJob[], options: ExploreOptions, jobs: number, json: boolean): Promise<Outcome[]> {
  const print = (o: Outcome) => {
    if (!json) console.log(renderSummary([o], false));
  };
  if (!json) {
    const how = jobs === 1 ? '' : ` (${Math.min(jobs, rows.length)} worker processes)`;
    console.log(`faultline check --all: every model, variant and scenario at its own params${how}\n`);
    console.log(renderSummary([], true));
  }
  return jobs === 1 ? checkAll(selected, options, print) : checkInParallel(rows, options, jobs, print);
}

function finish(outcomes: readonly Outcome[], reports: Reports): number {
  const { saveDir, json, all } = reports;
  const traces = outcomes.flatMap((o) => o.findings.flatMap((f) => (f.trace === undefined ? [] : [f.trace])));
  const { value: saved = [], error: saveError } = saveDir === undefined ? {} : tryWrite(() => saveTraces(saveDir, traces));
  const savedTrace = (o: Outcome) =>
    saveError !== undefined || saveDir === undefined ? [] : o.findings.flatMap((f) => (f.trace === undefined ? [] : [traceFileName(saveDir, f.trace)]));
  const interrupted = outcomes.some((o) => o.summary.boundsHit.includes('interrupted')) || reports.notRun.length > 0;
  // Checks that never ran were not verified, even when every one that ran came out as expected.
  const ran = exitCode(outcomes);
  const code = ran === EXIT_OK && reports.notRun.length > 0 ? EXIT_NOT_VERIFIED : ran;
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
  if (reports.github) for (const line of githubAnnotations(outcomes, reports.notRun, savedTrace)) console.log(line);
  const { error: junitError } = reports.junit === undefined ? {} : tryWrite(() => writeReport(reports.junit!, junitReport(outcomes, reports.notRun, savedTrace)));
  const ioError = saveError ?? junitError;
  if (ioError !== undefined) {
    console.error(`faultline: ${ioError}`);
    return EXIT_BAD_INPUT;
  }
  return code;
}

/** Refuses a report file that cannot be written: its directory must exist (a report path is
 * not a place to create directories in), and it must not be a directory. Leaves no file behind. */
function checkWritable(file: string): void {
  const existed = existsSync(file);
  try {
    closeSync(openSync(file, 'a'));
    if (!existed) unlinkSync(file);
  } catch (e) {
    throw new InputError(`cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

function writeReport(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new InputError(`cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}
