// How fast the history checkers are on histories shaped like the ones real clusters produce
// (src/cluster): many clients, thousands of operations over many keys, operations that time out
// (`info`: pending, some of which took effect and some not), small value domains (Jepsen's cas
// register writes 0..4). The histories are simulated, not recorded: each operation takes effect
// at a random point between its invocation and its return, so every generated history is
// linearizable by construction; variants change one read's result to an older value (a stale
// read) or to a value nobody wrote.
//
// Prints operations, keys, milliseconds (median of the timed runs after a warm-up), operations
// per second, spec steps and the verdict. It asserts nothing: timings on a shared machine vary.
//
//   npx tsx bench/cluster-history.ts        3 timed runs per history
//   npx tsx bench/cluster-history.ts 1      one timed run each
//
// Not part of `npm test`.

import type { History, KeyedRegisterOp, Operation, RegisterResult, Verdict } from '../src/history/index.ts';
import { checkLinearizable, checkSequentiallyConsistent, keyedRegisterSpec } from '../src/history/index.ts';
import { prng } from '../src/core/prng.ts';

type Op = KeyedRegisterOp<number>;
type Res = RegisterResult<number>;

const spec = keyedRegisterSpec(0);

interface Shape {
  readonly ops: number;
  readonly keys: number;
  readonly clients: number;
  /** Fraction of updates that time out (info). */
  readonly infoRate: number;
  /** Fraction of those that take effect (default one half), up to ten latencies later. */
  readonly appliedRate?: number;
  readonly values: number;
  readonly seed: number;
}


/** A linearizable history: operations per client back to back, each with a latency of 1–20 ms
 * and an effect point inside it; results computed in effect order. */
export function simulate(shape: Shape): History<Op, Res> {
  const random = prng(shape.seed);
  const planned: { id: number; client: number; op: Op; invokedAt: number; returnedAt: number; effectAt: number; info: boolean; applied: boolean }[] = [];
  const clock = Array.from({ length: shape.clients }, () => random() * 5);
  const processOf = Array.from({ length: shape.clients }, (_, c) => c);
  for (let id = 0; id < shape.ops; id++) {
    const c = id % shape.clients;
    const key = `k${Math.floor(random() * shape.keys)}`;
    const roll = random();
    const value = (): number => Math.floor(random() * shape.values);
    const op: Op = roll < 0.5 ? { kind: 'read', key } : roll < 0.75 ? { kind: 'write', key, value: value() } : { kind: 'cas', key, from: value(), to: value() };
    const invokedAt = clock[c];
    const latency = 1 + random() * 19;
    const info = op.kind !== 'read' && random() < shape.infoRate;
    const returnedAt = invokedAt + latency;
    const applied = !info || random() < (shape.appliedRate ?? 0.5);
    // An info operation's effect may come long after its client gave up on it.
    const effectAt = invokedAt + random() * (info ? latency * 10 : latency);
    planned.push({ id, client: processOf[c], op, invokedAt, returnedAt, effectAt, info, applied });
    if (info) processOf[c] += shape.clients; // Jepsen: the client goes on as a new process
    clock[c] = returnedAt + random() * 2;
  }
  const state = new Map<string, number>();
  const results = new Map<number, Res>();
  for (const p of [...planned].sort((a, b) => a.effectAt - b.effectAt)) {
    if (!p.applied) continue;
    const step = spec.apply({ [p.op.key]: state.get(p.op.key) ?? 0 }, p.op);
    state.set(p.op.key, step.state[p.op.key] ?? 0);
    results.set(p.id, step.result);
  }
  return planned.map((p): Operation<Op, Res> =>
    p.info
      ? { kind: 'pending', id: p.id, client: p.client, op: p.op, invokedAt: p.invokedAt }
      : { kind: 'completed', id: p.id, client: p.client, op: p.op, invokedAt: p.invokedAt, returnedAt: p.returnedAt, result: results.get(p.id)! },
  );
}

/** The same history with one read of `key`, about 60% of the way through, returning an older
 * value — a stale read, as a member cut off from the leader serves: the value of a write W0
 * that a later write W1 overwrote before the read began (W0.returned < W1.invoked,
 * W1.returned < read.invoked), where W0 is the only operation that ever wrote that value, so
 * the read is certainly not linearizable. */
function withStaleRead(history: History<Op, Res>, key: string): History<Op, Res> {
  const ofKey = history.filter((op) => op.op.key === key).sort((a, b) => a.invokedAt - b.invokedAt);
  const written = (op: Operation<Op, Res>): number | undefined => (op.op.kind === 'write' ? op.op.value : op.op.kind === 'cas' ? op.op.to : undefined);
  const writers = new Map<number, number>();
  for (const op of ofKey) {
    const v = written(op);
    if (v !== undefined) writers.set(v, (writers.get(v) ?? 0) + 1);
  }
  const done = ofKey.filter((op): op is Extract<Operation<Op, Res>, { kind: 'completed' }> => op.kind === 'completed');
  const reads = done.filter((op) => op.op.kind === 'read');
  for (let i = Math.floor(reads.length * 0.6); i < reads.length; i++) {
    const read = reads[i];
    const w1 = done.filter((op) => op.op.kind === 'write' && op.returnedAt < read.invokedAt).at(-1);
    if (w1 === undefined) continue;
    const w0 = done.filter((op) => op.op.kind === 'write' && op.returnedAt < w1.invokedAt && writers.get(written(op)!) === 1).at(-1);
    if (w0 === undefined || written(w0) === 0) continue;
    return history.map((op) => (op === read ? { ...read, result: written(w0)! } : op));
  }
  throw new Error(`bench: no read of ${key} to make stale`);
}

/** The same history with the last read of `key` returning a value nobody wrote. */
function withPhantomRead(history: History<Op, Res>, key: string): History<Op, Res> {
  const last = [...history].reverse().find((op) => op.kind === 'completed' && op.op.kind === 'read' && op.op.key === key);
  if (last === undefined) throw new Error(`bench: no read of ${key}`);
  return history.map((op) => (op === last ? { ...op, result: 9999 } : op));
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function measure(name: string, h: History<Op, Res>, check: (h: History<Op, Res>) => Verdict, repeats: number): void {
  let verdict = check(h);
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    verdict = check(h);
    ms.push(performance.now() - start);
  }
  const m = median(ms);
  const keys = new Set(h.map((op) => op.op.key)).size;
  const pending = h.filter((op) => op.kind === 'pending').length;
  const where = verdict.kind === 'ok' ? '' : verdict.partition === undefined ? '' : ` (key ${verdict.partition})`;
  console.log(
    `${name.padEnd(46)} ${String(h.length).padStart(7)} ${String(pending).padStart(7)} ${String(keys).padStart(5)} ${m.toFixed(1).padStart(9)} ` +
      `${Math.round((h.length / Math.max(m, 0.001)) * 1000).toLocaleString('en-US').padStart(11)} ${verdict.steps.toLocaleString('en-US').padStart(11)}  ${verdict.kind}${where}`,
  );
}

function main(): void {
  const arg = process.argv[2];
  const repeats = arg === undefined ? 3 : Number(arg);
  if (!Number.isInteger(repeats) || repeats < 1) {
    console.error(`bench/cluster-history: the number of timed runs must be a positive integer, got '${arg}'`);
    process.exit(2);
  }
  const lin = (h: History<Op, Res>): Verdict => checkLinearizable(spec, h);
  const jepsen = simulate({ ops: 300, keys: 1, clients: 5, infoRate: 0.1, values: 5, seed: 1 });
  const many = simulate({ ops: 10_000, keys: 100, clients: 10, infoRate: 0.05, values: 1000, seed: 2 });
  const hot = simulate({ ops: 10_000, keys: 1, clients: 10, infoRate: 0.02, values: 1000, seed: 3 });
  const hotSmall = simulate({ ops: 2_000, keys: 1, clients: 10, infoRate: 0.02, values: 5, seed: 4 });
  // A key whose search is expensive ("k0": 400 operations, 20% info, values 0..4, 12 clients)
  // next to 100 keys, one with an impossible read: refuted without first spending k0's budget.
  const hard = simulate({ ops: 400, keys: 1, clients: 12, infoRate: 0.2, values: 5, seed: 5 });
  const mixed = [...hard, ...withPhantomRead(many, 'k99').map((op) => ({ ...op, id: op.id + 1_000_000, client: op.client + 1_000_000 }))];

  console.log(`node ${process.version}, median of ${repeats} timed run(s) after one warm-up; default budget (per key: 1,000,000 steps or 1,000 per operation)\n`);
  console.log(`${'history'.padEnd(46)} ${'ops'.padStart(7)} ${'pending'.padStart(7)} ${'keys'.padStart(5)} ${'ms'.padStart(9)} ${'ops/s'.padStart(11)} ${'spec steps'.padStart(11)}  verdict`);
  measure('Jepsen-sized cas register (1 key, values 0..4)', jepsen, lin, repeats);
  measure('the same + a read of a value nobody wrote', withPhantomRead(jepsen, 'k0'), lin, repeats);
  measure('10,000 ops over 100 keys (values 0..999)', many, lin, repeats);
  measure('the same + a stale read on one key', withStaleRead(many, 'k57'), lin, repeats);
  measure('10,000 ops on one hot key (values 0..999)', hot, lin, repeats);
  measure('2,000 ops on one hot key (values 0..4)', hotSmall, lin, repeats);
  measure('hard key k0 + 100 keys, phantom read on k99', mixed, lin, repeats);
  for (const appliedRate of [1, 0]) {
    const h = simulate({ ops: 2_000, keys: 1, clients: 10, infoRate: 0.02, appliedRate, values: 1000, seed: 3 });
    measure(`2,000 ops, hot key, 2% info, ${appliedRate === 1 ? 'all' : 'none'} took effect`, h, lin, repeats);
  }
  const hotNoInfo = simulate({ ops: 2_000, keys: 1, clients: 10, infoRate: 0, values: 1000, seed: 3 });
  measure('2,000 ops, hot key, no info', hotNoInfo, lin, repeats);
  measure('the same + a stale read', withStaleRead(hotNoInfo, 'k0'), lin, repeats);
  measure('sequential consistency: Jepsen-sized register', jepsen, (h) => checkSequentiallyConsistent(spec, h), repeats);
}

main();
