// A self-contained HTML page with an SVG message sequence chart of an actor-system run: one
// lifeline per node, an arrow per delivered message, local events (votes, timeouts, crashes)
// as tags on their node's line, partitions as bands across the chart. Each row's tooltip and
// the table under the chart show what the step changed in the state. No script, no external
// resource: the file can be attached to a bug report as it is.

import { diffStates, runLayout } from './text.ts';
import { eventNode, isSystemAction } from './chart.ts';
import type { ClientLanes, ClientMessage } from '../core/model.ts';

export interface HtmlChartInput {
  readonly title: string;
  readonly subtitle?: string;
  readonly nodeIds: readonly string[];
  /** The model's client lanes (Model.clientLanes): drawn left of the nodes, with requests and
   * answers as arrows. */
  readonly clientLanes?: ClientLanes<unknown, unknown>;
  readonly init: unknown;
  readonly steps: readonly { readonly label: string; readonly action: unknown; readonly state: unknown }[];
  readonly cycleStart?: number;
  readonly outcome?: string;
}

const LANE = 150;
const ROW = 34;
const TOP = 50;
const LEFT = 60;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function laneX(nodeIds: readonly string[], id: string): number {
  return LEFT + Math.max(0, nodeIds.indexOf(id)) * LANE;
}

/** A client message as an arrow at row y: a request from the client's lane, an answer back. */
function clientArrow(m: ClientMessage, y: number, lanes: readonly string[], tip: string): string {
  const [from, to] = m.direction === 'request' ? [m.client, m.node] : [m.node, m.client];
  const x1 = laneX(lanes, from);
  const x2 = laneX(lanes, to);
  return (
    `<g class="client"><title>${esc(tip)}</title><line x1="${x1}" y1="${y - 8}" x2="${x2}" y2="${y + 8}" marker-end="url(#arrow)"/>` +
    `<text x="${(x1 + x2) / 2}" y="${y - 6}" text-anchor="middle">${esc(m.text)}</text></g>`
  );
}

/** The SVG elements of one step at row y. */
function stepSvg(a: unknown, label: string, y: number, nodeIds: readonly string[], width: number, tip: string): string {
  const x = (id: string) => laneX(nodeIds, id);
  const title = `<title>${esc(tip)}</title>`;
  if (!isSystemAction(a)) return `<text x="${LEFT}" y="${y + 4}">${esc(label)}${title}</text>`;
  if (a.kind === 'deliver') {
    const x1 = x(a.envelope.from);
    const x2 = x(a.envelope.to);
    const text = label.replace(/^\S+->\S+\s+/, '');
    return (
      `<g class="msg">${title}<line x1="${x1}" y1="${y - 8}" x2="${x2}" y2="${y + 8}" marker-end="url(#arrow)"/>` +
      `<text x="${(x1 + x2) / 2}" y="${y - 6}" text-anchor="middle">${esc(text)}</text></g>`
    );
  }
  if (a.kind === 'partition' || a.kind === 'heal') {
    return `<g class="${a.kind}">${title}<rect x="${LEFT - 30}" y="${y - 10}" width="${width}" height="20"/><text x="${LEFT - 24}" y="${y + 4}">${esc(label)}</text></g>`;
  }
  const node = eventNode(a, nodeIds);
  const cls = a.kind === 'crash' ? 'crash' : a.kind === 'restart' ? 'restart' : a.kind === 'drop' ? 'fault' : 'local';
  const cx = node === undefined ? LEFT : x(node);
  return `<g class="${cls}">${title}<rect x="${cx + 6}" y="${y - 10}" width="${Math.min(8 * label.length + 10, LANE * 1.6)}" height="20" rx="4"/><text x="${cx + 12}" y="${y + 4}">${esc(label)}</text></g>`;
}

/** The page. */
export function renderHtmlChart(input: HtmlChartInput): string {
  const { steps } = input;
  const clientIds = input.clientLanes?.ids ?? [];
  const lanes = [...clientIds, ...input.nodeIds];
  // Each step's client messages: a request step draws its request in its own row, other
  // messages (answers) get a row each under the step.
  let before = input.init;
  const messages = steps.map((step) => {
    const ms = input.clientLanes === undefined ? [] : input.clientLanes.messages(before, step.action, step.state);
    before = step.state;
    return ms;
  });
  const ownRow = (i: number) => isSystemAction(steps[i].action) && steps[i].action.kind === 'request' && messages[i][0]?.direction === 'request';
  const extraRows = (i: number) => messages[i].length - (ownRow(i) ? 1 : 0);
  const rowCount = steps.reduce((n, _, i) => n + 1 + extraRows(i), 0);
  const width = LEFT + lanes.length * LANE + 120;
  const height = TOP + (rowCount + 1) * ROW + 20;
  const x = (id: string) => laneX(lanes, id);
  const parts: string[] = [];
  lanes.forEach((id) => {
    parts.push(`<text class="node" x="${x(id)}" y="${TOP - 20}" text-anchor="middle">${esc(id)}</text>`);
    parts.push(`<line class="life" x1="${x(id)}" y1="${TOP - 10}" x2="${x(id)}" y2="${height - 10}"/>`);
  });
  const layout = runLayout([input.init, ...steps.map((s) => s.state)]);
  let prev = input.init;
  const rows: string[] = [];
  let row = 0;
  steps.forEach((step, i) => {
    row++;
    const y = TOP + row * ROW;
    const changes = diffStates(prev, step.state, layout);
    prev = step.state;
    if (i === input.cycleStart) {
      parts.push(`<line class="cycle" x1="${LEFT - 50}" y1="${y - ROW / 2}" x2="${width - 10}" y2="${y - ROW / 2}"/>`);
      parts.push(`<text class="cycle-label" x="${width - 12}" y="${y - ROW / 2 - 4}" text-anchor="end">cycle starts</text>`);
    }
    const tip = `${i + 1}. ${step.label}\n${changes.join('\n')}`;
    parts.push(`<text class="num" x="8" y="${y + 4}">${i + 1}</text>`);
    const own = ownRow(i);
    parts.push(own ? clientArrow(messages[i][0], y, lanes, tip) : stepSvg(step.action, step.label, y, lanes, width - LEFT, tip));
    for (const m of own ? messages[i].slice(1) : messages[i]) {
      row++;
      parts.push(clientArrow(m, TOP + row * ROW, lanes, tip));
    }
    rows.push(`<tr><td>${i + 1}</td><td>${esc(step.label)}</td><td><pre>${esc(changes.join('\n'))}</pre></td></tr>`);
  });
  const fill: Record<string, string> = {
    TITLE: esc(input.title),
    SUBTITLE: esc(input.subtitle ?? ''),
    OUTCOME: esc(input.outcome ?? ''),
    SVG: `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${DEFS}${parts.join('')}</svg>`,
    ROWS: rows.join('\n'),
  };
  // A function replacer: the filled-in text is taken literally (no "$&" patterns).
  return PAGE.replace(/\b(TITLE|SUBTITLE|OUTCOME|SVG|ROWS)\b/g, (key) => fill[key]);
}

const DEFS =
  '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
  '<path d="M 0 0 L 10 5 L 0 10 z"/></marker></defs>';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TITLE</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 18px; margin: 0 0 4px; } p { margin: 4px 0 16px; color: #555; }
svg text { font: 12px ui-monospace, monospace; }
.node { font-weight: bold; } .life { stroke: #999; stroke-dasharray: 4 3; }
.msg line { stroke: #1f5fbf; stroke-width: 1.5; } marker path { fill: #1f5fbf; }
.client line { stroke: #7a3fb0; stroke-width: 1.5; }
.local rect { fill: #eef3e8; stroke: #6a8f4e; } .crash rect { fill: #fbe3e3; stroke: #c0392b; }
.restart rect { fill: #e3f0fb; stroke: #2c7fb8; } .fault rect { fill: #fff4d6; stroke: #c99a06; }
.partition rect { fill: #fde8d0; stroke: #d35400; stroke-dasharray: 6 3; } .heal rect { fill: #e8f6ec; stroke: #27ae60; }
.cycle { stroke: #8e44ad; stroke-width: 2; stroke-dasharray: 8 4; } .cycle-label { fill: #8e44ad; } .num { fill: #888; }
table { border-collapse: collapse; margin-top: 20px; } td { border-top: 1px solid #ddd; padding: 4px 8px; vertical-align: top; }
pre { margin: 0; font-size: 12px; }
</style></head>
<body><h1>TITLE</h1><p>SUBTITLE</p><p><b>OUTCOME</b></p>
SVG
<table><tr><th>#</th><th>step</th><th>what changed</th></tr>
ROWS
</table></body></html>
`;
