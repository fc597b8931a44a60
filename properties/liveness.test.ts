import { builderFor } from '../src/verify/index.ts';
import { describe, expect, it } from 'vitest';
import type { Model, ModelDefinition } from '../src/core/model.ts';
import { replayTrace, traceFromRun, validateTrace } from '../src/trace/trace.ts';
import { checkLiveness, stateGraphDot } from '../src/explore/liveness.ts';
import { windowModel } from './fixtures/window.ts';

type G = Model<string, string>;

/** A model given as a labelled graph: edges[state] = [action, target][]. */
function graphModel(edges: Record<string, [string, string][]>, opts: { goal: string[]; faults?: string[]; unfair?: string[] }): G {
  return {
    init: [Object.keys(edges)[0]],
    actions: (s) => edges[s].map(([a]) => a),
    step: (s, a) => edges[s].find(([x]) => x === a)![1],
    invariants: [],
    sometimes: [],
    describe: (a) => a,
    isFinal: (s) => opts.goal.includes(s),
    isFault: (a) => (opts.faults ?? []).includes(a),
    isFair: (a) => !(opts.faults ?? []).includes(a) && !(opts.unfair ?? []).includes(a),
  };
}

describe('liveness', () => {
  it('reports a state where only faults are enabled and the goal is not reached as stuck, with its trace', () => {
    const m = graphModel(
      { start: [['prepare', 'prepared']], prepared: [['crash coordinator', 'blocked'], ['commit', 'done']], blocked: [['restart participant', 'blocked']], done: [] },
      { goal: ['done'], faults: ['crash coordinator', 'restart participant'] },
    );
    const r = checkLiveness(m);
    expect(r.stuckStates).toBe(1);
    expect(r.stuck!.run.steps.map((s) => s.label)).toEqual(['prepare', 'crash coordinator']);
    expect(r.stuck!.message).toContain('only faults are enabled (restart participant)');
    expect(r.livelocks).toBe(0);
  });

  it('finds dueling proposers: a fault-free cycle that never decides, although deciding is enabled at times', () => {
    const m = graphModel(
      {
        idle: [['p1 prepare', 'p1']],
        p1: [['p2 preempts', 'p2'], ['p1 accept', 'chosen']],
        p2: [['p1 preempts', 'p1'], ['p2 accept', 'chosen']],
        chosen: [],
      },
      { goal: ['chosen'] },
    );
    const r = checkLiveness(m);
    expect(r.livelocks).toBe(1);
    const l = r.livelock!;
    expect(l.run.steps.map((s) => s.label)).toEqual(['p1 prepare', 'p2 preempts', 'p1 preempts']);
    expect(l.cycleStart).toBe(1);
    expect(l.run.steps.at(-1)!.state).toBe('p1');
    expect(l.message).toMatch(/cycle of 2 fault-free steps \(p2 preempts; p1 preempts\)/);
  });

  it('ignores a cycle that starves a continuously enabled fair action (weak fairness)', () => {
    const m = graphModel(
      { waiting: [['retry timer', 'waiting'], ['deliver reply', 'done']], done: [] },
      { goal: ['done'], unfair: ['retry timer'] },
    );
    expect(checkLiveness(m).livelocks).toBe(0);
  });

  it('cycles through faults are not livelocks, and states at the goal are not stuck', () => {
    const m = graphModel(
      { a: [['drop', 'b'], ['finish', 'done']], b: [['duplicate', 'a'], ['finish', 'done']], done: [['noop', 'done']] },
      { goal: ['done'], faults: ['drop', 'duplicate'] },
    );
    const r = checkLiveness(m);
    expect([r.livelocks, r.stuckStates]).toEqual([0, 0]);
  });

  it('says when the state bound made the analysis partial', () => {
    const r = checkLiveness(windowModel({ n: 2, network: 'fifo' }), { statesMax: 50 });
    expect(r.complete).toBe(false);
    expect(r.distinctStates).toBe(50);
  });

  it('exports the state graph as DOT', () => {
    const dot = stateGraphDot(graphModel({ a: [['go', 'b']], b: [] }, { goal: ['b'] }));
    expect(dot).toContain('s0 -> s1 [label="go"];');
    expect(dot.startsWith('digraph faultline {')).toBe(true);
  });
});

describe('liveness traces', () => {
  const duel = () =>
    graphModel(
      {
        idle: [['p1 prepare', 'p1']],
        p1: [['p2 preempts', 'p2'], ['p1 accept', 'chosen']],
        p2: [['p1 preempts', 'p1'], ['p2 accept', 'chosen']],
        chosen: [],
      },
      { goal: ['chosen'] },
    );
  const def: ModelDefinition = {
    name: 'duel', summary: 'dueling proposers as a graph', source: 'test', params: [],
    variants: [{ name: 'default', description: 'x', expect: { status: 'holds' } }],
    create: () => duel(),
  };
  const info = { model: 'duel', variant: 'default', params: {}, outcome: 'violation' as const };

  it('a saved livelock lasso replays and is recognised as a cycle without the goal', () => {
    const l = checkLiveness(duel()).livelock!;
    const trace = { ...traceFromRun({ ...info, property: 'livelock' }, l.run), cycleStart: l.cycleStart };
    const r = replayTrace(validateTrace(JSON.parse(JSON.stringify(trace)), 'duel.json'), 'duel.json', builderFor(() => def));
    expect(r.reproduced).toBe(true);
    expect(r.observed).toBe('livelock: a 2-step cycle returns to the state after step 1 without reaching the goal');
    const bad = replayTrace({ ...trace, cycleStart: 0 }, 'duel.json', builderFor(() => def));
    expect([bad.reproduced, bad.observed]).toEqual([false, 'the cycle does not return to its first state']);
  });
});
