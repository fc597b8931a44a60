// A parallel breadth-first search (--workers N) finds exactly the states, totals and depths of
// the search on one thread, and its counterexamples are shortest and replay.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { explore, ModelError, type ExploreOptions, type ExploreResult } from '../src/explore/explore.ts';
import { withDefaults, type Params } from '../src/core/model.ts';
import { buildRegistered } from '../src/verify/registry.ts';
import { replayPath } from '../src/explore/path.ts';

const bin = fileURLToPath(new URL('../src/cli/faultline.js', import.meta.url));
const registry = new URL('../src/verify/registry.ts', import.meta.url).href;

function faultline(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function run(name: string, variant: string, params: Params, options: ExploreOptions = {}): ExploreResult {
  const modelSource = { module: registry, name: 'buildRegistered', args: [name, variant, params] };
  return explore(buildRegistered(name, variant, params), { ...options, modelSource });
}

const figures = (r: ExploreResult) => [r.status, r.distinctStates, r.totalStates, r.depth, r.witnesses.map((w) => w.depth)];

describe('parallel breadth-first search', () => {
  it('2 and 3 workers find exactly the distinct states, totals, depth and witness depths of one thread (TwoPhase 6: TLC\'s 50,816)', () => {
    const one = run('twophase', 'default', { rm: 6 });
    expect(figures(one)).toEqual(['holds', 50816, 402306, 20, [20, 7, 14]]);
    expect(figures(run('twophase', 'default', { rm: 6 }, { workers: 2 }))).toEqual(figures(one));
    expect(figures(run('twophase', 'default', { rm: 6 }, { workers: 3 }))).toEqual(figures(one));
  }, 60_000);

  it('2 workers find exactly the states of 2PC with a crash and a lost message, and the orbits under symmetry', () => {
    const params = { participants: 2, network: 0, dropsMax: 1, duplicatesMax: 0, crashesMax: 1, partitionsMax: 0, crashCoordinatorOnly: 0 };
    expect(figures(run('twopc', 'default', params, { workers: 2 }))).toEqual(figures(run('twopc', 'default', params)));
    const orbits = run('twophase', 'default', { rm: 5 }, { workers: 2, symmetry: true });
    expect([orbits.status, orbits.distinctStates]).toEqual(['holds', 314]);
  }, 60_000);

  it('a planted bug is found by 2 workers in the fewest steps, and the run replays to a state that violates the property', () => {
    const params = { rm: 4 };
    const one = run('twophase', 'commit-without-all-prepared', params);
    const two = run('twophase', 'commit-without-all-prepared', params, { workers: 2 });
    expect(two.status).toBe('violation');
    expect([two.violations[0].property, two.violations[0].steps]).toEqual(['TCConsistent', one.violations[0].steps]);
    const model = withDefaults(buildRegistered('twophase', 'commit-without-all-prepared', params));
    const r = replayPath(model, two.violations[0].path);
    const last = r.steps[r.steps.length - 1].state;
    expect(model.invariants.find((i) => i.name === 'TCConsistent')!.check(last)).toMatch(/committed while .* aborted/);
  }, 60_000);

  it('an exception in the model on a worker thread is a model error with the run to the state and the action that threw', async () => {
    // A counter whose step throws at 5, as a module a worker thread can import.
    const module = 'data:text/javascript,' + encodeURIComponent(`export function build() {
      return {
        init: [{ n: 0 }], actions: () => ['inc'], invariants: [], sometimes: [], describe: (a) => a,
        step: (s) => { if (s.n === 5) throw new Error('boom at 5'); return { n: s.n + 1 }; },
        schema: { kind: 'record', fields: { n: { kind: 'int', min: 0, max: 10 } } },
      };
    }`);
    const { build } = (await import(module)) as { build: () => import('../src/core/model.ts').AnyModel };
    let error: unknown;
    try {
      explore(build(), { workers: 2, modelSource: { module, name: 'build', args: [] } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).message).toBe('the model threw while taking "inc": boom at 5');
    expect((error as ModelError).run?.steps).toHaveLength(5);
  }, 60_000);

  it('a parallel search past its memory budget ends as bounded (memoryMax) with its statistics, not a crash', () => {
    const r = run('twophase', 'default', { rm: 9 }, { workers: 2, memoryMaxBytes: 64 * 2 ** 20 });
    expect([r.status, r.boundsHit]).toEqual(['bounded', ['memoryMax']]);
    expect(r.distinctStates).toBeGreaterThan(0);
  }, 60_000);

  it('check --workers 2 prints the single-thread figures; --workers 0 and --workers on a model without a schema are one line, exit 2', () => {
    const r = faultline('check', 'twophase', '--param', 'rm=5', '--workers', '2');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('8,832 distinct, 58,146 total, depth 17');
    for (const args of [['twophase', '--workers', '0'], ['paxos-tla', '--workers', '2']]) {
      const bad = faultline('check', ...args);
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(/--workers/);
    }
  }, 60_000);
});
