// Raft (models/raft): leader election and log replication with a replicated register and
// exactly-once clients. The default configuration (545,927 states, ~23 s) is a row of
// check --all; here a smaller named configuration is pinned (elections only, two terms), and
// every planted bug is found by BFS with its shortest counterexample, which replays.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { explore } from '../src/explore/explore.ts';
import { replayPath } from '../src/explore/path.ts';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { buildRegistered, findScenario, instantiate, runCheck, scenarioCheck } from '../src/verify/index.ts';
import { applyLog, mergeEntries, raft, raftDefinition, RAFT_DEFAULTS, type Entry, type RaftState } from '../models/raft/index.ts';

const traces = join(import.meta.dirname, '..', 'traces', 'raft');

describe('Raft keeps its safety properties', () => {
  it('with elections only (3 servers, two terms, two elections): 34,612 states, every invariant holds exhaustively and every election witness is reached', () => {
    const r = explore(raft({ ...RAFT_DEFAULTS, requestsMax: 0 }));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 34_612, 145_924, 19]);
    expect(r.witnesses.map((w) => [w.name, w.reached])).toEqual([
      ['a leader is elected', true],
      ['a client request commits', false],
      ['a split vote happens', true],
      ['leaders of two terms coexist', true],
    ]);
  });

  it('a delayed AppendEntries whose entries all match does not truncate the log; a conflicting one truncates from the conflict', () => {
    const e = (term: number, value: number): Entry => ({ term, cmd: { kind: 'request', client: 0, seq: value, op: { kind: 'write', value } } });
    const log = [e(1, 1), e(1, 2), e(2, 3)];
    expect(mergeEntries(log, 0, [e(1, 1)])).toBe(log);
    expect(mergeEntries(log, 1, [e(2, 9)])).toEqual([e(1, 1), e(2, 9)]);
    expect(mergeEntries(log, 3, [e(2, 4)])).toEqual([...log, e(2, 4)]);
  });

  it('the committed log is applied once per (client, seq): a retried request in the log twice takes effect once', () => {
    const w = (seq: number, value: number): Entry => ({ term: 1, cmd: { kind: 'request', client: 0, seq, op: { kind: 'write', value } } });
    const { value, results, applied } = applyLog([w(0, 1), { term: 1, cmd: { kind: 'noop' } }, w(0, 1), w(1, 2)]);
    expect([value, results, applied]).toEqual([2, ['ok', undefined, 'ok', 'ok'], [{ client: 0, seq: 0 }, { client: 0, seq: 1 }]]);
  });
});

describe('Raft planted bugs are found by BFS with their shortest counterexample, which replays', () => {
  it.each([
    ['vote-without-up-to-date-check', 'LeaderCompleteness', 9, 'n2 is leader of term 2 but has no entry at index 1, where n1 knew 1:write(1) committed in term 1'],
    ['votedfor-not-persisted', 'ElectionSafety', 8, 'n1 and n3 were both leader in term 1'],
    ['appendentries-without-prevlog-check', 'LogMatching', 9, 'n1 and n3 both have an entry of term 2 at index 2, but differ at index 1: 1:noop and 2:noop'],
    ['no-step-down-on-higher-term', 'ElectionSafety', 6, 'n1 and n2 were both leader in term 2'],
    ['no-client-dedup', 'AppliedOnce', 10, 'n1 applied request 0 of client 0 twice'],
    ['stale-local-read', 'Linearizable', 10, undefined],
  ])('%s breaks %s in %i steps', (variant, property, steps, message) => {
    const model = instantiate(raftDefinition, variant).model;
    const v = explore(model).violations[0];
    expect([v.property, v.steps]).toEqual([property, steps]);
    if (message !== undefined) expect(v.message).toBe(message);
    else expect(v.message).toMatch(/^read\(\) by client 1 returned 0, but no linearization allows it after write\(1\) by client 0 completed/);
    expect(replayPath(model, v.path)).toEqual(v.run);
  });

  it.each([
    ['vote-without-up-to-date-check-leadercompleteness', 'LeaderCompleteness', 9],
    ['votedfor-not-persisted-electionsafety', 'ElectionSafety', 8],
    ['appendentries-without-prevlog-check-logmatching', 'LogMatching', 9],
    ['appendentries-without-prevlog-check-statemachinesafety', 'StateMachineSafety', 11],
    ['no-step-down-on-higher-term-electionsafety', 'ElectionSafety', 6],
    ['no-client-dedup-appliedonce', 'AppliedOnce', 10],
    ['stale-local-read-linearizable', 'Linearizable', 10],
    ['commit-by-counting-leadercompleteness', 'LeaderCompleteness', 41],
    ['commit-by-counting-leadercompleteness.swarm', 'LeaderCompleteness', 20],
  ])('the saved trace %s replays to its %s violation in %i steps', (name, property, steps) => {
    const file = join(traces, `${name}.json`);
    const trace = loadTrace(file);
    expect([trace.property, trace.steps.length]).toEqual([property, steps]);
    expect(replayTrace(trace, file, buildRegistered).reproduced).toBe(true);
  });

  it('Figure 8: a leader that commits an earlier term\'s entry by counting replicas loses it to the next leader; BFS (timers in turn in a quiet network, one loss) needs 41 steps, and it replays', () => {
    const model = instantiate(raftDefinition, 'commit-by-counting').model;
    const v = explore(model).violations[0];
    expect([v.property, v.steps]).toEqual(['LeaderCompleteness', 41]);
    expect(v.message).toBe('n2 is leader of term 4 but has 2:read() at index 1, where n1 knew 1:write(1) committed in term 3');
    expect(replayPath(model, v.path)).toEqual(v.run);
  }, 240_000);

  it('Figure 8 also happens at asynchronous timers with no fault: the saved 20-step run is the paper\'s story', () => {
    const trace = loadTrace(join(traces, 'commit-by-counting-leadercompleteness.swarm.json'));
    expect([trace.params.synchronous, trace.params.inTurn, trace.params.dropsMax]).toEqual([0, 0, 0]);
    expect(trace.steps.filter((s) => s.label.startsWith('timeout')).map((s) => s.label)).toEqual([
      'timeout n1 election', 'timeout n2 election', 'timeout n1 election', 'timeout n2 election',
    ]);
    expect(trace.message).toBe('n2 is leader of term 4 but has 2:read() at index 1, where n1 knew 1:write(1) committed in term 3');
  });
});

describe('Raft liveness once faults stop (weak fairness of delivery, the election timer and clients)', () => {
  const def = raftDefinition;
  const scenario = (name: string) => runCheck(scenarioCheck(def, findScenario(def, name)));
  const stats = (o: ReturnType<typeof scenario>) => [o.summary.status, o.summary.distinctStates, o.summary.totalStates, o.summary.depth];

  it('a three-way split vote leaves no leader: with terms bounded it is a stuck state at the bound (15 steps), not a lasso', () => {
    const o = scenario('three-way-split-vote');
    expect([o.findings[0].property, o.findings[0].steps, o.matchesExpected]).toEqual(['stuck', 15, true]);
    expect(stats(o)).toEqual(['violation', 2_524, 8_725, 16]);
    const trace = loadTrace(join(traces, 'default-stuck.json'));
    expect([trace.property, trace.steps.length]).toEqual(['stuck', 15]);
    expect(replayTrace(trace, join(traces, 'default-stuck.json'), buildRegistered).reproduced).toBe(true);
  });

  it('when only n1\'s election timer fires, a leader is elected, also after a lost message', () => {
    expect(stats(scenario('one-timer-elects-a-leader'))).toEqual(['holds', 2_316, 10_024, 15]);
  });

  it('when only n1\'s election timer fires, a leader is elected and the client finishes', () => {
    expect(stats(scenario('one-timer-finishes-the-client'))).toEqual(['holds', 60_544, 305_352, 24]);
  });
});

describe('Raft: the seed\'s failure cases as saved traces of the faithful model', () => {
  it('case 3: replicated to every follower, the leader crashes before answering; the new leader commits it and the client\'s retry takes effect once', () => {
    const file = join(traces, 'seed-case-3-leader-crashes-before-answering.json');
    const r = replayTrace(loadTrace(file), file, buildRegistered);
    expect([r.trace.outcome, r.trace.property, r.trace.steps.length, r.reproduced]).toEqual(['witness', 'a retried request is answered', 14, true]);
    expect(r.trace.steps.map((s) => s.label)).toContain('crash n1');
    const last = r.states[r.states.length - 1] as RaftState;
    const n2 = last.nodes[1].state!;
    expect([n2.role, n2.term, n2.commit]).toEqual(['leader', 2, 3]);
    expect(n2.log.filter((e) => e.cmd.kind === 'request')).toHaveLength(1);
    expect(applyLog(n2.log.slice(0, n2.commit)).applied).toEqual([{ client: 0, seq: 0 }]);
    expect(last.history.filter((e) => e.kind === 'return')).toEqual([{ kind: 'return', client: 0, result: 'ok', node: 'n2' }]);
  });

  it('case 1: a request lost before it reaches the leader leaves nothing applied; the client\'s retry at the leader is applied once', () => {
    const file = join(traces, 'seed-case-1-request-lost-before-the-leader.json');
    const r = replayTrace(loadTrace(file), file, buildRegistered);
    expect([r.trace.outcome, r.trace.property, r.trace.steps.length, r.reproduced]).toEqual(['witness', 'a retried request is answered', 8, true]);
    const lost = r.trace.steps.findIndex((s) => s.label === 'client0->n1 write(1)') + 1;
    expect((r.states[lost] as RaftState).nodes.map((n) => n.state!.log.length)).toEqual([0, 0, 0]);
    const last = r.states[r.states.length - 1] as RaftState;
    const n2 = last.nodes[1].state!;
    expect(applyLog(n2.log.slice(0, n2.commit)).applied).toEqual([{ client: 0, seq: 0 }]);
    expect(last.history.filter((e) => e.kind === 'return')).toEqual([{ kind: 'return', client: 0, result: 'ok', node: 'n2' }]);
  });
});
