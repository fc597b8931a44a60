// A message sequence chart of an actor-system run, in the terminal: one column per node, time
// going down, a delivered message as an arrow from its sender's column to its receiver's, and
// local events (a vote, a timeout, a crash) written in the node's own column.

import type { SystemAction } from '../core/actors.ts';
import type { ClientLanes } from '../core/model.ts';

const COLUMN = 16;

interface ChartStep {
  readonly label: string;
  readonly action: unknown;
}

const SYSTEM_KINDS: ReadonlySet<string> = new Set<SystemAction<unknown>['kind']>([
  'deliver', 'timeout', 'internal', 'oracle', 'request', 'client-timeout', 'tick', 'drop', 'duplicate', 'crash', 'restart', 'partition', 'heal',
]);

export function isSystemAction(a: unknown): a is SystemAction<unknown> {
  return typeof a === 'object' && a !== null && SYSTEM_KINDS.has((a as { kind?: unknown }).kind as string);
}

/** The lane that shows a local event: the node that acts, the sender of a dropped or
 * duplicated message, the node a client request goes to, the client that times out.
 * Undefined when no lane fits. */
export function eventNode(a: SystemAction<unknown>, nodeIds: readonly string[]): string | undefined {
  const node = 'node' in a ? a.node : 'envelope' in a ? a.envelope.from : a.kind === 'request' ? a.to : 'client' in a ? `client${a.client}` : undefined;
  return node !== undefined && nodeIds.includes(node) ? node : undefined;
}

/** The clients of a run, for their lanes: the model's client lanes, and the run's states
 * (`states[0]` the initial state, `states[i]` the state after step i). */
export interface ChartClients {
  readonly lanes: ClientLanes<unknown, unknown>;
  readonly states: readonly unknown[];
}

/** Renders the steps of a run of an actor system with the given node ids, one line per step.
 * Steps whose actions are not actor-system actions, or name no node of the chart, are written
 * as plain lines. With `clients`, each client gets a lane left of the nodes': a request is an
 * arrow from the client to the node it goes to, and an answer (a reply, a failure, a
 * redirect) an arrow back, on an unnumbered line under the step that sent it. */
export function renderChart(nodeIds: readonly string[], steps: readonly ChartStep[], cycleStart?: number, clients?: ChartClients): string {
  const withClients = clients !== undefined && clients.lanes.ids.length > 0 && clients.states.length === steps.length + 1;
  const lanes = withClients ? [...clients.lanes.ids, ...nodeIds] : nodeIds;
  const header = lanes.map((id) => id.padStart(Math.floor(COLUMN / 2) + Math.ceil(id.length / 2)).padEnd(COLUMN)).join('');
  const out = [`      ${header.trimEnd()}`];
  steps.forEach((step, i) => {
    if (i === cycleStart) out.push(`      ${'~'.repeat(3)} the cycle starts here and returns to this state ${'~'.repeat(3)}`);
    const messages = withClients ? clients.lanes.messages(clients.states[i], step.action, clients.states[i + 1]) : [];
    // A request step draws its request as the step's own line.
    const first = isSystemAction(step.action) && step.action.kind === 'request' && messages[0]?.direction === 'request' ? messages[0] : undefined;
    out.push(`${String(i + 1).padStart(4)}  ${first === undefined ? row(lanes, step) : arrowRow(lanes, first.client, first.node, first.text)}`);
    for (const m of first === undefined ? messages : messages.slice(1)) {
      out.push(`      ${m.direction === 'request' ? arrowRow(lanes, m.client, m.node, m.text) : arrowRow(lanes, m.node, m.client, m.text)}`);
    }
  });
  return out.join('\n');
}

/** The chart of a run of `model` (its nodes' lanes, and its clients' when it has clients), or
 * undefined for a model that is not an actor system. `states[0]` is the initial state and
 * `states[i]` the state after step i. */
export function renderRunChart(
  model: { readonly nodeIds?: readonly string[]; readonly clientLanes?: ClientLanes<never, never> },
  states: readonly unknown[],
  steps: readonly ChartStep[],
  cycleStart?: number,
): string | undefined {
  if (model.nodeIds === undefined) return undefined;
  const lanes = model.clientLanes as ClientLanes<unknown, unknown> | undefined;
  return renderChart(model.nodeIds, steps, cycleStart, lanes === undefined ? undefined : { lanes, states });
}

/** A line with lifelines and one arrow. */
function arrowRow(lanes: readonly string[], from: string, to: string, text: string): string {
  const col = (id: string) => lanes.indexOf(id) * COLUMN + Math.floor(COLUMN / 2);
  const line = Array(lanes.length * COLUMN).fill(' ');
  for (const id of lanes) line[col(id)] = '|';
  if (!lanes.includes(from) || !lanes.includes(to)) return `${from}->${to} ${text}`;
  drawArrow(line, col(from), col(to), text);
  return line.join('').trimEnd();
}

/** The chart's line for one step, without its number. */
function row(nodeIds: readonly string[], step: ChartStep): string {
  const col = (id: string) => nodeIds.indexOf(id) * COLUMN + Math.floor(COLUMN / 2);
  const line = Array(nodeIds.length * COLUMN).fill(' ');
  for (const id of nodeIds) line[col(id)] = '|';
  const a = step.action;
  if (!isSystemAction(a)) return step.label;
  if (a.kind === 'tick' && a.node === undefined) return `${'.'.repeat(3)} ${step.label} ${'.'.repeat(3)}`;
  if (a.kind === 'partition' || a.kind === 'heal') return `${'='.repeat(3)} ${step.label} ${'='.repeat(3)}`;
  if (a.kind === 'deliver') {
    const { from, to } = a.envelope;
    if (!nodeIds.includes(from) || !nodeIds.includes(to)) return step.label;
    drawArrow(line, col(from), col(to), messageText(step.label));
  } else {
    const node = eventNode(a, nodeIds);
    if (node === undefined) return step.label;
    const text = a.kind === 'crash' ? 'X crash' : a.kind === 'restart' ? '^ restart' : `[${localText(step.label, node)}]`;
    write(line, col(node) + 1, ` ${text}`);
  }
  return line.join('').trimEnd();
}

/** A delivery's label without its sender and receiver: "p1->coord Vote yes" -> "Vote yes". */
function messageText(label: string): string {
  return label.replace(/^\S+->\S+\s+/, '');
}

/** The label without the node whose column it is written in: "timeout p1 retry" -> "timeout
 * retry", "client0->primary request" -> "client0 request". */
function localText(label: string, node: string): string {
  return label.replace(new RegExp(`(^|\\s|->)${escapeRegExp(node)}(\\s|$)`), ' ').replace(/\s+/g, ' ').trim() || label;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `text` cut to `room` characters, ending in an ellipsis when cut, so a reader knows: never
 * cut silently, not even to nothing. */
export function fitLabel(text: string, room: number): string {
  return text.length <= room ? text : `${text.slice(0, Math.max(0, room - 1))}…`;
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
  // Adjacent columns leave COLUMN - 3 characters between the arrow's ends, so room >= 1.
  const room = hi - lo - 3;
  const label = fitLabel(text, room);
  const start = lo + 2 + Math.floor((room - label.length) / 2);
  write(line, start, label);
}

function write(line: string[], at: number, text: string): void {
  for (let k = 0; k < text.length; k++) {
    if (at + k < line.length) line[at + k] = text[k];
    else line.push(text[k]);
  }
}
