// The packed codec derived from a state schema: it round-trips, encoding against a parent gives
// the encoding from scratch, the packed explorer's counts are the object explorer's, and a
// schema that is wrong says which field is wrong instead of merging states.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Codec, firstDifference, SchemaError } from '../src/core/codec.ts';
import { actorSystemSchema, schema, type Schema } from '../src/core/schema.ts';
import { actorSystem, clockOf, type NodeSpec } from '../src/core/actors.ts';
import { canonicalJson, compareValues } from '../src/core/data.ts';
import { explore, ModelError, type ExploreResult } from '../src/explore/explore.ts';
import { resolveParams, type AnyModel, type ModelDefinition } from '../src/core/model.ts';
import { twoPhase, twoPhaseDefinition, twoPhaseSchema, type TwoPhaseState } from '../models/twophase/index.ts';
import { twoPcDefinition } from '../models/twopc/index.ts';
import { tCommitDefinition } from '../models/tcommit/index.ts';
import { threePcDefinition } from '../models/threepc/index.ts';
import { paxosDefinition } from '../models/paxos/index.ts';
import { paxosCommitDefinition } from '../models/paxoscommit/index.ts';

const bin = fileURLToPath(new URL('../src/cli/faultline.js', import.meta.url));

function faultline(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Values of a schema, for fast-check. */
function arbitrary(s: Schema): fc.Arbitrary<unknown> {
  switch (s.kind) {
    case 'enum':
      return fc.constantFrom(...s.values);
    case 'int':
      return fc.integer({ min: s.min, max: s.max });
    case 'record':
      return fc.record(Object.fromEntries(Object.entries(s.fields).map(([k, f]) => [k, arbitrary(f)])));
    case 'array':
      return fc.array(arbitrary(s.of), { minLength: s.length, maxLength: s.length });
    case 'tuple':
      return fc.tuple(...s.of.map(arbitrary));
    case 'list':
      return fc.array(arbitrary(s.of), { maxLength: s.lengthMax });
    case 'set':
      return fc.uniqueArray(arbitrary(s.of), { selector: canonicalJson, maxLength: 6 }).map((xs) => xs.sort(compareValues));
    case 'multiset':
      return fc.array(arbitrary(s.of), { maxLength: 6 }).map((xs) => {
        const sorted = xs.sort(compareValues);
        return sorted.filter((x, i) => i < s.countMax || compareValues(sorted[i - s.countMax], x) !== 0);
      });
    case 'union':
      return fc.oneof(...s.variants.map(arbitrary));
    case 'optional':
      return fc.option(arbitrary(s.of), { nil: undefined });
  }
}

const message = schema.union(
  schema.record({ type: schema.literal('Prepare'), ballot: schema.int(0, 3) }),
  schema.record({ type: schema.literal('Vote'), vote: schema.enum('yes', 'no') }),
  schema.record({ type: schema.literal('Ack') }),
);
/** A schema with every kind of node, wider than 62 bits (hashed keys). */
const mixed = schema.record({
  phase: schema.enum('a', 'b', 'c'),
  term: schema.int(-2, 40),
  flags: schema.array(16, schema.bool()),
  slots: schema.tuple([schema.optional(schema.enum('x', 'y')), schema.record({ n: schema.int(0, 7), m: schema.optional(message) })]),
  log: schema.list(4, schema.enum('commit', 'abort')),
  msgs: schema.set(message),
  net: schema.multiset(message, 2),
  side: schema.optional(schema.set(schema.enum('n1', 'n2', 'n3'))),
});

function encoded(codec: Codec, v: unknown): number[] {
  const out = new Int32Array(codec.words);
  codec.encode(v, out);
  return [...out];
}

describe('the packed codec', () => {
  it('decodes every value of a schema back to itself, and encoding against a parent gives the encoding from scratch', () => {
    const codec = new Codec(mixed);
    expect(codec.exact).toBe(false);
    const keys = Object.keys((mixed as { fields: object }).fields);
    fc.assert(
      fc.property(arbitrary(mixed), arbitrary(mixed), fc.subarray(keys), (parent, other, changed) => {
        const words = new Int32Array(codec.words);
        codec.encode(parent, words);
        expect(firstDifference(parent, codec.decode(words))).toBeUndefined();
        // A successor shares the fields a step did not change with its parent.
        const child = { ...(parent as object) } as Record<string, unknown>;
        for (const k of changed) child[k] = (other as Record<string, unknown>)[k];
        codec.encodeAgainst(child, parent, words);
        expect([...words]).toEqual(encoded(codec, child));
        expect(firstDifference(child, codec.decode(words))).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('gives every reachable TwoPhase state with 4 RMs its own exact key (19 bits)', () => {
    const codec = new Codec(twoPhaseSchema(4));
    expect([codec.bits, codec.exact]).toEqual([19, true]);
    const model = twoPhase(4);
    const seen = new Map<string, string>();
    let level: TwoPhaseState[] = [...model.init];
    const key = new Int32Array(2);
    const words = new Int32Array(codec.words);
    for (const s of level) seen.set(canonicalJson(s), '');
    while (level.length > 0) {
      const next: TwoPhaseState[] = [];
      for (const s of level) {
        for (const a of model.actions(s)) {
          const t = model.step(s, a);
          const name = canonicalJson(t);
          if (seen.has(name)) continue;
          codec.encode(t, words);
          codec.key(words, key);
          seen.set(name, `${key[0]}:${key[1]}`);
          next.push(t);
        }
      }
      level = next;
    }
    const keys = [...seen.values()].filter((k) => k !== '');
    expect(new Set(keys).size).toBe(keys.length);
    expect(seen.size).toBe(1568);
  });

  it('names the field and the value that lie outside the schema', () => {
    const codec = new Codec(mixed);
    const words = new Int32Array(codec.words);
    const bad = { phase: 'a', term: 41, flags: Array(16).fill(false), slots: [undefined, { n: 0 }], log: [], msgs: [], net: [], side: undefined };
    expect(() => codec.encode(bad, words)).toThrow(SchemaError);
    expect(() => codec.encode(bad, words)).toThrow('term = 41 is not an integer in -2..40');
    expect(() => codec.encode({ ...bad, term: 0, log: ['commit', 'undo'] }, words)).toThrow('log[1] = "undo" is not one of "commit", "abort"');
    const ack = { type: 'Ack' };
    expect(() => codec.encode({ ...bad, term: 0, net: [ack, ack, ack] }, words)).toThrow('net holds 3 copies of {"type":"Ack"}, more than the schema\'s 2');
  });
});

/** What must not change between the object and the packed path. */
function figures(r: ExploreResult): unknown {
  return [r.status, r.distinctStates, r.totalStates, r.depth, r.violations.map((v) => [v.property, v.steps]), r.witnesses.map((w) => [w.name, w.depth])];
}

function everyVariant(def: ModelDefinition, params: Record<string, number>): { name: string; model: () => AnyModel }[] {
  return def.variants.map((v) => ({ name: v.name, model: () => def.create(resolveParams(def, { ...(v.params ?? {}), ...params }), v.name) }));
}

describe('the packed explorer', () => {
  it('finds the object explorer\'s states, totals, depths, violations and witnesses for every TCommit, TwoPhase and 2PC variant', () => {
    const rows = [
      ...everyVariant(tCommitDefinition, { rm: 5 }),
      ...everyVariant(twoPhaseDefinition, { rm: 4 }),
      ...everyVariant(twoPcDefinition, { participants: 2, crashesMax: 1, dropsMax: 1 }),
      ...everyVariant(twoPcDefinition, { participants: 2, network: 1, duplicatesMax: 1, crashesMax: 0 }),
    ];
    for (const row of rows) {
      const object = explore(row.model(), { codec: 'object', continueAfterViolation: true });
      const packed = explore(row.model(), { codec: 'packed', continueAfterViolation: true, verifyCodec: true });
      expect([row.name, packed.packed !== undefined]).toEqual([row.name, true]);
      expect([row.name, figures(packed)]).toEqual([row.name, figures(object)]);
    }
  }, 120_000);

  it('finds the object explorer\'s figures for every 3PC and PaxosCommit variant and for Paxos\'s, every state round-tripped', () => {
    // Paxos's variants at 2 proposers, 3 acceptors and no learner unless the bug is a learner's
    // (their own params otherwise): a few thousand states each.
    const paxosRows = everyVariant(paxosDefinition, {}).map((row) => {
      const v = paxosDefinition.variants.find((x) => x.name === row.name)!;
      const small = { learners: v.name.startsWith('learner-') ? 1 : 0, ballotsMax: Math.min(2, v.params?.ballotsMax ?? 1) };
      return { name: `paxos ${row.name}`, model: () => paxosDefinition.create(resolveParams(paxosDefinition, { ...(v.params ?? {}), ...small }), v.name) };
    });
    const rows = [
      ...everyVariant(threePcDefinition, { participants: 2 }),
      ...everyVariant(threePcDefinition, { participants: 2, network: 1, duplicatesMax: 1, partitionsMax: 0 }),
      ...everyVariant(paxosCommitDefinition, { rm: 1 }),
      ...paxosRows,
    ];
    for (const row of rows) {
      const object = explore(row.model(), { codec: 'object', continueAfterViolation: true });
      const packed = explore(row.model(), { codec: 'packed', continueAfterViolation: true, verifyCodec: true });
      // acceptor-accepts-below-promise declares no schema (models/paxos/schema.ts says why).
      expect([row.name, packed.packed !== undefined]).toEqual([row.name, row.name !== 'paxos acceptor-accepts-below-promise']);
      expect([row.name, figures(packed)]).toEqual([row.name, figures(object)]);
    }
  }, 600_000);

  it('2PC\'s and 3PC\'s schemas leave room for a decision sent again by every restart of the coordinator (4 restarts, unordered network)', () => {
    const given = { participants: 1, network: 1, crashesMax: 4, crashCoordinatorOnly: 1, partitionsMax: 0 };
    const figuresOf = (def: ModelDefinition, codec: 'object' | 'packed') =>
      figures(explore(def.create(resolveParams(def, given), 'default'), { codec, continueAfterViolation: true, verifyCodec: codec === 'packed' }));
    for (const def of [twoPcDefinition, threePcDefinition]) expect(figuresOf(def, 'packed')).toEqual(figuresOf(def, 'object'));
  });

  it('a schema that leaves out tmPrepared is caught at once, naming the field, instead of merging TwoPhase states', () => {
    // Without the check TwoPhase with 5 RMs would report 1,267 states instead of 8,832.
    const model = twoPhase(5);
    const { tmPrepared: _dropped, ...fields } = (model.schema as { fields: Record<string, Schema> }).fields;
    const broken = { ...model, schema: schema.record(fields) };
    expect(() => explore(broken)).toThrow(ModelError);
    expect(() => explore(broken)).toThrow(/does not round-trip .* at tmPrepared: the state has \[false,false,false,false,false\], decoding gives undefined/);
  });

  it('a value outside the schema is a model error naming the field, the value and the step', () => {
    const model = twoPhase(3);
    const narrow = schema.record({ ...(model.schema as { fields: Record<string, Schema> }).fields, rmState: schema.array(3, schema.enum('working', 'prepared', 'committed')) });
    expect(() => explore({ ...model, schema: narrow })).toThrow(/while taking "rm1 chooses to abort": the state is outside its schema: rmState\[0\] = "aborted" is not one of "working", "prepared", "committed"/);
  });

  it('check --verify-codec decodes every new state and reports its bits per state', () => {
    const r = faultline('check', 'twophase', '--param', 'rm=6', '--verify-codec');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('50,816 distinct, 402,306 total, depth 20');
    expect(r.stdout).toContain('packed: 27 bits per state, exact keys (no collision possible)');
  });
});

/** A tiny actor system with every part of SystemState that actorSystemSchema packs: clients
 * that time out and retry, their history, clocks with deadlines, a timer budget, a partition
 * whose side is not in compareValues order (nodes 'b', 'a'), and either network. Each node
 * counts the requests it applied, answers the client and tells its peer; a `lease` timer is
 * set two ticks ahead. */
function counterSystem(network: 'unordered' | 'fifo') {
  type Counter = { readonly applied: number };
  type Msg = { readonly type: 'Applied'; readonly count: number };
  const ids = ['b', 'a'];
  const spec: NodeSpec<Counter, Msg, Counter, 'inc', number> = {
    init: (ctx) => ({ state: { applied: 0 }, effects: [{ kind: 'set-timer', timer: 'lease', at: clockOf(ctx) + 2 }] }),
    handle: (s, input, ctx) => {
      if (input.kind === 'request') {
        const next = { applied: s.applied + 1 };
        const peer = ids.find((id) => id !== ctx.id)!;
        return { state: next, effects: [{ kind: 'persist', data: next }, { kind: 'reply', client: input.client, result: next.applied, seq: input.seq }, { kind: 'send', to: peer, msg: { type: 'Applied', count: next.applied } }] };
      }
      if (input.kind === 'timeout') return { state: s, effects: [{ kind: 'set-timer', timer: 'lease', at: clockOf(ctx) + 2 }] };
      return { state: s };
    },
    restart: (durable) => ({ state: durable ?? { applied: 0 } }),
  };
  const scripts = [
    { client: 0, node: 'b', ops: ['inc', 'inc'] as const, timeout: { retriesMax: 1 } },
    { client: 1, node: 'a', ops: ['inc'] as const, timeout: { retriesMax: 0 } },
  ];
  const model = actorSystem<Counter, Msg, Counter, 'inc', number>({
    nodes: ids.map((id) => ({ id, spec })),
    network,
    faults: { crashesMax: 1, partitionsMax: 1, dropsMax: 1 },
    clients: scripts,
    timerBudget: { timers: ['lease'], timeoutsMax: 2 },
    time: { timeMax: 2 },
    invariants: [],
    // The parts of the state the schema must pack are all reached.
    sometimes: [
      { name: 'a client gives up (info)', holds: (s) => s.history.some((e) => e.kind === 'info') },
      { name: 'a client resends', holds: (s) => s.clients.some((c) => c.status === 'resend') },
      { name: 'a deadline is armed', holds: (s) => s.nodes.some((n) => (n.alarms ?? []).length > 0) },
      { name: 'partitioned', holds: (s) => s.partition !== undefined },
      { name: 'a node crashed', holds: (s) => s.nodes.some((n) => n.state === undefined) },
      { name: 'a timer fired twice', holds: (s) => s.faults.timeouts === 2 },
      { name: 'time ran out', holds: (s) => s.clocks!.every((c) => c === 2) },
    ],
    describeMessage: (m) => `Applied ${m.count}`,
  });
  const counter = schema.record({ applied: schema.int(0, 3) });
  const packed = actorSystemSchema({
    nodeIds: ids,
    node: () => counter,
    durable: () => counter,
    timers: ['lease'],
    msg: schema.record({ type: schema.literal('Applied'), count: schema.int(1, 3) }),
    network: { kind: 'list', lengthMax: 3 },
    dropsMax: 1,
    duplicatesMax: 0,
    crashesMax: 1,
    partitionsMax: 1,
    timeoutsMax: 2,
    clients: { scripts, op: schema.literal('inc'), result: schema.int(1, 3) },
    time: { timeMax: 2, deadlineMax: 4 },
  });
  return { ...model, schema: packed };
}

describe('actorSystemSchema', () => {
  it('packs clients, their history, clocks and deadlines, a timer budget, an unsorted partition side and a fifo network: the object explorer\'s figures, every state round-tripped', () => {
    const out: unknown[] = [];
    for (const network of ['unordered', 'fifo'] as const) {
      const object = explore(counterSystem(network), { codec: 'object', checkDeadlock: false });
      const packed = explore(counterSystem(network), { codec: 'packed', checkDeadlock: false, verifyCodec: true });
      expect(packed.packed).toBeDefined();
      expect(packed.witnesses.filter((w) => !w.reached)).toEqual([]);
      expect(figures(packed)).toEqual(figures(object));
      out.push([network, packed.distinctStates, packed.packed!.bits]);
    }
    expect(out).toEqual([['unordered', 12_120, 97], ['fifo', 9_396, 97]]);
  });
});
