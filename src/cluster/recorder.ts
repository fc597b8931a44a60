// Recording what concurrent clients did to a real system, in the form the history checkers take
// (src/history): each operation's invocation and completion times on one clock, and its outcome
// in Jepsen's words — `ok` (completed with a result), `fail` (definitely not applied: dropped
// from the history) or `info` (unknown: a timeout, a lost connection; it stays pending, may take
// effect at any time after its invocation, or never).
//
// A client whose operation ended `info` may still have it in flight, so the worker goes on
// under a new process number (Jepsen's convention): per-client program order, which sequential
// consistency respects, never puts the unknown operation before the worker's next ones. The
// workers (workload.ts) also renumber when a client opens a new session: a session's guarantees
// do not carry over to the next.

import type { History, Operation } from '../history/index.ts';

export type OutcomeKind = 'ok' | 'fail' | 'info';

export interface RecordedOperation<Op, Res> {
  readonly id: number;
  /** The lane in the timeline: one per concurrent worker. */
  readonly worker: number;
  /** The client as the checkers see it (renumbered after an `info` and on a new session). */
  readonly process: number;
  /** The node the client talked to, when there is one. */
  readonly node?: string;
  readonly op: Op;
  readonly invokedAt: number;
  completedAt?: number;
  outcome?: OutcomeKind;
  result?: Res;
  /** Why it failed or is unknown, in the client's words. */
  error?: string;
  /** Where the system says an `ok` operation took effect in its own order, when it says
   * (ZooKeeper's zxid): a candidate witness order for the checkers, never trusted blindly. */
  position?: bigint;
}

/** Thrown by an operation's body: definitely not applied (e.g. a failed precondition). */
export class DefiniteFailure extends Error {
  override readonly name = 'DefiniteFailure';
}

/** How a failed operation counts: `fail` only when the error proves it was not applied. */
export type Classify = (error: unknown) => 'fail' | 'info';

export const classifyByDefault: Classify = (error) => (error instanceof DefiniteFailure ? 'fail' : 'info');

export class HistoryRecorder<Op, Res> {
  private readonly recorded: RecordedOperation<Op, Res>[] = [];
  private readonly origin: number;

  constructor(private readonly clock: () => number = () => performance.now()) {
    this.origin = clock();
  }

  /** Milliseconds since the recorder was made. */
  now(): number {
    return this.clock() - this.origin;
  }

  invoke(worker: number, process: number, op: Op, node?: string): RecordedOperation<Op, Res> {
    const entry: RecordedOperation<Op, Res> = { id: this.recorded.length, worker, process, op, invokedAt: this.now(), ...(node === undefined ? {} : { node }) };
    this.recorded.push(entry);
    return entry;
  }

  complete(entry: RecordedOperation<Op, Res>, outcome: OutcomeKind, result?: Res, error?: string): void {
    if (entry.outcome !== undefined) throw new Error(`recorder: operation ${entry.id} completed twice (${entry.outcome}, then ${outcome})`);
    entry.outcome = outcome;
    entry.completedAt = this.now();
    if (outcome === 'ok') entry.result = result;
    if (error !== undefined) entry.error = error;
  }

  /** Runs one operation with a deadline: resolves `ok` with the body's result, `fail` or `info`
   * by `classify` when it throws, and `info` when `timeoutMs` passes first (the body is told
   * through `signal` and its late answer is ignored). Never rejects. */
  async run(
    worker: number,
    process: number,
    op: Op,
    body: (signal: AbortSignal) => Promise<Res>,
    options: { readonly timeoutMs: number; readonly classify?: Classify; readonly node?: string },
  ): Promise<RecordedOperation<Op, Res>> {
    const entry = this.invoke(worker, process, op, options.node);
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
    });
    const attempt = body(abort.signal).then(
      (result) => ({ kind: 'ok' as const, result }),
      (error: unknown) => ({ kind: 'error' as const, error }),
    );
    const first = await Promise.race([attempt, timeout]);
    clearTimeout(timer);
    if (first === 'timeout') {
      abort.abort();
      this.complete(entry, 'info', undefined, `timed out after ${options.timeoutMs} ms`);
    } else if (first.kind === 'ok') {
      this.complete(entry, 'ok', first.result);
    } else {
      const kind = (options.classify ?? classifyByDefault)(first.error);
      this.complete(entry, kind, undefined, errorText(first.error));
    }
    return entry;
  }

  /** Everything recorded so far, in invocation order; operations still running have no
   * outcome (they count as `info`). */
  get operations(): readonly RecordedOperation<Op, Res>[] {
    return this.recorded;
  }

  /** The history for the checkers: `ok` completed, `info` and unfinished pending, `fail`
   * dropped. Ids are the recorder's; times are milliseconds. `select` keeps a subset. */
  history(select: (op: RecordedOperation<Op, Res>) => boolean = () => true): History<Op, Res> {
    return this.recorded.filter((r) => r.outcome !== 'fail' && select(r)).map((r) => toOperation(r));
  }
}

export function toOperation<Op, Res>(r: RecordedOperation<Op, Res>): Operation<Op, Res> {
  const base = { id: r.id, client: r.process, op: r.op, invokedAt: r.invokedAt };
  return r.outcome === 'ok' ? { ...base, kind: 'completed', result: r.result as Res, returnedAt: r.completedAt! } : { ...base, kind: 'pending' };
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0];
  return String(error);
}

/** Process numbers for `workers` concurrent workers: worker w starts as process w and becomes
 * w + workers, w + 2·workers, … each time it is renumbered (Jepsen's convention). */
export class ProcessNumbers {
  private readonly current: number[];
  constructor(private readonly workers: number) {
    this.current = Array.from({ length: workers }, (_, w) => w);
  }
  of(worker: number): number {
    return this.current[worker];
  }
  crashed(worker: number): void {
    this.current[worker] += this.workers;
  }
}
