// A self-contained HTML timeline of a campaign's history, after Porcupine's visualiser: one lane
// per worker, each operation a bar from invocation to completion (ok, fail, or info — an info
// bar ends when the client gave up, though the operation may take effect at any later time), the
// nemesis's faults as bands, and an anomaly's operations highlighted, with a zoomed view around
// it. No script and no external resource: the file can be attached to a bug report as it is.

import type { CampaignReport, CheckOutcome } from './campaign.ts';
import type { RecordedOperation } from './recorder.ts';

const LANE_H = 22;
const TOP = 40;
const LEFT = 90;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface Window {
  readonly from: number;
  readonly to: number;
  readonly width: number;
}

type Op = RecordedOperation<unknown, unknown>;

function opTitle(report: CampaignReport, op: Op): string {
  const end = op.completedAt === undefined ? 'never completed' : `${op.completedAt.toFixed(1)} ms`;
  const err = op.error === undefined ? '' : ` (${op.error})`;
  return `#${op.id} client ${op.process}${op.node === undefined ? '' : ` on ${op.node}`}: ${report.describe(op)} — ${op.outcome ?? 'info'}${err}; ${op.invokedAt.toFixed(1)} ms → ${end}`;
}

/** The SVG of the operations in `window`; `marks` classes operations (anomaly / context). */
function svgTimeline(report: CampaignReport, window: Window, marks: ReadonlyMap<number, string>, label: string): string {
  const lanes = [...new Set(report.operations.map((op) => op.worker))].sort((a, b) => a - b);
  const scale = window.width / Math.max(1, window.to - window.from);
  const x = (t: number): number => LEFT + (Math.min(Math.max(t, window.from), window.to) - window.from) * scale;
  const height = TOP + lanes.length * LANE_H + 30;
  const parts: string[] = [];
  for (const episode of report.faults) {
    const end = episode.endedAt ?? window.to;
    if (end < window.from || episode.startedAt > window.to) continue;
    const f = episode.fault;
    parts.push(
      `<rect class="fault fault-${f.kind}" x="${x(episode.startedAt).toFixed(1)}" y="${TOP - 18}" width="${Math.max(1, x(end) - x(episode.startedAt)).toFixed(1)}" height="${height - TOP + 8}">` +
        `<title>${esc(`${f.kind} ${f.node}: ${episode.startedAt.toFixed(0)}–${end.toFixed(0)} ms${episode.error ? ` (${episode.error})` : ''}`)}</title></rect>`,
      `<text class="fault-label" x="${(x(episode.startedAt) + 3).toFixed(1)}" y="${TOP - 6}">${esc(`${f.kind} ${f.node}`)}</text>`,
    );
  }
  lanes.forEach((lane, i) => {
    const y = TOP + i * LANE_H;
    const node = report.operations.find((op) => op.worker === lane)?.node;
    const name = lane >= report.options.workers ? 'final reads' : `client ${lane}${node === undefined ? '' : ` (${node})`}`;
    parts.push(`<text class="lane" x="4" y="${y + 15}">${esc(name)}</text><line class="lane-line" x1="${LEFT}" x2="${LEFT + window.width}" y1="${y + LANE_H - 2}" y2="${y + LANE_H - 2}"/>`);
  });
  const laneIndex = new Map(lanes.map((lane, i) => [lane, i]));
  for (const op of report.operations) {
    // An info bar ends when the client gave up; the operation may still take effect later.
    const end = op.completedAt ?? window.to;
    if (end < window.from || op.invokedAt > window.to) continue;
    const y = TOP + laneIndex.get(op.worker)! * LANE_H + 3;
    const mark = marks.get(op.id);
    const cls = `op ${op.outcome ?? 'info'}${mark === undefined ? '' : ` ${mark}`}`;
    const w = Math.max(1, x(end) - x(op.invokedAt));
    parts.push(`<rect class="${cls}" data-op="${op.id}" x="${x(op.invokedAt).toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${LANE_H - 8}"><title>${esc(opTitle(report, op))}</title></rect>`);
  }
  for (let t = Math.ceil(window.from / tickEvery(window)) * tickEvery(window); t <= window.to; t += tickEvery(window)) {
    parts.push(`<text class="tick" x="${x(t).toFixed(1)}" y="${height - 8}">${(t / 1000).toFixed(window.to - window.from < 5000 ? 2 : 0)} s</text>`);
  }
  return `<svg class="timeline" data-label="${esc(label)}" width="${LEFT + window.width + 20}" height="${height}">${parts.join('')}</svg>`;
}

function tickEvery(window: Window): number {
  const span = window.to - window.from;
  const steps = [10, 50, 100, 250, 500, 1000, 2000, 5000, 10_000, 30_000];
  return steps.find((s) => span / s <= 20) ?? 60_000;
}

function marksOf(check: CheckOutcome | undefined): Map<number, string> {
  const marks = new Map<number, string>();
  for (const id of check?.context ?? []) marks.set(id, 'context');
  for (const id of check?.anomaly ?? []) marks.set(id, 'anomaly');
  return marks;
}

const STYLE = `
body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; } h2 { font-size: 15px; margin-top: 24px; }
.scroll { overflow-x: auto; border: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: left; }
.verdict-ok { color: #1a7f37; font-weight: 600; } .verdict-violation { color: #c62828; font-weight: 600; } .verdict-unknown { color: #9a6700; font-weight: 600; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
.op.ok { fill: #4a90d9; } .op.fail { fill: #bbb; } .op.info { fill: #f2c94c; }
.op.context { fill: #f39c12; fill-opacity: 1; } .op.anomaly { fill: #e53935; fill-opacity: 1; stroke: #7f0000; stroke-width: 1.5; }
.fault { fill-opacity: 0.12; } .fault-kill { fill: #c62828; } .fault-pause { fill: #6a1b9a; } .fault-partition { fill: #ef6c00; }
.lane-line { stroke: #eee; }
`;

/** The whole page: summary, verdicts, the full timeline, and a zoom around each anomaly. */
export function renderTimeline(report: CampaignReport): string {
  const o = report.options;
  const end = Math.max(1, ...report.operations.map((op) => op.completedAt ?? op.invokedAt));
  const failing = report.checks.find((c) => c.kind === 'violation');
  const marks = marksOf(failing);
  const full = svgTimeline(report, { from: 0, to: end, width: Math.min(6000, Math.max(1200, end / 10)) }, marks, 'full');
  const rows = report.checks
    .map((c) => `<tr><td>${esc(c.name)}${c.promised === false ? ` <i>(not promised by ${esc(o.system)})</i>` : ''}</td><td class="verdict-${c.kind}">${c.kind}</td><td>${c.operations}</td><td>${c.ms.toFixed(0)} ms</td><td>${esc(c.explanation ?? '')}</td></tr>`)
    .join('');
  let zoom = '';
  if (failing !== undefined && failing.anomaly.length > 0) {
    const involved = report.operations.filter((op) => marks.has(op.id));
    const from = Math.max(0, Math.min(...involved.map((op) => op.invokedAt)) - 300);
    const to = Math.min(end, Math.max(...involved.map((op) => op.completedAt ?? op.invokedAt)) + 300);
    const list = involved.map((op) => `<li class="${marks.get(op.id)}">${esc(opTitle(report, op))}</li>`).join('');
    zoom = `<h2 id="anomaly">Anomaly: ${esc(failing.name)}</h2><p>${esc(failing.explanation ?? '')}</p><ul>${list}</ul>` +
      `<div class="scroll">${svgTimeline(report, { from, to, width: 1200 }, marks, 'anomaly')}</div>`;
  }
  const faults = report.faults.map((f) => `<li>${esc(`${f.fault.kind} ${f.fault.node}: ${(f.startedAt / 1000).toFixed(1)}–${((f.endedAt ?? end) / 1000).toFixed(1)} s`)}</li>`).join('');
  const title = `${o.system} ${o.workload}${o.reads ? ` (${o.reads} reads)` : ''}, seed ${o.seed}`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head><body>` +
    `<h1>${esc(title)}</h1><p>${report.nodes.length} nodes, ${o.workers} clients, ${report.operations.length} operations, ` +
    `nemesis ${esc(o.nemesis.join(',') || 'none')}; ${(report.durations.totalMs / 1000).toFixed(1)} s in all.</p>` +
    `<table><tr><th>check</th><th>verdict</th><th>operations</th><th>time</th><th>explanation</th></tr>${rows}</table>` +
    `<h2>Faults</h2><ul>${faults || '<li>none</li>'}</ul>${zoom}<h2>Timeline</h2><div class="scroll">${full}</div></body></html>\n`;
}
