// Sequential specifications of common objects, the "models" of Porcupine and Knossos: what
// each operation returns when operations run one at a time. States are plain data.

import type { SequentialSpec } from './history.ts';
import { equalValues } from '../core/data.ts';

/** Acknowledgement of an update that returns nothing else. */
export type Ack = 'ok';

// ---------------------------------------------------------------------------------------------
// Register: read, write, compare-and-set (Knossos's cas-register)

export type RegisterOp<V> =
  | { readonly kind: 'read' }
  | { readonly kind: 'write'; readonly value: V }
  | { readonly kind: 'cas'; readonly from: V; readonly to: V };

/** read returns the value; write returns 'ok'; cas returns whether it swapped. */
export type RegisterResult<V> = V | Ack | boolean;

export function registerSpec<V>(initial: V): SequentialSpec<V, RegisterOp<V>, RegisterResult<V>> {
  return {
    name: 'register',
    init: () => initial,
    apply(state, op) {
      switch (op.kind) {
        case 'read':
          return { state, result: state };
        case 'write':
          return { state: op.value, result: 'ok' };
        case 'cas':
          return equalValues(state, op.from) ? { state: op.to, result: true } : { state, result: false };
        default:
          return op satisfies never;
      }
    },
    describe: (op) => (op.kind === 'read' ? 'read()' : op.kind === 'write' ? `write(${show(op.value)})` : `cas(${show(op.from)}, ${show(op.to)})`),
    readOnly: (op) => op.kind === 'read',
  };
}

// ---------------------------------------------------------------------------------------------
// Many registers, one per key (Jepsen's "independent" cas-register): what the cluster workloads
// record. Partitions by key, so each key is checked on its own.

export type KeyedRegisterOp<V> =
  | { readonly kind: 'read'; readonly key: string }
  | { readonly kind: 'write'; readonly key: string; readonly value: V }
  | { readonly kind: 'cas'; readonly key: string; readonly from: V; readonly to: V };

/** Every key starts at `initial`; results are those of registerSpec. */
export function keyedRegisterSpec<V>(initial: V): SequentialSpec<KvState<V>, KeyedRegisterOp<V>, RegisterResult<V>> {
  const valueOf = (state: KvState<V>, key: string): V => (Object.hasOwn(state, key) ? state[key] : initial);
  return {
    name: 'register per key',
    init: () => ({}),
    apply(state, op) {
      const current = valueOf(state, op.key);
      switch (op.kind) {
        case 'read':
          return { state, result: current };
        case 'write':
          return { state: { ...state, [op.key]: op.value }, result: 'ok' };
        case 'cas':
          return equalValues(current, op.from) ? { state: { ...state, [op.key]: op.to }, result: true } : { state, result: false };
        default:
          return op satisfies never;
      }
    },
    partition: (op) => op.key,
    describe: (op) =>
      op.kind === 'read' ? `read(${show(op.key)})` : op.kind === 'write' ? `write(${show(op.key)}, ${show(op.value)})` : `cas(${show(op.key)}, ${show(op.from)}, ${show(op.to)})`,
    readOnly: (op) => op.kind === 'read',
  };
}

// ---------------------------------------------------------------------------------------------
// Key-value map: get and put, independent per key

export type KvOp<V> =
  | { readonly kind: 'get'; readonly key: string }
  | { readonly kind: 'put'; readonly key: string; readonly value: V };

/** get returns the value, or null when the key was never put; put returns 'ok'. */
export type KvResult<V> = V | null | Ack;

export type KvState<V> = Readonly<Record<string, V>>;

/** Partitions by key: each key is an independent register (Porcupine's kv model). */
export function kvSpec<V>(): SequentialSpec<KvState<V>, KvOp<V>, KvResult<V>> {
  return {
    name: 'key-value map',
    init: () => ({}),
    apply(state, op) {
      switch (op.kind) {
        case 'get':
          return { state, result: Object.hasOwn(state, op.key) ? state[op.key] : null };
        case 'put':
          return { state: { ...state, [op.key]: op.value }, result: 'ok' };
        default:
          return op satisfies never;
      }
    },
    partition: (op) => op.key,
    describe: (op) => (op.kind === 'get' ? `get(${show(op.key)})` : `put(${show(op.key)}, ${show(op.value)})`),
    readOnly: (op) => op.kind === 'get',
  };
}

// ---------------------------------------------------------------------------------------------
// FIFO queue

export type QueueOp<V> = { readonly kind: 'enqueue'; readonly value: V } | { readonly kind: 'dequeue' };

/** enqueue returns 'ok'; dequeue returns the oldest value, or null when empty. */
export type QueueResult<V> = V | null | Ack;

export function queueSpec<V>(): SequentialSpec<readonly V[], QueueOp<V>, QueueResult<V>> {
  return {
    name: 'queue',
    init: () => [],
    apply(state, op) {
      switch (op.kind) {
        case 'enqueue':
          return { state: [...state, op.value], result: 'ok' };
        case 'dequeue':
          return state.length === 0 ? { state, result: null } : { state: state.slice(1), result: state[0] };
        default:
          return op satisfies never;
      }
    },
    describe: (op) => (op.kind === 'enqueue' ? `enqueue(${show(op.value)})` : 'dequeue()'),
  };
}

// ---------------------------------------------------------------------------------------------
// Counter

export type CounterOp = { readonly kind: 'add'; readonly by: number } | { readonly kind: 'read' };

/** add returns 'ok'; read returns the total. */
export type CounterResult = number | Ack;

export function counterSpec(): SequentialSpec<number, CounterOp, CounterResult> {
  return {
    name: 'counter',
    init: () => 0,
    apply(state, op) {
      switch (op.kind) {
        case 'add':
          return { state: state + op.by, result: 'ok' };
        case 'read':
          return { state, result: state };
        default:
          return op satisfies never;
      }
    },
    describe: (op) => (op.kind === 'add' ? `add(${op.by})` : 'read()'),
    readOnly: (op) => op.kind === 'read',
  };
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
