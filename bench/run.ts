// `npm run bench`: exhaust named configurations and print the figures that matter for a model
// checker: distinct and total states, seconds, distinct states per second, bytes per stored
// state, and the process's peak memory. A naive explorer (JSON strings in a JS Set) runs on
// the first configuration as a baseline measured in the same run.
//
// Then, in the same run, the comparison (bench/compare.ts): TwoPhase 7/8/9 and 2PC on the
// object path (structural fingerprints, a frontier of objects: the baseline) and on the packed
// path (the schema's codec), each search in a process of its own for its peak RSS, with and
// without symmetry where the model declares one; and SPIN 6.5.2 on bench/twophase.pml, the
// same TwoPhase in Promela (installed by scripts/spin.sh), with the wall-time ratio.
//
//   npm run bench                  every configuration, the comparison and SPIN
//   npm run bench -- twophase-7    only the named ones (of either list)

import { explore, type ExploreResult } from '../src/explore/explore.ts';
import type { AnyModel } from '../src/core/model.ts';
import { canonicalJson } from '../src/core/data.ts';
import { twoPhase } from '../models/twophase/index.ts';
import { paxosCommit } from '../models/paxoscommit/index.ts';
import { compare } from './compare.ts';
import { comparisonConfigs } from './configs.ts';

interface Config {
  readonly name: string;
  readonly build: () => AnyModel;
  /** TLC's published figures where there are some: distinct / total / depth. */
  readonly tlc?: readonly [number, number, number];
}

const configs: Config[] = [
  { name: 'twophase-7', build: () => twoPhase(7) },
  { name: 'twophase-8', build: () => twoPhase(8) },
  {
    name: 'paxoscommit-2rm-3acc-2bal',
    build: () => paxosCommit({ rmCount: 2, acceptorCount: 3, ballotCount: 2 }),
    tlc: [1_321_761, 16_959_159, 28],
  },
];

const fmt = new Intl.NumberFormat('en-US');

/** The obvious explorer: BFS over canonical JSON strings in a Set. The baseline. */
function naiveBfs(model: AnyModel): { distinct: number; total: number; ms: number } {
  const started = performance.now();
  const seen = new Set<string>();
  let frontier: unknown[] = [];
  let total = 0;
  for (const s of model.init) {
    total++;
    const key = canonicalJson(s);
    if (!seen.has(key)) {
      seen.add(key);
      frontier.push(s);
    }
  }
  while (frontier.length > 0) {
    const next: unknown[] = [];
    for (const s of frontier) {
      for (const a of model.actions(s)) {
        const t = model.step(s, a);
        total++;
        const key = canonicalJson(t);
        if (!seen.has(key)) {
          seen.add(key);
          next.push(t);
        }
      }
    }
    frontier = next;
  }
  return { distinct: seen.size, total, ms: performance.now() - started };
}

function row(name: string, r: ExploreResult, tlc?: readonly [number, number, number]): string {
  const match =
    tlc === undefined
      ? ''
      : `  TLC ${fmt.format(tlc[0])}/${fmt.format(tlc[1])}/${tlc[2]}: ` +
        (r.distinctStates === tlc[0] && r.depth === tlc[2] ? 'distinct+depth match' : 'MISMATCH') +
        (r.totalStates === tlc[1] ? ', total match' : `, total differs by ${fmt.format(r.totalStates - tlc[1])}`);
  return (
    `${name.padEnd(28)} ${r.status.padEnd(8)} ${fmt.format(r.distinctStates).padStart(11)} ` +
    `${fmt.format(r.totalStates).padStart(12)} ${String(r.depth).padStart(5)} ` +
    `${(r.elapsedMs / 1000).toFixed(2).padStart(8)} ${fmt.format(r.statesPerSecond).padStart(10)} ` +
    `${r.bytesPerState.toFixed(1).padStart(8)} ${fmt.format(Math.round(r.processBytesPerState)).padStart(9)}${match}`
  );
}

function main(): void {
  const wanted = process.argv.slice(2);
  const known = [...configs.map((c) => c.name), ...comparisonConfigs.map((c) => `compare:${c.name}`)];
  const unknown = wanted.filter((w) => !known.includes(w));
  if (unknown.length > 0) {
    console.error(`bench: unknown configuration ${unknown.join(', ')} (known: ${known.join(', ')})`);
    process.exit(2);
  }
  const selected = wanted.length === 0 ? configs : configs.filter((c) => wanted.includes(c.name));
  const compared = wanted.length === 0 ? comparisonConfigs : comparisonConfigs.filter((c) => wanted.includes(`compare:${c.name}`));
  console.log(`node ${process.version}, one thread\n`);
  console.log(
    `${'configuration'.padEnd(28)} ${'status'.padEnd(8)} ${'distinct'.padStart(11)} ${'total'.padStart(12)} ` +
      `${'depth'.padStart(5)} ${'seconds'.padStart(8)} ${'states/s'.padStart(10)} ${'B/state'.padStart(8)} ${'proc B/st'.padStart(9)}`,
  );
  const results: { name: string; r: ExploreResult }[] = [];
  for (const c of selected) {
    const r = explore(c.build());
    results.push({ name: c.name, r });
    console.log(row(c.name, r, c.tlc));
  }
  const first = results[0];
  if (first !== undefined) {
    const naive = naiveBfs(selected[0].build());
    const naiveRate = Math.round((naive.distinct / naive.ms) * 1000);
    console.log(
      `\nbaseline: naive BFS (canonical JSON strings in a Set) on ${first.name}: ${fmt.format(naive.distinct)} distinct, ` +
        `${(naive.ms / 1000).toFixed(2)} s, ${fmt.format(naiveRate)} states/s; ` +
        `faultline is ${(first.r.statesPerSecond / naiveRate).toFixed(2)}x faster`,
    );
  }
  const mem = process.memoryUsage();
  console.log(`memory: peak rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB at the end`);
  console.log('B/state: the visited-state store per distinct state; proc B/st: V8 heap + typed arrays in use at the end of that search, per distinct state');
  if (compared.length > 0) compare(compared);
}

main();
