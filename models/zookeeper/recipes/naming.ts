// A naming service (the ZooKeeper overview: "naming"; sequential nodes as unique ids): a
// client gets a unique name by creating a persistent-sequential /names/n- and keeps the name
// the server gave it; it releases a name by deleting it and asks for the next. A ConnectionLoss
// on a create may leave a name allocated that nobody learned (a gap, never a duplicate); the
// client asks again.
//
// Property: NamesUnique — no name is handed out (received by a client) twice, even after the
// name it had was deleted: the server takes the suffix from the parent's count of creations
// (cversion), which a delete does not lower.

import type { Invariant, Witness } from '../../../src/core/model.ts';
import { childName, OPEN_ACL_UNSAFE } from '../index.ts';
import type { Move, Recipe, RecipeState } from './service.ts';

export const NAMES_PER_CLIENT = 2;

export interface Namer {
  /** Names it received so far. */
  readonly got: number;
  /** The name it holds, to release before asking for the next (null: none). */
  readonly holding: string | null;
}

export interface NamingWorld {
  /** Names handed out, in order, with their client. */
  readonly names: readonly { readonly name: string; readonly client: number }[];
  readonly released: boolean;
}

type S = RecipeState<Namer, NamingWorld>;

export function namingRecipe(clients: number): Recipe<Namer, NamingWorld> {
  const names = Array.from({ length: clients }, (_, i) => `c${i}`);
  return {
    clients,
    names,
    parents: ['/names'],
    initClient: () => ({ got: 0, holding: null }),
    world: { names: [], released: false },
    moves(c, i, session): Move[] {
      if (c.holding !== null) return [{ kind: 'call', request: { kind: 'delete', session, path: `/names/${c.holding}`, version: -1 } }];
      if (c.got < NAMES_PER_CLIENT) return [{ kind: 'call', request: { kind: 'create', session, path: '/names/n-', data: names[i], acl: OPEN_ACL_UNSAFE, mode: 'persistent-sequential' } }];
      return [];
    },
    onReply(c, w, i, _label, r) {
      if (c.holding !== null) return [{ ...c, holding: null }, { ...w, released: true }];
      // NodeExists only under the planted server bug (a suffix reused while its name lives): the
      // client stops asking (each retry would take a zxid and the run would never end).
      if (r.kind === 'error' && r.code === 'NodeExists') return [{ got: NAMES_PER_CLIENT, holding: null }, w];
      if (r.kind !== 'created') throw new Error(`${names[i]}: create /names/n- answered ${r.kind}`);
      const name = childName(r.path);
      const got = c.got + 1;
      // The last name is kept; the ones before are released.
      return [{ got, holding: got < NAMES_PER_CLIENT ? name : null }, { ...w, names: [...w.names, { name, client: i }] }];
    },
    onEvent: (c, w) => [c, w],
    onConnectionLoss: (c, w) => [c, w],
    onExpired: (c, w) => [c, w],
    onLocal: () => {
      throw new Error('naming has no local steps');
    },
    done: (c) => c.holding === null && c.got >= NAMES_PER_CLIENT,
    faultable: (c) => c.holding !== null || c.got < NAMES_PER_CLIENT,
    invariants: namingInvariants(names),
    witnesses: [
      { name: 'every client gets all its names', holds: (s) => s.world.names.length === clients * NAMES_PER_CLIENT },
      { name: 'a name is released and another handed out after it', holds: (s) => s.world.released && s.world.names.length >= 2 },
    ] satisfies Witness<S>[],
  };
}

function namingInvariants(names: readonly string[]): Invariant<S>[] {
  return [
    {
      name: 'NamesUnique',
      check: (s) => {
        const ns = s.world.names;
        const k = ns.findIndex((x, j) => ns.findIndex((y) => y.name === x.name) < j);
        if (k < 0) return undefined;
        const first = ns.find((y) => y.name === ns[k].name)!;
        return `/names/${ns[k].name} was handed to ${names[first.client]} and again to ${names[ns[k].client]}`;
      },
    },
  ];
}
