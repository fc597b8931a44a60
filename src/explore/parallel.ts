// A parallel breadth-first search (--workers N): N worker threads (explore/parallel-worker.ts),
// each owning the packed states whose key hashes to it (its own visited set, parent links and
// frontier), advance level by level; after each level the candidates each generated for another
// worker are handed to their owners (Stern and Dill's hash-partitioned parallel Murphi, with a
// barrier per level), in one typed array per pair of workers. A worker stores the successors it
// owns itself at once, checks them on the objects the model returned, and queues them for the
// next level: with N workers only (N-1)/N of the successors are handed over.
//
// - Counts are exact: a state is stored once, by its owner; distinct, total and depth are the
//   sequential search's.
// - Counterexamples are shortest: every state of depth d is stored before the end of level d
//   (a worker stores its own successors of depth d + 1 during level d, after every state of
//   depth d it owns), the reports of a level are shown shallowest first, and a violation found
//   in a level ends the search after that level. Which of the shortest
//   runs is reported may differ from the sequential search's; it replays.
// - Workers report what the engine's visitor must see (states violating an invariant, deadlocks,
//   each worker's first state of each witness); the main thread decodes them and shows them to
//   the visitor, so expectations, pruning and reports are the explorer's own.
// - Bounds are checked between levels (a level is not cut halfway): a statesMax bound may be
//   passed by up to two levels' new states (a worker stores the successors it owns at once,
//   so some of the next level's are in before the bound is looked at); depthMax is not
//   supported here.

import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Codec } from '../core/codec.ts';
import type { AnyCompleteModel } from '../core/model.ts';
import {
  fromWorkerSlot, ownerOf, receive, send, toWorkerSlot, type FromWorker, type ModelSource, type Reported, type ToWorker, type WorkerSetup,
} from './parallel-protocol.ts';

export interface ParallelHooks {
  /** Shows a reported state to the engine's visitor; true stops the search. */
  visit(state: unknown, index: number, depth: number): boolean;
  /** A deadlock candidate (nothing enabled, not final); true stops the search. */
  deadlock(state: unknown, index: number, depth: number): boolean;
}

interface Channel {
  readonly worker: Worker;
  readonly port: MessagePort;
}

export class ParallelSearch {
  private readonly channels: Channel[] = [];
  private readonly signal = new Int32Array(new SharedArrayBuffer(4 * 64));
  /** inbox[owner]: the candidate records for that worker, one buffer per source. */
  private inbox: Int32Array[][];
  private depth = 0;
  private finishedArrays: { parent: Int32Array; action: Int32Array }[] | undefined;
  private closed = false;
  distinct = 0;
  generated = 0;
  storeBytes = 0;
  frontier = 0;
  /** Deepest level with a new state. */
  maxDepth = 0;
  done = false;
  /** A worker stopped short of its memory: the search must end as bounded (memoryMax). */
  memoryCut = false;

  constructor(
    private readonly model: AnyCompleteModel,
    private readonly codec: Codec,
    private readonly workers: number,
    source: ModelSource,
    options: { readonly symmetry: boolean; readonly verifyCodec: boolean; readonly reportDeadlocks: boolean; readonly memoryMax: number },
  ) {
    if (workers * 2 > this.signal.length) throw new RangeError(`at most ${this.signal.length / 2} workers`);
    for (let me = 0; me < workers; me++) {
      const { port1, port2 } = new MessageChannel();
      const setup: WorkerSetup = { source, workers, me, ...options, port: port2, signal: this.signal };
      const worker = new Worker(new URL('./parallel-boot.js', import.meta.url), { workerData: setup, transferList: [port2] });
      this.channels.push({ worker, port: port1 });
    }
    for (let me = 0; me < workers; me++) this.expect(me, 'ready');
    this.inbox = Array.from({ length: workers }, () => []);
  }

  /** Hands the initial states to their owners. Returns how many were generated. */
  seed(): number {
    const words = new Int32Array(this.codec.words);
    const keyWords = new Int32Array(this.codec.words);
    const key = new Int32Array(2);
    const records: number[][] = Array.from({ length: this.workers }, () => []);
    this.model.init.forEach((state, i) => {
      this.codec.encode(state, words);
      if (this.model.hasCanonical) {
        this.codec.encode(this.model.canonical(state), keyWords);
        this.codec.key(keyWords, key);
      } else {
        this.codec.key(words, key);
      }
      records[ownerOf(key[0], key[1], this.workers)].push(...words, key[0], key[1], -1, i);
    });
    this.inbox = records.map((r) => [Int32Array.from(r)]);
    return this.model.init.length;
  }

  /** Runs one level in every worker; shows the reported states to the visitor. Returns true
   * when the visitor stopped the search. */
  level(hooks: ParallelHooks): boolean {
    this.depth++;
    for (let me = 0; me < this.workers; me++) {
      const inbox = this.inbox[me];
      send<ToWorker>(this.channels[me].port, this.signal, toWorkerSlot(me), { kind: 'level', depth: this.depth, inbox, expand: true }, inbox.map((b) => b.buffer as ArrayBuffer));
    }
    const outboxes: Int32Array[][] = [];
    const reported: Reported[] = [];
    let distinct = 0;
    let frontier = 0;
    let deepest = 0;
    let storeBytes = 0;
    let error: Extract<FromWorker, { kind: 'error' }> | undefined;
    for (let me = 0; me < this.workers; me++) {
      const reply = receive<FromWorker>(this.channels[me].port, this.signal, fromWorkerSlot(me));
      if (reply.kind === 'error') {
        error ??= reply;
        outboxes.push([]);
        continue;
      }
      if (reply.kind !== 'level-done') throw new Error(`worker ${me} answered ${reply.kind} to a level`);
      outboxes.push([...reply.outbox]);
      reported.push(...reply.reported);
      distinct += reply.distinct;
      frontier += reply.frontier;
      deepest = Math.max(deepest, reply.deepest);
      storeBytes += reply.storeBytes;
      this.generated += reply.generated;
      if (reply.memoryCut) this.memoryCut = true;
    }
    if (error !== undefined) throw new ParallelModelError(error.message, error.at, error.action);
    this.maxDepth = Math.max(this.maxDepth, deepest);
    this.distinct = distinct;
    this.frontier = frontier;
    this.storeBytes = storeBytes;
    this.inbox = Array.from({ length: this.workers }, (_, owner) => outboxes.map((o) => o[owner]).filter((b) => b !== undefined && b.length > 0));
    if (frontier === 0 && this.inbox.every((b) => b.length === 0)) this.done = true;
    // Reports in a deterministic order. States of this level and some of the next (a worker stores its own successors at once):
    // shallower first, so the first violation shown is a shortest one.
    reported.sort((a, b) => a.depth - b.depth || Number(a.deadlock) - Number(b.deadlock) || a.index - b.index);
    for (const r of reported) {
      const state = this.codec.decode(r.words);
      if (r.deadlock ? hooks.deadlock(state, r.index, r.depth) : hooks.visit(state, r.index, r.depth)) return true;
    }
    return false;
  }

  /** Ends the workers and collects their parent links. */
  finish(): void {
    if (this.finishedArrays !== undefined) return;
    if (this.closed) throw new Error('the parallel search was abandoned: its workers are gone');
    const arrays: { parent: Int32Array; action: Int32Array }[] = [];
    for (let me = 0; me < this.workers; me++) {
      send<ToWorker>(this.channels[me].port, this.signal, toWorkerSlot(me), { kind: 'finish' });
      const reply = this.expect(me, 'finished') as Extract<FromWorker, { kind: 'finished' }>;
      arrays.push({ parent: reply.parent, action: reply.action });
    }
    this.finishedArrays = arrays;
    this.abandon();
  }

  /** Stops the workers (without collecting anything when they had not finished). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.channels) {
      c.port.close();
      void c.worker.terminate();
    }
  }

  /** The path of action indices from an initial state to global state `index`. */
  pathTo(index: number): number[] {
    const arrays = this.finishedArrays;
    if (arrays === undefined) throw new Error('the parallel search has not finished: its parent links are still in the workers');
    const path: number[] = [];
    for (let i = index; i >= 0; ) {
      const owner = i % this.workers;
      const local = (i - owner) / this.workers;
      path.push(arrays[owner].action[local]);
      i = arrays[owner].parent[local];
    }
    return path.reverse();
  }

  private expect(me: number, kind: FromWorker['kind']): FromWorker {
    const reply = receive<FromWorker>(this.channels[me].port, this.signal, fromWorkerSlot(me));
    if (reply.kind === 'error') throw new Error(`worker ${me}: ${reply.message}`);
    if (reply.kind !== kind) throw new Error(`worker ${me} answered ${reply.kind}, expected ${kind}`);
    return reply;
  }
}

/** The model threw in a worker: the traversal turns it into a ModelError with the run. */
export class ParallelModelError extends Error {
  override readonly name = 'ParallelModelError';
  constructor(
    message: string,
    readonly at: number,
    readonly action: number,
  ) {
    super(message);
  }
}
