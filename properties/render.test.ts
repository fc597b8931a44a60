// How runs read as text: what each step changed (src/render/text.ts) and the terminal sequence
// chart (src/render/chart.ts), on small hand-made actor-system states. Issue 10, "charts and
// text": sets diffed as sets, a persisted field printed once, no line printed twice, no label
// cut without a marker, the same bytes every time.

import { describe, expect } from 'vitest';
import fc from 'fast-check';
import { it } from '@fast-check/vitest';
import { diffStates, renderSteps, runLayout } from '../src/render/text.ts';
import { fitLabel, renderChart } from '../src/render/chart.ts';

const msg = (from: string, to: string, type: string, extra: Record<string, unknown> = {}) => ({ from, to, msg: { type, ...extra } });
const node = (state: unknown, timers: string[] = [], durable?: unknown) => ({ state, durable, timers });

/** An actor-system state as src/core/actors.ts builds it. */
function sys(nodes: unknown[], network: unknown[], history: unknown[] = []) {
  return { nodes, network, clients: [], history, faults: { crashes: 0, drops: 0, duplicates: 0, partitions: 0 }, partition: undefined };
}

/** The change lines of each step of a run, without the step labels. */
function changes(states: unknown[]): string[][] {
  const layout = runLayout(states);
  return states.slice(1).map((s, i) => diffStates(states[i], s, layout));
}

describe('a message set is diffed as a set', () => {
  // a1 answers p1's Prepare with a Promise: in the sorted network the Promise (from a1) lands
  // at index 0, where the Prepare (from p1) was.
  const acceptor = (promised: number) => node({ role: 'acceptor', promised });
  const s0 = sys([node({ role: 'proposer' }), acceptor(0)], [msg('p1', 'a1', 'Prepare', { n: 1 }), msg('p1', 'a2', 'Prepare', { n: 1 })]);
  const s1 = sys([node({ role: 'proposer' }), acceptor(1)], [msg('a1', 'p1', 'Promise', { n: 1 }), msg('p1', 'a2', 'Prepare', { n: 1 })]);
  const s2 = sys([node({ role: 'proposer', promises: 1 }), acceptor(1)], [msg('p1', 'a2', 'Prepare', { n: 1 })]);

  it('a delivery that puts its reply where the delivered message was shows one message removed and one added, not network[0] changing field by field', () => {
    expect(changes([s0, s1, s2])[0]).toEqual([
      'network: +{from:a1,msg:{n:1,type:Promise},to:p1} -{from:p1,msg:{n:1,type:Prepare},to:a1}',
      'nodes[1].state.promised: 0 -> 1',
    ]);
  });

  it('an array with one slot per node keeps its positions, even when two slots change in one step', () => {
    const before = { votes: [null, null, 'yes'], nodes: [node({ ballot: 4 }), node({ ballot: 7 })] };
    const after = { votes: [null, 'no', 'yes'], nodes: [node({ ballot: 2 }), node({ ballot: 5 })] };
    expect(diffStates(before, after)).toEqual(['nodes[0].state.ballot: 4 -> 2', 'nodes[1].state.ballot: 7 -> 5', 'votes[1]: null -> no']);
  });

  it('a timer replaced by another is shown as one cancelled and one armed, since timers are a sorted set', () => {
    const before = sys([node({ phase: 'collecting' }, ['vote']), node({ status: 'asked' })], []);
    const after = sys([node({ phase: 'deciding' }, ['resend']), node({ status: 'asked' })], []);
    expect(diffStates(before, after)).toEqual(['nodes[0].state.phase: collecting -> deciding', 'nodes[0].timers: +resend -vote']);
  });

  it('a duplicated message and a repeated history event each show as one more copy, never as an empty change', () => {
    const vote = msg('p1', 'coord', 'Vote', { vote: 'yes' });
    const read = { kind: 'invoke', client: 1, node: 'backup', op: { kind: 'read' } };
    const done = { kind: 'return', client: 1, node: 'backup', result: 0 };
    const run = [sys([], [vote], [read, done]), sys([], [vote, vote], [read, done, read, done]), sys([], [vote], [read, done, read, done])];
    expect(changes(run)).toEqual([
      [
        'history: +{client:1,kind:invoke,node:backup,op:{kind:read}} +{client:1,kind:return,node:backup,result:0}',
        'network: +{from:p1,msg:{type:Vote,vote:yes},to:coord}',
      ],
      ['network: -{from:p1,msg:{type:Vote,vote:yes},to:coord}'],
    ]);
  });
});

describe('a persisted field is printed once', () => {
  const participant = (status: string, applied: string[] = []) => ({ role: 'participant', status, applied });

  it('a handler that persists its state shows the volatile change and names the durable copy as persisted', () => {
    const before = sys([node(participant('precommitted'), [], participant('precommitted'))], []);
    const after = sys([node(participant('committed', ['commit']), [], participant('committed', ['commit']))], []);
    expect(diffStates(before, after)).toEqual([
      'nodes[0].state.applied: +commit',
      'nodes[0].state.status: precommitted -> committed',
      'nodes[0].durable: persisted applied, status',
    ]);
  });

  it('the first persist names the fields it copied from the volatile state', () => {
    const before = sys([node({ role: 'acceptor', accepted: null, promised: 0 })], []);
    const after = sys([node({ role: 'acceptor', accepted: null, promised: 2 }, [], { accepted: null, promised: 2 })], []);
    expect(diffStates(before, after)).toEqual(['nodes[0].state.promised: 0 -> 2', 'nodes[0].durable: persisted accepted, promised']);
  });

  it('a durable record that is not a copy of the volatile state is printed in full', () => {
    const before = sys([node({ phase: 'collecting' })], []);
    const after = sys([node({ phase: 'precommitting' }, [], { decision: 'precommit' })], []);
    expect(diffStates(before, after)).toEqual(['nodes[0].state.phase: collecting -> precommitting', 'nodes[0].durable: undefined -> {decision:precommit}']);
  });

  it('a durable field that catches up with a volatile change made earlier is printed with its values', () => {
    // The acceptor promised 4 without persisting it; now it persists: durable goes 2 -> 4.
    const before = sys([node({ promised: 4 }, [], { promised: 2 })], []);
    const after = sys([node({ promised: 4 }, [], { promised: 4 })], []);
    expect(diffStates(before, after)).toEqual(['nodes[0].durable.promised: 2 -> 4']);
  });

  it('a crash shows the volatile state lost and leaves the durable record unmentioned', () => {
    const before = sys([node({ promised: 4 }, ['retry'], { promised: 4 })], []);
    const after = sys([node(undefined, [], { promised: 4 })], []);
    expect(diffStates(before, after)).toEqual(['nodes[0].state: {promised:4} -> undefined', 'nodes[0].timers: -retry']);
  });
});

describe('no line is printed twice', () => {
  const steps = [
    { label: 'client0->primary write(1)', action: { kind: 'request', client: 0, to: 'primary', op: { kind: 'write', value: 1 }, retry: false } },
    { label: 'primary->backup Replicate 1', action: { kind: 'deliver', envelope: msg('primary', 'backup', 'Replicate') } },
    { label: 'tick', action: { kind: 'tick' } },
    { label: 'client9->nowhere read()', action: { kind: 'request', client: 9, to: 'nowhere', op: { kind: 'read' }, retry: false } },
  ];

  it('the chart has exactly one line per step: a client request in the column of the node it goes to, other actions as their label', () => {
    const chart = renderChart(['primary', 'backup'], steps).split('\n');
    expect(chart.slice(1)).toEqual([
      '   1          | [client0 write(1)]',
      '   2          |--Replicate 1->|',
      '   3  ... tick ...',
      '   4  client9->nowhere read()',
    ]);
  });

  const field = fc.constantFrom('a', 'b', 'c');
  const leaf = fc.oneof(fc.constantFrom<unknown>(null, undefined, true, 0, 1, 'x', 'y'), fc.array(fc.constantFrom('x', 'y'), { maxLength: 3 }));
  const slot = fc.record({ state: fc.option(fc.dictionary(field, leaf), { nil: undefined }), durable: fc.option(fc.dictionary(field, leaf), { nil: undefined }), timers: fc.array(fc.constantFrom('t', 'u'), { maxLength: 2 }) });
  const state = fc.record({ nodes: fc.array(slot, { minLength: 2, maxLength: 2 }), network: fc.array(fc.constantFrom(msg('p', 'q', 'M'), msg('q', 'p', 'N')), { maxLength: 4 }) });

  it.prop([fc.array(state, { minLength: 2, maxLength: 5 })])('over random runs, each step prints a change at most once and never an empty one', (run) => {
    for (const lines of changes(run)) {
      expect(new Set(lines).size).toBe(lines.length);
      for (const line of lines) expect(line).not.toMatch(/: *$/);
    }
  });
});

describe('a label cut to fit is marked', () => {
  it('a label longer than its lane ends in an ellipsis; one that fits is written whole', () => {
    expect(fitLabel('Accept (1,p2) v2', 13)).toBe('Accept (1,p2…');
    expect(fitLabel('Accept (1,p2)', 13)).toBe('Accept (1,p2)');
    expect(fitLabel('Vote yes', 1)).toBe('…');
    expect(fitLabel('Vote yes', 0)).toBe('…');
  });

  it('an arrow between adjacent columns shows the start of its message and an ellipsis, between its arrow ends', () => {
    const step = { label: 'p2->a1 Accept (1,p2) v2', action: { kind: 'deliver', envelope: msg('p2', 'a1', 'Accept') } };
    expect(renderChart(['p2', 'a1'], [step]).split('\n')[1]).toBe('   1          |-Accept (1,p2…>|');
  });
});

describe('output is deterministic', () => {
  it('the same run gives the same text whatever the key order of its records', () => {
    const a = [sys([node({ x: 1, y: 2 })], [msg('p', 'q', 'M')]), sys([node({ x: 1, y: 3 })], [])];
    const b = [
      { partition: undefined, faults: a[0].faults, history: [], clients: [], network: [{ msg: { type: 'M' }, to: 'q', from: 'p' }], nodes: [{ timers: [], state: { y: 2, x: 1 } }] },
      { partition: undefined, faults: a[1].faults, history: [], clients: [], network: [], nodes: [{ timers: [], durable: undefined, state: { y: 3, x: 1 } }] },
    ];
    const text = renderSteps(a[0], [{ label: 'p->q M', state: a[1] }]);
    expect(renderSteps(b[0], [{ label: 'p->q M', state: b[1] }])).toBe(text);
    expect(text).toBe(
      [
        '  0. initial state {clients:[],faults:{crashes:0,drops:0,duplicates:0,partitions:0},history:[],network:[{from:p,msg:{type:M},to:q}],nodes:[{state:{x:1,y:2},timers:[]}]}',
        '  1. p->q M',
        '       network: -{from:p,msg:{type:M},to:q}',
        '       nodes[0].state.y: 2 -> 3',
      ].join('\n'),
    );
  });
});
