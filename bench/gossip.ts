// Gossip at scale, measured against the published expectations:
//   npx tsx bench/gossip.ts [--trials T] [--seed S] [--svg FILE]
// Rounds until every node knows a rumour started at one node, for N = 16 .. 4,096, by push,
// pull and push-pull anti-entropy (each round every node contacts one peer chosen uniformly at
// random), next to the expectations: push log2 N + ln N (Frieze & Grimmett; Pittel 1987),
// pull log2 N + O(ln ln N), push-pull log3 N + O(ln ln N) (Karp, Schindelhauer, Shenker &
// Vöcking, FOCS 2000). And the residue of rumour mongering with feedback and counter k (Demers
// et al. 1987: a spreader loses interest after k contacts with nodes that already knew): the
// fraction never informed, next to the solution of s = e^{-(k+1)(1-s)}. Seeded: the same seed
// gives the same table. This is the round-based model of the papers, not the actor model of
// models/gossip (which checks the protocol's safety and convergence exhaustively).

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { prng } from '../src/explore/simulate.ts';

const { values } = parseArgs({ options: { trials: { type: 'string' }, seed: { type: 'string' }, svg: { type: 'string' } } });
const trials = Number(values.trials ?? 20);
const seed = Number(values.seed ?? 1);
if (!(Number.isInteger(trials) && trials > 0) || !Number.isInteger(seed)) {
  console.error('bench/gossip: --trials must be a positive integer and --seed an integer');
  process.exit(2);
}

type Mode = 'push' | 'pull' | 'push-pull';

/** Rounds until all N nodes are informed, from node 0. Contacts of one round see the state at
 * the start of the round (synchronous rounds, as in the analyses). */
function spread(n: number, mode: Mode, random: () => number): number {
  let informed = new Uint8Array(n);
  informed[0] = 1;
  let count = 1;
  let rounds = 0;
  while (count < n) {
    rounds++;
    const next = informed.slice();
    for (let u = 0; u < n; u++) {
      let v = Math.floor(random() * (n - 1));
      if (v >= u) v++;
      if (informed[u] && mode !== 'pull') next[v] = 1;
      if (informed[v] && mode !== 'push') next[u] = 1;
    }
    informed = next;
    count = informed.reduce((a, b) => a + b, 0);
  }
  return rounds;
}

/** Rumour mongering with feedback and counter k: the fraction of nodes never informed. */
function residue(n: number, k: number, random: () => number): number {
  const knows = new Uint8Array(n);
  const misses = new Uint8Array(n);
  const hot = new Set<number>([0]);
  knows[0] = 1;
  while (hot.size > 0) {
    for (const u of [...hot]) {
      let v = Math.floor(random() * (n - 1));
      if (v >= u) v++;
      if (knows[v]) {
        if (++misses[u] >= k) hot.delete(u);
      } else {
        knows[v] = 1;
        hot.add(v);
      }
    }
  }
  return 1 - knows.reduce((a, b) => a + b, 0) / n;
}

/** The solution in (0, 1) of s = e^{-(k+1)(1-s)}, by fixed-point iteration from 0. */
function expectedResidue(k: number): number {
  let s = 0;
  for (let i = 0; i < 200; i++) s = Math.exp(-(k + 1) * (1 - s));
  return s;
}

const SIZES = [16, 64, 256, 1024, 4096];
const expected: Record<Mode, (n: number) => number> = {
  push: (n) => Math.log2(n) + Math.log(n),
  pull: (n) => Math.log2(n) + Math.log(Math.log(n)),
  'push-pull': (n) => Math.log(n) / Math.log(3) + Math.log(Math.log(n)),
};
const random = prng(seed);
const pad = (cells: readonly string[], widths: readonly number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');

console.log(`rounds until every node knows (mean of ${trials} seeded trials, seed ${seed}; expected: push log2 N + ln N, pull log2 N + ln ln N, push-pull log3 N + ln ln N, the O(ln ln N) terms taken as 1 × ln ln N)`);
const widths = [10, 6, 9, 6, 6, 10];
console.log(pad(['mode', 'N', 'measured', 'min', 'max', 'expected'], widths));
const points: { mode: Mode; n: number; rounds: number }[] = [];
for (const mode of ['push', 'pull', 'push-pull'] as const) {
  for (const n of SIZES) {
    const runs = Array.from({ length: trials }, () => spread(n, mode, random));
    const mean = runs.reduce((a, b) => a + b, 0) / runs.length;
    points.push({ mode, n, rounds: mean });
    console.log(pad([mode, String(n), mean.toFixed(2), String(Math.min(...runs)), String(Math.max(...runs)), expected[mode](n).toFixed(2)], widths));
  }
}

console.log(`\nrumour mongering residue (feedback, counter k; N = 4,096, mean of ${trials} trials; expected s = e^{-(k+1)(1-s)})`);
console.log(pad(['k', 'measured', 'expected'], [3, 10, 10]));
for (const k of [1, 2, 3]) {
  const runs = Array.from({ length: trials }, () => residue(4096, k, random));
  const mean = runs.reduce((a, b) => a + b, 0) / runs.length;
  console.log(pad([String(k), mean.toFixed(4), expectedResidue(k).toFixed(4)], [3, 10, 10]));
}

if (values.svg !== undefined) {
  writeFileSync(values.svg, plot(points));
  console.log(`\nwrote ${values.svg}`);
}

/** Rounds against log2 N: measured points and expected lines per mode. */
function plot(ps: readonly { mode: Mode; n: number; rounds: number }[]): string {
  const W = 560;
  const H = 360;
  const L = 50;
  const B = 40;
  const x = (n: number) => L + ((Math.log2(n) - 4) / 8) * (W - L - 140);
  const y = (r: number) => H - B - (r / 22) * (H - B - 20);
  const colours: Record<Mode, string> = { push: '#c0392b', pull: '#1f5fbf', 'push-pull': '#27ae60' };
  const parts: string[] = [];
  for (const mode of ['push', 'pull', 'push-pull'] as const) {
    const line = Array.from({ length: 41 }, (_, i) => 2 ** (4 + (8 * i) / 40)).map((n, i) => `${i === 0 ? 'M' : 'L'}${x(n).toFixed(1)},${y(expected[mode](n)).toFixed(1)}`).join(' ');
    parts.push(`<path d="${line}" fill="none" stroke="${colours[mode]}" stroke-dasharray="5 4"/>`);
    for (const p of ps.filter((q) => q.mode === mode)) parts.push(`<circle cx="${x(p.n).toFixed(1)}" cy="${y(p.rounds).toFixed(1)}" r="4" fill="${colours[mode]}"><title>${mode} N=${p.n}: ${p.rounds.toFixed(2)} rounds</title></circle>`);
  }
  (['push', 'pull', 'push-pull'] as const).forEach((m, i) => parts.push(`<circle cx="${W - 120}" cy="${30 + 16 * i}" r="4" fill="${colours[m]}"/><text x="${W - 110}" y="${34 + 16 * i}" font-size="11">${m} (dashed: expected)</text>`));
  for (const n of SIZES) parts.push(`<text x="${x(n)}" y="${H - B + 16}" font-size="11" text-anchor="middle">${n}</text>`);
  for (const r of [0, 5, 10, 15, 20]) parts.push(`<text x="${L - 8}" y="${y(r) + 4}" font-size="11" text-anchor="end">${r}</text>`);
  parts.push(`<line x1="${L}" y1="${H - B}" x2="${W - 130}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="20" x2="${L}" y2="${H - B}" stroke="#333"/>`);
  parts.push(`<text x="${(W + L - 130) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">nodes N (log scale)</text>`);
  parts.push(`<text x="14" y="${H / 2}" font-size="12" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">rounds until all know</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">${parts.join('')}</svg>\n`;
}
