// ZooKeeper's single-server data model as plain immutable data: znodes, their Stat, sessions
// with their auth ids and one-shot watches, and the requests and responses of the client API.
// The semantics are ZooKeeper 3.8's (the server Debian ships); each rule cites the Java class
// and method it was read from. The reducer is in tree.ts.

/** Permission bits, as ZooDefs.Perms. */
export const Perms = {
  READ: 1,
  WRITE: 2,
  CREATE: 4,
  DELETE: 8,
  ADMIN: 16,
  ALL: 31,
} as const;

/** An ACL entry, flattened from ZooKeeper's ACL(perms, Id(scheme, id)). Any scheme may be
 * requested; only world:anyone, auth, digest and ip are accepted (PrepRequestProcessor.fixupACL). */
export interface Acl {
  readonly perms: number;
  readonly scheme: string;
  readonly id: string;
}

/** An authenticated identity of a session: the connection's address (ip) and each digest
 * added with addAuth. */
export interface AuthId {
  readonly scheme: 'ip' | 'digest';
  readonly id: string;
}

export type CreateMode = 'persistent' | 'ephemeral' | 'persistent-sequential' | 'ephemeral-sequential';

/** What the server stores for a znode (StatPersisted). `cversion` here is the server's
 * internal count of child creations; the Stat a client sees reports 2·cversion − numChildren
 * (DataNode.copyStat), so a delete shows up there too. */
export interface StatPersisted {
  readonly czxid: number;
  readonly mzxid: number;
  readonly pzxid: number;
  readonly ctime: number;
  readonly mtime: number;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  /** The owning session's id for an ephemeral, 0 otherwise. */
  readonly ephemeralOwner: number;
}

/** The Stat a client receives (org.apache.zookeeper.data.Stat). */
export interface Stat {
  readonly czxid: number;
  readonly mzxid: number;
  readonly pzxid: number;
  readonly ctime: number;
  readonly mtime: number;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: number;
  readonly dataLength: number;
  readonly numChildren: number;
}

export interface ZNode {
  /** Data as text; dataLength is its UTF-8 length. */
  readonly data: string;
  readonly acl: readonly Acl[];
  readonly stat: StatPersisted;
  /** Child names, sorted. */
  readonly children: readonly string[];
}

export interface Session {
  readonly id: number;
  readonly timeoutMs: number;
  /** The client's address: every connection carries the id ip:<address> (NIOServerCnxn). */
  readonly clientIp: string;
  /** Sorted, without duplicates (ServerCnxn keeps a set). */
  readonly auth: readonly AuthId[];
  /** Paths with a data watch (getData, exists — also on a missing node), sorted. */
  readonly dataWatches: readonly string[];
  /** Paths with a child watch (getChildren), sorted. */
  readonly childWatches: readonly string[];
}

export interface ZkState {
  /** Znodes by absolute path ("/" is the root). Records compare by sorted keys. */
  readonly nodes: Readonly<Record<string, ZNode>>;
  /** Live sessions, sorted by id. A closed or expired session is removed. */
  readonly sessions: readonly Session[];
  readonly nextSessionId: number;
  /** The last zxid applied (DataTree.lastProcessedZxid); failed writes consume one too. */
  readonly lastZxid: number;
}

export type ErrorCode =
  | 'NoNode'
  | 'NodeExists'
  | 'NotEmpty'
  | 'BadVersion'
  | 'NoChildrenForEphemerals'
  | 'NoAuth'
  | 'InvalidACL'
  | 'BadArguments'
  | 'SessionExpired'
  | 'RuntimeInconsistency'
  /** The request packet exceeded jute.maxbuffer: the server dropped the connection, applied
   * nothing and took no zxid; the session lives on (the client reconnects to it). */
  | 'ConnectionLoss';

/** The operations a multi may hold (Op.create, Op.delete, Op.setData, Op.check). */
export type MultiOp =
  | { readonly kind: 'create'; readonly path: string; readonly data: string; readonly acl: readonly Acl[]; readonly mode: CreateMode }
  | { readonly kind: 'delete'; readonly path: string; readonly version: number }
  | { readonly kind: 'setData'; readonly path: string; readonly data: string; readonly version: number }
  | { readonly kind: 'check'; readonly path: string; readonly version: number };

type OnSession<T> = T & { readonly session: number };

export type ZkRequest =
  | { readonly kind: 'createSession'; readonly timeoutMs: number; readonly clientIp: string }
  | OnSession<{ readonly kind: 'closeSession' }>
  /** The session tracker's expiry: the caller decides when (abstract time). */
  | OnSession<{ readonly kind: 'expireSession' }>
  | OnSession<{ readonly kind: 'addAuth'; readonly scheme: 'digest' | 'ip'; readonly credential: string }>
  | OnSession<Exclude<MultiOp, { readonly kind: 'check' }>>
  | OnSession<{ readonly kind: 'exists'; readonly path: string; readonly watch: boolean }>
  | OnSession<{ readonly kind: 'getData'; readonly path: string; readonly watch: boolean }>
  | OnSession<{ readonly kind: 'getChildren'; readonly path: string; readonly watch: boolean }>
  | OnSession<{ readonly kind: 'getACL'; readonly path: string }>
  | OnSession<{ readonly kind: 'setACL'; readonly path: string; readonly acl: readonly Acl[]; readonly version: number }>
  | OnSession<{ readonly kind: 'sync'; readonly path: string }>
  | OnSession<{ readonly kind: 'multi'; readonly ops: readonly MultiOp[] }>;

/** One result of a multi (OpResult). When an op fails, every result is an error: 'Ok' for
 * the ops before it, its own code, RuntimeInconsistency after it (PrepRequestProcessor
 * multi, DataTree.processTxn multi). */
export type OpResult =
  | { readonly kind: 'create'; readonly path: string; readonly stat: Stat }
  | { readonly kind: 'delete' }
  | { readonly kind: 'setData'; readonly stat: Stat }
  | { readonly kind: 'check' }
  | { readonly kind: 'error'; readonly code: ErrorCode | 'Ok' };

export type ZkResponse =
  | { readonly kind: 'error'; readonly code: ErrorCode }
  | { readonly kind: 'session'; readonly session: number }
  | { readonly kind: 'ok' }
  /** create answers as create2 does: the actual path (with a sequence suffix) and the Stat. */
  | { readonly kind: 'created'; readonly path: string; readonly stat: Stat }
  /** exists, setData, setACL. */
  | { readonly kind: 'stat'; readonly stat: Stat }
  | { readonly kind: 'data'; readonly data: string; readonly stat: Stat }
  /** Children sorted (the server's order is a hash set's). */
  | { readonly kind: 'children'; readonly children: readonly string[]; readonly stat: Stat }
  | { readonly kind: 'acl'; readonly acl: readonly Acl[]; readonly stat: Stat }
  | { readonly kind: 'synced'; readonly path: string }
  /** A multi's reply header carries no error; a failure is in its results. */
  | { readonly kind: 'multi'; readonly results: readonly OpResult[] };

export type EventType = 'NodeCreated' | 'NodeDeleted' | 'NodeDataChanged' | 'NodeChildrenChanged';

/** A watch notification to one session; events of one request are listed in the order the
 * server triggers them, and, for one trigger, by session id. */
export interface WatchEvent {
  readonly session: number;
  readonly type: EventType;
  readonly path: string;
}

/** The request's place in the server's order: the zxid a write would be given and the
 * leader's wall time for it (abstract). Reads ignore both. */
export interface TxnContext {
  readonly zxid: number;
  readonly time: number;
}

export interface ApplyResult {
  readonly state: ZkState;
  readonly response: ZkResponse;
  /** Watch events, to be delivered to each session before this response (and before any
   * later response to it). */
  readonly events: readonly WatchEvent[];
  /** Whether the request was a transaction and took `at.zxid` — true also for a failed write,
   * which the server logs as an error txn. */
  readonly zxidUsed: boolean;
}
