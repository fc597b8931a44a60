// Zab (models/zab): election by latest (currentEpoch, zxid), discovery, DIFF/TRUNC/SNAP
// synchronisation and broadcast over FIFO channels. Pinned here: a fault-free configuration and
// the default one exhaustively, one planted bug by BFS, every saved counterexample (each replays
// to its property in its minimal number of steps), and the scenario stories of issue 12, whose
// claims are checked on the replayed states.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { explore } from '../src/explore/explore.ts';
import { replayPath } from '../src/explore/path.ts';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { buildRegistered, instantiate } from '../src/verify/index.ts';
import { zab, zabDefinition, ZAB_DEFAULTS, type ZabState } from '../models/zab/index.ts';

const traces = join(import.meta.dirname, '..', 'traces', 'zab');

function replayStory(name: string) {
  const file = join(traces, `${name}.json`);
  const r = replayTrace(loadTrace(file), file, buildRegistered);
  expect([r.trace.outcome, r.reproduced]).toEqual(['holds', true]);
  return { steps: r.trace.steps.map((s) => s.label), states: r.states as ZabState[] };
}

describe('Zab keeps its properties', () => {
  it('without faults (3 servers, two transactions): every invariant holds exhaustively, a transaction reaches every voter, DIFF and SNAP both happen', () => {
    const r = explore(zab({ ...ZAB_DEFAULTS, crashesMax: 0, timeoutsMax: 0 }));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 2_160, 4_851, 31]);
    expect(r.witnesses.map((w) => [w.name, w.reached])).toEqual([
      ['a transaction is delivered by every voter', true],
      ['a learner that missed transactions is synchronised by DIFF', true],
      ['a learner is synchronised by SNAP', true],
    ]);
  });

  it('at the default bounds (one crash, one timeout, two epochs, two transactions): every invariant holds exhaustively and every witness is reached', () => {
    const r = explore(zab(ZAB_DEFAULTS));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 335_273, 893_988, 50]);
    expect(r.witnesses.every((w) => w.reached)).toBe(true);
  }, 300_000);
});

describe('Zab planted bugs are found by BFS with their shortest counterexample, which replays', () => {
  it('a leader that counts an ACKEPOCH from a learner that already accepted the epoch shares the epoch with another leader: Leadership breaks in 22 steps', () => {
    const model = instantiate(zabDefinition, 'stale-ackepoch-counted').model;
    const v = explore(model).violations[0];
    expect([v.property, v.steps]).toEqual(['Leadership', 22]);
    expect(v.message).toMatch(/^n\d and n\d were both established as leader of epoch 1$/);
    expect(replayPath(model, v.path)).toEqual(v.run);
  }, 120_000);

  it.each([
    ['elect-without-latest-zxid-committedstays', 'CommittedStays', 19],
    ['commit-before-quorum-commitcompleteness', 'CommitCompleteness', 20],
    ['observers-counted-leadership', 'Leadership', 20],
    ['skip-synchronisation-historyconsistency', 'HistoryConsistency', 21],
    ['reordering-channels-historyconsistency', 'HistoryConsistency', 13],
    ['epoch-before-log-committedstays', 'CommittedStays', 29],
    ['ack-before-log-committedstays', 'CommittedStays', 28],
    ['diff-instead-of-trunc-historyconsistency', 'HistoryConsistency', 33],
    ['stale-ackepoch-counted-leadership', 'Leadership', 22],
  ])('the saved trace %s replays to its %s violation in %i steps', (name, property, steps) => {
    const file = join(traces, `${name}.json`);
    const trace = loadTrace(file);
    expect([trace.property, trace.steps.length]).toEqual([property, steps]);
    expect(replayTrace(trace, file, buildRegistered).reproduced).toBe(true);
  });

  it('ZOOKEEPER-4643: the follower that lost the transaction had updated currentEpoch, crashed before logging, and won the next election by its epoch', () => {
    const file = join(traces, 'epoch-before-log-committedstays.json');
    const labels = replayTrace(loadTrace(file), file, buildRegistered).trace.steps.map((s) => s.label);
    const epochStep = labels.findLastIndex((l) => / epoch$/.test(l));
    const who = labels[epochStep].split(' ')[0];
    const crash = labels.indexOf(`crash ${who}`, epochStep);
    expect(crash).toBeGreaterThan(epochStep);
    expect(labels.slice(epochStep, crash)).not.toContain(`${who} log`);
    expect(labels.slice(crash).some((l) => l.startsWith(`elect ${who} by`))).toBe(true);
    expect(labels.at(-1)).toMatch(/ TRUNC to \(0,0\) \[\] NEWLEADER e=3$/);
  });

  it('ZOOKEEPER-1154: with a DIFF instead of a TRUNC the learner keeps an earlier epoch\'s transaction its leader never had', () => {
    const file = join(traces, 'diff-instead-of-trunc-historyconsistency.json');
    const r = replayTrace(loadTrace(file), file, buildRegistered);
    expect(r.trace.message).toMatch(/with log \[\(1,1\)@n\d \(2,1\)@n\d\], which is not a prefix of its leader's \[\(2,1\)@n\d\]/);
    expect(r.trace.steps.some((s) => / DIFF \[\(2,1\)@n\d\] NEWLEADER e=2$/.test(s.label))).toBe(true);
  });
});

describe('Zab scenario traces (traces/zab): each story replays and its claim holds on the states', () => {
  it('a proposal only the leader logged, when the leader crashes, is truncated by the next epoch and never delivered', () => {
    const { steps, states } = replayStory('minority-proposal-truncated');
    const last = states[states.length - 1];
    expect(steps).toContain('crash n2');
    expect(steps.some((l) => / TRUNC to \(0,0\) \[\] NEWLEADER e=2$/.test(l))).toBe(true);
    expect(last.nodes.map((n) => n.durable!.history.length)).toEqual([0, 0, 0]);
    expect(last.nodes.every((n) => n.durable!.delivered.length === 0)).toBe(true);
  });

  it('a proposal only the leader logged, when the leader crashes and is elected again, is committed in the next epoch, never truncated', () => {
    const { steps, states } = replayStory('minority-proposal-committed');
    const crash = steps.indexOf('crash n3') + 1;
    expect(crash).toBeGreaterThan(0);
    // When n3 crashed, its proposal was in its log only.
    expect(states[crash].nodes.map((n) => n.durable!.history.length)).toEqual([0, 0, 1]);
    const last = states[states.length - 1];
    expect(last.nodes[2].durable!.led).toEqual([1, 2]);
    const t = last.nodes[2].durable!.proposed[0];
    expect(last.nodes.filter((n) => n.durable!.delivered.some((d) => d.zxid.epoch === t.zxid.epoch && d.zxid.counter === t.zxid.counter && d.by === t.by))).toHaveLength(2);
  });

  it('a follower that missed a commit is brought up to date by DIFF and delivers it at UPTODATE', () => {
    const { steps, states } = replayStory('diff-catches-up-a-follower');
    const diff = steps.findIndex((l) => /->n3 DIFF \[\(1,1\)@n\d\] NEWLEADER e=1$/.test(l)) + 1;
    expect(diff).toBeGreaterThan(0);
    // The transaction was committed before n3 got its DIFF, and n3 never got a PROPOSAL of it.
    expect(states[diff].nodes.some((n) => n.state?.state === 'leading' && n.state.commit === 1)).toBe(true);
    expect(steps.some((l) => /->n3 PROPOSAL/.test(l))).toBe(false);
    expect(states[states.length - 1].nodes[2].durable!.delivered).toHaveLength(1);
  });

  it('an observer follows an epoch change: synchronised by the new leader, it never counts towards a quorum', () => {
    const { steps, states } = replayStory('observer-follows-an-epoch-change');
    const last = states[states.length - 1];
    const o1 = last.nodes[3].state!;
    expect([o1.state, o1.phase, o1.currentEpoch]).toEqual(['observing', 'broadcast', 2]);
    expect(steps.some((l) => l.startsWith('o1->') && l.includes('OBSERVERINFO'))).toBe(true);
    expect(last.nodes.some((n) => n.durable!.led.includes(2))).toBe(true);
  });
});
