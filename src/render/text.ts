// Terminal rendering of runs: each step's label in protocol words, then what it changed in the
// state ("rmState[1]: working -> prepared", "msgs: +{type:Commit}"), so a reader follows the
// story without reading whole states.

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

/** The differences between two states as "path: old -> new" lines. Arrays of equal length are
 * compared element by element; arrays whose length changed are shown as sets of added and
 * removed elements (the canonical form of a set is a sorted array). */
export function diffStates(before: unknown, after: unknown, path = ''): string[] {
  if (compareValues(before, after) === 0) return [];
  if (Array.isArray(before) && Array.isArray(after)) {
    // Element by element when at most one element changed in place (a node's slot, a vote);
    // otherwise as a set of added and removed elements (a sorted message set shifts).
    const changed = before.length === after.length ? before.filter((b, i) => compareValues(b, after[i]) !== 0).length : Infinity;
    if (changed <= 1 || (before.length === after.length && !before.some((x) => x !== null && typeof x === 'object'))) {
      return before.flatMap((b, i) => diffStates(b, after[i], `${path}[${i}]`));
    }
    const was = new Set(before.map((x) => canonicalJson(x)));
    const now = new Set(after.map((x) => canonicalJson(x)));
    const added = after.filter((x) => !was.has(canonicalJson(x))).map((x) => `+${show(x)}`);
    const removed = before.filter((x) => !now.has(canonicalJson(x))).map((x) => `-${show(x)}`);
    return [`${path || 'state'}: ${[...added, ...removed].join(' ')}`];
  }
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffStates(before[k], after[k], path === '' ? k : `${path}.${k}`));
  }
  return [`${path || 'state'}: ${show(before)} -> ${show(after)}`];
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
  let prev = initial;
  steps.forEach((step, i) => {
    lines.push(`${indent}${i + 1}. ${step.label}`);
    for (const change of diffStates(prev, step.state)) lines.push(`${indent}     ${change}`);
    prev = step.state;
  });
  return lines.join('\n');
}
