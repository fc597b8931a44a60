// Writes the Zab scenario traces of traces/zab/ (issue 12's stories) as BFS-shortest runs of
// the faithful model to a state that shows the story, with their transcripts:
//   npx tsx scripts/zab-scenario-traces.ts && npx faultline replay --rewrite traces/zab
// properties/zab.test.ts replays each one and checks its claim on the states.

import { join } from 'node:path';
import { explore } from '../src/explore/explore.ts';
import { replayPath } from '../src/explore/path.ts';
import { saveTrace, traceFromRun } from '../src/trace/trace.ts';
import { resolveParams } from '../src/core/model.ts';
import { zab, zabDefinition, type ZabState } from '../models/zab/index.ts';
import type { Params } from '../src/core/model.ts';

/** A story: stages reached one after the other, each by the shortest run from where the
 * previous one ended (so the trace tells the story in order, not only its ending). */
interface Story {
  readonly file: string;
  readonly property: string;
  readonly description: string;
  readonly params: Params;
  readonly stages: readonly ((s: ZabState) => boolean)[];
}

const n3LeadsWithLoneProposal = (s: ZabState) => {
  const n3 = s.nodes[2].state;
  return n3?.state === 'leading' && n3.established && n3.epoch === 1 && n3.history.length === 1 && s.nodes.every((n, k) => k === 2 || n.durable!.history.length === 0);
};


const STORIES: readonly Story[] = [
  {
    file: 'minority-proposal-truncated',
    property: 'a proposal only its leader logged is truncated by the next leader',
    description:
      'n2 leads epoch 1 and logs a proposal that no follower logged; it crashes, n1 and n3 establish epoch 2 without it, and n2 restarts and joins: its last zxid is not in the leader\'s log, so it gets a TRUNC and the proposal is gone everywhere',
    params: {},
    stages: [(s) => {
      const n2 = s.nodes[1];
      return s.faults.crashes === 1 && n2.state?.sync?.mode === 'TRUNC' && n2.state.sync.pending !== null && n2.state.sync.pending.length === 0 && n2.durable!.proposed.length === 1 && n2.durable!.history.length === 0;
    }],
  },
  {
    file: 'minority-proposal-committed',
    property: 'a proposal only its leader logged is committed by the next epoch',
    description:
      'n3 leads epoch 1 and logs a proposal that no follower logged; it crashes and restarts, a follower gives up on it, and n3, with the latest zxid, is elected again: its synchronisation in epoch 2 carries the proposal to its follower and it is committed',
    params: {},
    stages: [
      n3LeadsWithLoneProposal,
      (s) => s.nodes[2].state === undefined && s.nodes.every((n, k) => k === 2 || n.durable!.history.length === 0),
      (s) => s.nodes[2].durable!.led.includes(2) && s.nodes.filter((n) => n.durable!.delivered.length === 1).length >= 2,
    ],
  },
  {
    file: 'diff-catches-up-a-follower',
    property: 'a follower that missed commits is brought up to date by DIFF',
    description: 'n3 joins the leader of epoch 1 after a transaction was committed without it; the leader sends a DIFF with the transaction and n3 delivers it at UPTODATE',
    params: { crashesMax: 0, timeoutsMax: 0 },
    stages: [
      (s) => s.nodes[2].state?.state === 'looking' && s.nodes.some((n) => n.state?.state === 'leading' && n.state.commit === 1),
      (s) => s.nodes[2].state?.sync?.mode === 'DIFF' && s.nodes[2].state.sync.txns === 1,
      (s) => s.nodes[2].state?.phase === 'broadcast' && s.nodes[2].durable!.delivered.length === 1,
    ],
  },
  {
    file: 'observer-follows-an-epoch-change',
    property: 'an observer follows the leader of a new epoch',
    description: 'o1 observes the leader of epoch 1; the leader crashes, a leader of epoch 2 is established, and o1 joins it, is synchronised and observes it',
    params: { observers: 1, txnsMax: 1 },
    stages: [(s) => {
      const o1 = s.nodes[3].state;
      const leads2 = s.nodes.some((n) => n.state?.state === 'leading' && n.state.established && n.state.epoch === 2);
      return leads2 && o1?.state === 'observing' && o1.phase === 'broadcast' && o1.currentEpoch === 2;
    }],
  },
];

const out = join(import.meta.dirname, '..', 'traces', 'zab');
for (const story of STORIES) {
  const params = resolveParams(zabDefinition, story.params);
  const model = zab(params);
  const path: number[] = [0];
  let from: ZabState = model.init[0];
  let searched = 0;
  story.stages.forEach((holds, k) => {
    const r = explore({ ...model, init: [from], sometimes: [{ name: `stage ${k + 1}`, holds }] });
    const w = r.witnesses[0];
    searched += r.distinctStates;
    if (!w.reached || w.path === undefined) throw new Error(`${story.file}: stage ${k + 1} never reached (${r.distinctStates} states)`);
    path.push(...w.path.slice(1)); // a path starts with its initial state's index
    from = (replayPath(model, path).steps.at(-1)?.state as ZabState | undefined) ?? from;
  });
  const run = replayPath(model, path);
  const trace = traceFromRun({ model: 'zab', variant: 'default', params, property: story.property, outcome: 'holds', description: story.description }, run);
  saveTrace(join(out, `${story.file}.json`), trace);
  console.log(`${story.file}: ${run.steps.length} steps (${searched} states searched)`);
}
