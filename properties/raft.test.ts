// Raft (models/raft): leader election and log replication with a replicated register and
// exactly-once clients. The default configuration (1,087,231 states, ~33 s) is a row of
// check --all; here a smaller named configuration is pinned (elections only, two terms), and
// every planted bug is found by BFS with its shortest counterexample, which replays. The
// seed's seven failure cases are saved stories whose claims are checked on the replayed
// states; membership changes and ReadIndex have their bug found and the fix held exhaustively
// at the same (cut-down) bounds.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { explore } from '../src/explore/explore.ts';
import { simulate } from '../src/explore/simulate.ts';
import { replayPath } from '../src/explore/path.ts';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { buildRegistered, findScenario, instantiate, runCheck, scenarioCheck, variantCheck } from '../src/verify/index.ts';
import { resolveParams } from '../src/core/model.ts';
import { checkRefinement } from '../src/explore/refinement.ts';
import { appendOnlyLog, committedLog } from '../models/raft/log-spec.ts';
import { applyLog, mergeEntries, raft, raftDefinition, RAFT_DEFAULTS, type Entry, type RaftState } from '../models/raft/index.ts';
import { raftServer, type Bugs } from '../models/raft/server.ts';
import { commitMonotone, leaderAppendOnly, termMonotone } from '../models/raft/invariants.ts';

const NO_BUGS: Bugs = {
  commitByCounting: false, voteWithoutLogCheck: false, votedForNotPersisted: false, noPrevLogCheck: false,
  noStepDown: false, noClientDedup: false, localReads: false, changeBeforeNoop: false, appendAtCommit: false, commitFromAnyAppend: false,
};

const traces = join(import.meta.dirname, '..', 'traces', 'raft');

describe('Raft keeps its safety properties', () => {
  it('with elections only (3 servers, two terms, two elections): 34,612 states, every invariant holds exhaustively and every election witness is reached', () => {
    const r = explore(raft({ ...RAFT_DEFAULTS, requestsMax: 0 }));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 34_612, 145_924, 19]);
    expect(r.witnesses.map((w) => [w.name, w.reached])).toEqual([
      ['a leader is elected', true],
      ['a split vote happens', true],
      ['leaders of two terms coexist', true],
    ]);
  });

  it('a retry after a late answer is answered from the leader\'s client table: 20,848 states, every property holds (LeaderAppendOnly on every step) and every witness is reached', () => {
    const o = runCheck(scenarioCheck(raftDefinition, findScenario(raftDefinition, 'retry-answered-from-the-client-table')));
    expect([o.summary.status, o.summary.distinctStates, o.summary.totalStates, o.summary.depth, o.matchesExpected]).toEqual(['holds', 20_848, 89_340, 31, true]);
    expect(o.verdict).not.toMatch(/vacuous/);
  });

  // The pairs with a crash (crash-drop 392,202 states, crash-partition 375,662) are rows of
  // check --all only.
  it.each([
    ['faults-drop', 11_381, 42_346, 25],
    ['faults-duplicate', 35_793, 142_891, 27],
    ['faults-crash', 104_116, 442_593, 28],
    ['faults-partition', 18_223, 59_481, 25],
    ['faults-drop-duplicate', 112_099, 547_344, 27],
  ])('with %s every property holds exhaustively: %i states', (name, distinct, total, depth) => {
    const o = runCheck(scenarioCheck(raftDefinition, findScenario(raftDefinition, name)));
    expect([o.summary.status, o.summary.distinctStates, o.summary.totalStates, o.summary.depth, o.matchesExpected]).toEqual(['holds', distinct, total, depth, true]);
    expect(o.verdict).not.toMatch(/vacuous/);
  }, 120_000);

  it('the step invariants name the server and values: a term that goes down, a commitIndex that goes down, a leader that rewrites its log', () => {
    const model = raft(RAFT_DEFAULTS);
    const s0 = model.init[0];
    const timeout = model.actions(s0).find((a) => a.kind === 'timeout' && a.node === 'n1')!;
    const s1 = model.step(s0, timeout);
    // The same step backwards: n1's term from 1 to 0.
    expect(termMonotone.check(s1, timeout, s0)).toBe('n1\'s currentTerm went down from 1 to 0');
    expect([termMonotone.check(s0, timeout, s1), commitMonotone.check(s0, timeout, s1), leaderAppendOnly.check(s0, timeout, s1)]).toEqual([undefined, undefined, undefined]);
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
    ['append-at-commit-index', 'LeaderAppendOnly', 4, 'n1, leader of term 1, overwrote with 1:write(1) its entry 1:noop at index 1'],
    ['commit-index-goes-back', 'CommitMonotone', 8, 'n2\'s commitIndex went down from 1 to 0 in term 1'],
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
    ['membership-before-noop-electionsafety', 'ElectionSafety', 39],
    ['membership-before-noop-leadercompleteness', 'LeaderCompleteness', 34],
    ['append-at-commit-index-leaderappendonly', 'LeaderAppendOnly', 4],
    ['commit-index-goes-back-commitmonotone', 'CommitMonotone', 8],
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

describe('Raft single-server membership changes (thesis §4.1) and the raft-dev 2015 bug', () => {
  it('a leader that takes a change before committing an entry of its term lets two disjoint majorities elect two leaders in term 3 (39 steps) and lose a committed configuration (34 steps); BFS finds both, and they replay', () => {
    const model = instantiate(raftDefinition, 'membership-before-noop').model;
    const r = explore(model, { continueAfterViolation: true });
    expect(r.violations.map((v) => [v.property, v.steps, v.message])).toEqual([
      ['LeaderCompleteness', 34, 'n1 is leader of term 3 but has 1:config{n1,n2,n4} at index 1, where n3 knew 2:config{n1,n3,n4} committed in term 2'],
      ['ElectionSafety', 39, 'n1 and n3 were both leader in term 3'],
    ]);
    for (const v of r.violations) expect(replayPath(model, v.path)).toEqual(v.run);
    // Each change in the run is taken by a leader that has committed nothing of its term (n2 in
    // term 2, then the stale leader n1 of term 1); the faithful leader refuses the first one.
    const es = r.violations[1].run.steps;
    const proposals = es.flatMap((s, i) => ((s.action as { kind: string }).kind === 'internal' ? [i] : []));
    expect(proposals.map((i) => {
      const k = Number((es[i].action as { node: string }).node.slice(1)) - 1;
      const p = (es[i - 1].state as RaftState).nodes[k].state!;
      return [es[i].label, p.role, p.term, p.commit];
    })).toEqual([['n2 remove n4', 'leader', 2, 0], ['n1 remove n2', 'leader', 1, 0]]);
    // The same leader state offers no change to a faithful server.
    const nodes = ['n1', 'n2', 'n3', 'n4'];
    const server = (changeBeforeNoop: boolean) => raftServer({ termsMax: 3, noop: false, notices: false, replyStep: false, readIndex: false, membership: { id: 'n2', initial: nodes, adds: true }, bugs: { ...NO_BUGS, changeBeforeNoop } });
    const n2 = (es[proposals[0] - 1].state as RaftState).nodes[1].state!;
    expect([server(true).internal!(n2, { id: 'n2', nodes }), server(false).internal!(n2, { id: 'n2', nodes })]).toEqual([['remove n1', 'remove n3', 'remove n4'], []]);
  }, 240_000);

  it.each([
    ['membership-changes', 'holds', 471_355, 873_809, 53],
    ['membership-add-back', 'holds', 367_200, 904_535, 59],
  ])('the faithful model (a new leader commits its no-op before any change) at %s holds exhaustively, and its changes commit', (name, status, distinct, total, depth) => {
    const o = runCheck(scenarioCheck(raftDefinition, findScenario(raftDefinition, name)));
    expect([o.summary.status, o.summary.distinctStates, o.summary.totalStates, o.summary.depth, o.matchesExpected]).toEqual([status, distinct, total, depth, true]);
  }, 300_000);

  // A planted bug's row goes on past its expected violation; at these params it exhausts the space.
  it('the bug\'s row at its params explores 177,176 states exhaustively, finding both violations', () => {
    const o = runCheck(variantCheck(raftDefinition, 'membership-before-noop'));
    expect([o.summary.status, o.summary.distinctStates, o.summary.totalStates, o.summary.depth, o.matchesExpected]).toEqual(['violation', 177_176, 329_036, 52, true]);
  }, 300_000);
});

describe('Raft ReadIndex (thesis §6.4): a read is answered only after the leader confirms its leadership', () => {
  const reads = findScenario(raftDefinition, 'read-index');

  it('at the ReadIndex scenario\'s params a leader answering reads from its own state returns a stale value (13 steps), and the run replays', () => {
    const model = instantiate(raftDefinition, 'stale-local-read', reads.params).model;
    const v = explore(model).violations[0];
    expect([v.property, v.steps]).toEqual(['Linearizable', 13]);
    expect(v.message).toMatch(/^read\(\) by client 1 returned 0, but no linearization allows it after write\(1\) by client 0 completed/);
    expect(replayPath(model, v.path)).toEqual(v.run);
  }, 120_000);

  it('a deposed leader asked for a read sends a heartbeat round instead of answering from its stale state machine, learns the new term and drops the read', () => {
    const file = join(traces, 'read-index-deposed-leader-does-not-answer.json');
    const r = replayTrace(loadTrace(file), file, buildRegistered);
    expect(r.reproduced, r.observed).toBe(true);
    const states = r.states as RaftState[];
    const asked = r.trace.steps.findIndex((s) => (s.action as { kind: string; client?: number }).kind === 'request' && (s.action as { client: number }).client === 1) + 1;
    const n2 = states[asked].nodes[1].state!;
    expect([n2.role, n2.term, n2.reads, applyLog(n2.log.slice(0, n2.commit)).value]).toEqual(['leader', 1, [{ client: 1, seq: 0, readIndex: 1, acks: ['n2'] }], 0]);
    expect(states[asked].nodes[0].state!.led).toEqual([2]);
    expect(states.every((s) => !s.history.some((e) => e.kind === 'return' && e.client === 1))).toBe(true);
    const last = states[states.length - 1].nodes[1].state!;
    expect([last.role, last.term, last.reads]).toEqual(['follower', 2, undefined]);
  });

  // The read-index row of check --all (these params with one partition) explores 1,126,870
  // states (4,431,278 generated, depth 33); the suite runs it without the partition, where a
  // deposed leader still answers stale reads without ReadIndex (16 steps).
  it('with ReadIndex and no partition the history stays linearizable: 260,275 states exhaustively, and a read is answered, where stale-local-read fails in 16 steps', () => {
    const params = { ...reads.params, partitionsMax: 0 };
    const o = runCheck(scenarioCheck(raftDefinition, { ...reads, params }));
    expect([o.summary.status, o.summary.distinctStates, o.summary.totalStates, o.summary.depth, o.matchesExpected]).toEqual(['holds', 260_275, 1_022_602, 32, true]);
    expect(o.verdict).not.toMatch(/vacuous/);
    const v = explore(instantiate(raftDefinition, 'stale-local-read', params).model).violations[0];
    expect([v.property, v.steps]).toEqual(['Linearizable', 16]);
  }, 300_000);
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
  /** Replays a seed case and returns its states; the claims below are read off them. */
  const seedCase = (name: string) => {
    const file = join(traces, `${name}.json`);
    const r = replayTrace(loadTrace(file), file, buildRegistered);
    expect(r.reproduced, r.observed).toBe(true);
    return { trace: r.trace, states: r.states as RaftState[], last: r.states[r.states.length - 1] as RaftState };
  };
  /** The state right after the first step whose action is of this kind. */
  const after = (c: ReturnType<typeof seedCase>, kind: string) => c.states[c.trace.steps.findIndex((s) => (s.action as { kind: string }).kind === kind) + 1];
  const node = (s: RaftState, k: number) => s.nodes[k].state ?? s.nodes[k].durable!;
  const appliedBy = (s: RaftState, k: number) => applyLog(s.nodes[k].state!.log.slice(0, s.nodes[k].state!.commit)).applied;
  const returns = (s: RaftState) => s.history.filter((e) => e.kind === 'return');

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

  it('case 2: the request reaches the leader, which crashes before replicating it: its entry is lost, and when it rejoins its log is made the new leader\'s', () => {
    const c = seedCase('seed-case-2-leader-crashes-before-replicating');
    expect([c.trace.params.crashesMax, c.trace.steps.length]).toEqual([1, 15]);
    const crashed = after(c, 'crash');
    expect([0, 1, 2].map((k) => node(crashed, k).log.map((e) => e.term))).toEqual([[1], [], []]);
    // No server ever knows the term-1 entry committed, and at the end no log holds it.
    expect(c.states.every((s) => [0, 1, 2].every((k) => node(s, k).committed.every((x) => x.entry.term !== 1)))).toBe(true);
    const [n1, n2] = [c.last.nodes[0].state!, c.last.nodes[1].state!];
    expect([n1.role, n1.term, n2.role, n2.term]).toEqual(['follower', 2, 'leader', 2]);
    expect(n1.log).toEqual(n2.log);
    expect(n1.log.map((e) => e.term)).toEqual([2]);
    expect(appliedBy(c.last, 1)).toEqual([{ client: 0, seq: 0 }]);
    expect(returns(c.last)).toEqual([{ kind: 'return', client: 0, result: 'ok', node: 'n2' }]);
  });

  it('case 4: replicated to some followers, the leader crashes: the server without the entry cannot win, the one holding the newest log does and commits it; the retry takes effect once', () => {
    const c = seedCase('seed-case-4-replicated-to-some-followers');
    const crashed = after(c, 'crash');
    expect([0, 1, 2].map((k) => node(crashed, k).log.length)).toEqual([2, 2, 1]);
    // n3 campaigns in term 2 and is refused; no server lacking write(1) ever leads.
    expect(c.states.some((s) => s.nodes[2].state?.role === 'candidate' && s.nodes[2].state.term === 2)).toBe(true);
    const hasWrite = (log: readonly Entry[]) => log.some((e) => e.cmd.kind === 'request');
    expect(c.states.every((s) => s.nodes.every((n) => n.state?.role !== 'leader' || n.state.term === 1 || hasWrite(n.state.log)))).toBe(true);
    expect(node(c.last, 2).led).toEqual([]);
    const n2 = c.last.nodes[1].state!;
    expect([n2.role, n2.term, n2.commit]).toEqual(['leader', 3, 3]);
    expect(n2.log.filter((e) => e.cmd.kind === 'request')).toHaveLength(1);
    expect(appliedBy(c.last, 1)).toEqual([{ client: 0, seq: 0 }]);
    expect(returns(c.last)).toEqual([{ kind: 'return', client: 0, result: 'ok', node: 'n2' }]);
  });

  it('case 5: committed on the leader, which crashes before the followers learn it: the new leader has the entry at the same index and commits it', () => {
    const c = seedCase('seed-case-5-committed-on-the-leader-only');
    const crashed = after(c, 'crash');
    const written = node(crashed, 0).log[1];
    expect([node(crashed, 0).committed.length, crashed.nodes[1].state!.commit, crashed.nodes[2].state!.commit]).toEqual([2, 0, 0]);
    expect(returns(crashed)).toEqual([{ kind: 'return', client: 0, result: 'ok', node: 'n1' }]);
    const n2 = c.last.nodes[1].state!;
    expect([n2.role, n2.term, n2.commit]).toEqual(['leader', 2, 3]);
    expect(n2.log[1]).toEqual(written);
    expect(appliedBy(c.last, 1)).toEqual([{ client: 0, seq: 0 }]);
    expect(returns(c.last)).toHaveLength(1);
  });

  it('case 6: committed everywhere, the leader crashes before answering: the client\'s retry at the new leader is answered from its client table and appends nothing', () => {
    const c = seedCase('seed-case-6-committed-everywhere-not-answered');
    expect([c.trace.params.replyStep, c.trace.params.notices]).toEqual([1, 1]);
    const before = c.states[c.trace.steps.findIndex((s) => (s.action as { kind: string }).kind === 'crash')];
    // Every server knows write(1) committed (index 2), the leader still holds the answer.
    expect([0, 1, 2].map((k) => before.nodes[k].state!.commit)).toEqual([2, 2, 2]);
    expect(before.nodes[0].state!.unanswered).toEqual([{ client: 0, seq: 0, result: 'ok' }]);
    expect(returns(before)).toEqual([]);
    const retried = c.trace.steps.findIndex((s) => (s.action as { kind: string; retry?: boolean }).retry === true);
    // The retry changes no log: n2 answers from its committed prefix.
    expect(c.states[retried + 1].nodes.map((n) => n.state?.log)).toEqual(c.states[retried].nodes.map((n) => n.state?.log));
    const n2 = c.last.nodes[1].state!;
    expect(n2.log.filter((e) => e.cmd.kind === 'request')).toHaveLength(1);
    expect(appliedBy(c.last, 1)).toEqual([{ client: 0, seq: 0 }]);
    expect(returns(c.last)).toEqual([{ kind: 'return', client: 0, result: 'ok', node: 'n2' }]);
  });

  it('case 7: a partition leaves two leaders; the old one cannot commit, and after healing it steps down and its uncommitted entry is replaced', () => {
    const c = seedCase('seed-case-7-partition-leaves-two-leaders');
    const leaders = (s: RaftState) => s.nodes.flatMap((n, k) => (n.state?.role === 'leader' ? [`n${k + 1}@${n.state.term}`] : []));
    const cut = c.states.filter((s) => s.partition !== undefined);
    expect(cut.some((s) => leaders(s).join() === 'n1@1,n2@2')).toBe(true);
    // While cut off, n1 holds a term-1 entry it never commits.
    expect(cut.some((s) => s.nodes[0].state!.log.some((e) => e.term === 1))).toBe(true);
    expect(cut.every((s) => s.nodes[0].state!.commit === 0)).toBe(true);
    expect(c.last.partition).toBeUndefined();
    const [n1, n2] = [c.last.nodes[0].state!, c.last.nodes[1].state!];
    expect([n1.role, n1.term, leaders(c.last)]).toEqual(['follower', 2, ['n2@2']]);
    expect(n1.log).toEqual(n2.log);
    expect(n1.log.every((e) => e.term === 2)).toBe(true);
    expect(appliedBy(c.last, 1)).toEqual([{ client: 0, seq: 0 }, { client: 0, seq: 1 }]);
    expect(returns(c.last)).toEqual([{ kind: 'return', client: 0, result: 'ok', node: 'n2' }, { kind: 'return', client: 0, result: 1, node: 'n2' }]);
  });
});

describe('Raft refines an append-only committed log (models/raft/log-spec.ts)', () => {
  it('AppendEntries accepted without the prevLog check makes the committed log change by something other than an append: the refinement fails after 12 steps (129,009 states)', () => {
    const row = findScenario(raftDefinition, 'prevlog-bug-rewrites-the-committed-log');
    const o = runCheck(scenarioCheck(raftDefinition, row));
    expect([o.matchesExpected, o.summary.distinctStates]).toEqual([true, 129_009]);
    const p = resolveParams(raftDefinition, row.params);
    const r = checkRefinement(raft(p, 'appendentries-without-prevlog-check'), appendOnlyLog(p), (s) => committedLog(s as RaftState));
    expect([r.refines, r.failure!.run.steps.length]).toEqual([false, 12]);
    expect(r.failure!.message).toMatch(/^step "n\d->n\d AppendEntries .*" maps to a change the specification does not allow$/);
  }, 120_000);
});

describe('Raft swarm simulation at 5 servers with every fault kind (seeded: the same runs every time)', () => {
  // 5 servers, a crash, a lost and a duplicated message, a partition, 3 terms, 2 clients with a
  // retry each: far beyond exhaustive search; random runs, NOT a proof.
  const SWARM = { servers: 5, crashesMax: 1, dropsMax: 1, duplicatesMax: 1, partitionsMax: 1, termsMax: 3, electionsMax: 3, requestsMax: 2, clients: 2, retriesMax: 1 };
  const swarm = (variant: string) => simulate(instantiate(raftDefinition, variant, SWARM).model, { runs: 2_000, depthMax: 100, seed: 1 });

  it('the faithful model: no violation in 2,000 runs, and leaders are elected, requests commit and retried requests are answered', () => {
    const r = swarm('default');
    expect(r.violations).toEqual([]);
    expect(['a leader is elected', 'a client request commits', 'a retried request is answered'].map((w) => r.witnessRuns[w] > 0)).toEqual([true, true, true]);
  }, 60_000);

  it.each([
    ['no-step-down-on-higher-term', 'ElectionSafety'],
    ['no-client-dedup', 'AppliedOnce'],
  ])('%s is found (%s) in the same 2,000 runs, and its shortest run replays', (variant, property) => {
    const model = instantiate(raftDefinition, variant, SWARM).model;
    const r = simulate(model, { runs: 2_000, depthMax: 100, seed: 1 });
    expect(r.violations.map((v) => v.property)).toEqual([property]);
    expect(replayPath(model, r.violations[0].path)).toEqual(r.violations[0].run);
  }, 60_000);
});
