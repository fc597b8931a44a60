// The actor layer's clients (timeouts, retries with the same seq, failover, redirects, fail and
// info in the history, the exactly-once client table) and abstract time (ticks, bounded skew,
// timers at a clock value), each on a system small enough to enumerate by hand.

import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { actorSystem, type NodeSpec, type SystemAction, type SystemState } from '../src/core/actors.ts';
import { remember, seen, type ClientTable } from '../src/core/client-table.ts';
import { InputError } from '../src/core/model.ts';
import { explore } from '../src/explore/explore.ts';
import { historyFromEvents } from '../src/history/index.ts';
import { renderRunChart } from '../src/render/chart.ts';
import { renderHtmlChart } from '../src/render/html.ts';

// ---------------------------------------------------------------------------------------------
// A service of three nodes: n1 redirects to n2, n2 answers with what it saw, n3 never answers.

type Seen = { readonly client: number; readonly seq: number; readonly op: string };
type Node = { readonly seen: readonly Seen[] };

const service = (answer: 'reply' | 'fail' | 'redirect-nowhere'): NodeSpec<Node, never, never, string, string> => ({
  init: () => ({ state: { seen: [] } }),
  handle: (s, input, ctx) => {
    if (input.kind !== 'request') return { state: s };
    const state = { seen: [...s.seen, { client: input.client, seq: input.seq, op: input.op }] };
    if (ctx.id === 'n1') return { state, effects: [{ kind: 'redirect', client: input.client, seq: input.seq, ...(answer === 'redirect-nowhere' ? {} : { to: 'n2' }) }] };
    if (ctx.id === 'n3') return { state };
    if (answer === 'fail') return { state, effects: [{ kind: 'fail', client: input.client, seq: input.seq }] };
    return { state, effects: [{ kind: 'reply', client: input.client, seq: input.seq, result: `${input.op}@n2` }] };
  },
});

function clientSystem(answer: 'reply' | 'fail' | 'redirect-nowhere', retriesMax: number, first = 'n1') {
  return actorSystem<Node, never, never, string, string>({
    nodes: ['n1', 'n2', 'n3'].map((id) => ({ id, spec: service(answer) })),
    clients: [{ client: 0, node: first, ops: ['a', 'b'], timeout: { retriesMax } }],
    invariants: [],
    sometimes: [],
    describeMessage: () => '',
    describeOp: (op) => op,
    goal: (s) => s.clients[0].status === 'idle' && s.clients[0].next === 2,
  });
}

type Sys = SystemState<Node, never, never, string, string>;
type Act = SystemAction<never>;

/** Runs the actions whose labels are given, in order, failing if one is not enabled. */
function run(model: ReturnType<typeof clientSystem>, labels: readonly string[]): Sys {
  let s = model.init[0];
  for (const label of labels) {
    const a = model.actions(s).find((x: Act) => model.describe(x) === label);
    if (a === undefined) throw new Error(`'${label}' is not enabled; enabled: ${model.actions(s).map((x) => model.describe(x)).join(', ')}`);
    s = model.step(s, a);
  }
  return s;
}

describe('clients that fail over and retry exactly once', () => {
  it('a redirect sends the same (client, seq) to the node it names; the history has one invoke and one return', () => {
    const model = clientSystem('reply', 1);
    const s = run(model, ['client0->n1 a', 'client0->n2 retry a']);
    expect(s.nodes.map((n) => n.state!.seen)).toEqual([[{ client: 0, seq: 0, op: 'a' }], [{ client: 0, seq: 0, op: 'a' }], []]);
    expect(s.history).toEqual([{ kind: 'invoke', client: 0, op: 'a', node: 'n1' }, { kind: 'return', client: 0, result: 'a@n2', node: 'n2' }]);
    // The next operation carries the next seq and goes where the client last was.
    const t = run(model, ['client0->n1 a', 'client0->n2 retry a', 'client0->n2 b']);
    expect(t.nodes[1].state!.seen.at(-1)).toEqual({ client: 0, seq: 1, op: 'b' });
  });

  it('a client that times out fails over to the next node, follows a redirect without spending a retry, and with no retry left records info: outcome unknown, still pending', () => {
    // n3 never answers; the retry at n1 is redirected to n2, which is not a second retry.
    const s = run(clientSystem('reply', 1, 'n3'), ['client0->n3 a', 'client0 timeout', 'client0->n1 retry a']);
    expect(s.clients[0]).toEqual({ next: 1, status: 'resend', node: 'n2', retries: 1 });
    expect(run(clientSystem('reply', 1, 'n3'), ['client0->n3 a', 'client0 timeout', 'client0->n1 retry a', 'client0->n2 retry a']).history.map((e) => e.kind)).toEqual(['invoke', 'return']);
    const t = run(clientSystem('reply', 0, 'n3'), ['client0->n3 a', 'client0 timeout']);
    expect(t.clients[0]).toEqual({ next: 1, status: 'idle', node: 'n1', retries: 0 });
    expect(t.history.map((e) => e.kind)).toEqual(['invoke', 'info']);
    expect(historyFromEvents(t.history).map((o) => o.kind)).toEqual(['pending']);
    // A redirect is followed even with no retries at all.
    expect(run(clientSystem('reply', 0), ['client0->n1 a', 'client0->n2 retry a']).history.map((e) => e.kind)).toEqual(['invoke', 'return']);
  });

  it('a redirect that names no node fails over to the next one in order', () => {
    const s = run(clientSystem('redirect-nowhere', 2), ['client0->n1 a']);
    expect(s.clients[0]).toEqual({ next: 1, status: 'resend', node: 'n2', retries: 0 });
  });

  it('a definite failure is recorded as fail, and the history checkers drop the operation', () => {
    const s = run(clientSystem('fail', 1), ['client0->n1 a', 'client0->n2 retry a']);
    expect(s.history.map((e) => e.kind)).toEqual(['invoke', 'fail']);
    expect(historyFromEvents(s.history)).toEqual([]);
  });

  it('a late answer to the outstanding request is taken from any node; an answer to an older request is ignored', () => {
    // n2 answers only when told to, so a late answer can be arranged: its own timer.
    const late: NodeSpec<{ pending: Seen | undefined }, never, never, string, string> = {
      init: () => ({ state: { pending: undefined } }),
      handle: (s, input) => {
        if (input.kind === 'request') return { state: { pending: { client: input.client, seq: input.seq, op: input.op } }, effects: [{ kind: 'set-timer', timer: 'answer' }] };
        if (input.kind === 'timeout' && s.pending) return { state: { pending: undefined }, effects: [{ kind: 'reply', client: s.pending.client, seq: s.pending.seq, result: s.pending.op }] };
        return { state: s };
      },
    };
    const model = actorSystem<{ pending: Seen | undefined }, never, never, string, string>({
      nodes: [{ id: 'n1', spec: late }, { id: 'n2', spec: late }],
      clients: [{ client: 0, node: 'n1', ops: ['a', 'b'], timeout: { retriesMax: 1 } }],
      invariants: [],
      sometimes: [],
      describeMessage: () => '',
      describeOp: (op) => op,
    });
    let s = model.init[0];
    const go = (label: string) => {
      s = model.step(s, model.actions(s).find((x) => model.describe(x) === label)!);
    };
    const start = s;
    // n1 answers the first attempt after the client moved on to n2: taken.
    for (const l of ['client0->n1 a', 'client0 timeout', 'client0->n2 retry a', 'timeout n1 answer']) go(l);
    expect(s.history.map((e) => [e.kind, e.node])).toEqual([['invoke', 'n1'], ['return', 'n1']]);
    // n2 answers the retry; n1 answers the first attempt (seq 0) while b (seq 1) is outstanding: ignored.
    s = start;
    for (const l of ['client0->n1 a', 'client0 timeout', 'client0->n2 retry a', 'timeout n2 answer', 'client0->n2 b', 'timeout n1 answer']) go(l);
    expect(s.history.map((e) => [e.kind, e.node])).toEqual([['invoke', 'n1'], ['return', 'n2'], ['invoke', 'n2']]);
    expect(s.clients[0].status).toBe('waiting');
  });

  it('every reachable state keeps one operation outstanding at most and never loses an invoke: exhaustive over the three-node service', () => {
    for (const answer of ['reply', 'fail', 'redirect-nowhere'] as const) {
      const model = clientSystem(answer, 2);
      const r = explore({
        ...model,
        invariants: [{ name: 'WellFormedHistory', check: (s: Sys) => { historyFromEvents(s.history); return undefined; } }],
      });
      expect(r.status).toBe('holds');
    }
  });

  it('a client without a timeout only sends to a running node (and waits forever): the actor layer before clients could fail over', () => {
    const model = actorSystem<Node, never, never, string, string>({
      nodes: [{ id: 'n2', spec: service('reply') }],
      faults: { crashesMax: 1 },
      clients: [{ client: 0, node: 'n2', ops: ['a'] }],
      invariants: [],
      sometimes: [],
      describeMessage: () => '',
    });
    const crashed = model.step(model.init[0], { kind: 'crash', node: 'n2' });
    expect(model.actions(crashed).map((a) => model.describe(a))).toEqual(['restart n2']);
  });

  it('the chart draws the client lane: a request arrow, the redirect back, the retry and the reply', () => {
    const model = clientSystem('reply', 1);
    let s = model.init[0];
    const states = [s];
    const steps = ['client0->n1 a', 'client0->n2 retry a'].map((label) => {
      const action = model.actions(s).find((x) => model.describe(x) === label)!;
      s = model.step(s, action);
      states.push(s);
      return { label, action };
    });
    expect(renderRunChart(model, states, steps)!.split('\n')).toEqual([
      '           client0           n1              n2              n3',
      '   1          |-------a------>|               |               |',
      '              |<-redirect n2--|               |               |',
      '   2          |------------retry a----------->|               |',
      '              |<------------a@n2--------------|               |',
    ]);
  });

  it('the HTML chart has a lane per client and an arrow per request and answer', () => {
    const model = clientSystem('reply', 1);
    let s = model.init[0];
    const init = s;
    const steps = ['client0->n1 a', 'client0->n2 retry a'].map((label) => {
      const action = model.actions(s).find((x) => model.describe(x) === label)!;
      s = model.step(s, action);
      return { label, action, state: s };
    });
    const page = renderHtmlChart({ title: 't', nodeIds: model.nodeIds, clientLanes: model.clientLanes as never, init, steps });
    expect(page.match(/<text class="node"[^>]*>([^<]*)</g)!.map((t) => t.replace(/.*>/, '').slice(0, -1))).toEqual(['client0', 'n1', 'n2', 'n3']);
    expect(page.match(/<g class="client">[\s\S]*?<\/g>/g)!.map((g) => g.replace(/[\s\S]*<text[^>]*>([^<]*)<\/text><\/g>/, '$1'))).toEqual(['a', 'redirect n2', 'retry a', 'a@n2']);
  });
});

describe('the exactly-once client table', () => {
  // The naive reference: every applied (client, seq) remembered in a list.
  test.prop([fc.array(fc.record({ client: fc.nat(2), seq: fc.nat(3) }), { maxLength: 30 })])(
    'agrees with a list of everything applied: a request is new iff its seq is above the client\'s last, and a duplicate gets the last result',
    (requests) => {
      let table: ClientTable<string> = [];
      const applied: { client: number; seq: number; result: string }[] = [];
      requests.forEach(({ client, seq }, k) => {
        const last = applied.filter((a) => a.client === client).at(-1);
        const verdict = seen(table, client, seq);
        if (last === undefined || seq > last.seq) {
          expect(verdict).toEqual({ kind: 'new' });
          table = remember(table, client, seq, `r${k}`);
          applied.push({ client, seq, result: `r${k}` });
        } else if (seq === last.seq) expect(verdict).toEqual({ kind: 'duplicate', result: last.result });
        else expect(verdict).toEqual({ kind: 'stale' });
        expect(table.map((r) => r.client)).toEqual([...new Set(applied.map((a) => a.client))].sort());
      });
    },
  );

  it('refuses to apply a request twice', () => {
    expect(() => remember(remember([], 0, 3, 'x'), 0, 3, 'y')).toThrow("client 0's request 3 applied again");
  });
});

// ---------------------------------------------------------------------------------------------
// Abstract time

type Clocked = { readonly fired: readonly number[] };

function clockSystem(skewMax: number, timeMax: number, deadline = 2) {
  const spec: NodeSpec<Clocked, never, never, never, never> = {
    init: (ctx) => ({ state: { fired: [] }, effects: ctx.id === 'n1' ? [{ kind: 'set-timer', timer: 'lease', at: deadline }] : [] }),
    handle: (s, input, ctx) => (input.kind === 'timeout' ? { state: { fired: [...s.fired, ctx.now!] } } : { state: s }),
  };
  return actorSystem<Clocked, never, never, never, never>({
    nodes: ['n1', 'n2', 'n3'].map((id) => ({ id, spec })),
    time: { timeMax, skewMax },
    invariants: [
      { name: 'SkewBounded', check: (s) => (Math.max(...s.clocks!) - Math.min(...s.clocks!) > skewMax ? `clocks ${s.clocks!.join(',')} differ by more than ${skewMax}` : undefined) },
      { name: 'FiresAtDeadline', check: (s) => (s.nodes[0].state!.fired.some((t) => t < deadline) ? `fired at ${s.nodes[0].state!.fired.join(',')}` : undefined) },
    ],
    sometimes: [],
    describeMessage: () => '',
    isFinal: () => true,
  });
}

describe('abstract time: clocks, bounded skew, timers at a clock value', () => {
  it('without skew one tick advances every clock, up to timeMax', () => {
    const model = clockSystem(0, 3);
    const r = explore(model);
    // Clocks 0..3 with the timer armed (4 states); fired at 2 (then at 2 or 3), or at 3 (3 more).
    expect([r.status, r.distinctStates, r.depth]).toEqual(['holds', 7, 5]);
    expect(model.describe(model.actions(model.init[0])[0])).toBe('tick');
  });

  it('with skewMax 1 nodes tick one at a time, no two clocks ever differ by more than 1, and every such clock vector is reached', () => {
    const model = clockSystem(1, 2, 9);
    const vectors = new Set<string>();
    const r = explore({ ...model, invariants: [...model.invariants, { name: 'record', check: (s: { clocks?: readonly number[] }) => { vectors.add(s.clocks!.join(',')); return undefined; } }] });
    expect(r.status).toBe('holds');
    // Vectors in 0..2 with max - min <= 1: all-equal (3) + two values k, k+1 in each of 2^3 - 2 patterns (2 * 6).
    expect(vectors.size).toBe(15);
  });

  it('a timer set at a clock value fires only once its node\'s clock has reached it, and the handler reads the clock as ctx.now', () => {
    const model = clockSystem(1, 4, 2);
    const r = explore(model);
    expect(r.status).toBe('holds');
    const early = model.init[0];
    expect(model.actions(early).some((a) => a.kind === 'timeout')).toBe(false);
  });

  it('time bounds are validated: a negative or fractional timeMax or skewMax is one clear input error', () => {
    expect(() => clockSystem(-1, 3)).toThrow(new InputError('skewMax must be a non-negative integer, got -1'));
    expect(() => clockSystem(0, 1.5)).toThrow(new InputError('timeMax must be a non-negative integer, got 1.5'));
  });
});

describe('a model built wrong says so in one line', () => {
  it('a send to an unknown node in init is an input error naming the sender, the message and the nodes', () => {
    const build = () =>
      actorSystem<Record<string, never>, string, never, never, never>({
        nodes: [{ id: 'a', spec: { init: () => ({ state: {}, effects: [{ kind: 'send', to: 'b', msg: 'Hello' }] }), handle: (s) => ({ state: s }) } }],
        invariants: [],
        sometimes: [],
        describeMessage: (m) => m,
      });
    expect(build).toThrow(InputError);
    expect(build).toThrow("a message a sends in init (Hello) goes to a node that is 'b', which is not a node (nodes: a)");
  });

  it('a client attached to an unknown node is an input error', () => {
    expect(() => clientSystem('reply', 1, 'n9')).toThrow(new InputError("client 0's first node is 'n9', which is not a node (nodes: n1, n2, n3)"));
  });
});
