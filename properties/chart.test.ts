import { describe, expect, it } from 'vitest';
import { loadTrace } from '../src/trace/trace.ts';
import { renderChart } from '../src/render/chart.ts';
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
