// The bundled primary-backup register (models/primary-backup): Viewstamped Replication's normal
// operation and view change, with clients that time out, follow redirects and retry at another
// replica. The planted bug — a new primary that does not collect the others' logs — loses an
// acknowledged write, and three searches find it: BFS with crashes on, the swarm, and
// fast-check with its default settings.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { explore } from '../src/explore/explore.ts';
import { replayPath } from '../src/explore/path.ts';
import { simulate } from '../src/explore/simulate.ts';
import { checkWithFastCheck, RUN_DEFAULTS } from '../src/check/runner.ts';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { buildRegistered, findModel, findScenario, instantiate, runCheck, scenarioCheck } from '../src/verify/index.ts';
import { applyLog, primaryBackup } from '../models/primary-backup/index.ts';

const def = findModel('primary-backup');
const BUG = 'new-primary-skips-state-collection';
const LOST_WRITE = /^read\(\) by client 1 returned 0, but no linearization allows it after write\(1\) by client 0 completed/;
const bugModel = () => instantiate(def, BUG).model;

describe('primary-backup: Viewstamped Replication with client failover', () => {
  it('an acknowledged write survives a crash and restart of the first primary and a view change: holds exhaustively', () => {
    const r = runCheck(scenarioCheck(def, findScenario(def, 'acked-write-survives-primary-crash')));
    expect(r.summary.status).toBe('holds');
    const e = r.result.kind === 'safety' ? r.result.explore : undefined;
    expect([e?.status, e?.distinctStates, e?.totalStates, e?.depth]).toEqual(['holds', 271_919, 1_111_480, 20]);
    expect(e?.witnesses.map((w) => [w.name, w.reached])).toEqual([['a read returns 1', true], ['a new view starts', true]]);
  });

  it('with one writer that may retry once, every reachable state is linearizable and a retry at another replica happens', () => {
    const r = explore(primaryBackup({ replicas: 3, viewsMax: 2, crashesMax: 0, crashFirstPrimaryOnly: 0, retriesMax: 1, reads: 0 }));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 1_977, 6_356, 15]);
    expect(r.witnesses.map((w) => [w.name, w.reached])).toEqual([['a new view starts', true], ['a client retries at another replica', true]]);
  });

  it('once faults stop, every client finishes, also after a crash (weak fairness of timers and clients)', () => {
    const r = runCheck(scenarioCheck(def, findScenario(def, 'clients-finish')));
    expect(r.summary.status).toBe('holds');
  });

  it('a new primary that skips state collection loses an acknowledged write: BFS with crashes on finds it in 9 steps, and it replays', () => {
    const model = bugModel();
    const r = explore(model);
    expect(r.status).toBe('violation');
    const v = r.violations[0];
    expect([v.property, v.steps]).toEqual(['Linearizable', 9]);
    expect(v.message).toMatch(LOST_WRITE);
    expect(replayPath(model, v.path)).toEqual(v.run);
  });

  it('the swarm finds the lost write with seed 1 in its default 1,000 runs', () => {
    const r = simulate(bugModel(), { runs: 1000, depthMax: 50, seed: 1 });
    expect(r.failedRuns).toBeGreaterThan(0);
    expect(r.violations[0].property).toBe('Linearizable');
    expect(r.violations[0].message).toMatch(LOST_WRITE);
  });

  it('fast-check with its default settings finds the lost write and shrinks it to BFS\'s 9 steps', () => {
    const r = checkWithFastCheck(def, BUG, {}, { seed: 1 });
    expect(r.ok).toBe(false);
    expect(r.numRuns).toBeLessThanOrEqual(RUN_DEFAULTS.numRuns);
    expect([r.failure!.property, r.failure!.run.steps.length]).toEqual(['Linearizable', 9]);
  });

  it('the saved BFS and fast-check traces replay to the lost write', () => {
    for (const name of ['new-primary-skips-state-collection-linearizable.json', 'new-primary-skips-state-collection-linearizable.fast-check.json']) {
      const file = join(import.meta.dirname, '..', 'traces', 'primary-backup', name);
      const trace = loadTrace(file);
      expect([trace.property, trace.steps.length]).toEqual(['Linearizable', 9]);
      const r = replayTrace(trace, file, buildRegistered);
      expect(r.reproduced).toBe(true);
    }
  });

  it('the committed log is applied once per (client, seq): a retried request in the log twice takes effect once', () => {
    const write = (value: number) => ({ kind: 'write' as const, value });
    const { value, results, table } = applyLog([
      { client: 0, seq: 0, op: write(1) },
      { client: 1, seq: 0, op: write(2) },
      { client: 0, seq: 0, op: write(1) },
      { client: 1, seq: 1, op: { kind: 'read' } },
    ]);
    expect([value, results, table]).toEqual([2, ['ok', 'ok', 'ok', 2], [{ client: 0, seq: 0, result: 'ok' }, { client: 1, seq: 1, result: 2 }]]);
  });
});
