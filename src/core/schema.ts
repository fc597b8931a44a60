// A declared state schema: the bounded shape of a model's state (records, enums, bounded
// integers, fixed-length arrays, bounded lists, sorted sets and multisets over finite
// domains, unions). From it the engine derives a packed codec (core/codec.ts): every state
// becomes a fixed number of bits, so the BFS frontier is a typed array instead of objects and
// a state that fits in 62 bits is its own exact visited-set key.
//
// A schema is a promise about every reachable state. A schema that leaves a field out would
// silently merge states (TwoPhase with 5 RMs without tmPrepared: 1,267 states instead of
// 8,832), so the explorer decodes what it encoded for the first states of every run (all of
// them with --verify-codec) and names the field that does not come back; a value outside its
// schema (an integer past its bound, a string not in its enum) is a model error naming the
// field and the value.
//
// Equality is the engine's: a record key whose value is undefined is the same as an absent
// key (core/fingerprint.ts, core/data.ts compareValues). Sets and multisets are sorted arrays
// in compareValues order, as core/data.ts keeps them.

export type Primitive = string | number | boolean | null | undefined;

export type Schema =
  /** One of a few primitive values (a string enum, a boolean, a constant). */
  | { readonly kind: 'enum'; readonly values: readonly Primitive[] }
  /** An integer in min..max. */
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  /** A plain record with exactly these fields (absent means undefined). */
  | { readonly kind: 'record'; readonly fields: Readonly<Record<string, Schema>> }
  /** An array of exactly `length` elements. */
  | { readonly kind: 'array'; readonly length: number; readonly of: Schema }
  /** An array whose element i has schema of[i] (node slots of different roles). */
  | { readonly kind: 'tuple'; readonly of: readonly Schema[] }
  /** An array of at most `lengthMax` elements, in the order the model keeps them. */
  | { readonly kind: 'list'; readonly lengthMax: number; readonly of: Schema }
  /** A sorted array without duplicates (core/data.ts SortedSet) over the finite domain of `of`. */
  | { readonly kind: 'set'; readonly of: Schema }
  /** A sorted array with at most `countMax` copies of each element of the domain of `of`. */
  | { readonly kind: 'multiset'; readonly of: Schema; readonly countMax: number }
  /** The first variant that accepts the value (records are told apart by their constant
   * fields, e.g. a `kind` or `role` tag, else by their keys). */
  | { readonly kind: 'union'; readonly variants: readonly Schema[] }
  /** undefined, or a value of `of`. */
  | { readonly kind: 'optional'; readonly of: Schema };

/** Builders, so a schema reads like the state's type. */
export const schema = {
  enum: (...values: readonly Primitive[]): Schema => ({ kind: 'enum', values }),
  literal: (value: Primitive): Schema => ({ kind: 'enum', values: [value] }),
  bool: (): Schema => ({ kind: 'enum', values: [false, true] }),
  int: (min: number, max: number): Schema => ({ kind: 'int', min, max }),
  record: (fields: Readonly<Record<string, Schema>>): Schema => ({ kind: 'record', fields }),
  array: (length: number, of: Schema): Schema => ({ kind: 'array', length, of }),
  tuple: (of: readonly Schema[]): Schema => ({ kind: 'tuple', of }),
  list: (lengthMax: number, of: Schema): Schema => ({ kind: 'list', lengthMax, of }),
  set: (of: Schema): Schema => ({ kind: 'set', of }),
  multiset: (of: Schema, countMax: number): Schema => ({ kind: 'multiset', of, countMax }),
  union: (...variants: readonly Schema[]): Schema => ({ kind: 'union', variants }),
  optional: (of: Schema): Schema => ({ kind: 'optional', of }),
} as const;

/** Interchangeable ids (TwoPhase's RMs, 2PC's participants): the model says how a renaming
 * acts on a state, consistently through all of it (arrays indexed by id, ids inside
 * messages, timers, ghost state); the explorer (--symmetry) explores one state per orbit,
 * found by an exact canonicalisation (explore/symmetry.ts). */
export interface Symmetry<S> {
  /** What the ids are, in words, for reports: "RMs", "participants". */
  readonly name: string;
  /** How many ids are interchangeable (0..size-1). */
  readonly size: number;
  /** `state` with every id i renamed perm[i]. Must be a bijection on states that maps
   * reachable states to reachable states and keeps every property's verdict. */
  permute(state: S, perm: readonly number[]): S;
  /** Optional: a summary of id i's part of the state that renaming does not change
   * (key(permute(s, p), p[i]) equals key(s, i)); ids are sorted by it before the exact search,
   * which then only tries orders among equal keys. Speeds the search up; never changes it. */
  key?(state: S, id: number): number;
}

/** The fixed-size schema of a network of `Envelope`s between known nodes (core/actors.ts): a
 * sorted multiset (a set for the `set` network) of {from, to, msg} records. */
export function envelopeSchema(nodeIds: readonly string[], msg: Schema, countMax: number): Schema {
  const node = schema.enum(...nodeIds);
  const envelope = schema.record({ from: node, to: node, msg });
  return countMax === 1 ? schema.set(envelope) : schema.multiset(envelope, countMax);
}

/** How an actor system's network is packed. */
export type NetworkPacking =
  /** One count (a bit on the set network, copiesMax 1) per possible envelope: compact for a
   * few kinds of small messages between few nodes (at most 4,096 envelopes), unordered or set
   * network only. */
  | { readonly kind: 'bag'; readonly copiesMax: number }
  /** At most `lengthMax` envelopes in the order the system keeps them (sorted, or channel by
   * channel under fifo): any message schema and any network semantics; the width grows with
   * lengthMax, not with the number of possible envelopes. */
  | { readonly kind: 'list'; readonly lengthMax: number };

/** What an actor system's schema needs to know of its clients (ActorSystemSpec.clients). */
export interface ClientsSchema {
  /** The system's client scripts: how many operations each issues, and its retries. */
  readonly scripts: readonly { readonly ops: readonly unknown[]; readonly timeout?: { readonly retriesMax: number } }[];
  readonly op: Schema;
  readonly result: Schema;
  /** Events that nodes record themselves (the `record` effect: clients that are nodes): how
   * many client numbers past the scripts' they use, and how many events at most. */
  readonly recorded?: { readonly clients: number; readonly eventsMax: number };
}

/** The schema of an actor system's state (core/actors.ts SystemState): node slots (state and
 * durable record, undefined while crashed or never persisted; armed timers as a sorted set;
 * with time, the timers' deadlines), the network, the clients and their recorded history, the
 * faults spent (and the budgeted timers' firings), the partition (the side holding the first
 * node) and, with time, the clocks. Every actor model gets its schema from its node, durable
 * and message schemas and its budgets. Parts the system does not have (clients, time, a timer
 * budget) are left out, as the system leaves them out of its states. */
export function actorSystemSchema(spec: {
  readonly nodeIds: readonly string[];
  /** The state of node i (roles may differ). */
  readonly node: (i: number) => Schema;
  readonly durable: (i: number) => Schema;
  readonly timers: readonly string[];
  readonly msg: Schema;
  /** Default: a bag of copiesMax copies. */
  readonly network?: NetworkPacking;
  /** Copies of one message in flight at most (1: the `set` network), for the default bag. */
  readonly copiesMax?: number;
  readonly dropsMax: number;
  readonly duplicatesMax: number;
  readonly crashesMax: number;
  readonly partitionsMax: number;
  /** ActorSystemSpec.timerBudget's timeoutsMax, when the system has a timer budget. */
  readonly timeoutsMax?: number;
  readonly clients?: ClientsSchema;
  /** ActorSystemSpec.time's timeMax, and the latest deadline a node may set. */
  readonly time?: { readonly timeMax: number; readonly deadlineMax: number };
}): Schema {
  const ids = spec.nodeIds;
  const node = schema.enum(...ids);
  const timers = schema.set(schema.enum(...spec.timers));
  const time = spec.time;
  // In systems with time, the armed timers' deadlines, sorted by timer (not a set: sets are
  // sorted by compareValues, which orders {at, timer} records by `at` first).
  const alarms = time === undefined ? undefined : schema.list(spec.timers.length, schema.record({ timer: schema.enum(...spec.timers), at: schema.int(0, time.deadlineMax) }));
  const slots = ids.map((_, i) =>
    schema.record({
      state: schema.optional(spec.node(i)),
      durable: schema.optional(spec.durable(i)),
      timers,
      ...(alarms === undefined ? {} : { alarms }),
    }),
  );
  const clients = spec.clients;
  return schema.record({
    nodes: schema.tuple(slots),
    network: networkSchema(ids, spec.msg, spec.network ?? { kind: 'bag', copiesMax: spec.copiesMax ?? 1 }),
    clients: clients === undefined ? schema.list(0, schema.literal(null)) : clientSlotsSchema(clients, node),
    history: clients === undefined ? schema.list(0, schema.literal(null)) : historySchema(clients, node),
    faults: schema.record({
      drops: schema.int(0, spec.dropsMax),
      duplicates: schema.int(0, spec.duplicatesMax),
      crashes: schema.int(0, spec.crashesMax),
      partitions: schema.int(0, spec.partitionsMax),
      ...(spec.timeoutsMax === undefined ? {} : { timeouts: schema.int(0, spec.timeoutsMax) }),
    }),
    // The side is listed in node order (core/actors.ts twoSidedSplits): a set when that order is
    // compareValues order, else a list.
    partition: schema.optional(isSorted(ids) ? schema.set(node) : schema.list(ids.length - 1, node)),
    ...(time === undefined ? {} : { clocks: schema.array(ids.length, schema.int(0, time.timeMax)) }),
  });
}

function networkSchema(ids: readonly string[], msg: Schema, packing: NetworkPacking): Schema {
  if (packing.kind === 'bag') return envelopeSchema(ids, msg, packing.copiesMax);
  const node = schema.enum(...ids);
  return schema.list(packing.lengthMax, schema.record({ from: node, to: node, msg }));
}

/** core/actors.ts ClientSlot, per script: `next` counts the operations invoked. */
function clientSlotsSchema(clients: ClientsSchema, node: Schema): Schema {
  return schema.tuple(
    clients.scripts.map((script) =>
      schema.record({
        next: schema.int(0, script.ops.length),
        status: schema.enum('idle', 'waiting', 'resend'),
        node,
        retries: schema.int(0, script.timeout?.retriesMax ?? 0),
      }),
    ),
  );
}

/** core/actors.ts HistoryEvent: each operation is invoked once and ends at most once (return,
 * fail or info; a retry records nothing), plus the events nodes record themselves. */
function historySchema(clients: ClientsSchema, node: Schema): Schema {
  const recorded = clients.recorded ?? { clients: 0, eventsMax: 0 };
  const client = schema.int(0, Math.max(0, clients.scripts.length + recorded.clients - 1));
  const ops = clients.scripts.reduce((sum, script) => sum + script.ops.length, 0);
  return schema.list(
    2 * ops + recorded.eventsMax,
    schema.union(
      schema.record({ kind: schema.literal('invoke'), client, op: clients.op, node }),
      schema.record({ kind: schema.literal('return'), client, result: clients.result, node }),
      schema.record({ kind: schema.literal('fail'), client, node }),
      schema.record({ kind: schema.literal('info'), client, node }),
    ),
  );
}

function isSorted(ids: readonly string[]): boolean {
  return ids.every((id, k) => k === 0 || ids[k - 1] < id);
}
