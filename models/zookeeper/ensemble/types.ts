// The ZooKeeper ensemble's messages, client operations and application transactions, shared by
// the server (server.ts), the client library (client.ts) and the invariants.

import type { Msg as ZabMsg, Zxid } from '../../zab/index.ts';
import type { ZkRequest } from '../types.ts';

export type NodeId = string;

/** A client's operation on the one znode the workload uses, /x: setData with version -1,
 * getData, sync. */
export type ZkOp = { readonly kind: 'set'; readonly value: string } | { readonly kind: 'get' } | { readonly kind: 'sync' };

/** An answer as the client library sees it: the reply header's zxid (for a write, its
 * transaction's; for a read or a sync, the server's last processed zxid), the serving server's
 * epoch, and what the operation returned (the version a set produced; the value and version a
 * get read). */
export interface ZkResult {
  readonly zxid: number;
  readonly epoch: number;
  readonly value?: string;
  readonly version?: number;
}

/** What the leader logs for a client request (PrepRequestProcessor's output): the request
 * resolved at the leader, who asked, and the server that answers the client once it applies
 * the transaction. `sync` is a quorum sync (variant quorum-sync): it changes nothing. */
export interface AppTxn {
  readonly client: NodeId;
  readonly cxid: number;
  readonly origin: NodeId;
  readonly request: ZkRequest | { readonly kind: 'quorum-sync' };
}

export type ClientMsg =
  /** A client opens a connection with the last zxid it has seen (ConnectRequest). */
  | { readonly type: 'CONNECT'; readonly lastZxid: number }
  | { readonly type: 'CONNECTED' }
  /** The server closes the connection: it is not serving, or it is behind the client. */
  | { readonly type: 'CLOSE'; readonly why: string }
  | { readonly type: 'REQUEST'; readonly cxid: number; readonly op: ZkOp }
  | { readonly type: 'REPLY'; readonly cxid: number; readonly result: ZkResult };

export type PeerMsg =
  /** A follower hands a client's write (or sync) to its leader (Learner.request). */
  | { readonly type: 'FORWARD'; readonly client: NodeId; readonly cxid: number; readonly op: ZkOp }
  /** The leader's answer to a forwarded sync, behind every COMMIT it sent before. */
  | { readonly type: 'SYNC'; readonly client: NodeId; readonly cxid: number };

export type EnsembleMsg = ZabMsg | ClientMsg | PeerMsg;

/** A zxid as one number, as ZooKeeper stores it: epoch in the high 32 bits. */
export const zxidNumber = (z: Zxid): number => z.epoch * 2 ** 32 + z.counter;
export const zxidOfNumber = (n: number): string => `(${Math.floor(n / 2 ** 32)},${n % 2 ** 32})`;
