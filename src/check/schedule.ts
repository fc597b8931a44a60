// fast-check drives the same models as the explorer. A schedule is a sequence of choices among
// the enabled actions, so running it is deterministic, a failure replays exactly, and fast-check
// shrinks it towards fewer and simpler choices.
//
// Two kinds of schedule, both plain data that replay from the model alone:
// - a plain schedule (`scheduleArbitrary`): choice k picks enabled action k mod n;
// - a fault-biased schedule (`faultBiasedSchedule`, issue 10): each choice says which group it
//   picks from, then k picks within the group (see PickFrom).
// Why the bias: with uniform choices a crash is one enabled action among a handful at every
// step, so a budget of one crash is nearly always spent in the first few steps, before the
// state the bug needs (a Paxos acceptor that has accepted a value, a 2PC participant that has
// voted yes). The crash these bugs need comes right after the node acted. So plain `any` picks
// never choose a fault; faults come from `fault` picks (10%), which crash or restart the node
// that moved last when they can, and from `node` picks (20%), bursts of the same node. With
// them paxos accepted-not-persisted fails about one run in 325, where uniform schedules needed
// 5,000 to 20,000 runs or more (properties/fastcheck-faults.test.ts).

import fc from 'fast-check';
import type { AnyCompleteModel, AnyModel } from '../core/model.ts';
import { brokenByStep, brokenIn, withDefaults } from '../core/model.ts';
import type { SystemAction } from '../core/actors.ts';
import type { Run, TraceStep } from '../explore/path.ts';

/** A plain schedule: choice k picks enabled action k mod n. */
export type Schedule = readonly number[];

/** Which group of enabled actions a biased choice picks from:
 * - `any`: any action that is not a fault;
 * - `node`: any action, faults included, of the node the previous step belonged to (actionNode);
 * - `fault`: a fault of that node (crash it after it acted, restart it after a crash), else any
 *   enabled fault.
 * An empty group falls back to `any`, and an empty `any` to every enabled action. `k` picks
 * within the group, modulo its size. */
export type PickFrom = 'any' | 'node' | 'fault';
export interface Choice {
  readonly pick: PickFrom;
  readonly k: number;
}
export type BiasedSchedule = readonly Choice[];

export interface ScheduleOptions {
  /** Longest schedule generated (default 40). */
  readonly depthMax?: number;
}

export const DEPTH_MAX_DEFAULT = 40;

/** An arbitrary of schedules for `model`. Choices are small naturals so that shrinking them
 * towards 0 means "the first enabled action", which keeps shrunk schedules readable. */
export function scheduleArbitrary(options: ScheduleOptions = {}): fc.Arbitrary<Schedule> {
  // size 'max': lengths up to depthMax (fast-check's default 'small' size stops near 10 steps).
  return fc.array(fc.noBias(fc.nat({ max: 1 << 16 })), { maxLength: options.depthMax ?? DEPTH_MAX_DEFAULT, size: 'max' });
}

/** Relative weights of the three picks: integers, as a choice rolls a number below their sum. */
export interface PickWeights {
  readonly any: number;
  readonly node: number;
  readonly fault: number;
}

/** The default bias, out of 100 choices: 70 any, 20 same node, 10 fault (the best of the mixes
 * tried on the crash bugs of paxos and twopc; the finds per run vary little around it). */
export const PICK_WEIGHTS_DEFAULT: PickWeights = { any: 70, node: 20, fault: 10 };

export interface BiasedScheduleOptions extends ScheduleOptions {
  readonly weights?: PickWeights;
}

/** An arbitrary of fault-biased schedules. A choice is drawn as a roll in 0..(sum of weights - 1),
 * `any` first, and k; both shrink towards 0, so a choice shrinks towards `{ pick: 'any', k: 0 }`,
 * the first enabled action that is not a fault. */
export function faultBiasedSchedule(options: BiasedScheduleOptions = {}): fc.Arbitrary<BiasedSchedule> {
  const w = options.weights ?? PICK_WEIGHTS_DEFAULT;
  const total = w.any + w.node + w.fault;
  if (![w.any, w.node, w.fault].every((x) => Number.isInteger(x) && x >= 0) || total <= 0) {
    throw new Error(`pick weights must be non-negative integers, not all 0: ${JSON.stringify(w)}`);
  }
  const pickOf = (roll: number): PickFrom => (roll < w.any ? 'any' : roll < w.any + w.node ? 'node' : 'fault');
  const lowest: Record<PickFrom, number> = { any: 0, node: w.any, fault: w.any + w.node };
  const unmap = (v: unknown): [number, number] => {
    const c = v as Partial<Choice> | null;
    if (typeof c !== 'object' || c === null || !(c.pick! in lowest) || !Number.isInteger(c.k) || pickOf(lowest[c.pick!]) !== c.pick) {
      throw new Error('not a choice of this arbitrary');
    }
    return [lowest[c.pick!], c.k!];
  };
  const choice = fc
    .tuple(fc.noBias(fc.integer({ min: 0, max: total - 1 })), fc.noBias(fc.nat({ max: 1 << 16 })))
    .map(([roll, k]): Choice => ({ pick: pickOf(roll), k }), unmap);
  // Generated with depthMax choices (a run still stops when nothing is enabled): lengths drawn
  // uniformly up to depthMax found the Paxos crash bug half as often. Shrunk as arrays of any
  // length, so fast-check still removes choices.
  const depthMax = options.depthMax ?? DEPTH_MAX_DEFAULT;
  return new GenerateThenShrinkWith(fc.array(choice, { minLength: depthMax, maxLength: depthMax }), fc.array(choice, { maxLength: depthMax }));
}

/** Values drawn from `generator`, shrunk by `shrinker` (without the generator's context), so that
 * long schedules still shrink by removing choices. */
class GenerateThenShrinkWith<T> extends fc.Arbitrary<T> {
  constructor(
    private readonly generator: fc.Arbitrary<T>,
    private readonly shrinker: fc.Arbitrary<T>,
  ) {
    super();
  }
  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<T> {
    return new fc.Value(this.generator.generate(mrng, biasFactor).value_, undefined);
  }
  canShrinkWithoutContext(value: unknown): value is T {
    return this.shrinker.canShrinkWithoutContext(value);
  }
  shrink(value: T, context: unknown): fc.Stream<fc.Value<T>> {
    return this.shrinker.shrink(value, context);
  }
}

/** The node an actor-system action belongs to: the receiver of a message (deliver, drop,
 * duplicate), the node of a timeout, local choice, crash or restart. Undefined for other
 * actions (client requests, partitions) and for models that are not actor systems. */
export function actionNode(action: unknown): string | undefined {
  if (typeof action !== 'object' || action === null) return undefined;
  const a = action as Partial<SystemAction<unknown>>;
  switch (a.kind) {
    case 'deliver':
    case 'drop':
    case 'duplicate':
      return typeof a.envelope?.to === 'string' ? a.envelope.to : undefined;
    case 'timeout':
    case 'internal':
    case 'oracle':
    case 'crash':
    case 'restart':
      return typeof a.node === 'string' ? a.node : undefined;
    default:
      return undefined;
  }
}

/** The index (into `actions`, non-empty) that `choice` picks after an action of node `last`. */
export function resolveChoice(model: AnyCompleteModel, actions: readonly unknown[], choice: number | Choice, last: string | undefined): number {
  if (typeof choice === 'number') return choice % actions.length;
  const mine = (a: unknown) => last !== undefined && actionNode(a) === last;
  let group: number[] = [];
  if (choice.pick === 'node') group = indices(actions, mine);
  if (choice.pick === 'fault') {
    group = indices(actions, (a) => model.isFault(a) && mine(a));
    if (group.length === 0) group = indices(actions, (a) => model.isFault(a));
  }
  if (group.length === 0) group = indices(actions, (a) => !model.isFault(a));
  return group.length === 0 ? choice.k % actions.length : group[choice.k % group.length];
}

function indices(actions: readonly unknown[], keep: (a: unknown) => boolean): number[] {
  const out: number[] = [];
  actions.forEach((a, i) => keep(a) && out.push(i));
  return out;
}


export interface ScheduleFailure {
  readonly property: string;
  readonly kind: 'invariant' | 'deadlock';
  readonly message: string;
  /** The run up to and including the failing step. */
  readonly run: Run;
  /** The choices actually made, as indices into each state's enabled actions, so equal runs
   * have equal schedules (a biased schedule's choices resolved; trailing unused choices
   * removed): a plain schedule that replays the run. */
  readonly schedule: Schedule;
}

export interface ScheduleOutcome {
  readonly run: Run;
  /** The choices made, as indices into each state's enabled actions: a plain schedule that
   * replays `run` (the same as `failure.schedule` when there is a failure). */
  readonly schedule: Schedule;
  readonly failure: ScheduleFailure | undefined;
  /** Names of `sometimes` witnesses that held in some state of the run. */
  readonly witnesses: readonly string[];
}

/** Runs a schedule (plain or biased) from initial state 0, checking every invariant in every
 * state. Stops at the first failure, when nothing is enabled, or when the schedule ends. */
export function runSchedule(
  given: AnyModel,
  schedule: Schedule | BiasedSchedule,
  options: { checkDeadlock?: boolean } = {},
): ScheduleOutcome {
  const model = withDefaults(given);
  let state = model.init[0];
  const steps: TraceStep[] = [];
  const taken: number[] = [];
  const seen = new Set<string>();
  const observe = (s: unknown) => {
    for (const w of model.sometimes) if (!seen.has(w.name) && w.holds(s)) seen.add(w.name);
  };
  const fail = (property: string, kind: 'invariant' | 'deadlock', message: string): ScheduleOutcome => {
    const run = { initIndex: 0, init: model.init[0], steps };
    return { run, schedule: taken, failure: { property, kind, message, run, schedule: taken }, witnesses: [...seen] };
  };
  let bad = brokenIn(model, state);
  if (bad !== undefined) return fail(bad.name, 'invariant', bad.message);
  observe(state);
  let last: string | undefined;
  for (const choice of schedule) {
    const actions = model.actions(state);
    if (actions.length === 0) {
      if ((options.checkDeadlock ?? false) && !model.isFinal(state)) {
        return fail('deadlock', 'deadlock', 'no action is enabled and the model does not consider this state final');
      }
      break;
    }
    const index = resolveChoice(model, actions, choice, last);
    const action = actions[index];
    taken.push(index);
    last = actionNode(action);
    const before = state;
    state = model.step(state, action);
    steps.push({ action, label: model.describe(action), state });
    bad = brokenByStep(model, before, action, state);
    if (bad !== undefined) return fail(bad.name, 'invariant', bad.message);
    observe(state);
  }
  return { run: { initIndex: 0, init: model.init[0], steps }, schedule: taken, failure: undefined, witnesses: [...seen] };
}
