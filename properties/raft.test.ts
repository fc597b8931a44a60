// Raft (models/raft): leader election and log replication with a replicated register and
// exactly-once clients. The default configuration (545,927 states, ~23 s) is a row of
// check --all; here a smaller named configuration is pinned (elections only, two terms), and
// every planted bug is found by BFS with its shortest counterexample, which replays.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { explore } from '../src/explore/explore.ts';
import { replayPath } from '../src/explore/path.ts';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { buildRegistered, instantiate } from '../src/verify/index.ts';
import { applyLog, mergeEntries, raft, raftDefinition, RAFT_DEFAULTS, type Entry } from '../models/raft/index.ts';

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
  ])('the saved trace %s replays to its %s violation in %i steps', (name, property, steps) => {
    const file = join(traces, `${name}.json`);
    const trace = loadTrace(file);
    expect([trace.property, trace.steps.length]).toEqual([property, steps]);
    expect(replayTrace(trace, file, buildRegistered).reproduced).toBe(true);
  });
});
