// Terminal rendering of runs: each step's label in protocol words, then what it changed in the
// state ("rmState[1]: working -> prepared", "msgs: +{type:Commit}"), so a reader follows the
// story without reading whole states.

import type { NodeSlot } from '../core/actors.ts';
import { canonicalJson, compareValues } from '../core/data.ts';

/** Compact, JSON-like text of a value: {type:Prepared,rm:0}. */
export function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(show).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${k}:${show((value as Record<string, unknown>)[k])}`);
    return `{${fields.join(',')}}`;
  }
  return String(value);
}

/** What a diff needs to know about the whole run: the places where an array is indexed by
 * position. A place is a path with its indices left out (`nodes[].state.votes`), so the arrays
 * of every node and every state of the run are judged together. */
export interface RunLayout {
  readonly positional: ReadonlySet<string>;
}

/** The layout of a run, from all its states. How an array is diffed:
 * - By position (`votes[2]: null -> yes`) when its place has one length in every state of the
 *   run: an array with a slot per node, per client or per RM (`nodes`, `clients`, `rmState`,
 *   `aState[0]`) is built at that length and never grows or shrinks.
 * - As a multiset otherwise: elements removed (delivered, dropped, cancelled) and added (sent,
 *   armed, appended), never element by element. A canonical set or multiset is a sorted array
 *   (`network`, `msgs`, `timers`, `promises`), so one delivery that sends a message can put a
 *   different message at the same index; comparing by index would read as a message that
 *   mutated (`network[0].msg.type: StartView -> Request`). A log (`history`) only grows, so it
 *   shows its appended events.
 * Within a single step the multiset rule also applies whenever the length changed. A collection
 * that keeps one length through a whole run is diffed by position: true of its slots, but less
 * telling; runs long enough to matter (any delivery that sends nothing) show it varying. */
export function runLayout(states: readonly unknown[]): RunLayout {
  const lengths = new Map<string, number>(); // -1: the length varies
  const visit = (value: unknown, place: string): void => {
    if (Array.isArray(value)) {
      const seen = lengths.get(place);
      lengths.set(place, seen === undefined || seen === value.length ? value.length : -1);
      for (const x of value) visit(x, `${place}[]`);
    } else if (isRecord(value)) {
      for (const k of Object.keys(value)) visit(value[k], place === '' ? k : `${place}.${k}`);
    }
  };
  for (const s of states) visit(s, '');
  return { positional: new Set([...lengths].filter(([, n]) => n >= 0).map(([place]) => place)) };
}

/** The differences between two states as "path: old -> new" lines, one line per path. Arrays
 * follow `layout` (see runLayout; by default learnt from these two states alone). */
export function diffStates(before: unknown, after: unknown, layout: RunLayout = runLayout([before, after])): string[] {
  return diffAt(before, after, '', layout);
}

function diffAt(before: unknown, after: unknown, path: string, layout: RunLayout): string[] {
  if (compareValues(before, after) === 0) return [];
  if (Array.isArray(before) && Array.isArray(after)) return diffArrays(before, after, path, layout);
  if (isNodeSlot(before) && isNodeSlot(after)) return diffNodeSlots(before, after, path, layout);
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffAt(before[k], after[k], join(path, k), layout));
  }
  return [`${path || 'state'}: ${show(before)} -> ${show(after)}`];
}

function diffArrays(before: readonly unknown[], after: readonly unknown[], path: string, layout: RunLayout): string[] {
  const byPosition = () => before.flatMap((b, i) => diffAt(b, after[i], `${path}[${i}]`, layout));
  if (before.length === after.length && layout.positional.has(placeOf(path))) return byPosition();
  const { added, removed } = multisetDiff(before, after);
  // Same elements in another order (a queue reordered): only positions tell what changed.
  if (added.length + removed.length === 0) return byPosition();
  return [`${path || 'state'}: ${[...added.map((x) => `+${show(x)}`), ...removed.map((x) => `-${show(x)}`)].join(' ')}`];
}

/** Elements of `after` not matched by one of `before`, and the reverse, counting copies: a
 * duplicated message or a repeated history event is one more element, not none. Each list
 * keeps its array's order. */
export function multisetDiff(before: readonly unknown[], after: readonly unknown[]): { added: unknown[]; removed: unknown[] } {
  const unmatched = new Map<string, number>();
  for (const x of before) unmatched.set(canonicalJson(x), (unmatched.get(canonicalJson(x)) ?? 0) + 1);
  const added = after.filter((x) => !take(unmatched, canonicalJson(x)));
  const removed = before.filter((x) => take(unmatched, canonicalJson(x)));
  return { added, removed };
}

/** Takes one copy of `key` from the counts; whether there was one. */
function take(counts: Map<string, number>, key: string): boolean {
  const n = counts.get(key) ?? 0;
  if (n > 0) counts.set(key, n - 1);
  return n > 0;
}

type Slot = NodeSlot<unknown, unknown>;

/** A node of an actor system (src/core/actors.ts NodeSlot): its volatile state, its durable
 * record and its timers. A trace file leaves out `state` and `durable` while undefined. */
function isNodeSlot(v: unknown): v is Slot {
  return isRecord(v) && Array.isArray(v.timers) && Object.keys(v).every((k) => SLOT_KEYS.has(k));
}

const SLOT_KEYS: ReadonlySet<string> = new Set(['state', 'durable', 'timers']);

/** A node's volatile state, then what it persisted, then its timers. A handler that persists
 * its state changes `state` and `durable` alike; the durable copy is then named, not shown
 * again (`nodes[1].durable: persisted status`). */
function diffNodeSlots(before: Slot, after: Slot, path: string, layout: RunLayout): string[] {
  return [
    ...diffAt(before.state, after.state, join(path, 'state'), layout),
    ...diffDurable(before, after, join(path, 'durable'), layout),
    ...diffAt(before.timers, after.timers, join(path, 'timers'), layout),
  ];
}

/** A durable field is a copy of the volatile one when it equals it after the step and did
 * before (or nothing was persisted before): its change is the one printed for `state`. Other
 * durable changes (a coordinator's decision record, a stale copy caught up) are printed. */
function diffDurable(before: Slot, after: Slot, path: string, layout: RunLayout): string[] {
  const was = before.durable;
  const now = after.durable;
  const state = after.state;
  if (compareValues(was, now) === 0) return [];
  if (!isRecord(now) || !isRecord(state) || !(was === undefined || isRecord(was))) return diffAt(was, now, path, layout);
  const old: Record<string, unknown> = was ?? {};
  const volatile = isRecord(before.state) ? before.state : {};
  const changed = [...new Set([...Object.keys(old), ...Object.keys(now)])].filter((k) => compareValues(old[k], now[k]) !== 0).sort();
  const copied = (k: string) =>
    compareValues(now[k], state[k]) === 0 && (was === undefined || compareValues(old[k], volatile[k]) === 0);
  const persisted = changed.filter(copied);
  if (persisted.length === 0) return diffAt(was, now, path, layout);
  const others = changed.filter((k) => !copied(k)).flatMap((k) => diffAt(old[k], now[k], join(path, k), layout));
  return [`${path}: persisted ${persisted.join(', ')}`, ...others];
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** `nodes[1].timers` -> `nodes[].timers`: the place of a path in every node and state. */
function placeOf(path: string): string {
  return path.replace(/\[\d+\]/g, '[]');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface RenderableStep {
  readonly label: string;
  readonly state: unknown;
}

/** A numbered listing of a run with the changes each step made. */
export function renderSteps(initial: unknown, steps: readonly RenderableStep[], indent = '  '): string {
  const lines: string[] = [`${indent}0. initial state ${show(initial)}`];
  const layout = runLayout([initial, ...steps.map((s) => s.state)]);
  let prev = initial;
  steps.forEach((step, i) => {
    lines.push(`${indent}${i + 1}. ${step.label}`);
    for (const change of diffStates(prev, step.state, layout)) lines.push(`${indent}     ${change}`);
    prev = step.state;
  });
  return lines.join('\n');
}
