// A message sequence chart of an actor-system run, in the terminal: one column per node, time
// going down, a delivered message as an arrow from its sender's column to its receiver's, and
// local events (a vote, a timeout, a crash) written in the node's own column.

import type { SystemAction } from '../core/actors.ts';

const COLUMN = 16;

interface ChartStep {
  readonly label: string;
  readonly action: unknown;
}

function isSystemAction(a: unknown): a is SystemAction<unknown> {
  return typeof a === 'object' && a !== null && typeof (a as { kind?: unknown }).kind === 'string';
}

/** Renders the steps of a run of an actor system with the given node ids. Steps whose actions
 * are not actor-system actions are written as plain lines. */
export function renderChart(nodeIds: readonly string[], steps: readonly ChartStep[], cycleStart?: number): string {
  const width = nodeIds.length * COLUMN;
  const col = (id: string) => nodeIds.indexOf(id) * COLUMN + Math.floor(COLUMN / 2);
  const rail = () => {
    const line = Array(width).fill(' ');
    for (const id of nodeIds) line[col(id)] = '|';
    return line;
  };
  const header = nodeIds.map((id) => id.padStart(Math.floor(COLUMN / 2) + Math.ceil(id.length / 2)).padEnd(COLUMN)).join('');
  const out = [`      ${header.trimEnd()}`];
  steps.forEach((step, i) => {
    if (i === cycleStart) out.push(`      ${'~'.repeat(3)} the cycle starts here and returns to this state ${'~'.repeat(3)}`);
    const line = rail();
    const a = step.action;
    const n = String(i + 1).padStart(4);
    if (!isSystemAction(a)) {
      out.push(`${n}  ${step.label}`);
      return;
    }
    if (a.kind === 'deliver') {
      drawArrow(line, col(a.envelope.from), col(a.envelope.to), messageText(step.label));
    } else if (a.kind === 'partition' || a.kind === 'heal') {
      out.push(`${n}  ${'='.repeat(3)} ${step.label} ${'='.repeat(3)}`);
      return;
    } else {
      const node = 'node' in a ? a.node : 'envelope' in a ? a.envelope.from : undefined;
      const text = a.kind === 'crash' ? 'X crash' : a.kind === 'restart' ? '^ restart' : `[${localText(step.label, node)}]`;
      if (node !== undefined && nodeIds.includes(node)) write(line, col(node) + 1, ` ${text}`);
      else out.push(`${n}  ${step.label}`);
    }
    out.push(`${n}  ${line.join('').trimEnd()}`);
  });
  return out.join('\n');
}

/** "p1->coord Vote yes" -> "Vote yes"; "drop coord->p2 PreCommit" -> "drop PreCommit". */
function messageText(label: string): string {
  return label.replace(/^\S+->\S+\s+/, '');
}

function localText(label: string, node: string | undefined): string {
  if (node === undefined) return label;
  return label.replace(new RegExp(`(^|\\s)${node}(\\s|$)`), ' ').replace(/\s+/g, ' ').trim() || label;
}

function drawArrow(line: string[], from: number, to: number, text: string): void {
  if (from === to) {
    write(line, from + 1, ` <- ${text}`);
    return;
  }
  const [lo, hi] = from < to ? [from, to] : [to, from];
  for (let x = lo + 1; x < hi; x++) line[x] = '-';
  if (from < to) line[hi - 1] = '>';
  else line[lo + 1] = '<';
  const room = hi - lo - 3;
  const label = text.length > room ? text.slice(0, Math.max(0, room)) : text;
  const start = lo + 2 + Math.floor((room - label.length) / 2);
  write(line, start, label);
}

function write(line: string[], at: number, text: string): void {
  for (let k = 0; k < text.length; k++) {
    if (at + k < line.length) line[at + k] = text[k];
    else line.push(text[k]);
  }
}
