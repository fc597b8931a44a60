// A worker thread of a parallel breadth-first search (--workers N, explore/parallel.ts). It
// owns the states whose key hashes to it: their visited set, parent links and frontier. Each
// level it is handed the candidate states other workers generated for it, keeps the new ones,
// checks them (reporting violations, deadlocks and first witnesses to the main thread, which
// shows them to the engine's visitor), and expands them into candidates for their owners.

import { getHeapStatistics } from 'node:v8';
import { workerData } from 'node:worker_threads';
import { Codec, firstDifference } from '../core/codec.ts';
import { withDefaults, type AnyCompleteModel, type AnyModel } from '../core/model.ts';
import { PackedQueue } from './packed-queue.ts';
import { fromWorkerSlot, ownerOf, receive, send, toWorkerSlot, type FromWorker, type Reported, type ToWorker, type WorkerSetup } from './parallel-protocol.ts';
import { StateStore } from './state-store.ts';
import { withSymmetry } from './symmetry.ts';

/** New states per worker whose encoding is decoded and compared with the state. */
const CODEC_VERIFY_FIRST = 2000;
/** Successors generated between looks at the memory in use. */
const MEMORY_CHECK_EVERY = 4096;
/** Keys the cache of keys sent to other workers holds: 2^16, 512 KiB. */
const SENT_BITS = 16;
/** Milliseconds between looks at the memory in use. */
const MEMORY_CHECK_MS = 100;
/** A worker stops expanding when its heap reaches this share of its limit. */
const HEAP_GUARD = 0.85;

/** Records of (words, key high, key low, parent, action) for one owner. */
class Outbox {
  private data: Int32Array;
  length = 0;
  constructor(private readonly stride: number) {
    this.data = new Int32Array(stride * 256);
  }
  push(words: Int32Array, high: number, low: number, parent: number, action: number): void {
    if ((this.length + 1) * this.stride > this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    const at = this.length * this.stride;
    const n = this.stride - 4;
    for (let i = 0; i < n; i++) this.data[at + i] = words[i];
    this.data[at + n] = high;
    this.data[at + n + 1] = low;
    this.data[at + n + 2] = parent;
    this.data[at + n + 3] = action;
    this.length++;
  }
  take(): Int32Array {
    const out = this.data.slice(0, this.length * this.stride);
    this.length = 0;
    return out;
  }
}

/** Keys sent to other workers lately, direct-mapped: most successors are reached more than
 * once (diamonds), and one copy is enough. It may forget a key (another took its slot): the
 * owner's store drops the copy sent again. A key it remembers from an earlier level is stored
 * at its owner already, so it need not be sent again either: it is never cleared. */
class SentKeys {
  private readonly table = new Int32Array(2 << SENT_BITS);
  /** Adds a key; false when it was there. */
  add(high: number, low: number): boolean {
    const slot = (Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b) >>> (32 - SENT_BITS)) * 2;
    if (this.table[slot] === high && this.table[slot + 1] === low) return false;
    this.table[slot] = high;
    this.table[slot + 1] = low;
    return true;
  }
}

class LevelWorker {
  private readonly sent = new SentKeys();
  private readonly codec: Codec;
  private readonly store = new StateStore(undefined, { compact: true });
  /** States to expand in this level, and the new states of the next depth this worker stored
   * itself while expanding them. */
  private frontier: PackedQueue;
  private next: PackedQueue;
  /** Depth of the deepest state stored. */
  private deepest = 0;
  private readonly outboxes: Outbox[];
  private readonly cur: Int32Array;
  private readonly succ: Int32Array;
  private readonly keyWords: Int32Array;
  private readonly key = new Int32Array(2);
  private readonly witnessed: boolean[];
  private verifyLeft: number;
  private at = -1;
  private atAction = -1;
  private memoryCut = false;
  private nextMemoryCheck = MEMORY_CHECK_EVERY;
  private nextMemoryAt = 0;
  private readonly heapGuard = getHeapStatistics().heap_size_limit * HEAP_GUARD;

  constructor(
    private readonly setup: WorkerSetup,
    private readonly model: AnyCompleteModel,
  ) {
    this.codec = new Codec(model.schema!);
    const words = this.codec.words;
    this.frontier = new PackedQueue(words);
    this.next = new PackedQueue(words);
    this.outboxes = Array.from({ length: setup.workers }, () => new Outbox(words + 4));
    this.cur = new Int32Array(words);
    this.succ = new Int32Array(words);
    this.keyWords = new Int32Array(words);
    this.witnessed = model.sometimes.map(() => false);
    this.verifyLeft = setup.verifyCodec ? Infinity : CODEC_VERIFY_FIRST;
  }

  serve(): void {
    const { port, signal, me } = this.setup;
    send<FromWorker>(port, signal, fromWorkerSlot(me), { kind: 'ready' });
    for (;;) {
      const message = receive<ToWorker>(port, signal, toWorkerSlot(me));
      if (message.kind === 'finish') {
        const size = this.store.size;
        const { parent, action } = this.store.links();
        send<FromWorker>(port, signal, fromWorkerSlot(me), { kind: 'finished', parent, action, size }, [parent.buffer as ArrayBuffer, action.buffer as ArrayBuffer]);
        port.close();
        return;
      }
      let reply: FromWorker;
      try {
        reply = this.level(message.depth, message.inbox, message.expand);
      } catch (e) {
        reply = { kind: 'error', message: e instanceof Error ? e.message : String(e), at: this.at, action: this.atAction };
      }
      const transfer = reply.kind === 'level-done' ? reply.outbox.map((o) => o.buffer as ArrayBuffer) : [];
      send<FromWorker>(port, signal, fromWorkerSlot(me), reply, transfer);
    }
  }

  /** Level `depth`: the candidates of that depth other workers generated are stored (the new
   * ones checked and queued behind the new states this worker stored itself during the last
   * level), then every queued state is expanded. A successor this worker owns is stored at
   * once (at depth + 1, after every state of `depth`: the store stays in breadth-first
   * order) and queued for the next level; only the others' go through the outboxes. */
  private level(depth: number, inbox: readonly Int32Array[], expand: boolean): FromWorker {
    const reported: Reported[] = [];
    for (const records of inbox) this.admit(records, depth, reported);
    let generated = 0;
    if (expand) {
      const frontier = this.frontier;
      for (let k = 0; k < frontier.length && !this.memoryCut; k++) {
        const index = frontier.read(k, this.cur);
        generated += this.expand(this.codec.decodeNext(this.cur), index, depth, reported);
        if (generated >= this.nextMemoryCheck) {
          this.nextMemoryCheck = generated + MEMORY_CHECK_EVERY;
          this.checkMemory();
        }
      }
    }
    const expanded = this.frontier;
    expanded.reset();
    this.frontier = this.next;
    this.next = expanded;
    this.nextMemoryCheck = MEMORY_CHECK_EVERY;
    this.at = -1;
    return {
      kind: 'level-done',
      outbox: this.outboxes.map((o) => o.take()),
      distinct: this.store.size,
      deepest: this.deepest,
      generated,
      frontier: this.frontier.length,
      reported,
      storeBytes: this.store.bytes + this.frontier.bytes + this.next.bytes,
      memoryCut: this.memoryCut,
    };
  }

  /** At most every MEMORY_CHECK_MS (process.memoryUsage() reads the process's RSS from the
   * system: too slow to ask every few thousand successors). */
  private checkMemory(): void {
    const now = performance.now();
    if (now < this.nextMemoryAt) return;
    this.nextMemoryAt = now + MEMORY_CHECK_MS;
    const m = process.memoryUsage();
    if (m.rss > this.setup.memoryMax || m.heapUsed > this.heapGuard) this.memoryCut = true;
  }

  /** Stores the new states among the candidates, checks them, and queues them for expansion. */
  private admit(records: Int32Array, depth: number, reported: Reported[]): void {
    const { workers, me } = this.setup;
    const words = this.codec.words;
    const stride = words + 4;
    for (let at = 0; at < records.length; at += stride) {
      const added = this.store.add(records[at + words], records[at + words + 1], records[at + words + 2], records[at + words + 3], depth);
      if (added < 0) continue;
      const stateWords = records.subarray(at, at + words);
      this.checkNew(this.codec.decode(stateWords), added * workers + me, depth, stateWords, this.frontier, reported);
    }
  }

  /** A state just stored: checked against the invariants (a violating one is reported and not
   * expanded) and the witnesses not yet seen, then queued. */
  private checkNew(state: unknown, index: number, depth: number, words: Int32Array, queue: PackedQueue, reported: Reported[]): void {
    const model = this.model;
    if (depth > this.deepest) this.deepest = depth;
    let report = false;
    let prune = false;
    for (const inv of model.invariants) {
      if (inv.check(state) !== undefined) {
        report = true;
        prune = true;
        break;
      }
    }
    for (let w = 0; w < this.witnessed.length; w++) {
      if (!this.witnessed[w] && model.sometimes[w].holds(state)) {
        this.witnessed[w] = true;
        report = true;
      }
    }
    if (report) reported.push({ index, words: words.slice(), depth, deadlock: false });
    if (!prune && !queue.push(words, index)) this.memoryCut = true;
  }

  /** Generates the successors of a state at `depth`: this worker's own are stored and queued
   * for the next level, the others' go to the outboxes of their owners. */
  private expand(state: unknown, index: number, depth: number, reported: Reported[]): number {
    const model = this.model;
    this.at = index;
    this.atAction = -1;
    const actions = model.actions(state);
    if (actions.length === 0) {
      if (this.setup.reportDeadlocks && !model.isFinal(state)) reported.push({ index, words: this.cur.slice(), depth, deadlock: true });
      return 0;
    }
    const { workers, me } = this.setup;
    this.keyOf(state, this.cur);
    const parentHigh = this.key[0];
    const parentLow = this.key[1];
    const cur = this.cur;
    const succ = this.succ;
    const words = cur.length;
    let generated = 0;
    for (let pos = 0; pos < actions.length; pos++) {
      this.atAction = pos;
      const next = model.step(state, actions[pos]);
      generated++;
      if (next === state) continue;
      for (let i = 0; i < words; i++) succ[i] = cur[i];
      this.codec.encodeAgainst(next, state, succ);
      this.keyOf(next, succ);
      const high = this.key[0];
      const low = this.key[1];
      if (high === parentHigh && low === parentLow) continue;
      const owner = ownerOf(high, low, workers);
      if (owner === me) {
        const added = this.store.add(high, low, index, pos, depth + 1);
        if (added < 0) continue;
        if (this.verifyLeft > 0) this.verify(next);
        this.checkNew(next, added * workers + me, depth + 1, succ, this.next, reported);
      } else {
        if (!this.sent.add(high, low)) continue;
        if (this.verifyLeft > 0) this.verify(next);
        this.outboxes[owner].push(succ, high, low, index, pos);
      }
    }
    return generated;
  }

  private keyOf(state: unknown, words: Int32Array): void {
    if (this.model.hasCanonical) {
      this.codec.encode(this.model.canonical(state), this.keyWords);
      this.codec.key(this.keyWords, this.key);
    } else {
      this.codec.key(words, this.key);
    }
  }

  private verify(state: unknown): void {
    this.verifyLeft--;
    const difference = firstDifference(state, this.codec.decode(this.succ));
    if (difference !== undefined) throw new Error(`the state does not round-trip through its schema's codec at ${difference} (the schema leaves the field out or bounds it wrongly)`);
  }
}

const setup = workerData as WorkerSetup;
const source = (await import(setup.source.module)) as Record<string, (...args: unknown[]) => AnyModel>;
let model = withDefaults(source[setup.source.name](...setup.source.args));
if (setup.symmetry) model = withSymmetry(model);
new LevelWorker(setup, model).serve();
