// What remembering the history invariants' verdicts buys (issue 10): the primary/backup register
// of properties/fixtures/register.ts, scaled up to tens of thousands of states, explored with
// its Linearizable and SequentiallyConsistent invariants checking every state (memoMax=0) and
// once per distinct history (the default), and with no history invariant at all (the floor:
// what the rest of the search costs). Prints distinct and total states, seconds (median of the
// timed runs), distinct states per second and the speed-up over memoMax=0. It asserts nothing:
// timings on a shared machine vary, so they are figures to read, not a test (the tests in
// properties/history-actors.test.ts pin that both give the same result).
//
//   npx tsx bench/history-invariant.ts          3 timed runs per row, after one warm-up
//   npx tsx bench/history-invariant.ts 5        5 timed runs per row
//
// Not part of `npm test` and not behind an npm script; run it with tsx as above.

import type { ClientScript, FaultBudget } from '../src/core/actors.ts';
import { backup, primary, type Msg, type Op, type Res, type Store } from '../properties/fixtures/register.ts';
import { actorSystem } from '../src/core/actors.ts';
import { explore, type ExploreResult } from '../src/explore/explore.ts';
import { registerSpec } from '../src/history/index.ts';
import { linearizableHistory, sequentiallyConsistentHistory } from '../src/history/invariant.ts';

// The register of properties/fixtures/register.ts (its faithful variant: the primary acks a
// write once the backup has it), with the clients and faults given.

type Invariants = 'none' | 'memoMax=0' | 'memoised';

function register(clients: readonly ClientScript<Op>[], faults: FaultBudget, invariants: Invariants) {
  const options = invariants === 'memoMax=0' ? { memoMax: 0 } : {};
  const history: ReturnType<typeof linearizableHistory>[] =
    invariants === 'none'
      ? []
      : [linearizableHistory(registerSpec(0), 'Linearizable', options), sequentiallyConsistentHistory(registerSpec(0), 'SequentiallyConsistent', options)];
  const events = 2 * clients.reduce((n, c) => n + c.ops.length, 0);
  return actorSystem<Store, Msg, never, Op, Res>({
    nodes: [
      { id: 'primary', spec: primary(false) },
      { id: 'backup', spec: backup },
    ],
    clients,
    faults,
    invariants: history,
    sometimes: [],
    goal: (s) => s.history.length === events,
    describeMessage: (m) => (m.type === 'Replicate' ? `Replicate ${m.value}` : 'Replicated'),
  });
}

// ---------------------------------------------------------------------------------------------
// Configurations

const read: Op = { kind: 'read' };
const write = (value: number): Op => ({ kind: 'write', value });

interface Config {
  readonly name: string;
  /** What the figures show about it. */
  readonly note: string;
  readonly clients: readonly ClientScript<Op>[];
  readonly faults: FaultBudget;
}

const configs: readonly Config[] = [
  {
    name: '3 clients, 1 drop, 2 partitions',
    note: 'most steps are faults or deliveries that leave the history as it was',
    clients: [
      { client: 0, node: 'primary', ops: [write(1), write(2)] },
      { client: 1, node: 'backup', ops: [read, read] },
      { client: 2, node: 'backup', ops: [read, read] },
    ],
    faults: { dropsMax: 1, partitionsMax: 2 },
  },
  {
    name: '4 clients, 1 drop',
    note: 'a drop adds states with an unchanged history',
    clients: [
      { client: 0, node: 'primary', ops: [write(1)] },
      { client: 1, node: 'primary', ops: [write(2)] },
      { client: 2, node: 'backup', ops: [read, read] },
      { client: 3, node: 'backup', ops: [read, read] },
    ],
    faults: { dropsMax: 1 },
  },
  {
    name: '4 clients, no faults',
    note: 'the worst case: almost every step changes the history',
    clients: [
      { client: 0, node: 'primary', ops: [write(1)] },
      { client: 1, node: 'primary', ops: [write(2)] },
      { client: 2, node: 'backup', ops: [read, read] },
      { client: 3, node: 'backup', ops: [read, read] },
    ],
    faults: {},
  },
];

// ---------------------------------------------------------------------------------------------
// Measuring

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const fmt = new Intl.NumberFormat('en-US');
const ROWS: readonly Invariants[] = ['none', 'memoMax=0', 'memoised'];

/** Runs the rows of one configuration in turn, `repeats` times after a warm-up, so that a
 * slow moment of the machine falls on every row alike. */
function measure(config: Config, repeats: number): void {
  const seconds = new Map<Invariants, number[]>(ROWS.map((row) => [row, []]));
  const results = new Map<Invariants, ExploreResult>();
  for (let round = 0; round <= repeats; round++) {
    for (const row of ROWS) {
      // A fresh model each run: the memo belongs to the invariant, and a warm one would time
      // nothing but lookups.
      const model = register(config.clients, config.faults, row);
      const started = performance.now();
      const result = explore(model, { checkDeadlock: false });
      const elapsed = (performance.now() - started) / 1000;
      if (round > 0) seconds.get(row)!.push(elapsed);
      results.set(row, result);
    }
  }
  console.log(`\n${config.name} (${config.note})`);
  console.log(`${'history invariants'.padEnd(20)} ${'status'.padEnd(8)} ${'distinct'.padStart(9)} ${'total'.padStart(9)} ${'seconds'.padStart(8)} ${'states/s'.padStart(9)} ${'speed-up'.padStart(9)}`);
  const unmemoised = median(seconds.get('memoMax=0')!);
  for (const row of ROWS) {
    const r = results.get(row)!;
    const s = median(seconds.get(row)!);
    const speedUp = row === 'none' ? '' : `${(unmemoised / s).toFixed(2)}x`;
    console.log(
      `${row.padEnd(20)} ${r.status.padEnd(8)} ${fmt.format(r.distinctStates).padStart(9)} ${fmt.format(r.totalStates).padStart(9)} ` +
        `${s.toFixed(2).padStart(8)} ${fmt.format(Math.round(r.distinctStates / s)).padStart(9)} ${speedUp.padStart(9)}`,
    );
  }
}

function main(): void {
  const arg = process.argv[2];
  const repeats = arg === undefined ? 3 : Number(arg);
  if (!Number.isInteger(repeats) || repeats < 1) {
    console.error(`bench/history-invariant: the number of timed runs must be a positive integer, got '${arg}'`);
    process.exit(2);
  }
  console.log(`node ${process.version}, median of ${repeats} timed run(s) after one warm-up; deadlock checking off (a dropped write never returns)`);
  for (const config of configs) measure(config, repeats);
}

main();
