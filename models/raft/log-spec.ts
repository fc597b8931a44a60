// The specification Raft's committed log refines (issue 11's refinement scenario): an
// append-only log. A step appends one or more entries at the end; nothing is ever changed or
// removed. The entries a run can hold are finite for given params (terms up to termsMax, the
// clients' requests, no-ops), so the specification enumerates its appends over them, as a TLA+
// spec would with a finite CONSTANT set.

import type { Model, Params } from '../../src/core/model.ts';
import type { Entry } from './server.ts';
import type { RaftState } from './invariants.ts';
import { clientScripts } from './index.ts';

/** Every entry a run with these params can commit. */
function universe(params: Params): Entry[] {
  const scripts = clientScripts(params.servers, params.clients, params.requestsMax, params.retriesMax);
  const out: Entry[] = [];
  for (let term = 1; term <= params.termsMax; term++) {
    if (params.noop === 1) out.push({ term, cmd: { kind: 'noop' } });
    for (const c of scripts) c.ops.forEach((op, seq) => out.push({ term, cmd: { kind: 'request', client: c.client, seq, op } }));
  }
  return out;
}

/** An append-only log over the entries a run can commit, at most `appendMax` at a time. */
export function appendOnlyLog(params: Params): Model<readonly Entry[], readonly Entry[]> {
  const entries = universe(params);
  // One commit may cover every entry a leader replicated at once: each request (and each of
  // its retries) and each no-op.
  const appendMax = params.requestsMax * (params.retriesMax + 1) + (params.noop === 1 ? params.termsMax : 0);
  const appends: Entry[][] = [];
  const extend = (prefix: Entry[]) => {
    if (prefix.length > 0) appends.push(prefix);
    if (prefix.length < appendMax) for (const e of entries) extend([...prefix, e]);
  };
  extend([]);
  return {
    init: [[]],
    actions: () => appends,
    step: (log, more) => [...log, ...more],
    invariants: [],
    sometimes: [],
    describe: (more) => `append ${more.length} entr${more.length === 1 ? 'y' : 'ies'}`,
  };
}

/** The refinement mapping: the longest committed prefix any server has known (its ghost
 * `committed`, which survives crashes). */
export function committedLog(s: RaftState): readonly Entry[] {
  let best: readonly Entry[] = [];
  for (const slot of s.nodes) {
    const d = slot.state ?? slot.durable;
    if (d === undefined || d.committed.length <= best.length) continue;
    best = d.committed.map((c) => c.entry);
  }
  return best;
}
