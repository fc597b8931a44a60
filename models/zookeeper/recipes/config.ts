// Configuration publish/subscribe with watches (the ZooKeeper programmer's guide, "ZooKeeper
// Watches"; Curator's NodeCache): the publisher (client 0) writes versions v1..v<n> of /config
// with setData; each subscriber reads /config with getData and a watch, and on every
// NodeDataChanged reads again, which sets the next one-shot watch. After a ConnectionLoss on a
// write the publisher reads /config to learn whether its version got there before writing it
// again; a subscriber whose session expired reads again on its new session (its watch died).
//
// Properties: ViewMonotone — a subscriber's view never goes back to an older version;
// SettledOnLatest — once settled (writes stopped, every event and reply received, every due
// expiry processed) every subscriber with a live session has the latest version: a subscriber
// never settles on a stale one.

import type { Invariant, Witness } from '../../../src/core/model.ts';
import { type Move, type Recipe, type RecipeState, type ServiceView, aliveAt } from './service.ts';

export const CONFIG_VERSIONS = 2;

type Phase = 'write' | 'verify' | 'read' | 'watching' | 'published';

export interface ConfigClient {
  readonly phase: Phase;
  /** The publisher: the next version to write. A subscriber: the version it has (0: none read). */
  readonly version: number;
  /** Under the planted bug only (always false otherwise, so it adds no state): whether the
   * subscriber has read /config before, as the bug watches only its first read. */
  readonly again: boolean;
}

export interface ConfigWorld {
  /** The first subscriber view that went back, in words. */
  readonly backwards: string | null;
  /** Whether a subscriber was told of a change and went to read again (for the witness). */
  readonly reread: boolean;
}

type S = RecipeState<ConfigClient, ConfigWorld>;

export interface ConfigFlags {
  /** Planted bug: a subscriber re-reads on the event but without a watch, so it hears of one change only. */
  readonly noRewatch: boolean;
}

const versionOf = (data: string) => (data === '' ? 0 : Number(data.slice(1)));

export function configRecipe(clients: number, flags: ConfigFlags, view: ServiceView): Recipe<ConfigClient, ConfigWorld> {
  const names = Array.from({ length: clients }, (_, i) => (i === 0 ? 'publisher' : `sub${i}`));
  return {
    clients,
    names,
    parents: ['/config'],
    initClient: (i) => (i === 0 ? { phase: 'write', version: 1, again: false } : { phase: 'read', version: 0, again: false }),
    world: { backwards: null, reread: false },
    moves(c, _i, session): Move[] {
      switch (c.phase) {
        case 'write':
          return [{ kind: 'call', request: { kind: 'setData', session, path: '/config', data: `v${c.version}`, version: -1 } }];
        case 'verify':
          return [{ kind: 'call', request: { kind: 'getData', session, path: '/config', watch: false } }];
        case 'read':
          return [{ kind: 'call', request: { kind: 'getData', session, path: '/config', watch: !(flags.noRewatch && c.again) } }];
        default:
          return [];
      }
    },
    onReply(c, w, i, _label, r) {
      const published = (v: number): ConfigClient => (v < CONFIG_VERSIONS ? { phase: 'write', version: v + 1, again: false } : { phase: 'published', version: v, again: false });
      switch (c.phase) {
        case 'write':
          return [published(c.version), w];
        case 'verify':
          if (r.kind !== 'data') throw new Error(`getData /config answered ${r.kind}`);
          return [versionOf(r.data) === c.version ? published(c.version) : { ...c, phase: 'write' }, w];
        case 'read': {
          if (r.kind !== 'data') throw new Error(`getData /config answered ${r.kind}`);
          const v = versionOf(r.data);
          const backwards = w.backwards ?? (v < c.version ? `${names[i]} read v${v} after it had v${c.version}` : null);
          return [{ phase: 'watching', version: v, again: flags.noRewatch }, { ...w, backwards }];
        }
        default:
          throw new Error(`${names[i]} got a reply in phase ${c.phase}`);
      }
    },
    onEvent(c, w, _i, e) {
      return c.phase === 'watching' && e.type === 'NodeDataChanged' ? [{ ...c, phase: 'read' }, { ...w, reread: true }] : [c, w];
    },
    onConnectionLoss(c, w, _i, inflight) {
      return inflight !== null && c.phase === 'write' ? [{ ...c, phase: 'verify' }, w] : [c, w];
    },
    onExpired: (c, w) => [c.phase === 'watching' ? { ...c, phase: 'read' } : c, w],
    onLocal: () => {
      throw new Error('configuration has no local steps');
    },
    done: (c) => c.phase === 'published' || c.phase === 'watching',
    invariants: configInvariants(names, view),
    witnesses: [
      { name: 'a subscriber has the last version', holds: (s) => s.slots.some((x, i) => i > 0 && x.c.version === CONFIG_VERSIONS) },
      { name: 'a subscriber reads again after a NodeDataChanged', holds: (s) => s.world.reread },
    ] satisfies Witness<S>[],
  };
}

function configInvariants(names: readonly string[], view: ServiceView): Invariant<S>[] {
  return [
    { name: 'ViewMonotone', check: (s) => s.world.backwards ?? undefined },
    {
      name: 'SettledOnLatest',
      check: (s) => {
        if (!view.settled(s as RecipeState<unknown, unknown>)) return undefined;
        const node = s.tree.nodes['/config'];
        const latest = versionOf(node.data);
        const stale = s.slots.findIndex((x, i) => i > 0 && x.conn !== 'crashed' && aliveAt(s, i) && x.c.version !== latest);
        return stale < 0 ? undefined : `${names[stale]} settled on v${s.slots[stale].c.version} while /config holds v${latest} (version ${node.stat.version})`;
      },
    },
  ];
}
