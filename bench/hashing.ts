// Consistent hashing measured against the formulas (src/hashing/measure.ts says which):
//   npx tsx bench/hashing.ts [--keys K] [--svg FILE]
// prints the fraction of keys moved when a node is added and removed, the load spread, and the
// lookup cost per scheme, and with --svg writes a plot of the moved fraction against N
// (measured points, expected curves). Key sets and node names are fixed: the figures are
// reproducible; only the ns/lookup column depends on the machine.

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { murmur32 } from '../src/hashing/hash.ts';
import { expectedRingStdDev, harmonic, keyRange, loadOf, movedFraction, nodeRange } from '../src/hashing/measure.ts';
import { jumpPlacement, moduloPlacement, rendezvousPlacement, ringPlacement, type Placement } from '../src/hashing/placement.ts';

const { values } = parseArgs({ options: { keys: { type: 'string' }, svg: { type: 'string' } } });
const keyCount = Number(values.keys ?? 50_000);
if (!(Number.isInteger(keyCount) && keyCount > 0)) {
  console.error(`bench/hashing: --keys must be a positive integer, got ${values.keys}`);
  process.exit(2);
}
const keys = keyRange(keyCount);
const SIZES = [10, 100, 1000];

const builders: [string, (nodes: readonly string[]) => Placement][] = [
  ['modulo', (nodes) => moduloPlacement(nodes, murmur32)],
  ['ring V=100', (nodes) => ringPlacement(nodes, murmur32, 100)],
  ['rendezvous', (nodes) => rendezvousPlacement(nodes, murmur32)],
  ['jump', (nodes) => jumpPlacement(nodes)],
];

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const pad = (cells: readonly string[], widths: readonly number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');

// --- Keys moved on adding node N+1 and on removing one node (jump: the last) ---
console.log(`keys moved when the node set changes (${keyCount.toLocaleString('en-US')} keys; expected: modulo N/(N+1) on add, consistent schemes 1/(N+1) on add and 1/N on remove)`);
const w1 = [12, 7, 10, 10, 10, 10];
console.log(pad(['scheme', 'N', 'add', 'expected', 'remove', 'expected'], w1));
const plot: { scheme: string; n: number; moved: number }[] = [];
for (const [name, build] of builders) {
  for (const n of SIZES) {
    const p = build(nodeRange(n));
    const added = movedFraction(p, p.add(`n${n}`), keys);
    const removed = movedFraction(p, p.remove(p.nodes[p.nodes.length - 1]), keys);
    const expectedAdd = name === 'modulo' ? n / (n + 1) : 1 / (n + 1);
    const expectedRemove = name === 'modulo' ? (n - 1) / n : 1 / n;
    plot.push({ scheme: name, n, moved: added });
    console.log(pad([name, String(n), pct(added), pct(expectedAdd), pct(removed), pct(expectedRemove)], w1));
  }
}

// --- Load spread ---
console.log(`\nload spread on the ring (relative std dev of keys per node; expected sqrt((N-1)/(NV+1)), plus sqrt(N/keys) from sampling the keys)`);
const w2 = [12, 7, 14, 10, 14, 10];
console.log(pad(['points V', 'N', 'max/mean', 'H_N', 'rel std dev', 'expected'], w2));
for (const n of SIZES) {
  for (const v of [1, 10, 100, 1000]) {
    if (n * v > 200_000) continue;
    const load = loadOf(ringPlacement(nodeRange(n), murmur32, v), keys);
    const expected = Math.hypot(expectedRingStdDev(n, v), Math.sqrt(n / keyCount));
    console.log(pad([String(v), String(n), load.maxOverMean.toFixed(2), v === 1 ? harmonic(n).toFixed(2) : '', load.relativeStdDev.toFixed(3), expected.toFixed(3)], w2));
  }
}
for (const [name, build] of builders.filter(([name]) => name !== 'ring V=100')) {
  for (const n of SIZES) {
    const load = loadOf(build(nodeRange(n)), keys);
    console.log(pad([name, String(n), load.maxOverMean.toFixed(2), '', load.relativeStdDev.toFixed(3), Math.sqrt(n / keyCount).toFixed(3)], w2));
  }
}

// --- Lookup cost ---
console.log('\nlookup cost (ns per lookup, this machine; ring: binary search over N·V points, rendezvous: N hashes, jump: ~ln N steps)');
const w3 = [12, 10, 10, 10];
console.log(pad(['scheme', ...SIZES.map((n) => `N=${n}`)], w3));
for (const [name, build] of builders) {
  const cells = SIZES.map((n) => {
    const p = build(nodeRange(n));
    const sample = keys.slice(0, name === 'rendezvous' ? Math.max(1000, Math.floor(2_000_000 / n)) : keys.length);
    const start = process.hrtime.bigint();
    let sink = 0;
    for (const k of sample) sink += p.lookup(k).length;
    const ns = Number(process.hrtime.bigint() - start) / sample.length;
    if (sink < 0) console.log(sink);
    return ns.toFixed(0);
  });
  console.log(pad([name, ...cells], w3));
}

if (values.svg !== undefined) {
  writeFileSync(values.svg, svgPlot(plot));
  console.log(`\nwrote ${values.svg}`);
}

/** Moved fraction on add against N, log-log: measured points per scheme, expected curves. */
function svgPlot(points: readonly { scheme: string; n: number; moved: number }[]): string {
  const W = 560;
  const H = 360;
  const L = 60;
  const B = 40;
  const x = (n: number) => L + ((Math.log10(n) - 0.8) / (3.2 - 0.8)) * (W - L - 20);
  const y = (f: number) => H - B - ((Math.log10(f) + 3.5) / 3.5) * (H - B - 20);
  const colours: Record<string, string> = { modulo: '#c0392b', 'ring V=100': '#1f5fbf', rendezvous: '#27ae60', jump: '#8e44ad' };
  const curve = (f: (n: number) => number) =>
    Array.from({ length: 50 }, (_, i) => 10 ** (0.8 + (2.4 * i) / 49)).map((n, i) => `${i === 0 ? 'M' : 'L'}${x(n).toFixed(1)},${y(f(n)).toFixed(1)}`).join(' ');
  const parts = [
    `<path d="${curve((n) => n / (n + 1))}" fill="none" stroke="#999" stroke-dasharray="5 4"/>`,
    `<path d="${curve((n) => 1 / (n + 1))}" fill="none" stroke="#999" stroke-dasharray="5 4"/>`,
    `<text x="${x(12)}" y="${y(0.9) - 6}" font-size="11">expected N/(N+1) (modulo)</text>`,
    `<text x="${x(12)}" y="${y(1 / 13) - 8}" font-size="11">expected 1/(N+1) (consistent)</text>`,
    ...points.map((p) => `<circle cx="${x(p.n).toFixed(1)}" cy="${y(p.moved).toFixed(1)}" r="4" fill="${colours[p.scheme]}"><title>${p.scheme} N=${p.n}: ${pct(p.moved)}</title></circle>`),
    ...Object.entries(colours).map(([s, c], i) => `<circle cx="${W - 130}" cy="${30 + 16 * i}" r="4" fill="${c}"/><text x="${W - 120}" y="${34 + 16 * i}" font-size="11">${s}</text>`),
    ...[10, 100, 1000].map((n) => `<text x="${x(n)}" y="${H - B + 16}" font-size="11" text-anchor="middle">${n}</text>`),
    ...[0.001, 0.01, 0.1, 1].map((f) => `<text x="${L - 8}" y="${y(f) + 4}" font-size="11" text-anchor="end">${f}</text>`),
    `<line x1="${L}" y1="${H - B}" x2="${W - 20}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="20" x2="${L}" y2="${H - B}" stroke="#333"/>`,
    `<text x="${(W + L) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">nodes N (log)</text>`,
    `<text x="14" y="${H / 2}" font-size="12" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">fraction of keys moved on adding a node (log)</text>`,
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">${parts.join('')}</svg>\n`;
}
