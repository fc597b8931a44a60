// The nemesis: faults on a schedule drawn from a seed, one at a time, bounded in count and in
// time, each undone before the next (Jepsen's nemesis, simplified to non-overlapping faults so
// that a timeline reads as a sequence of episodes):
// - kill: kill -9 a node, restart it from its data directory after `durationMs`;
// - pause: SIGSTOP a node for longer than the election timeout, then SIGCONT;
// - partition: isolate one node from the others through the proxies (src/cluster/proxy.ts),
//   then heal.
// Whatever happens, `run` ends with every node running, continued and connected.

import { prng } from '../core/prng.ts';

export const FAULT_KINDS = ['kill', 'pause', 'partition'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  readonly kind: FaultKind;
  /** Milliseconds after the workload starts. */
  readonly at: number;
  readonly durationMs: number;
  /** The node killed, paused or cut off from the rest. */
  readonly node: string;
}

export interface NemesisOptions {
  readonly seed: number;
  readonly kinds: readonly FaultKind[];
  readonly nodes: readonly string[];
  /** Faults end by this time (ms after the start). */
  readonly untilMs: number;
  readonly faultsMax?: number;
  /** Quiet time before the first fault and between faults (default 1500 ms). */
  readonly gapMs?: number;
  /** Fault durations are drawn from [durationMinMs, durationMaxMs] (default 2000–4000 ms: longer
   * than the election timeouts the clusters are started with). */
  readonly durationMinMs?: number;
  readonly durationMaxMs?: number;
}


/** The faults a seed gives; empty when `kinds` is empty. */
export function nemesisSchedule(options: NemesisOptions): readonly Fault[] {
  const random = prng(options.seed);
  const gap = options.gapMs ?? 1500;
  const dMin = options.durationMinMs ?? 2000;
  const dMax = options.durationMaxMs ?? 4000;
  const faultsMax = options.faultsMax ?? Infinity;
  const faults: Fault[] = [];
  if (options.kinds.length === 0 || options.nodes.length === 0) return faults;
  let at = gap;
  while (faults.length < faultsMax) {
    const durationMs = Math.round(dMin + random() * (dMax - dMin));
    if (at + durationMs > options.untilMs) break;
    const kind = options.kinds[Math.floor(random() * options.kinds.length)];
    const node = options.nodes[Math.floor(random() * options.nodes.length)];
    faults.push({ kind, at, durationMs, node });
    at += durationMs + gap + Math.round(random() * gap);
  }
  return faults;
}

/** What the nemesis does to a cluster; the cluster module implements it. */
export interface FaultTarget {
  readonly nodes: readonly string[];
  kill(node: string): Promise<void>;
  restart(node: string): Promise<void>;
  pause(node: string): Promise<void>;
  resume(node: string): Promise<void>;
  isolate(node: string): void;
  heal(): void;
}

/** A fault as it happened, for the summary and the timeline. */
export interface FaultEpisode {
  readonly fault: Fault;
  readonly startedAt: number;
  endedAt?: number;
  error?: string;
}

/** Runs `schedule` against `target`, times from `now()` (the history recorder's clock).
 * `stop()` cuts the schedule short; the fault in progress is still undone. */
export class Nemesis {
  readonly episodes: FaultEpisode[] = [];
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly target: FaultTarget,
    private readonly schedule: readonly Fault[],
    private readonly now: () => number,
  ) {}

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  async run(): Promise<void> {
    for (const fault of this.schedule) {
      await this.sleepUntil(fault.at);
      if (this.stopped) break;
      const episode: FaultEpisode = { fault, startedAt: this.now() };
      this.episodes.push(episode);
      try {
        await this.start(fault);
        await this.sleepUntil(fault.at + fault.durationMs);
      } catch (e) {
        episode.error = e instanceof Error ? e.message : String(e);
      } finally {
        await this.undo(fault).catch((e: unknown) => {
          episode.error = e instanceof Error ? e.message : String(e);
        });
        episode.endedAt = this.now();
      }
    }
  }

  private async start(fault: Fault): Promise<void> {
    switch (fault.kind) {
      case 'kill':
        return this.target.kill(fault.node);
      case 'pause':
        return this.target.pause(fault.node);
      case 'partition':
        return this.target.isolate(fault.node);
      default:
        return fault.kind satisfies never;
    }
  }

  private async undo(fault: Fault): Promise<void> {
    switch (fault.kind) {
      case 'kill':
        return this.target.restart(fault.node);
      case 'pause':
        return this.target.resume(fault.node);
      case 'partition':
        return this.target.heal();
      default:
        return fault.kind satisfies never;
    }
  }

  private async sleepUntil(at: number): Promise<void> {
    const ms = at - this.now();
    if (ms <= 0 || this.stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }
}

export function describeFault(f: Fault): string {
  const what = f.kind === 'kill' ? `kill -9 ${f.node}, restart` : f.kind === 'pause' ? `SIGSTOP ${f.node}, SIGCONT` : `isolate ${f.node}, heal`;
  return `${what} after ${(f.durationMs / 1000).toFixed(1)} s (at ${(f.at / 1000).toFixed(1)} s)`;
}

