// The comparison `npm run bench` prints after its table: the object path (the baseline) and
// the packed path side by side, each search in a process of its own (so peak RSS is that
// search's), symmetry where the model declares it, and SPIN 6.5.2 on the same TwoPhase. Every
// ratio is between figures measured in this run; the load average is printed before and after,
// since a shared machine makes absolute figures noisy.

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ComparisonConfig } from './configs.ts';
import { runSpin, spinVersion, type SpinRun } from './spin.ts';

const ONE = fileURLToPath(new URL('./explore-one.ts', import.meta.url));
const fmt = new Intl.NumberFormat('en-US');

interface Figures {
  readonly status: string;
  readonly distinct: number;
  readonly total: number;
  readonly depth: number;
  readonly elapsedMs: number;
  readonly cpuMs: number;
  readonly statesPerSecond: number;
  readonly bytesPerState: number;
  readonly bits?: number;
  readonly peakRssMiB: number;
}

/** Another checkout of faultline (BENCH_BEFORE=dir): its packed path runs beside this one's in
 * the same run, so that a change is measured against what it replaces under the same load. */
const BEFORE = process.env.BENCH_BEFORE;

/** BENCH_REPEAT=n: every search runs n times and the one with the least CPU time is shown (on a
 * shared machine the others were slowed down by someone else's work). */
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 1));

function runOne(config: string, codec: 'object' | 'packed', extra: readonly string[] = [], one = ONE): Figures {
  let best: Figures | undefined;
  for (let i = 0; i < REPEAT; i++) {
    const f = runOnce(config, codec, extra, one);
    if (best === undefined || f.cpuMs < best.cpuMs) best = f;
  }
  return best!;
}

function runOnce(config: string, codec: 'object' | 'packed', extra: readonly string[], one: string): Figures {
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', one, config, codec, ...extra], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench: ${config} ${codec} failed (exit ${r.status}): ${r.stderr.slice(0, 400)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Figures;
}

function load(): string {
  return loadavg().map((x) => x.toFixed(2)).join(' ');
}

function row(name: string, path: string, f: Figures, note = ''): string {
  return (
    `${name.padEnd(12)} ${path.padEnd(16)} ${f.status.padEnd(7)} ${fmt.format(f.distinct).padStart(11)} ${fmt.format(f.total).padStart(12)} ` +
    `${String(f.depth).padStart(5)} ${(f.elapsedMs / 1000).toFixed(2).padStart(8)} ${(f.cpuMs / 1000).toFixed(2).padStart(7)} ${fmt.format(f.statesPerSecond).padStart(10)} ` +
    `${f.bytesPerState.toFixed(1).padStart(7)} ${f.peakRssMiB.toFixed(0).padStart(8)}${note}`
  );
}

export function compare(configs: readonly ComparisonConfig[]): void {
  console.log(`\nobject path (structural fingerprints, objects in the frontier: the baseline) vs packed path (the schema's codec)`);
  console.log(`each search in its own process; load average (1, 5, 15 min) before: ${load()}\n`);
  console.log(
    `${'config'.padEnd(12)} ${'path'.padEnd(16)} ${'status'.padEnd(7)} ${'distinct'.padStart(11)} ${'total'.padStart(12)} ${'depth'.padStart(5)} ` +
      `${'seconds'.padStart(8)} ${'CPU s'.padStart(7)} ${'states/s'.padStart(10)} ${'B/state'.padStart(7)} ${'peak MiB'.padStart(8)}`,
  );
  const packedRuns = new Map<string, Figures>();
  const packedTwo = new Map<string, Figures>();
  for (const c of configs) {
    const object = runOne(c.name, 'object');
    console.log(row(c.name, 'object', object));
    const packed = runOne(c.name, 'packed');
    packedRuns.set(c.name, packed);
    const same = packed.distinct === object.distinct && packed.total === object.total && packed.depth === object.depth;
    console.log(row(c.name, `packed ${packed.bits}b`, packed,
      `  ${(packed.statesPerSecond / object.statesPerSecond).toFixed(2)}x states/s, ${(packed.peakRssMiB / object.peakRssMiB).toFixed(2)}x RSS, ` +
      `${(packed.cpuMs / object.cpuMs).toFixed(2)}x CPU${same ? '' : '  COUNTS DIFFER'}`));
    if (BEFORE !== undefined) {
      const before = runOne(c.name, 'packed', [], `${BEFORE}/bench/explore-one.ts`);
      console.log(row(c.name, 'before packed', before, `  this packed: ${(before.cpuMs / packed.cpuMs).toFixed(2)}x less CPU, ${(before.elapsedMs / packed.elapsedMs).toFixed(2)}x less wall time`));
      const beforeTwo = runOne(c.name, 'packed', ['--workers', '2'], `${BEFORE}/bench/explore-one.ts`);
      console.log(row(c.name, 'before 2 workers', beforeTwo));
    }
    const two = runOne(c.name, 'packed', ['--workers', '2']);
    packedTwo.set(c.name, two);
    const same2 = two.distinct === object.distinct && two.total === object.total && two.depth === object.depth;
    console.log(row(c.name, 'packed 2 workers', two, `  ${(two.elapsedMs > 0 ? packed.elapsedMs / two.elapsedMs : 0).toFixed(2)}x speed-up over 1 worker, ${(two.statesPerSecond / object.statesPerSecond).toFixed(2)}x the baseline's states/s${same2 ? '' : '  COUNTS DIFFER'}`));
    if (c.symmetry === true) {
      const sym = runOne(c.name, 'packed', ['--symmetry']);
      console.log(row(c.name, 'packed+symmetry', sym, `  ${fmt.format(sym.distinct)} orbits of ${fmt.format(packed.distinct)} states (${(packed.distinct / sym.distinct).toFixed(1)}x fewer)`));
    }
  }
  console.log(`\nload average after: ${load()}`);
  spinComparison(configs, packedRuns, packedTwo);
  console.log(
    'seconds: wall time of the search; CPU s: CPU time of the process (all threads); states/s: distinct states per second of wall time; ' +
      'B/state: the visited-state store per distinct state; peak MiB: peak RSS of the process. On a loaded machine compare CPU: wall time counts the time other processes held the cores',
  );
}

function spinComparison(configs: readonly ComparisonConfig[], packed: ReadonlyMap<string, Figures>, two: ReadonlyMap<string, Figures>): void {
  const withSpin = configs.filter((c) => c.spinRms !== undefined);
  if (withSpin.length === 0) return;
  const version = spinVersion();
  if (version === undefined) {
    console.log('\nSPIN: not installed (bash scripts/spin.sh installs it): no comparison');
    return;
  }
  console.log(`\n${version}, bench/twophase.pml (safety, no partial-order reduction), load average before: ${load()}`);
  console.log(`${'config'.padEnd(12)} ${'SPIN states'.padStart(11)} ${'search s'.padStart(9)} ${'wall s'.padStart(7)} ${'CPU s'.padStart(6)} ${'peak MiB'.padStart(8)}   faultline packed (1 worker; 2 workers) / SPIN`);
  for (const c of withSpin) {
    const f = packed.get(c.name)!;
    let s: SpinRun = runSpin(c.spinRms!, f.distinct);
    for (let i = 1; i < REPEAT; i++) {
      const again = runSpin(c.spinRms!, f.distinct);
      if (again.cpuMs < s.cpuMs) s = again;
    }
    const f2 = two.get(c.name)!;
    const same = s.states === f.distinct ? '' : `  STATES DIFFER (faultline ${fmt.format(f.distinct)})`;
    console.log(
      `${c.name.padEnd(12)} ${fmt.format(s.states).padStart(11)} ${(s.searchMs / 1000).toFixed(2).padStart(9)} ${(s.wallMs / 1000).toFixed(2).padStart(7)} ${(s.cpuMs / 1000).toFixed(2).padStart(6)} ${s.peakRssMiB.toFixed(0).padStart(8)}   ` +
        `search time ${(f.elapsedMs / s.searchMs).toFixed(2)}x; ${(f2.elapsedMs / s.searchMs).toFixed(2)}x, vs SPIN's process wall time ${(f.elapsedMs / s.wallMs).toFixed(2)}x; ${(f2.elapsedMs / s.wallMs).toFixed(2)}x, ` +
          `CPU ${(f.cpuMs / s.cpuMs).toFixed(2)}x; ${(f2.cpuMs / s.cpuMs).toFixed(2)}x, RSS ${(f.peakRssMiB / s.peakRssMiB).toFixed(2)}x${same}`,
    );
  }
  console.log(`load average after: ${load()}`);
}
