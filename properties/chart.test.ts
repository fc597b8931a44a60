import { describe, expect, it } from 'vitest';
import { loadTrace } from '../src/trace/trace.ts';
import { renderChart } from '../src/render/chart.ts';
import { renderHtmlChart } from '../src/render/html.ts';
import { buildRegistered } from '../src/verify/index.ts';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const traces = join(import.meta.dirname, '..', 'traces');
const traceFiles = readdirSync(traces, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json')).sort();

describe('message sequence charts', () => {
  it('draws the 3PC partition counterexample with one column per node, arrows for messages and local events in place', () => {
    const trace = loadTrace(join(import.meta.dirname, '..', 'traces', 'threepc', 'default-atomicity.json'));
    const chart = renderChart(['coord', 'p1', 'p2', 'p3'], trace.steps).split('\n');
    expect(chart[0].trim().split(/\s+/)).toEqual(['coord', 'p1', 'p2', 'p3']);
    expect(chart[1]).toBe('   1          |---CanCommit-->|               |               |');
    expect(chart[5]).toBe('   5          |<--Vote yes----|               |               |');
    expect(chart[11]).toBe('  11  === partition {coord} | {p1,p2,p3} ===');
    expect(chart[12]).toContain('| [timeout docommit-wait]');
  });

  it('every arrow in the charts of the saved traces shows its whole message, or its start and an ellipsis', () => {
    let cut = 0;
    for (const file of traceFiles) {
      const trace = loadTrace(join(traces, file));
      const nodeIds = buildRegistered(trace.model, trace.variant, trace.params).nodeIds;
      if (nodeIds === undefined) continue;
      const rows = renderChart(nodeIds, trace.steps).split('\n').slice(1);
      expect(rows, file).toHaveLength(trace.steps.length);
      trace.steps.forEach((step, i) => {
        if ((step.action as { kind?: string }).kind !== 'deliver') return;
        const text = step.label.replace(/^\S+->\S+\s+/, '');
        if (rows[i].includes(text)) return;
        cut++;
        expect(rows[i], `${file} step ${i + 1}`).toContain(`${text.slice(0, 8)}`);
        expect(rows[i].slice(rows[i].indexOf(text.slice(0, 8))), `${file} step ${i + 1}`).toMatch(/^[^|]*…[->]*\|/);
      });
    }
    expect(cut).toBeGreaterThan(0); // the paxos charts have messages longer than a lane
  });
});

describe('HTML sequence charts', () => {
  it('writes a self-contained page with one lifeline per node, an arrow per message and the cycle marked', () => {
    const trace = loadTrace(join(import.meta.dirname, '..', 'traces', 'threepc', 'default-atomicity.json'));
    const page = renderHtmlChart({
      title: 'threepc <default>',
      nodeIds: ['coord', 'p1', 'p2', 'p3'],
      init: trace.initialState,
      steps: trace.steps.map((s) => ({ label: s.label, action: s.action, state: s.state })),
      cycleStart: 3,
    });
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain('<title>threepc &lt;default&gt;</title>');
    expect(page.match(/class="life"/g)).toHaveLength(4);
    expect(page.match(/<g class="msg">/g)).toHaveLength(7); // 3 CanCommit, 3 Vote, 1 PreCommit
    expect(page).toContain('<g class="partition">');
    expect(page).toContain('cycle starts');
    expect(page).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });
});
