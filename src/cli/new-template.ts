// The text `faultline new <name>` writes: a small working actor model (a lock server and its
// clients), its properties test, and its registration in models/index.ts. `__NAME__` is the
// model's name (`my-lock`), `__IDENT__` its camelCase form (`myLock`). docs/first-model.md walks
// through the same model line by line; properties/first-model.test.ts scaffolds one and checks it.

/** models/<name>/index.ts */
export const MODEL_TEMPLATE = `// __NAME__: a lock server \`s\` and its clients (scaffolded by \`faultline new\`; make it yours).
// A client asks for the lock (Acquire); the server grants it when it is free and says Busy
// otherwise; the holder gives it back (Release). Messages may be delivered in any order and
// \`dropsMax\` of them may be lost. The network is a set (TLA+'s message sets): a message equal
// to one in flight adds nothing, so a client that acquires and releases again and again while
// its Release is slow does not grow the state space for ever.
//
// Checked: at most one client holds the lock (MutualExclusion). Witness: some client gets it.
// Planted bug (variant grant-when-held): the server grants without looking at its holder.

import type { ModelDefinition, Params } from '../../src/core/model.ts';
import { actorSystem, type HandlerResult, type NodeSpec, type SystemState } from '../../src/core/actors.ts';

export type Msg = { readonly type: 'Acquire' } | { readonly type: 'Grant' } | { readonly type: 'Busy' } | { readonly type: 'Release' };

interface Server {
  readonly role: 'server';
  /** The client holding the lock, or null when it is free. */
  readonly holder: string | null;
}

interface Client {
  readonly role: 'client';
  readonly status: 'idle' | 'waiting' | 'holding';
}

type Node = Server | Client;
type Result = HandlerResult<Node, Msg, never, never>;
type State = SystemState<Node, Msg, never, never, never>;

export type __PASCAL__Variant = 'default' | 'grant-when-held';

function server(grantWhenHeld: boolean): NodeSpec<Node, Msg, never, never, never> {
  return {
    init: () => ({ state: { role: 'server', holder: null } }),
    handle: (s, input): Result => {
      if (s.role !== 'server' || input.kind !== 'receive') return { state: s };
      switch (input.msg.type) {
        case 'Acquire':
          // The planted bug forgets to look at the holder.
          if (s.holder === null || grantWhenHeld) {
            return { state: { ...s, holder: input.from }, effects: [{ kind: 'send', to: input.from, msg: { type: 'Grant' } }] };
          }
          return { state: s, effects: [{ kind: 'send', to: input.from, msg: { type: 'Busy' } }] };
        case 'Release':
          return { state: s.holder === input.from ? { ...s, holder: null } : s };
        default:
          return { state: s };
      }
    },
  };
}

const client: NodeSpec<Node, Msg, never, never, never> = {
  init: () => ({ state: { role: 'client', status: 'idle' } }),
  // Local choices: ask for the lock when idle, give it back when holding.
  internal: (s) => (s.role !== 'client' ? [] : s.status === 'idle' ? ['acquire'] : s.status === 'holding' ? ['release'] : []),
  handle: (s, input): Result => {
    if (s.role !== 'client') return { state: s };
    if (input.kind === 'internal' && input.choice === 'acquire') {
      return { state: { ...s, status: 'waiting' }, effects: [{ kind: 'send', to: 's', msg: { type: 'Acquire' } }] };
    }
    if (input.kind === 'internal' && input.choice === 'release') {
      return { state: { ...s, status: 'idle' }, effects: [{ kind: 'send', to: 's', msg: { type: 'Release' } }] };
    }
    if (input.kind === 'receive' && s.status === 'waiting') {
      if (input.msg.type === 'Grant') return { state: { ...s, status: 'holding' } };
      if (input.msg.type === 'Busy') return { state: { ...s, status: 'idle' } };
    }
    return { state: s };
  },
};

export function __IDENT__System(params: Params, variant: __PASCAL__Variant = 'default') {
  const nodes = [
    { id: 's', spec: server(variant === 'grant-when-held') },
    ...Array.from({ length: params.clients }, (_, i) => ({ id: \`c\${i + 1}\`, spec: client })),
  ];
  /** The ids of the clients holding the lock. */
  const holders = (s: State): string[] =>
    s.nodes.flatMap((slot, i) => (slot.state?.role === 'client' && slot.state.status === 'holding' ? [nodes[i].id] : []));
  return actorSystem<Node, Msg, never, never, never>({
    nodes,
    network: 'set',
    faults: { dropsMax: params.dropsMax },
    invariants: [
      {
        name: 'MutualExclusion',
        check: (s) => {
          const h = holders(s);
          return h.length > 1 ? \`\${h.join(' and ')} hold the lock at once\` : undefined;
        },
      },
    ],
    sometimes: [{ name: 'a client holds the lock', holds: (s) => holders(s).length > 0 }],
    // A lost Grant leaves its client waiting for ever: a run may end there.
    isFinal: () => true,
    describeMessage: (m) => m.type,
  });
}

export const __IDENT__Definition: ModelDefinition = {
  name: '__NAME__',
  summary: 'a lock server and its clients (scaffolded by faultline new)',
  source: 'faultline new',
  params: [
    { name: 'clients', description: 'clients competing for the lock', default: 2, min: 1, max: 4 },
    { name: 'dropsMax', description: 'messages lost', default: 0, min: 0, max: 2 },
  ],
  variants: [
    { name: 'default', description: 'the server grants the lock only when it is free', expect: { status: 'holds' } },
    { name: 'grant-when-held', description: 'bug: the server grants the lock without looking at its holder', expect: { status: 'violation', property: 'MutualExclusion' } },
  ],
  // Other params \`check --all\` runs too (and \`check __NAME__ --scenario NAME\`).
  scenarios: [
    { kind: 'safety', name: 'three-clients-lost-messages', description: 'three clients, one lost message', params: { clients: 3, dropsMax: 1 }, expect: { status: 'holds' } },
  ],
  create: (params, variant) => __IDENT__System(params, variant as __PASCAL__Variant),
};
`;

/** properties/<name>.test.ts */
export const TEST_TEMPLATE = `// __NAME__ (models/__NAME__): exact figures of the exhaustive search, and the planted bug's
// minimal counterexample, which replays. Scaffolded by \`faultline new\`: when you change the
// model, re-pin the figures from \`npx faultline check __NAME__\`.

import { describe, expect, it } from 'vitest';
import { explore } from '../src/explore/explore.ts';
import { replayPath } from '../src/explore/path.ts';
import { findModel, instantiate } from '../src/verify/index.ts';

const def = findModel('__NAME__');

describe('__NAME__: a lock server and its clients', () => {
  it('at most one client holds the lock: holds exhaustively, and some client gets it', () => {
    const r = explore(instantiate(def).model);
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(__FIGURES__);
    expect(r.witnesses.map((w) => [w.name, w.reached])).toEqual([['a client holds the lock', true]]);
  });

  it('a server that grants the lock without looking at its holder lets two clients hold it: BFS finds it in __BUG_STEPS__ steps, and it replays', () => {
    const { model } = instantiate(def, 'grant-when-held');
    const r = explore(model);
    expect(r.status).toBe('violation');
    const v = r.violations[0];
    expect([v.property, v.steps]).toEqual(['MutualExclusion', __BUG_STEPS__]);
    expect(replayPath(model, v.path)).toEqual(v.run);
  });
});
`;

/** Figures of the scaffolded model at its default params (the test template pins them;
 * properties/first-model.test.ts checks they are still right). */
export const TEMPLATE_FIGURES = { exhaustive: ['holds', 39, 97, 10] as const, bugSteps: 6 };

/** Fills a template in for one model name. */
export function fillTemplate(template: string, name: string): string {
  const ident = identifierOf(name);
  return template
    .replaceAll('__FIGURES__', JSON.stringify(TEMPLATE_FIGURES.exhaustive).replaceAll('"', "'").replaceAll(',', ', '))
    .replaceAll('__BUG_STEPS__', String(TEMPLATE_FIGURES.bugSteps))
    .replaceAll('__PASCAL__', ident[0].toUpperCase() + ident.slice(1))
    .replaceAll('__IDENT__', ident)
    .replaceAll('__NAME__', name);
}

/** \`my-lock\` -> \`myLock\`: the name as a TypeScript identifier. */
export function identifierOf(name: string): string {
  return name.replace(/-+([a-z0-9]?)/g, (_, c: string) => c.toUpperCase());
}
