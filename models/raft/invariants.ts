// Raft's safety properties (Figure 3 of the paper), read off every server's state, or its
// durable record while it is crashed, including the two ghost fields of server.ts (`led`: terms
// in which it was leader; `committed`: the prefix it has known committed, and since when).
// Each message names servers, terms and indexes.

import type { Invariant, StepInvariant, Witness } from '../../src/core/model.ts';
import type { SystemAction, SystemState } from '../../src/core/actors.ts';
import { equalValues } from '../../src/core/data.ts';
import { applyLog, type Durable, type Entry, type Msg, type Op, type Res, type Server } from './server.ts';

export type RaftState = SystemState<Server, Msg, Durable, Op, Res>;

const EMPTY: Durable = { term: 0, votedFor: null, log: [], led: [], committed: [], campaigns: 0 };

/** Each server's durable view: its live state, or its disk while crashed. */
export function views(s: RaftState): { id: string; d: Durable; live: Server | undefined }[] {
  return s.nodes.map((slot, i) => ({ id: `n${i + 1}`, d: slot.state ?? slot.durable ?? EMPTY, live: slot.state }));
}

export function describeEntry(e: Entry): string {
  if (e.cmd.kind === 'noop') return `${e.term}:noop`;
  if (e.cmd.kind === 'config') return `${e.term}:config{${e.cmd.members.join(',')}}`;
  const op = e.cmd.op;
  return `${e.term}:${op.kind === 'write' ? `write(${op.value})` : op.kind === 'read' ? 'read()' : `cas(${op.from},${op.to})`}`;
}

/** Election Safety: at most one leader per term (§5.2), over the whole run (ghost `led`). */
const electionSafety: Invariant<RaftState> = {
  name: 'ElectionSafety',
  check: (s) => {
    const vs = views(s);
    for (let a = 0; a < vs.length; a++) {
      for (let b = a + 1; b < vs.length; b++) {
        const both = vs[a].d.led.find((t) => vs[b].d.led.includes(t));
        if (both !== undefined) return `${vs[a].id} and ${vs[b].id} were both leader in term ${both}`;
      }
    }
    return undefined;
  },
};

/** Log Matching: two logs with an entry of the same term at the same index are identical up to
 * that index (§5.3). */
const logMatching: Invariant<RaftState> = {
  name: 'LogMatching',
  check: (s) => {
    const vs = views(s);
    for (let a = 0; a < vs.length; a++) {
      for (let b = a + 1; b < vs.length; b++) {
        const [la, lb] = [vs[a].d.log, vs[b].d.log];
        let i = Math.min(la.length, lb.length);
        while (i > 0 && la[i - 1].term !== lb[i - 1].term) i--;
        for (let k = 0; k < i; k++) {
          if (!equalValues(la[k], lb[k])) {
            return `${vs[a].id} and ${vs[b].id} both have an entry of term ${la[i - 1].term} at index ${i}, but differ at index ${k + 1}: ` +
              `${describeEntry(la[k])} and ${describeEntry(lb[k])}`;
          }
        }
      }
    }
    return undefined;
  },
};

/** Leader Completeness: an entry committed in term T is in the log of every leader of a term
 * above T (§5.4). A server that knew index i committed in term `at` (ghost) bounds T by `at`. */
const leaderCompleteness: Invariant<RaftState> = {
  name: 'LeaderCompleteness',
  check: (s) => {
    const vs = views(s);
    for (const l of vs) {
      if (l.live?.role !== 'leader') continue;
      for (const v of vs) {
        const missing = v.d.committed.findIndex((c, i) => c.at < l.live!.term && !equalValues(l.live!.log[i], c.entry));
        if (missing >= 0) {
          const c = v.d.committed[missing];
          const has = l.live.log[missing];
          return `${l.id} is leader of term ${l.live.term} but ${has === undefined ? 'has no entry' : `has ${describeEntry(has)}`} at index ${missing + 1}, ` +
            `where ${v.id} knew ${describeEntry(c.entry)} committed in term ${c.at}`;
        }
      }
    }
    return undefined;
  },
};

/** State Machine Safety: no two servers apply different entries at one index (§5.4.3), over
 * the run (ghost `committed` survives crashes). */
const stateMachineSafety: Invariant<RaftState> = {
  name: 'StateMachineSafety',
  check: (s) => {
    const vs = views(s);
    for (let a = 0; a < vs.length; a++) {
      for (let b = a + 1; b < vs.length; b++) {
        const [ca, cb] = [vs[a].d.committed, vs[b].d.committed];
        for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
          if (!equalValues(ca[i].entry, cb[i].entry)) {
            return `${vs[a].id} applied ${describeEntry(ca[i].entry)} at index ${i + 1} but ${vs[b].id} applied ${describeEntry(cb[i].entry)}`;
          }
        }
      }
    }
    return undefined;
  },
};

/** A committed entry never changes or leaves the log of a server that knew it committed, also
 * across its crashes. */
const committedEntriesStay: Invariant<RaftState> = {
  name: 'CommittedEntriesStay',
  check: (s) => {
    for (const v of views(s)) {
      const i = v.d.committed.findIndex((c, k) => !equalValues(v.d.log[k], c.entry));
      if (i >= 0) {
        const now = v.d.log[i];
        return `${v.id} knew ${describeEntry(v.d.committed[i].entry)} committed at index ${i + 1}, but its log now has ${now === undefined ? 'no entry' : describeEntry(now)} there`;
      }
    }
    return undefined;
  },
};

/** No client command takes effect twice: each server's committed prefix, applied as its state
 * machine applies it, applies each (client, seq) at most once (thesis §6.3). */
function appliedOnce(dedup: boolean): Invariant<RaftState> {
  return {
    name: 'AppliedOnce',
    check: (s) => {
      for (const v of views(s)) {
        const { applied } = applyLog(v.d.committed.map((c) => c.entry), dedup);
        const twice = applied.find((x, k) => applied.findIndex((y) => y.client === x.client && y.seq === x.seq) !== k);
        if (twice !== undefined) return `${v.id} applied request ${twice.seq} of client ${twice.client} twice`;
      }
      return undefined;
    },
  };
}

export function raftInvariants(dedup: boolean): Invariant<RaftState>[] {
  return [electionSafety, logMatching, leaderCompleteness, stateMachineSafety, committedEntriesStay, appliedOnce(dedup)];
}

/** Some server knows committed a configuration larger than an earlier committed one. */
function addedBack(s: RaftState): boolean {
  return views(s).some((v) => {
    const sizes = v.d.committed.flatMap((c) => (c.entry.cmd.kind === 'config' ? [c.entry.cmd.members.length] : []));
    return sizes.some((n, i) => i > 0 && n > sizes[i - 1]);
  });
}

/** Some client got the answer to a read (a return whose client's last invoke was a read). */
function readAnswered(s: RaftState): boolean {
  return s.history.some((e, i) => {
    if (e.kind !== 'return') return false;
    const invoked = s.history.slice(0, i).findLast((x) => x.kind === 'invoke' && x.client === e.client);
    return invoked?.kind === 'invoke' && invoked.op.kind === 'read';
  });
}

const live = (s: RaftState) => s.nodes.flatMap((n) => (n.state === undefined ? [] : [n.state]));

/** An AppendEntries in flight that its receiver will accept (current term, prevLog matches) and
 * that conflicts with its log: delivering it truncates a conflicting suffix (§5.3). */
function truncationPending(s: RaftState): boolean {
  return s.network.some((e) => {
    const m = e.msg;
    const f = views(s).find((v) => v.id === e.to)?.live;
    if (m.type !== 'AppendEntries' || f === undefined || m.term < f.term) return false;
    const matches = m.prevIndex === 0 || (f.log.length >= m.prevIndex && f.log[m.prevIndex - 1].term === m.prevTerm);
    return matches && m.entries.some((x, k) => {
      const mine = f.log[m.prevIndex + k];
      return mine !== undefined && mine.term !== x.term;
    });
  });
}

/** Leader Append-Only (Figure 3): a leader never overwrites or deletes entries of its log, it
 * only appends. A property of steps: every server that is leader of the same term before and
 * after a step has a log that extends the one it had. */
export const leaderAppendOnly: StepInvariant<RaftState, SystemAction<Msg>> = {
  name: 'LeaderAppendOnly',
  check: (before, _action, after) => {
    for (let i = 0; i < after.nodes.length; i++) {
      const [b, a] = [before.nodes[i].state, after.nodes[i].state];
      if (b?.role !== 'leader' || a?.role !== 'leader' || a.term !== b.term || a.log === b.log) continue;
      const k = b.log.findIndex((e, j) => !equalValues(e, a.log[j]));
      if (k < 0) continue;
      const now = a.log[k];
      return `n${i + 1}, leader of term ${a.term}, ${now === undefined ? 'deleted' : `overwrote with ${describeEntry(now)}`} its entry ${describeEntry(b.log[k])} at index ${k + 1}`;
    }
    return undefined;
  },
};

/** Figure 2: currentTerm "increases monotonically": no step lowers a server's term (it is
 * durable, so this holds across crashes too). */
export const termMonotone: StepInvariant<RaftState, SystemAction<Msg>> = {
  name: 'TermMonotone',
  check: (before, _action, after) => {
    const [b, a] = [views(before), views(after)];
    const k = a.findIndex((v, i) => v.d.term < b[i].d.term);
    return k < 0 ? undefined : `${a[k].id}'s currentTerm went down from ${b[k].d.term} to ${a[k].d.term}`;
  },
};

/** Figure 2: commitIndex "increases monotonically" while a server runs (it is volatile: a
 * restarted server starts again from 0). */
export const commitMonotone: StepInvariant<RaftState, SystemAction<Msg>> = {
  name: 'CommitMonotone',
  check: (before, _action, after) => {
    for (let i = 0; i < after.nodes.length; i++) {
      const [b, a] = [before.nodes[i].state, after.nodes[i].state];
      if (b !== undefined && a !== undefined && a.commit < b.commit) return `n${i + 1}'s commitIndex went down from ${b.commit} to ${a.commit} in term ${a.term}`;
    }
    return undefined;
  },
};

/** A client whose request timed out resends it to a leader that has already applied it: the
 * leader answers from its client table instead of appending it again (thesis §6.3). */
function dedupPending(s: RaftState): boolean {
  return s.clients.some((c, k) => {
    if (c.status !== 'resend' || c.retries === 0) return false;
    const r = s.nodes[Number(c.node.slice(1)) - 1]?.state;
    return r?.role === 'leader' && r.log.slice(0, r.commit).some((e) => e.cmd.kind === 'request' && e.cmd.client === k && e.cmd.seq === c.next - 1);
  });
}

/** The witnesses the params allow: no commit of a request without requests; no retry without
 * retries; no split vote when timers fire only in a quiet network (one candidate at a time) or
 * only one server has a timer; no membership change without changes. */
export function raftWitnesses(allow: {
  readonly requests: boolean;
  readonly retries: boolean;
  /** Entries of two terms can meet at one index (two leaders appending), so a follower may
   * have a suffix to truncate. */
  readonly conflicts: boolean;
  readonly splitVotes: boolean;
  readonly changes: boolean;
  readonly adds: boolean;
  readonly reads: boolean;
  /** A retry may reach a leader after its request committed (its answer lost or late). */
  readonly dedup?: boolean;
}): Witness<RaftState>[] {
  const committedSome = (kind: Entry['cmd']['kind']) => (s: RaftState) => views(s).some((v) => v.d.committed.some((c) => c.entry.cmd.kind === kind));
  return [
  { name: 'a leader is elected', holds: (s) => views(s).some((v) => v.d.led.length > 0) },
  ...(allow.requests ? [{ name: 'a client request commits', holds: committedSome('request') }] : []),
  ...(allow.changes ? [{ name: 'a membership change commits', holds: committedSome('config') }] : []),
  ...(allow.adds ? [{ name: 'a removed server is added back', holds: addedBack }] : []),
  ...(allow.reads ? [{ name: 'a read is answered', holds: readAnswered }] : []),
  ...(allow.splitVotes ? [{
    name: 'a split vote happens',
    holds: (s: RaftState) => {
      const candidates = live(s).filter((r) => r.role === 'candidate');
      return candidates.some((a) => candidates.some((b) => a !== b && a.term === b.term));
    },
  }] : []),
  {
    name: 'leaders of two terms coexist',
    holds: (s) => {
      const leaders = live(s).filter((r) => r.role === 'leader');
      return leaders.some((a) => leaders.some((b) => a.term !== b.term));
    },
  },
  ...(allow.conflicts ? [{ name: 'a follower is sent a conflicting suffix to truncate', holds: truncationPending }] : []),
  ...(allow.retries ? [{
    name: 'a retried request is answered',
    holds: (s: RaftState) =>
      s.clients.some((c, k) => c.status === 'idle' && c.retries > 0 && s.history.findLast((e) => e.client === k)?.kind === 'return'),
  }] : []),
  ...(allow.dedup ? [{ name: 'a retried request reaches a leader that applied it', holds: dedupPending }] : []),
  ];
}
