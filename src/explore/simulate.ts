// Swarm simulation: many random walks, each with its own randomly chosen mix of actions —
// some fault kinds switched off, a per-run cap on each fault kind, random weights per action
// kind (Groce et al., "Swarm Testing", ISSTA 2012). Every walk is deterministic from (seed, run
// index), so a failure reproduces, and `shard` splits the runs of one campaign across machines
// whose JSON reports merge into the report of the whole campaign.

import type { AnyModel } from '../core/model.ts';
import { brokenByStep, brokenIn, withDefaults } from '../core/model.ts';
import { replayPath, type Run } from './path.ts';
import { prng } from '../core/prng.ts';

export { prng };

export interface SimulateOptions {
  readonly runs: number;
  readonly depthMax: number;
  readonly seed: number;
  /** Run only the runs i with i mod count = index - 1 (index is 1-based, as in vitest). */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Stop starting new runs after this many milliseconds (the report says so). */
  readonly timeLimitMs?: number;
}

export interface SimulationViolation {
  readonly property: string;
  readonly message: string;
  readonly runIndex: number;
  readonly steps: number;
  readonly path: readonly number[];
  readonly run: Run;
}

export interface SimulationReport {
  readonly seed: number;
  readonly runsTotal: number;
  /** Longest walk, in steps: reports of one campaign must agree on it. */
  readonly depthMax: number;
  /** True when the time limit stopped the campaign before all of its runs. */
  readonly timeLimited: boolean;
  readonly shard: { readonly index: number; readonly count: number };
  readonly runs: number;
  readonly steps: number;
  readonly elapsedMs: number;
  /** How many steps took each action kind. */
  readonly actionCounts: Readonly<Record<string, number>>;
  /** In how many runs each `sometimes` witness held at some point. */
  readonly witnessRuns: Readonly<Record<string, number>>;
  /** The shortest violation found per property. */
  readonly violations: readonly SimulationViolation[];
  /** Runs that ended with a violation, all properties together. */
  readonly failedRuns: number;
}

/** The kind of an action for coverage and swarm weights: its `kind` field, else its label's
 * first word. */
export function actionKind(model: AnyModel, action: unknown): string {
  if (action !== null && typeof action === 'object' && typeof (action as { kind?: unknown }).kind === 'string') {
    return (action as { kind: string }).kind;
  }
  return model.describe(action).split(/\s+/)[0] ?? 'action';
}

interface SwarmMix {
  readonly weight: Map<string, number>;
  /** Remaining allowance per fault kind in this run (absent: not a fault). */
  readonly faultCap: Map<string, number>;
}

function chooseMix(rand: () => number): SwarmMix & { pick(kind: string, isFault: boolean): number } {
  const weight = new Map<string, number>();
  const faultCap = new Map<string, number>();
  return {
    weight,
    faultCap,
    /** The weight of an action of this kind in this run (0 = switched off). Kinds get their
     * swarm settings the first time they are seen, from the run's own random stream. */
    pick(kind, isFault) {
      if (!weight.has(kind)) {
        weight.set(kind, 1 + Math.floor(rand() * 4));
        if (isFault) faultCap.set(kind, rand() < 0.5 ? 0 : 1 + Math.floor(rand() * 3));
      }
      if (isFault && (faultCap.get(kind) ?? 0) <= 0) return 0;
      return weight.get(kind)!;
    },
  };
}

export function simulate(given: AnyModel, options: SimulateOptions): SimulationReport {
  const model = withDefaults(given);
  const shard = options.shard ?? { index: 1, count: 1 };
  const started = performance.now();
  const actionCounts: Record<string, number> = {};
  const witnessRuns: Record<string, number> = {};
  const shortest = new Map<string, SimulationViolation>();
  let runs = 0;
  let steps = 0;
  let failedRuns = 0;
  let timeLimited = false;
  const deadline = options.timeLimitMs === undefined ? Infinity : started + options.timeLimitMs;
  for (let runIndex = shard.index - 1; runIndex < options.runs; runIndex += shard.count) {
    if (performance.now() >= deadline) {
      timeLimited = true;
      break;
    }
    const walk = randomWalk(model, options.seed, runIndex, options.depthMax);
    runs++;
    steps += walk.path.length - 1;
    for (const [k, n] of walk.kinds) actionCounts[k] = (actionCounts[k] ?? 0) + n;
    for (const w of walk.witnesses) witnessRuns[w] = (witnessRuns[w] ?? 0) + 1;
    if (walk.violation !== undefined) {
      failedRuns++;
      const prev = shortest.get(walk.violation.property);
      if (prev === undefined || walk.path.length - 1 < prev.steps) {
        shortest.set(walk.violation.property, {
          ...walk.violation,
          runIndex,
          steps: walk.path.length - 1,
          path: walk.path,
          run: replayPath(model, walk.path),
        });
      }
    }
  }
  for (const w of model.sometimes) witnessRuns[w.name] ??= 0;
  return {
    seed: options.seed,
    runsTotal: options.runs,
    depthMax: options.depthMax,
    timeLimited,
    shard,
    runs,
    steps,
    elapsedMs: performance.now() - started,
    actionCounts,
    witnessRuns,
    violations: [...shortest.values()],
    failedRuns,
  };
}

/** One walk of the swarm, from initial state 0. The run's random stream is derived from
 * (seed, runIndex) only, so any run can be repeated alone. */
export function randomWalk(given: AnyModel, seed: number, runIndex: number, depthMax: number) {
  const model = withDefaults(given);
  const rand = prng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(runIndex + 1, 0xc2b2ae35));
  const mix = chooseMix(rand);
  const kinds = new Map<string, number>();
  const witnesses = new Set<string>();
  const path: number[] = [0];
  let state = model.init[0];
  const check = (broken: { name: string; message: string } | undefined): { property: string; message: string } | undefined => {
    if (broken !== undefined) return { property: broken.name, message: broken.message };
    for (const w of model.sometimes) if (w.holds(state)) witnesses.add(w.name);
    return undefined;
  };
  let violation = check(brokenIn(model, state));
  for (let depth = 0; depth < depthMax && violation === undefined; depth++) {
    const actions = model.actions(state);
    const weights = actions.map((a) => mix.pick(actionKind(model, a), model.isFault(a)));
    const total = weights.reduce((x, y) => x + y, 0);
    if (total === 0) break;
    let r = rand() * total;
    let k = 0;
    while (r >= weights[k]) r -= weights[k++];
    const kind = actionKind(model, actions[k]);
    if (mix.faultCap.has(kind)) mix.faultCap.set(kind, mix.faultCap.get(kind)! - 1);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    const before = state;
    state = model.step(state, actions[k]);
    path.push(k);
    violation = check(brokenByStep(model, before, actions[k], state));
  }
  return { path, kinds, witnesses, violation };
}

/** Merges shard reports of one campaign (same seed and run count) into one. */
export function mergeReports(reports: readonly SimulationReport[]): SimulationReport {
  if (reports.length === 0) throw new Error('nothing to merge');
  const first = reports[0];
  for (const r of reports) {
    if (r.seed !== first.seed || r.runsTotal !== first.runsTotal || r.depthMax !== first.depthMax) {
      throw new Error(
        `reports of different campaigns: seed ${r.seed}/${first.seed}, runs ${r.runsTotal}/${first.runsTotal}, depth-max ${r.depthMax}/${first.depthMax}`,
      );
    }
    if (r.shard.count !== first.shard.count) {
      throw new Error(`reports split the campaign differently: shard ${r.shard.index}/${r.shard.count} and ${first.shard.index}/${first.shard.count}`);
    }
  }
  const shards = new Set(reports.map((r) => `${r.shard.index}/${r.shard.count}`));
  if (shards.size !== reports.length) throw new Error(`a shard is given twice: ${reports.map((r) => `${r.shard.index}/${r.shard.count}`).join(', ')}`);
  const sum = (pick: (r: SimulationReport) => Readonly<Record<string, number>>) => {
    const out: Record<string, number> = {};
    for (const r of reports) for (const [k, n] of Object.entries(pick(r))) out[k] = (out[k] ?? 0) + n;
    return out;
  };
  const shortest = new Map<string, SimulationViolation>();
  for (const v of reports.flatMap((r) => r.violations)) {
    const prev = shortest.get(v.property);
    if (prev === undefined || v.steps < prev.steps || (v.steps === prev.steps && v.runIndex < prev.runIndex)) shortest.set(v.property, v);
  }
  const timeLimited = reports.some((r) => r.timeLimited);
  const complete = reports.length === first.shard.count && !timeLimited;
  return {
    seed: first.seed,
    runsTotal: first.runsTotal,
    depthMax: first.depthMax,
    timeLimited,
    shard: complete ? { index: 1, count: 1 } : { index: 0, count: 0 },
    runs: reports.reduce((n, r) => n + r.runs, 0),
    steps: reports.reduce((n, r) => n + r.steps, 0),
    elapsedMs: reports.reduce((n, r) => n + r.elapsedMs, 0),
    actionCounts: sum((r) => r.actionCounts),
    witnessRuns: sum((r) => r.witnessRuns),
    violations: [...shortest.values()],
    failedRuns: reports.reduce((n, r) => n + r.failedRuns, 0),
  };
}
