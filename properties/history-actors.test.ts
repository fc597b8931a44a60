import { describe, expect, it } from 'vitest';
import { explore } from '../src/explore/explore.ts';
import { registerModel } from './fixtures/register.ts';

describe('histories recorded by actor systems', () => {
  it('a primary that acks writes after the backup has them is linearizable in every reachable state', () => {
    const r = explore(registerModel(false));
    expect(r.status).toBe('holds');
    expect(r.witnesses[0].reached).toBe(true);
  });

  it('acking a write before replication lets the backup serve a stale read: not linearizable, found by BFS', () => {
    const r = explore(registerModel(true));
    expect(r.status).toBe('violation');
    const v = r.violations[0];
    expect(v.property).toBe('Linearizable');
    expect(v.run.steps.map((s) => s.label)).toEqual(['client0->primary request', 'client1->backup request']);
    expect(v.message).toMatch(/^read\(\) by client 1 returned 0/);
  });
});
