// A ZooKeeper client library (ClientCnxn) as a node of the ensemble: it connects to one server
// at a time with the last zxid it has seen, sends its script's operations over that connection
// (writes may be pipelined, `pipeline` at a time; anything else waits for the answers before
// it), and records each operation's invocation and answer in the system's history.
//
// When the connection breaks (the server closes it, or the client gives up waiting: its
// session timer, an asynchronous timeout) the operations outstanding on it end with an unknown
// outcome (history `info`: ConnectionLoss, they may still be applied) and the client connects
// to the next server of its list, round robin (ClientCnxn's HostProvider). ZooKeeper's client
// does not resend them.

import type { Effect, HandlerResult, NodeContext, NodeInput, NodeSpec } from '../../../src/core/actors.ts';
import type { Durable } from '../../zab/index.ts';
import type { ClientMsg, EnsembleMsg, NodeId, ZkOp, ZkResult } from './types.ts';
import { SESSION_EXPIRED, type ZkNode } from './server.ts';

export interface ZkClient {
  readonly kind: 'client';
  /** The server it is connected or connecting to. */
  readonly server: NodeId | null;
  readonly connected: boolean;
  /** Index into the server list of the next server to connect to. */
  readonly target: number;
  /** The highest zxid of any answer it received (ClientCnxn.lastZxid). */
  readonly lastZxid: number;
  /** How many operations of its script it has sent (the next one's cxid). */
  readonly next: number;
  /** Sent on the current connection and not answered, oldest first. */
  readonly outstanding: readonly { readonly cxid: number; readonly op: ZkOp }[];
  /** How many times it gave up waiting (bounded by `timeoutsMax`). */
  readonly gaveUp: number;
  /** Its session expired: it stops (its remaining operations are never sent). */
  readonly expired: boolean;
}

export interface ClientConfig {
  readonly servers: readonly NodeId[];
  /** Index of this client among the clients (its session is index + 1). */
  readonly index: number;
  readonly first: number;
  readonly ops: readonly ZkOp[];
  readonly pipeline: number;
  /** The client's setup zxid: it has seen the setup transactions. */
  readonly setupZxid: number;
  /** How many times the client may give up waiting on its server (an environment bound, like
   * the servers' timeoutsMax; the session timer is armed only while it may still fire). */
  readonly timeoutsMax: number;
}

export const SESSION_TIMER = 'session';

/** History process of a client's operation: every operation its own process (pipelined writes
 * of one client overlap); `zk` names the client. */
export const processOf = (index: number, cxid: number) => index * 16 + cxid;

type Fx = Effect<EnsembleMsg, Durable, never>;
type Result = HandlerResult<ZkNode, EnsembleMsg, Durable, never>;

export function zkClient(cfg: ClientConfig): NodeSpec<ZkNode, EnsembleMsg, Durable, never, never> {
  if (cfg.ops.length > 16) throw new Error('a client script has at most 16 operations');
  const send = (to: NodeId, msg: ClientMsg): Fx => ({ kind: 'send', to, msg });
  const record = (event: Record<string, unknown>): Fx => ({ kind: 'record', event: event as never });

  /** The session timer runs while the client waits for the server: connecting, or answers. */
  const timer = (c: ZkClient): Fx[] =>
    c.server !== null && (!c.connected || c.outstanding.length > 0) && c.gaveUp < cfg.timeoutsMax
      ? [{ kind: 'set-timer', timer: SESSION_TIMER }]
      : [{ kind: 'cancel-timer', timer: SESSION_TIMER }];
  const done = (c: ZkClient, fx: readonly Fx[] = []): Result => ({ state: c, effects: [...fx, ...timer(c)] });

  const canSend = (c: ZkClient): boolean => {
    if (!c.connected || c.next >= cfg.ops.length) return false;
    if (c.outstanding.length === 0) return true;
    const op = cfg.ops[c.next];
    return op.kind === 'set' && c.outstanding.length < cfg.pipeline && c.outstanding.every((o) => o.op.kind === 'set');
  };

  /** The connection is gone: outstanding operations end unknown, the next server is next. */
  const lose = (c0: ZkClient, timedOut: boolean): Result => {
    const c = timedOut ? { ...c0, gaveUp: c0.gaveUp + 1 } : c0;
    const fx: Fx[] = [{ kind: 'disconnect', peer: c.server! }];
    for (const o of c.outstanding) fx.push(record({ kind: 'info', client: processOf(cfg.index, o.cxid), node: c.server!, zk: cfg.index }));
    return done({ ...c, server: null, connected: false, outstanding: [], target: (c.target + 1) % cfg.servers.length }, fx);
  };

  const receive = (c: ZkClient, from: NodeId, m: ClientMsg): Result => {
    if (from !== c.server) return { state: c };
    switch (m.type) {
      case 'CONNECTED':
        return c.connected ? { state: c } : done({ ...c, connected: true });
      case 'CLOSE': {
        const lost = lose(c, false);
        return m.why === SESSION_EXPIRED ? { ...lost, state: { ...(lost.state as ZkClient), expired: true } } : lost;
      }
      case 'REPLY': {
        const head = c.outstanding[0];
        if (head === undefined || head.cxid !== m.cxid) return { state: c };
        const answered = { ...c, lastZxid: Math.max(c.lastZxid, m.result.zxid), outstanding: c.outstanding.slice(1) };
        return done(answered, [record({ kind: 'return', client: processOf(cfg.index, m.cxid), result: m.result satisfies ZkResult, node: from, zk: cfg.index })]);
      }
      case 'CONNECT':
      case 'REQUEST':
        return { state: c };
    }
  };

  const asClient = (n: ZkNode): ZkClient => {
    if (n.kind !== 'client') throw new Error('a server state reached a client handler');
    return n;
  };

  return {
    init: () => done({ kind: 'client', server: null, connected: false, target: cfg.first, lastZxid: cfg.setupZxid, next: 0, outstanding: [], gaveUp: 0, expired: false }),
    internal: (n) => {
      const c = asClient(n);
      if (c.expired) return [];
      if (c.server === null) return c.next < cfg.ops.length ? ['connect'] : [];
      return canSend(c) ? ['send'] : [];
    },
    handle: (n, input: NodeInput<EnsembleMsg, never>, _ctx: NodeContext) => {
      const c = asClient(n);
      switch (input.kind) {
        case 'receive':
          return receive(c, input.from, input.msg as ClientMsg);
        case 'timeout':
          return c.server === null ? { state: c } : lose(c, true);
        case 'internal': {
          if (input.choice === 'connect') {
            const server = cfg.servers[c.target];
            return done({ ...c, server, connected: false }, [send(server, { type: 'CONNECT', lastZxid: c.lastZxid })]);
          }
          const cxid = c.next;
          const op = cfg.ops[cxid];
          const sent = { ...c, next: cxid + 1, outstanding: [...c.outstanding, { cxid, op }] };
          return done(sent, [
            record({ kind: 'invoke', client: processOf(cfg.index, cxid), op, node: c.server!, zk: cfg.index }),
            send(c.server!, { type: 'REQUEST', cxid, op }),
          ]);
        }
        case 'request':
          throw new Error('a ZooKeeper client takes no scripted requests');
      }
    },
  };
}
