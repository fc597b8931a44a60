// The `faultline` command: list, check, replay.
// Exit codes: 0 every outcome as expected; 1 a violation (or an expected one not found, or a
// trace whose outcome no longer reproduces); 2 bad input, reported as one line.

import { parseArgs } from 'node:util';
import { models, findModel } from '../../models/index.ts';
import { InputError, propertyNames, resolveParams } from '../core/model.ts';
import { ModelError, type ExploreOptions } from '../explore/explore.ts';
import { loadTrace, replayTrace, saveTrace, traceFileName, type ReplayResult, type TraceFile } from '../trace/trace.ts';
import { renderHtmlChart } from '../render/html.ts';
import { writeFileSync } from 'node:fs';
import { renderSteps } from '../render/text.ts';
import { renderChart } from '../render/chart.ts';
import { parseChoice, parseParams, parsePositiveInt, parseSeconds } from './args.ts';
import { checkAll, runCheck, type CheckOutcome } from './check.ts';
import { runScenario } from './scenario.ts';
import { renderCheck, renderSummary, outcomeJson } from './report.ts';
import { livenessCommand, mergeCommand, simulateCommand } from './more.ts';

const USAGE = `usage:
  faultline list [--json]
  faultline check <model> [--variant V] [--param KEY=VALUE ...] [--scenario NAME] [--strategy bfs|dfs]
                  [--depth-max N] [--states-max N] [--time-limit SECONDS] [--no-deadlock]
                  [--json] [--save DIR] [--chart]
  faultline check --all [bounds as above] [--json] [--save DIR]
  faultline replay <trace.json> [--json] [--chart] [--html FILE]
  faultline simulate <model> [--variant V] [--param KEY=VALUE ...] [--runs N] [--depth-max N]
                  [--seed S] [--shard I/N] [--json] [--save DIR]
  faultline merge <report.json ...> [--json]
  faultline liveness <model> [--variant V] [--param KEY=VALUE ...] [--states-max N]
                  [--json] [--save DIR] [--dot FILE]`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'list':
        return list(rest);
      case 'check':
        return check(rest);
      case 'replay':
        return replay(rest);
      case 'simulate':
        return simulateCommand(rest);
      case 'merge':
        return mergeCommand(rest);
      case 'liveness':
        return livenessCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new InputError(`unknown command '${command}' (commands: list, check, replay, simulate, merge, liveness)`);
    }
  } catch (e) {
    if (e instanceof InputError) {
      console.error(`faultline: ${e.message}`);
      return 2;
    }
    if (e instanceof ModelError) {
      console.error(`faultline: ${e.message}`);
      if (e.run !== undefined) {
        console.error(`  the state being expanded was reached by:\n${renderSteps(e.run.init, e.run.steps, '    ')}`);
      }
      return 1;
    }
    if (isParseArgsError(e)) {
      console.error(`faultline: ${parseArgsMessage(e as Error)}`);
      return 2;
    }
    throw e;
  }
}

/** node:util's parseArgs messages are long; say the part a user needs. */
function parseArgsMessage(e: Error): string {
  const unknown = /Unknown option '([^']+)'/.exec(e.message);
  if (unknown !== null) return `unknown option '${unknown[1]}' (see faultline help)`;
  const missing = /Option '([^' ]+)[^']*' argument missing/.exec(e.message);
  if (missing !== null) return `option '${missing[1]}' needs a value`;
  const ambiguous = /Option '([^' ]+)[^']*' argument is ambiguous/.exec(e.message);
  if (ambiguous !== null) {
    return `option '${ambiguous[1]}' needs a value; a value starting with '-' is written ${ambiguous[1]}=-VALUE`;
  }
  return e.message.split('\n')[0];
}

/** replay --html FILE: the run as a self-contained page with an SVG sequence chart. */
function writeHtml(out: string, trace: TraceFile, r: ReplayResult): void {
  const nodeIds = (r.model as { nodeIds?: readonly string[] }).nodeIds;
  if (nodeIds === undefined) throw new InputError(`--html needs an actor-system model; ${trace.model} is not one`);
  const page = renderHtmlChart({
    title: `${trace.model} (${trace.variant}): ${trace.outcome} of ${trace.property}`,
    subtitle: `${trace.description ?? ''} params ${JSON.stringify(trace.params)}`,
    nodeIds,
    init: r.states[0],
    steps: trace.steps.map((s, i) => ({ label: s.label, action: s.action, state: r.states[i + 1] })),
    cycleStart: trace.cycleStart,
    outcome: `${r.reproduced ? 'reproduced' : 'NOT reproduced'}: ${r.observed}`,
  });
  try {
    writeFileSync(out, page);
  } catch (e) {
    throw new InputError(`cannot write ${out} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  console.error(`wrote ${out}`);
}

function isParseArgsError(e: unknown): boolean {
  const code = (e as { code?: string } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function list(argv: readonly string[]): number {
  const { values } = parseArgs({ args: [...argv], options: { json: { type: 'boolean' } }, strict: true });
  const rows = models.map((def) => {
    const model = def.create(resolveParams(def, {}), def.variants[0].name);
    return {
      name: def.name,
      summary: def.summary,
      source: def.source,
      params: def.params.map((p) => ({ name: p.name, default: p.default, min: p.min, max: p.max, description: p.description })),
      variants: def.variants.map((v) => ({ name: v.name, description: v.description, expect: v.expect, params: v.params ?? {} })),
      scenarios: (def.scenarios ?? []).map((c) => ({ name: c.name, kind: c.kind, description: c.description, params: c.params, expect: c.expect })),
      properties: propertyNames(model),
    };
  });
  if (values.json) {
    console.log(JSON.stringify({ models: rows }, null, 2));
    return 0;
  }
  for (const m of rows) {
    console.log(`${m.name} — ${m.summary}`);
    console.log(`  source:     ${m.source}`);
    console.log(`  params:     ${m.params.map((p) => `${p.name}=${p.default} (${p.description})`).join('; ')}`);
    console.log(`  invariants: ${m.properties.invariants.join(', ')}`);
    console.log(`  sometimes:  ${m.properties.sometimes.join(', ')}`);
    console.log('  variants:');
    for (const v of m.variants) {
      const expect = v.expect.status === 'holds' ? 'expected to hold' : `expected to violate ${v.expect.property}`;
      const own = Object.entries(v.params).map(([k, x]) => `${k}=${x}`).join(' ');
      console.log(`    ${v.name.padEnd(28)} ${v.description} [${expect}${own ? `; with ${own}` : ''}]`);
    }
    if (m.scenarios.length > 0) console.log('  scenarios (check --scenario NAME):');
    for (const c of m.scenarios) {
      const expect = c.expect.status === 'holds' ? 'expected to hold' : `expected: ${c.expect.property}`;
      console.log(`    ${c.name.padEnd(28)} ${c.kind}: ${c.description} [${expect}]`);
    }
    console.log('');
  }
  return 0;
}

function check(argv: readonly string[]): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      all: { type: 'boolean' },
      variant: { type: 'string' },
      param: { type: 'string', multiple: true },
      strategy: { type: 'string' },
      'depth-max': { type: 'string' },
      'states-max': { type: 'string' },
      'time-limit': { type: 'string' },
      'no-deadlock': { type: 'boolean' },
      json: { type: 'boolean' },
      save: { type: 'string' },
      scenario: { type: 'string' },
      chart: { type: 'boolean' },
    },
  });
  const timeLimit = parseSeconds('--time-limit', values['time-limit']);
  const options: ExploreOptions = {
    strategy: parseChoice('--strategy', values.strategy, ['bfs', 'dfs'] as const) ?? 'bfs',
    depthMax: parsePositiveInt('--depth-max', values['depth-max']),
    statesMax: parsePositiveInt('--states-max', values['states-max']),
    timeLimitMs: timeLimit === undefined ? undefined : timeLimit * 1000,
    checkDeadlock: !values['no-deadlock'],
  };
  if (values.all) {
    if (positionals.length > 0) throw new InputError(`check --all takes no model name (got '${positionals[0]}')`);
    if (values.variant !== undefined || values.param !== undefined) {
      throw new InputError('check --all runs every variant at default params: --variant and --param do not apply');
    }
    return finish(checkAllModels(options, values.json === true), values.save, values.json === true, true);
  }
  if (positionals.length !== 1) {
    throw new InputError(positionals.length === 0 ? 'check needs a model name, or --all' : `check takes one model, got ${positionals.join(' ')}`);
  }
  const def = findModel(positionals[0]);
  const params = parseParams(values.param);
  let outcome: CheckOutcome;
  if (values.scenario !== undefined) {
    const scenario = (def.scenarios ?? []).find((c) => c.name === values.scenario);
    if (scenario === undefined) {
      const known = (def.scenarios ?? []).map((c) => c.name).join(', ') || '(none)';
      throw new InputError(`model '${def.name}' has no scenario '${values.scenario}' (scenarios: ${known})`);
    }
    if (values.variant !== undefined || values.param !== undefined) throw new InputError('--scenario fixes its own variant and params');
    outcome = runScenario(def, scenario, options);
  } else {
    outcome = runCheck(def, values.variant ?? def.variants[0].name, params, options);
  }
  if (values.chart && outcome.nodeIds === undefined) throw new InputError(`--chart needs an actor-system model; ${def.name} is not one`);
  if (!values.json) console.log(renderCheck(outcome, values.chart === true));
  return finish([outcome], values.save, values.json === true, false);
}

function checkAllModels(options: ExploreOptions, json: boolean): CheckOutcome[] {
  if (!json) {
    console.log('faultline check --all: every model and variant at default params\n');
    console.log(renderSummary([], true));
  }
  return checkAll(models, options, (o) => {
    if (!json) console.log(renderSummary([o], false));
  });
}

function finish(outcomes: readonly CheckOutcome[], saveDir: string | undefined, json: boolean, all: boolean): number {
  const saved: string[] = [];
  if (saveDir !== undefined) {
    for (const o of outcomes) {
      for (const t of o.traces) {
        const file = traceFileName(saveDir, t);
        saveTrace(file, t);
        saved.push(file);
      }
    }
  }
  const ok = outcomes.every((o) => o.matchesExpected);
  if (json) {
    const body = all
      ? { ok, results: outcomes.map(outcomeJson), saved }
      : { ...outcomeJson(outcomes[0]), saved };
    console.log(JSON.stringify(body, null, 2));
  } else {
    if (all) {
      const bad = outcomes.filter((o) => !o.matchesExpected).length;
      console.log(`\n${outcomes.length} checks, ${outcomes.length - bad} as expected, ${bad} not as expected`);
    }
    for (const f of saved) console.log(`saved trace ${f}`);
  }
  return ok ? 0 : 1;
}

function replay(argv: readonly string[]): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { json: { type: 'boolean' }, chart: { type: 'boolean' }, html: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new InputError('replay takes one trace file');
  const file = positionals[0];
  const trace = loadTrace(file);
  const r = replayTrace(trace, file, findModel);
  if (values.html !== undefined) writeHtml(values.html, trace, r);
  if (values.json) {
    console.log(JSON.stringify({ file, model: trace.model, variant: trace.variant, property: trace.property,
      outcome: trace.outcome, steps: trace.steps.length, reproduced: r.reproduced, observed: r.observed }, null, 2));
  } else {
    console.log(`${file}: ${trace.model} (${trace.variant}) ${JSON.stringify(trace.params)}, expected ${trace.outcome} of ${trace.property}`);
    if (trace.description) console.log(`  ${trace.description}`);
    const steps = trace.steps.map((s, i) => ({ label: s.label, state: r.states[i + 1] }));
    const nodeIds = (r.model as { nodeIds?: readonly string[] }).nodeIds;
    if (values.chart && nodeIds === undefined) throw new InputError(`--chart needs an actor-system model; ${trace.model} is not one`);
    console.log(values.chart ? renderChart(nodeIds!, trace.steps, trace.cycleStart) : renderSteps(r.states[0], steps));
    console.log(r.reproduced ? `reproduced: ${r.observed}` : `NOT reproduced: ${r.observed}`);
  }
  return r.reproduced ? 0 : 1;
}
