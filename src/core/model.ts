// The one abstraction of faultline: a deterministic, pure state machine over plain data.
// A Model says *what* is checked; the explorer's options say *how* (stateright's split
// between Model and the checker builder).

import type { Schema, Symmetry } from './schema.ts';

/** A named safety property. `check` returns undefined when it holds, else a message in
 * protocol words naming the nodes and values involved. */
export interface Invariant<S> {
  readonly name: string;
  readonly check: (state: S) => string | undefined;
}

/** A safety property of every step (TLA+'s action property [][P]_vars; Raft's Leader
 * Append-Only): `check` sees the state before, the action and the state after, and returns
 * undefined when the step keeps it, else a message in protocol words. A run violates it at the
 * first step that breaks it, so its counterexample ends with that step. */
export interface StepInvariant<S, A> {
  readonly name: string;
  readonly check: (before: S, action: A, after: S) => string | undefined;
}

/** A reachability witness ("sometimes"): some reachable state satisfies it. A witness that
 * is never reached means the model may be vacuous, and the explorer says so. */
export interface Witness<S> {
  readonly name: string;
  readonly holds: (state: S) => boolean;
}

export interface Model<S, A> {
  /** Initial states, in a deterministic order. */
  readonly init: readonly S[];
  /** Enabled actions in `state`, in a deterministic order (traces store indices into it). */
  actions(state: S): readonly A[];
  /** The successor of `state` under `action`. Never mutates its input. */
  step(state: S, action: A): S;
  readonly invariants: readonly Invariant<S>[];
  /** Properties of every step (absent: none). Every engine checks them on every step it takes
   * (the explorer on every edge of the state graph, so a model that declares one is searched
   * on the object path, keeping its edges). */
  readonly stepInvariants?: readonly StepInvariant<S, A>[];
  readonly sometimes: readonly Witness<S>[];
  /** Compact label of an action in protocol words: `n1->n2 Prepare b=3`, `crash n2`. */
  describe(action: A): string;
  /** A state with no enabled action is a deadlock unless `isFinal` says the run may end
   * there (TLC checks deadlock by default; a finished transaction is not a deadlock). */
  isFinal?(state: S): boolean;
  /** Whether an action is a fault (drop, crash, partition...): liveness asks what happens
   * once faults stop, so a state where only faults are enabled is stuck. */
  isFault?(action: A): boolean;
  /** Whether an action is under weak fairness for liveness (default: every action that is not
   * a fault). Actor systems make message delivery fair, not timeouts. */
  isFair?(action: A): boolean;
  /** The goal of a run for liveness (e.g. every RM decided). Defaults to `isFinal`. */
  goal?(state: S): boolean;
  /** The fairness liveness assumes, in words (reports print it). Defaults to the description
   * of the default isFair. */
  readonly fairness?: string;
  /** Canonical view of a state used for hashing (e.g. with symmetry applied). Defaults to
   * the state itself; plain records are hashed independently of key order. */
  canonical?(state: S): unknown;
  /** The nodes of an actor system, in chart order (message sequence charts draw one lane
   * per node). Absent for models that are not actor systems. */
  readonly nodeIds?: readonly string[];
  /** The clients of an actor system, drawn as lanes left of the nodes' with their requests and
   * answers. Absent for models without clients. */
  readonly clientLanes?: ClientLanes<S, A>;
  /** The bounded shape of every reachable state (core/schema.ts): the explorer derives a packed
   * codec from it (a typed-array frontier, exact keys for states of at most 62 bits). Absent:
   * states are hashed structurally, as they always were. */
  readonly schema?: Schema;
  /** Interchangeable ids (RMs, participants), for --symmetry (explore/symmetry.ts). */
  readonly symmetry?: Symmetry<S>;
}

/** What a message sequence chart needs to draw clients. */
export interface ClientLanes<S, A> {
  /** Lane names, in chart order: `client0`, `client1`... */
  readonly ids: readonly string[];
  /** The messages between clients and nodes that the step from `before` by `action` to `after`
   * carried, in order: a request sent (or resent), an answer received (a reply, a failure, a
   * redirect). */
  messages(before: S, action: A, after: S): readonly ClientMessage[];
}

export interface ClientMessage {
  readonly client: string;
  readonly node: string;
  readonly direction: 'request' | 'answer';
  /** In protocol words: `write(1)`, `ok`, `redirect n2`. */
  readonly text: string;
}

/** A model with every optional hook filled in: what every engine (explorer, liveness,
 * refinement, schedules, simulation, trace replay) takes, so that a default is stated once,
 * here, and cannot drift between engines. Built by `withDefaults`. */
export interface CompleteModel<S = unknown, A = unknown> extends Model<S, A> {
  readonly stepInvariants: readonly StepInvariant<S, A>[];
  isFinal(state: S): boolean;
  isFault(action: A): boolean;
  isFair(action: A): boolean;
  goal(state: S): boolean;
  canonical(state: S): unknown;
  readonly fairness: string;
  /** Whether the model declared a goal or isFinal (liveness needs one or the other). */
  readonly hasGoal: boolean;
  /** Whether `canonical` is the model's own (false: the identity). */
  readonly hasCanonical: boolean;
  readonly [COMPLETE]: true;
}

const COMPLETE: unique symbol = Symbol('faultline.completeModel');

const DEFAULT_FAIRNESS = 'weak fairness of every action that is not a fault; faults eventually stop';

/** The defaults of a model's optional hooks, stated once:
 * - isFinal: no state is final (TLC: a state with nothing enabled is a deadlock);
 * - isFault: no action is a fault;
 * - isFair: every action that is not a fault is under weak fairness;
 * - goal: the model's isFinal (a run that may end there has reached its goal);
 * - canonical: the state itself;
 * - fairness (its description): "weak fairness of every action that is not a fault".
 * Idempotent: a complete model is returned as it is. */
export function withDefaults<S, A>(model: Model<S, A>): CompleteModel<S, A> {
  if (isComplete(model)) return model;
  const isFinal = model.isFinal === undefined ? () => false : model.isFinal.bind(model);
  const isFault = model.isFault === undefined ? () => false : model.isFault.bind(model);
  const isFair = model.isFair === undefined ? (a: A) => !isFault(a) : model.isFair.bind(model);
  const goal = model.goal === undefined ? isFinal : model.goal.bind(model);
  const canonical = model.canonical === undefined ? (s: S): unknown => s : model.canonical.bind(model);
  return {
    init: model.init,
    actions: model.actions.bind(model),
    step: model.step.bind(model),
    invariants: model.invariants,
    stepInvariants: model.stepInvariants ?? [],
    sometimes: model.sometimes,
    describe: model.describe.bind(model),
    isFinal,
    isFault,
    isFair,
    goal,
    canonical,
    fairness: model.fairness ?? (model.isFair === undefined ? DEFAULT_FAIRNESS : 'weak fairness of the actions the model calls fair; faults eventually stop'),
    hasGoal: model.goal !== undefined || model.isFinal !== undefined,
    hasCanonical: model.canonical !== undefined,
    ...(model.nodeIds === undefined ? {} : { nodeIds: model.nodeIds }),
    ...(model.clientLanes === undefined ? {} : { clientLanes: model.clientLanes }),
    ...(model.schema === undefined ? {} : { schema: model.schema }),
    ...(model.symmetry === undefined ? {} : { symmetry: model.symmetry }),
    [COMPLETE]: true,
  };
}

/** The first property, in the model's order, that the step from `before` by `action` to
 * `after` breaks: a step invariant, else an invariant of `after`. */
export function brokenByStep<S, A>(model: CompleteModel<S, A>, before: S, action: A, after: S): { name: string; message: string } | undefined {
  for (const inv of model.stepInvariants) {
    const message = inv.check(before, action, after);
    if (message !== undefined) return { name: inv.name, message };
  }
  return brokenIn(model, after);
}

/** The first invariant `state` breaks, in the model's order. */
export function brokenIn<S>(model: Model<S, unknown> | AnyModel, state: S): { name: string; message: string } | undefined {
  for (const inv of model.invariants) {
    const message = inv.check(state);
    if (message !== undefined) return { name: inv.name, message };
  }
  return undefined;
}

/** Whether `name` is one of the model's invariants or step invariants. */
export function hasSafetyProperty(model: AnyModel, name: string): boolean {
  return model.invariants.some((i) => i.name === name) || (model.stepInvariants ?? []).some((i) => i.name === name);
}

function isComplete<S, A>(model: Model<S, A>): model is CompleteModel<S, A> {
  return (model as Partial<CompleteModel<S, A>>)[COMPLETE] === true;
}

// Models are registered with their parameters and variants so that the CLI, the tests and
// `check --all` can build every configuration without knowing the protocol.

export interface ParamSpec {
  readonly name: string;
  readonly description: string;
  readonly default: number;
  readonly min: number;
  readonly max?: number;
}

export type Expectation =
  | { readonly status: 'holds' }
  | {
      readonly status: 'violation';
      readonly property: string;
      /** Other properties the same bug is known to break on runs that avoid `property` (a
       * downstream effect, e.g. a participant applying the bad decision). Declared here with
       * the variant, so that the check still fails on any property not listed. */
      readonly also?: readonly string[];
    };

export interface VariantSpec {
  readonly name: string;
  readonly description: string;
  readonly expect: Expectation;
  /** Params this variant needs to show its behaviour (e.g. a crash budget for a bug that needs
   * a restart), used instead of the model's defaults; --param still overrides them. */
  readonly params?: Readonly<Record<string, number>>;
  /** Whether a state with nothing enabled that the model does not call final is reported as a
   * deadlock (default true, as TLC; --no-deadlock turns it off for one run). */
  readonly checkDeadlock?: boolean;
}

export type Params = Readonly<Record<string, number>>;

/** A type-erased model, as the registry and the explorer handle it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModel = Model<any, any>;
/** A type-erased complete model (see withDefaults). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCompleteModel = CompleteModel<any, any>;

/** A named check beyond "every invariant holds" that `check --all` runs with its own params:
 * - liveness: once faults stop, does every run reach the goal? (stuck states, fair livelocks)
 * - refinement: does every step of this model map to a step (or stutter) of a specification?
 */
export type ScenarioCheck =
  | {
      /** The model's invariants under other params than the defaults (e.g. no partitions). */
      readonly kind: 'safety';
      readonly name: string;
      readonly description: string;
      readonly variant?: string;
      readonly params: Readonly<Record<string, number>>;
      readonly expect: Expectation;
      /** As VariantSpec.checkDeadlock (default: the variant's setting). */
      readonly checkDeadlock?: boolean;
      /** Explore one state per orbit of the model's declared symmetry (as --symmetry): the
       * row's distinct states are orbits, and its verdict says so. */
      readonly symmetry?: boolean;
    }
  | {
      readonly kind: 'liveness';
      readonly name: string;
      readonly description: string;
      readonly variant?: string;
      readonly params: Readonly<Record<string, number>>;
      readonly expect: { readonly status: 'holds' } | { readonly status: 'violation'; readonly property: 'stuck' | 'livelock' };
    }
  | {
      readonly kind: 'refinement';
      readonly name: string;
      readonly description: string;
      readonly variant?: string;
      readonly params: Readonly<Record<string, number>>;
      /** The specification, built for the same params. */
      readonly spec: (params: Params) => AnyModel;
      readonly mapping: (state: unknown) => unknown;
      readonly expect: { readonly status: 'holds' } | { readonly status: 'violation'; readonly property: 'refinement' };
    };

export interface ModelDefinition {
  readonly name: string;
  readonly summary: string;
  /** Where the protocol comes from, e.g. "TwoPhase.tla (Lamport), tlaplus/Examples". */
  readonly source: string;
  readonly params: readonly ParamSpec[];
  /** The first variant is the faithful/correct one, conventionally named "default". */
  readonly variants: readonly VariantSpec[];
  create(params: Params, variant: string): AnyModel;
  /** Liveness and refinement checks run by `check --all` (and `check <model> --scenario`). */
  readonly scenarios?: readonly ScenarioCheck[];
}

/** Names of every property a model checks, for `faultline list`. */
export function propertyNames(model: AnyModel): { invariants: string[]; stepInvariants?: string[]; sometimes: string[] } {
  const steps = (model.stepInvariants ?? []).map((i) => i.name);
  return {
    invariants: model.invariants.map((i) => i.name),
    ...(steps.length === 0 ? {} : { stepInvariants: steps }),
    sometimes: model.sometimes.map((w) => w.name),
  };
}

/** Fills in defaults and validates a param assignment against a definition. Throws an
 * InputError naming the offending param. */
export function resolveParams(def: ModelDefinition, given: Readonly<Record<string, number>>): Params {
  const out: Record<string, number> = {};
  for (const key of Object.keys(given)) {
    if (!def.params.some((p) => p.name === key)) {
      const known = def.params.map((p) => p.name).join(', ') || '(none)';
      throw new InputError(`model '${def.name}' has no param '${key}' (params: ${known})`);
    }
  }
  for (const p of def.params) {
    const value = given[p.name] ?? p.default;
    if (!Number.isSafeInteger(value)) {
      throw new InputError(`param ${p.name} must be an integer, got ${value}`);
    }
    if (value < p.min || (p.max !== undefined && value > p.max)) {
      const range = p.max === undefined ? `>= ${p.min}` : `in ${p.min}..${p.max}`;
      throw new InputError(`param ${p.name}=${value} is out of range (must be ${range})`);
    }
    out[p.name] = value;
  }
  return out;
}

export function findVariant(def: ModelDefinition, variant: string): VariantSpec {
  const v = def.variants.find((x) => x.name === variant);
  if (v === undefined) {
    const known = def.variants.map((x) => x.name).join(', ');
    throw new InputError(`model '${def.name}' has no variant '${variant}' (variants: ${known})`);
  }
  return v;
}

/** Bad input from a user (unknown model, malformed trace, a bound that is not a number):
 * reported as one line and exit code 2, never as a stack trace. */
export class InputError extends Error {
  override readonly name = 'InputError';
}
