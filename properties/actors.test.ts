import { describe, expect, it } from 'vitest';
import { explore } from '../src/explore/explore.ts';
import { replayPath } from '../src/explore/path.ts';
import { actorSystem, twoSidedSplits, type NodeSpec } from '../src/core/actors.ts';
import { windowModel } from './fixtures/window.ts';

type M = ReturnType<typeof windowModel>;
const labels = (m: M, s: M['init'][number]) => m.actions(s).map((a) => m.describe(a));
function stepBy(m: M, s: M['init'][number], label: string) {
  const a = m.actions(s).find((x) => m.describe(x) === label);
  if (a === undefined) throw new Error(`'${label}' not enabled; enabled: ${labels(m, s).join('; ')}`);
  return m.step(s, a);
}

describe('actor systems', () => {
  it('a FIFO channel delivers only its head; an unordered network delivers any message', () => {
    const fifo = windowModel({ n: 2, network: 'fifo' });
    expect(labels(fifo, fifo.init[0])).toEqual(['sender->receiver Data 1', 'timeout sender retransmit']);
    const unordered = windowModel({ n: 2, network: 'unordered' });
    expect(labels(unordered, unordered.init[0])).toEqual([
      'sender->receiver Data 1',
      'sender->receiver Data 2',
      'timeout sender retransmit',
    ]);
  });

  it('faults are enabled only while their budget allows', () => {
    const m = windowModel({ n: 1, network: 'fifo', faults: { dropsMax: 1 } });
    const s0 = m.init[0];
    expect(labels(m, s0)).toContain('drop sender->receiver Data 1');
    const s1 = stepBy(m, s0, 'drop sender->receiver Data 1');
    expect(s1.network).toEqual([]);
    const s2 = stepBy(m, s1, 'timeout sender retransmit');
    expect(labels(m, s2)).not.toContain('drop sender->receiver Data 1');
    expect(m.actions(s2).filter((a) => m.isFault(a))).toEqual([]);
  });

  it('a crash loses volatile state and timers but keeps what was persisted; restart recovers it', () => {
    const m = windowModel({ n: 2, network: 'unordered', faults: { crashesMax: 1 } });
    let s = stepBy(m, m.init[0], 'sender->receiver Data 1');
    expect(s.nodes[1].durable).toEqual([1]);
    s = stepBy(m, s, 'crash receiver');
    expect(s.nodes[1].state).toBeUndefined();
    expect(labels(m, s)).not.toContain('sender->receiver Data 2'); // a crashed node receives nothing
    expect(labels(m, s)).not.toContain('crash sender'); // budget used up
    s = stepBy(m, s, 'restart receiver');
    expect(s.nodes[1].state).toEqual({ role: 'receiver', delivered: [1] });
    const t = stepBy(m, m.init[0], 'crash sender');
    expect(t.nodes[0].timers).toEqual([]);
  });

  it('a partition loses messages across it while it lasts, and heals', () => {
    const m = windowModel({ n: 2, network: 'unordered', faults: { partitionsMax: 1 } });
    let s = stepBy(m, m.init[0], 'partition {sender} | {receiver}');
    expect(s.network).toEqual([]);
    s = stepBy(m, s, 'timeout sender retransmit');
    expect(s.network).toEqual([]); // sends across the partition are lost
    s = stepBy(m, s, 'heal partition');
    expect(labels(m, s)).not.toContain('partition {sender} | {receiver}'); // one partition allowed
    s = stepBy(m, s, 'timeout sender retransmit');
    expect(s.network).toHaveLength(2);
  });

  it('duplication copies a message once per budget unit', () => {
    const m = windowModel({ n: 1, network: 'unordered', faults: { duplicatesMax: 1 } });
    const s = stepBy(m, m.init[0], 'duplicate sender->receiver Data 1');
    expect(s.network).toHaveLength(2);
    expect(labels(m, s).filter((l) => l.startsWith('duplicate'))).toEqual([]);
    // identical messages are one deliver action, not two equal successors
    expect(labels(m, s).filter((l) => l === 'sender->receiver Data 1')).toHaveLength(1);
  });

  it('equal system states built by different interleavings are one state', () => {
    // Delivering Data 1 then retransmitting, or retransmitting then delivering Data 1, puts the
    // same messages in flight in a different order of sending: the multiset is canonical, so
    // the two states are equal as data (and so hash alike).
    const m = windowModel({ n: 2, network: 'unordered' });
    const deliverFirst = stepBy(m, stepBy(m, m.init[0], 'sender->receiver Data 1'), 'timeout sender retransmit');
    const retransmitFirst = stepBy(m, stepBy(m, m.init[0], 'timeout sender retransmit'), 'sender->receiver Data 1');
    expect(deliverFirst.network).toHaveLength(4);
    expect(retransmitFirst).toEqual(deliverFirst);
    // Both search orders count the same states up to depth 6.
    const r = explore(m, { depthMax: 6 });
    const r2 = explore(m, { depthMax: 6, strategy: 'dfs' });
    expect([r.status, r.boundsHit, r.distinctStates, r.totalStates, r.depth]).toEqual(['bounded', ['depthMax'], 87, 136, 6]);
    expect([r2.status, r2.distinctStates]).toEqual(['bounded', 87]);
  });

  it('an unknown network semantics or a negative budget is bad input', () => {
    expect(() => windowModel({ n: 1, network: 'tcp' as never })).toThrow(/unknown network semantics 'tcp' \(unordered, fifo or set\)/);
    expect(() => windowModel({ n: 1, faults: { dropsMax: -1 } })).toThrow(/dropsMax must be a non-negative integer, got -1/);
  });

  it('a set network merges a message equal to one in flight, and offers no duplicate fault', () => {
    const m = windowModel({ n: 1, network: 'set', faults: { duplicatesMax: 1 } });
    const s = stepBy(m, m.init[0], 'timeout sender retransmit');
    expect(s.network).toHaveLength(1);
    expect(labels(m, s).filter((l) => l.startsWith('duplicate'))).toEqual([]);
  });

  it('synchronous timeouts wait until no deliverable message is in flight', () => {
    const m = windowModel({ n: 1, network: 'unordered', timeouts: 'synchronous' });
    let s = m.init[0];
    expect(labels(m, s)).not.toContain('timeout sender retransmit'); // Data 1 is still on its way
    s = stepBy(m, s, 'sender->receiver Data 1');
    expect(labels(m, s)).not.toContain('timeout sender retransmit'); // Ack 1 is in flight to the sender
    s = stepBy(m, s, 'receiver->sender Ack 1');
    expect(labels(m, s)).toEqual(['timeout sender retransmit']);
  });

  it('splits nodes into two non-empty sides, each split named once', () => {
    expect(twoSidedSplits(['a', 'b', 'c'])).toEqual([['a'], ['a', 'b'], ['a', 'c']]);
  });

  it('BFS finds the 2-step counterexample of the planted bug under FIFO with one drop, and it replays', () => {
    const m = windowModel({ n: 2, network: 'fifo', faults: { dropsMax: 1 }, acceptAhead: true });
    const v = explore(m).violations[0];
    expect([v.property, v.steps]).toEqual(['InOrderDelivery', 2]);
    expect(v.message).toBe('receiver delivered 2: Data 1 was skipped');
    const run = replayPath(m, v.path);
    expect(run).toEqual(v.run);
    expect(m.invariants.find((i) => i.name === 'InOrderDelivery')!.check(run.steps.at(-1)!.state as M['init'][number])).toBe(v.message);
  });
});

describe('actor systems: connections, timer budgets and oracle steps', () => {
  type S = { readonly got: number };
  const peer = (id: string) => (id === 'a' ? 'b' : 'a');
  const spec: NodeSpec<S, string, undefined, never, never> = {
    init: (ctx) => ({
      state: { got: 0 },
      effects: ctx.id === 'a' ? [{ kind: 'send', to: 'b', msg: 'm1' }, { kind: 'send', to: 'b', msg: 'm2' }, { kind: 'set-timer', timer: 'tick' }] : [],
    }),
    handle: (s, input, ctx) => {
      switch (input.kind) {
        case 'receive':
          return { state: { got: s.got + 1 } };
        case 'timeout':
          return { state: s, effects: [{ kind: 'set-timer', timer: 'tick' }] };
        case 'internal':
          return input.choice === 'hang-up' ? { state: s, effects: [{ kind: 'disconnect', peer: peer(ctx.id) }] } : { state: { got: s.got + 10 } };
        case 'request':
          throw new Error('no clients');
      }
    },
    internal: (_s, ctx) => (ctx.id === 'b' ? ['hang-up'] : []),
  };
  const system = () =>
    actorSystem<S, string, undefined, never, never>({
      nodes: [{ id: 'a', spec }, { id: 'b', spec }],
      network: 'fifo',
      timerBudget: { timers: ['tick'], timeoutsMax: 2 },
      oracle: () => [{ node: 'a', name: 'a and b bump together', inputs: [{ node: 'a', choice: 'bump' }, { node: 'b', choice: 'bump' }] }],
      invariants: [],
      sometimes: [],
      describeMessage: (m) => m,
    });
  const act = (m: ReturnType<typeof system>, s: ReturnType<typeof system>['init'][number], label: string) => {
    const a = m.actions(s).find((x) => m.describe(x) === label);
    if (a === undefined) throw new Error(`'${label}' not enabled; enabled: ${m.actions(s).map((x) => m.describe(x)).join('; ')}`);
    return m.step(s, a);
  };

  it('closing a connection loses the messages in flight between the two nodes, both ways', () => {
    const m = system();
    expect(m.init[0].network.map((e) => e.msg)).toEqual(['m1', 'm2']);
    expect(act(m, m.init[0], 'b hang-up').network).toEqual([]);
  });

  it('a budgeted timer fires at most timeoutsMax times over a run, and the count is part of the state', () => {
    const m = system();
    let s = act(m, m.init[0], 'timeout a tick');
    s = act(m, s, 'timeout a tick');
    expect(s.faults.timeouts).toBe(2);
    expect(s.nodes[0].timers).toEqual(['tick']);
    expect(m.actions(s).map((a) => m.describe(a))).not.toContain('timeout a tick');
  });

  it('an oracle step hands its choices to several nodes in one atomic step, and is fair', () => {
    const m = system();
    const oracle = m.actions(m.init[0]).find((a) => a.kind === 'oracle')!;
    expect(m.describe(oracle)).toBe('a and b bump together');
    expect(m.step(m.init[0], oracle).nodes.map((n) => n.state!.got)).toEqual([10, 10]);
    expect(m.isFair(oracle)).toBe(true);
  });
});

describe('actor systems: FIFO channels across a partition', () => {
  it('a partition holds the messages of a FIFO channel that crosses it (TCP retransmits), and they arrive in order once it heals', () => {
    const m = windowModel({ n: 2, network: 'fifo', faults: { partitionsMax: 1 } });
    let s = stepBy(m, m.init[0], 'partition {sender} | {receiver}');
    expect(s.network.map((e) => e.msg)).toEqual(m.init[0].network.map((e) => e.msg));
    expect(labels(m, s)).not.toContain('sender->receiver Data 1');
    s = stepBy(m, s, 'heal partition');
    expect(labels(m, s)).toContain('sender->receiver Data 1');
  });
});
