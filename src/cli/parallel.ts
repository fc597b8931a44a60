// `check --all --jobs N`: the rows run in N worker processes (check-worker.ts), one row at a
// time each, handed out in table order; outcomes come back as data and are passed on in table
// order, each as soon as it and every row before it are done, so the table reads as in a
// sequential run. Processes, not threads: a row that exhausts its heap or crashes takes down
// its own worker only, and that row gets an error outcome (the next rows go to a fresh one).
//
// The memory budget (--memory-max) is shared: each worker's searches get budget/N, and its heap
// is sized for that (as faultline.js sizes the main process's). A row cut by memoryMax at its
// share runs again at the end, alone, with the whole budget, as it would in a sequential run.
//
// Ctrl-C: the parent stops handing out rows and tells every worker to stop its row (the
// terminal's SIGINT reaches them too); each running row comes back `bounded` (interrupted), so
// the rows reported are always a prefix of the table. A second Ctrl-C exits at once, and the
// workers with it.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Run } from '../explore/path.ts';
import type { ExploreOptions } from '../explore/explore.ts';
import { ModelError, type Progress } from '../explore/traverse.ts';
import { summarise, type Check, type EngineResult, type Outcome } from '../verify/index.ts';
import { HEAP_MARGIN_MIB } from './budget.ts';
import { progressLine } from './options.ts';

/** One row of check --all: the model, and the row's position in checksOf(model). */
export interface RowJob {
  readonly model: string;
  readonly index: number;
  readonly check: Check;
}

/** The explorer's options without what cannot cross a process boundary (functions). */
export type PlainOptions = Omit<ExploreOptions, 'signal' | 'onProgress'>;

export type ToWorker =
  | {
      readonly kind: 'run'; readonly id: number; readonly model: string; readonly index: number; readonly rowName: string;
      readonly options: PlainOptions;
      /** Send the search's progress lines (--progress, or stderr is a terminal). */
      readonly progress: boolean;
    }
  | { readonly kind: 'interrupt' };

export type WireResult =
  | Exclude<EngineResult, { readonly kind: 'error' }>
  | { readonly kind: 'error'; readonly message: string; readonly run: Run | undefined; readonly failingAction: string | undefined };

export type WireOutcome = Omit<Outcome, 'check' | 'result'> & { readonly result: WireResult };

export type FromWorker =
  | { readonly kind: 'progress'; readonly id: number; readonly progress: Progress }
  | { readonly kind: 'done'; readonly id: number; readonly outcome: WireOutcome }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };

const WORKER = fileURLToPath(new URL('./check-worker.js', import.meta.url));

interface Worker {
  readonly child: ChildProcess;
  /** The options of the rows it runs: its share of the memory budget, or all of it. */
  readonly options: PlainOptions;
  /** The row it is checking. */
  row?: number;
  /** The end of its stderr, to say why it died. */
  stderr: string;
  gone: boolean;
}

/** Checks `rows` in up to `jobs` worker processes; `onResult` sees the outcomes in table order. */
export function checkInParallel(rows: readonly RowJob[], options: ExploreOptions, jobs: number, onResult: (o: Outcome) => void): Promise<Outcome[]> {
  if (rows.length === 0) return Promise.resolve([]);
  return new Promise((resolve) => new Pool(rows, options, Math.min(jobs, rows.length), onResult, resolve).start());
}

/** The state of one parallel run. Rows are handed out in table order while any are left
 * (`shared`: each worker has its share of the memory budget). A row its share cut by memoryMax
 * waits for the end and then runs again alone with the whole budget (`solo`), so a row that a
 * sequential run can complete is completed here too. */
class Pool {
  private readonly outcomes: (Outcome | undefined)[];
  private readonly workers = new Set<Worker>();
  /** Rows cut by memoryMax at their share, with that first outcome (kept if Ctrl-C comes). */
  private readonly deferred: { readonly row: number; readonly first: Outcome }[] = [];
  private phase: 'shared' | 'solo' = 'shared';
  private next = 0;
  private emitted = 0;
  private done = 0;
  private readonly shared: PlainOptions;
  private readonly solo: PlainOptions;
  private readonly showProgress: boolean;
  private readonly onSigint = () => {
    for (const w of this.workers) if (w.child.connected) w.child.send({ kind: 'interrupt' } satisfies ToWorker);
  };
  private readonly onExit = () => {
    for (const w of this.workers) w.child.kill('SIGKILL');
  };

  constructor(
    private readonly rows: readonly RowJob[],
    private readonly options: ExploreOptions,
    private readonly workerCount: number,
    private readonly onResult: (o: Outcome) => void,
    private readonly resolve: (outcomes: Outcome[]) => void,
  ) {
    const { signal: _signal, onProgress, ...plain } = options;
    const budget = options.memoryMaxBytes;
    this.solo = plain;
    this.shared = budget === undefined ? plain : { ...plain, memoryMaxBytes: Math.floor(budget / workerCount) };
    this.showProgress = onProgress !== undefined;
    this.outcomes = rows.map(() => undefined);
  }

  start(): void {
    process.on('SIGINT', this.onSigint);
    process.on('exit', this.onExit);
    for (let k = 0; k < this.workerCount; k++) this.dispatch(this.fork(this.shared));
  }

  private stopped(): boolean {
    return this.options.signal?.aborted === true;
  }

  private hasWork(): boolean {
    return this.phase === 'shared' ? this.next < this.rows.length : this.deferred.length > 0;
  }

  /** Gives an idle worker its next row, or retires it. */
  private dispatch(w: Worker): void {
    if (this.stopped() || !this.hasWork()) return this.retire(w);
    const i = this.phase === 'shared' ? this.next++ : this.deferred.shift()!.row;
    w.row = i;
    const row = this.rows[i];
    w.child.send({ kind: 'run', id: i, model: row.model, index: row.index, rowName: row.check.row.name, options: w.options, progress: this.showProgress } satisfies ToWorker);
  }

  private retire(w: Worker): void {
    w.gone = true;
    this.workers.delete(w);
    if (w.child.connected) w.child.disconnect();
    this.whenIdle();
  }

  /** After a worker left: when none is left, the solo phase starts, or the run is over. */
  private whenIdle(): void {
    if (this.workers.size > 0) return;
    if (this.phase === 'shared' && this.deferred.length > 0 && !this.stopped()) {
      this.phase = 'solo';
      this.dispatch(this.fork(this.solo));
      return;
    }
    // Interrupted before their second run: the rows keep what their share gave them.
    for (const d of this.deferred.splice(0)) this.settle(d.row, d.first);
    process.off('SIGINT', this.onSigint);
    process.off('exit', this.onExit);
    this.resolve(this.outcomes.slice(0, this.emitted) as Outcome[]);
  }

  private died(w: Worker, why: string): void {
    if (w.gone) return;
    w.gone = true;
    this.workers.delete(w);
    if (w.row !== undefined) this.settle(w.row, failedOutcome(this.rows[w.row].check, `the worker process ${why} while checking this row${lastLine(w.stderr)}`));
    w.row = undefined;
    if (!this.stopped() && this.hasWork()) this.dispatch(this.fork(w.options));
    else this.whenIdle();
  }

  private finished(w: Worker, i: number, o: Outcome): void {
    w.row = undefined;
    if (this.phase === 'shared' && this.workerCount > 1 && o.summary.boundsHit.includes('memoryMax') && !this.stopped()) {
      this.deferred.push({ row: i, first: o });
      if (this.showProgress) process.stderr.write(`cut by memoryMax at its share of the memory budget: ${rowName(o.check)} runs again alone, with the whole budget, once the other rows are done\n`);
    } else {
      this.settle(i, o);
    }
    this.dispatch(w);
  }

  /** Records a row's outcome and passes on every outcome now complete in table order. */
  private settle(i: number, o: Outcome): void {
    this.outcomes[i] = o;
    this.done++;
    if (this.showProgress) process.stderr.write(`${doneLine(this.done, this.rows.length, o, this.running())}\n`);
    while (this.emitted < this.rows.length && this.outcomes[this.emitted] !== undefined) this.onResult(this.outcomes[this.emitted++]!);
  }

  private running(): Check[] {
    return [...this.workers].flatMap((w) => (w.row === undefined ? [] : [this.rows[w.row].check]));
  }

  private fork(options: PlainOptions): Worker {
    const heap = options.memoryMaxBytes === undefined ? [] : [`--max-old-space-size=${Math.ceil(options.memoryMaxBytes / 2 ** 20 + HEAP_MARGIN_MIB)}`];
    const child = fork(WORKER, [], { execArgv: heap, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const w: Worker = { child, options, stderr: '', gone: false };
    this.workers.add(w);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      w.stderr = (w.stderr + text).slice(-16_000);
    });
    child.on('message', (m: FromWorker) => this.received(w, m));
    child.on('exit', (code, sig) => this.died(w, sig !== null ? `was killed by ${sig}` : `exited with code ${code}`));
    child.on('error', (e) => this.died(w, `failed (${e.message})`));
    return w;
  }

  private received(w: Worker, m: FromWorker): void {
    if (w.gone || w.row !== m.id) return;
    const check = this.rows[m.id].check;
    if (m.kind === 'progress') {
      process.stderr.write(`${progressLine(m.progress).replace(/^progress: /, `progress: ${rowName(check)}: `)}\n`);
      return;
    }
    this.finished(w, m.id, m.kind === 'done' ? fromWire(check, m.outcome) : failedOutcome(check, m.message));
  }
}

function fromWire(check: Check, w: WireOutcome): Outcome {
  const r = w.result;
  const result: EngineResult = r.kind === 'error' ? { kind: 'error', error: new ModelError(r.message, r.run, r.failingAction, undefined) } : r;
  return { ...w, check, result };
}

/** A row whose worker failed: an error outcome, never as expected. */
function failedOutcome(check: Check, message: string): Outcome {
  const result: EngineResult = { kind: 'error', error: new ModelError(message, undefined, undefined, undefined) };
  return { check, result, summary: summarise(result), findings: [], matchesExpected: false, verdict: `ERROR: ${message}` };
}

/** Why a worker died, in one line: V8's fatal error (out of memory) or an uncaught error's
 * first line when its stderr has one, else its last line. */
function lastLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const line = lines.find((l) => /^(FATAL ERROR|\w*Error\b)/.test(l)) ?? lines.at(-1);
  return line === undefined ? '' : `: ${line}`;
}

function rowName(c: Check): string {
  return `${c.instance.def.name} ${c.row.kind === 'scenario' ? `${c.kind}: ${c.row.name}` : c.row.name}`;
}

/** A row is done: how far the run is, and what the workers are on now. */
function doneLine(done: number, total: number, o: Outcome, running: readonly Check[]): string {
  const now = running.length === 0 ? '' : `; running ${running.map(rowName).join(', ')}`;
  const secs = (o.summary.elapsedMs / 1000).toFixed(1);
  return `done ${done}/${total}: ${rowName(o.check)}: ${o.matchesExpected ? 'ok' : 'FAIL'}, ${secs} s${now}`;
}
