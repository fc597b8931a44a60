// SPIN 6.5.2 on bench/twophase.pml (TwoPhase.tla in Promela), for `npm run bench`: generate
// the verifier, compile it (not timed), run it, and read its figures. scripts/spin.sh installs
// SPIN when it is missing.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PML = fileURLToPath(new URL('./twophase.pml', import.meta.url));

export interface SpinRun {
  readonly states: number;
  readonly transitions: number;
  readonly errors: number;
  /** pan's own "elapsed time" of the search. */
  readonly searchMs: number;
  /** The verifier process, start to exit (its hash table allocation included). */
  readonly wallMs: number;
  readonly peakRssMiB: number;
  /** CPU time of the verifier process (user + system). */
  readonly cpuMs: number;
}

/** SPIN's version line, or undefined when spin or gcc is missing. */
export function spinVersion(): string | undefined {
  const spin = spawnSync('spin', ['-V'], { encoding: 'utf8' });
  const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
  if (spin.status !== 0 || gcc.status !== 0) return undefined;
  return spin.stdout.trim();
}

/** Exhausts the Promela TwoPhase with `rms` resource managers; pan's hash table is sized for
 * `statesExpected` (at most half full, as faultline's table is at most 3/4 full). */
export function runSpin(rms: number, statesExpected: number): SpinRun {
  const hashBits = Math.max(18, Math.ceil(Math.log2(statesExpected * 2)));
  const dir = mkdtempSync(join(tmpdir(), 'faultline-spin-'));
  try {
    must(spawnSync('spin', ['-a', `-DN=${rms}`, PML], { cwd: dir, encoding: 'utf8' }), 'spin -a');
    // Safety only (no never claim, no cycle detection), no partial-order reduction: a plain
    // exhaustive search of the state space, as faultline's.
    must(spawnSync('gcc', ['-O2', '-DSAFETY', '-DNOREDUCE', '-DMEMLIM=16384', '-o', 'pan', 'pan.c'], { cwd: dir, encoding: 'utf8' }), 'gcc');
    const started = performance.now();
    const run = spawnSync('/usr/bin/time', ['-f', 'maxrss %M cpu %U %S', './pan', '-m10000', `-w${hashBits}`], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 24 });
    const wallMs = performance.now() - started;
    must(run, 'pan');
    const out = run.stdout;
    return {
      states: figure(out, /(\d+) states, stored/),
      transitions: figure(out, /(\d+) transitions/),
      errors: figure(out, /errors: (\d+)/),
      searchMs: Number(/elapsed time ([\d.e+-]+) seconds/.exec(out)?.[1] ?? NaN) * 1000,
      wallMs,
      peakRssMiB: figure(run.stderr, /maxrss (\d+)/) / 1024,
      cpuMs: cpuOf(run.stderr),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function must(r: ReturnType<typeof spawnSync>, what: string): void {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${String(r.stderr).slice(0, 400)}`);
}

function cpuOf(text: string): number {
  const m = /cpu ([\d.]+) ([\d.]+)/.exec(text);
  if (m === null) throw new Error('/usr/bin/time printed no CPU time');
  return (Number(m[1]) + Number(m[2])) * 1000;
}

function figure(text: string, re: RegExp): number {
  const m = re.exec(text);
  if (m === null) throw new Error(`pan's output has no ${re}`);
  return Number(m[1]);
}
