// What the explorer's main thread and its worker threads (--workers N) say to each other, and
// the synchronous channel they say it on: a MessagePort read with receiveMessageOnPort, woken
// by Atomics.wait on a shared counter, so that neither side needs an event loop turn and the
// main thread's search stays a synchronous, resumable traversal (explore/traverse.ts).

import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/** How a worker thread builds the same model as the main thread: `module`'s export `name`,
 * called with `args` (plain data). The CLI passes the registry's builder. */
export interface ModelSource {
  readonly module: string;
  readonly name: string;
  readonly args: readonly unknown[];
}

export interface WorkerSetup {
  readonly source: ModelSource;
  readonly workers: number;
  readonly me: number;
  readonly symmetry: boolean;
  readonly verifyCodec: boolean;
  readonly reportDeadlocks: boolean;
  /** The search's memory budget (the process's RSS); a worker also stops short of its own
   * heap limit, so a search ends as bounded, never with a worker out of memory. */
  readonly memoryMax: number;
  readonly port: MessagePort;
  readonly signal: Int32Array;
}

/** A state a worker reports to the main thread, which decodes it and shows it to the engine's
 * visitor: it violates an invariant, is a deadlock, or is the worker's first for a witness. */
export interface Reported {
  readonly index: number;
  readonly words: Int32Array;
  readonly depth: number;
  readonly deadlock: boolean;
}

export type ToWorker =
  /** Level `depth`: the candidate states from each worker (words, parent, action per record);
   * store the new ones, report the interesting ones, expand the rest. */
  | { readonly kind: 'level'; readonly depth: number; readonly inbox: readonly Int32Array[]; readonly expand: boolean }
  | { readonly kind: 'finish' };

export type FromWorker =
  | { readonly kind: 'ready' }
  | {
      readonly kind: 'level-done';
      readonly outbox: readonly Int32Array[];
      readonly distinct: number;
      /** Depth of the worker's deepest stored state (its own successors are stored a level
       * early). */
      readonly deepest: number;
      readonly generated: number;
      /** States the worker queued for the next level (its own new successors). */
      readonly frontier: number;
      readonly reported: readonly Reported[];
      readonly storeBytes: number;
      /** The worker stopped expanding: memory ran short. */
      readonly memoryCut: boolean;
    }
  | { readonly kind: 'finished'; readonly parent: Int32Array; readonly action: Int32Array; readonly size: number }
  | { readonly kind: 'error'; readonly message: string; readonly at: number; readonly action: number };

/** Slots of the shared counter: one per direction per worker. */
export function toWorkerSlot(me: number): number {
  return me * 2;
}
export function fromWorkerSlot(me: number): number {
  return me * 2 + 1;
}

export function send<T>(port: MessagePort, signal: Int32Array, slot: number, message: T, transfer: readonly ArrayBuffer[] = []): void {
  port.postMessage(message, [...transfer]);
  Atomics.add(signal, slot, 1);
  Atomics.notify(signal, slot);
}

export function receive<T>(port: MessagePort, signal: Int32Array, slot: number): T {
  for (;;) {
    const first = receiveMessageOnPort(port);
    if (first !== undefined) return first.message as T;
    const seen = Atomics.load(signal, slot);
    const again = receiveMessageOnPort(port);
    if (again !== undefined) return again.message as T;
    Atomics.wait(signal, slot, seen, 1000);
  }
}

/** The worker that owns a key: the one whose store holds it. */
export function ownerOf(high: number, low: number, workers: number): number {
  let h = Math.imul(high ^ (low >>> 15), 0x2c1b3c6d) ^ low;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return ((h ^ (h >>> 15)) >>> 0) % workers;
}
