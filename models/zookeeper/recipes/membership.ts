// Group membership (the ZooKeeper programmer's guide and recipes: "Group Membership" with
// ephemeral nodes): each client joins by creating the ephemeral /members/c<i> and keeps a view
// of the group with getChildren and a watch, listing again on every NodeChildrenChanged. A
// member whose session expires is removed by the server with its node; on reconnecting it
// joins again on its new session. After a ConnectionLoss on its create a client creates again:
// NodeExists means the node is its own (the old session's went with it).
//
// Property (checked once settled: every event and reply received, every due expiry
// processed): MembersAreLiveSessions — the children of /members are exactly the clients whose
// session is alive, and every member's view equals them.

import type { Invariant, Witness } from '../../../src/core/model.ts';
import { OPEN_ACL_UNSAFE } from '../index.ts';
import { aliveAt, type Move, type Recipe, type RecipeState, type ServiceView } from './service.ts';

type Phase = 'join' | 'list' | 'watching';

export interface Member {
  readonly phase: Phase;
  /** The members it saw at its last listing, sorted. */
  readonly view: readonly string[];
}

export interface MembershipWorld {
  /** Whether an expiry removed a member from the group (for the witness). */
  readonly removed: boolean;
}

type S = RecipeState<Member, MembershipWorld>;

export interface MembershipFlags {
  /** Planted bug: a member joins with a persistent node, which outlives its session. */
  readonly persistent: boolean;
}

export function membershipRecipe(clients: number, flags: MembershipFlags, view: ServiceView): Recipe<Member, MembershipWorld> {
  const names = Array.from({ length: clients }, (_, i) => `c${i}`);
  return {
    clients,
    names,
    parents: ['/members'],
    initClient: () => ({ phase: 'join', view: [] }),
    world: { removed: false },
    moves(c, i, session): Move[] {
      if (c.phase === 'join') return [{ kind: 'call', request: { kind: 'create', session, path: `/members/${names[i]}`, data: '', acl: OPEN_ACL_UNSAFE, mode: flags.persistent ? 'persistent' : 'ephemeral' } }];
      if (c.phase === 'list') return [{ kind: 'call', request: { kind: 'getChildren', session, path: '/members', watch: true } }];
      return [];
    },
    onReply(c, w, i, _label, r) {
      if (c.phase === 'join') return [{ ...c, phase: 'list' }, w];
      if (c.phase === 'list' && r.kind === 'children') return [{ phase: 'watching', view: r.children }, w];
      throw new Error(`${names[i]} got ${r.kind} in phase ${c.phase}`);
    },
    onEvent: (c, w, _i, e) => (c.phase === 'watching' && e.type === 'NodeChildrenChanged' ? [{ ...c, phase: 'list' }, w] : [c, w]),
    onConnectionLoss: (c, w) => [c, w],
    onExpired: (c, w) => [{ ...c, phase: 'join' }, w],
    onLocal: () => {
      throw new Error('membership has no local steps');
    },
    onApplied: (w, _i, request, r, before) =>
      request.kind === 'expireSession' && Object.keys(before.nodes).some((p) => p.startsWith('/members/') && r.state.nodes[p] === undefined) ? { removed: true } : w,
    done: (c) => c.phase === 'watching',
    invariants: membershipInvariants(names, view),
    witnesses: [
      { name: 'every client is a member', holds: (s) => s.tree.nodes['/members'].children.length === clients },
      { name: "an expiry removes a member and the others' views follow", holds: (s) => s.world.removed && view.settled(s as RecipeState<unknown, unknown>) },
    ] satisfies Witness<S>[],
  };
}

function membershipInvariants(names: readonly string[], view: ServiceView): Invariant<S>[] {
  return [
    {
      name: 'MembersAreLiveSessions',
      check: (s) => {
        if (!view.settled(s as RecipeState<unknown, unknown>)) return undefined;
        const listed = s.tree.nodes['/members'].children;
        const live = names.filter((_, i) => aliveAt(s, i));
        const show = (xs: readonly string[]) => `[${xs.join(', ')}]`;
        if (listed.join() !== live.join()) return `/members lists ${show(listed)} but the clients with live sessions are ${show(live)}`;
        const wrong = s.slots.findIndex((x, i) => aliveAt(s, i) && x.conn === 'up' && x.c.view.join() !== listed.join());
        return wrong < 0 ? undefined : `${names[wrong]} sees the group as ${show(s.slots[wrong].c.view)} but /members lists ${show(listed)}`;
      },
    },
  ];
}
