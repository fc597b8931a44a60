import { describe, expect, it } from 'vitest';
import { loadTrace } from '../src/trace/trace.ts';
import { renderChart } from '../src/render/chart.ts';
import { renderHtmlChart } from '../src/render/html.ts';
import { join } from 'node:path';

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
