// Concurrent workers driving a real system: each worker is bound to one node, draws operations
// from a seeded generator, runs them one at a time with a deadline and records them
// (recorder.ts). Workers stop at a time or an operation budget, whichever comes first.

import { prng } from '../core/prng.ts';
import { type Classify, type HistoryRecorder, ProcessNumbers } from './recorder.ts';
import { sleep } from './processes.ts';

export interface WorkerContext {
  readonly worker: number;
  readonly node: string;
  readonly random: () => number;
  /** Set by `exec` when the system says where the operation took effect in its own order
   * (ZooKeeper's zxid); recorded with the operation. */
  position?: bigint;
}

export interface Workload<Op, Res> {
  readonly name: string;
  /** Before each operation, outside the history: e.g. open a session when the last one died;
   * resolves true when it did (the worker then goes on as a new process: a session's
   * guarantees do not carry over to the next). A failure here records nothing; the worker
   * waits and tries again. */
  prepare?(context: WorkerContext): Promise<boolean>;
  /** The next operation of this worker. */
  next(context: WorkerContext): Op;
  /** Runs it against the node; throws on failure (classified by `classify`). */
  exec(context: WorkerContext, op: Op, signal: AbortSignal): Promise<Res>;
  classify(op: Op): Classify;
}

export interface DriveOptions {
  readonly workers: number;
  readonly nodes: readonly string[];
  readonly seed: number;
  /** Workers stop invoking at this time on the recorder's clock (ms). */
  readonly untilMs: number;
  /** Operations over all workers (default: no limit). */
  readonly opsMax?: number;
  readonly opTimeoutMs: number;
  /** Pause between a worker's operations (default 5 ms); after a fail or info, 100 ms. */
  readonly thinkMs?: number;
}

/** Write values no two operations share, so a read names the write it saw: worker w's n-th
 * value is (w + 1)·100000 + n. One counter per worker, kept by the returned function. */
export function uniqueValues(): (worker: number) => number {
  const counters = new Map<number, number>();
  return (worker) => {
    const n = (counters.get(worker) ?? 0) + 1;
    counters.set(worker, n);
    return (worker + 1) * 100_000 + n;
  };
}

/** Runs the workers to the end; resolves when every worker has finished its last operation. */
export async function drive<Op, Res>(workload: Workload<Op, Res>, recorder: HistoryRecorder<Op, Res>, options: DriveOptions): Promise<void> {
  const processes = new ProcessNumbers(options.workers);
  let invoked = 0;
  const budgetLeft = (): boolean => options.opsMax === undefined || invoked < options.opsMax;
  const think = options.thinkMs ?? 5;
  const worker = async (w: number): Promise<void> => {
    const context: WorkerContext = { worker: w, node: options.nodes[w % options.nodes.length], random: prng(options.seed * 1009 + w) };
    let used = false;
    while (recorder.now() < options.untilMs && budgetLeft()) {
      if (workload.prepare !== undefined) {
        const fresh = await workload.prepare(context).catch(() => undefined);
        if (fresh === undefined) {
          await sleep(100);
          continue;
        }
        if (fresh && used) {
          processes.crashed(w);
          used = false;
        }
      }
      invoked++;
      used = true;
      const op = workload.next(context);
      context.position = undefined;
      const entry = await recorder.run(w, processes.of(w), op, (signal) => workload.exec(context, op, signal), {
        timeoutMs: options.opTimeoutMs,
        classify: workload.classify(op),
        node: context.node,
      });
      if (entry.outcome === 'ok' && context.position !== undefined) entry.position = context.position;
      // After an info the operation may still be in flight: the worker goes on as a new process
      // (see recorder.ts).
      if (entry.outcome === 'info') {
        processes.crashed(w);
        used = false;
      }
      await sleep(entry.outcome === 'ok' ? think : 100);
    }
  };
  await Promise.all(Array.from({ length: options.workers }, (_, w) => worker(w)));
}
