// The ZooKeeper data tree as a pure reducer: apply(state, request, at) → { state, response,
// events, zxidUsed }. One call is one request as a single server handles it: the checks of
// PrepRequestProcessor in the server's order, then the txn applied as DataTree.processTxn
// does, then the reply FinalRequestProcessor builds. The caller owns time and the zxid
// counter (a write takes `at.zxid`), so sessions expire and zxids advance only when the
// caller says so.
//
// Requests reach the reducer as a client library sends them: the client validates every path
// with PathUtils first (ZooKeeper.create/delete/…, a sequential create with a digit appended),
// so an invalid path is BadArguments without reaching the server (no zxid). Likewise a
// request on a closed or expired session is SessionExpired and takes no zxid (the server
// closes an expired session's connection, so nothing more arrives on it).

import { setAdd, setHas } from '../../src/core/data.ts';
import { allowed, digestId, fixupAcl, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, redactDigests } from './acl.ts';
import { childName, isValidCreatePath, isValidPath, parentPath, sequenceSuffix, SPECIAL_PATHS } from './path.ts';
import {
  Perms,
  type Acl,
  type ApplyResult,
  type ErrorCode,
  type EventType,
  type MultiOp,
  type OpResult,
  type Session,
  type Stat,
  type StatPersisted,
  type TxnContext,
  type WatchEvent,
  type ZkRequest,
  type ZkResponse,
  type ZkState,
  type ZNode,
} from './types.ts';

function assert(cond: boolean, message: string): asserts cond {
  if (!cond) throw new Error(`zookeeper reducer: ${message}`);
}

const ZERO_STAT: StatPersisted = { czxid: 0, mzxid: 0, pzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0 };

/** A fresh server's tree: the root, /zookeeper, /zookeeper/quota and /zookeeper/config, all
 * with zero stats (the children were added without a create, so the root reports cversion −1
 * and /zookeeper −2); /zookeeper/config is world-readable only, and setting that ACL at
 * startup left its aversion at −1 (DataTree constructor, DataTree.addConfigNode). */
export function initialState(): ZkState {
  const node = (children: string[], acl = OPEN_ACL_UNSAFE, aversion = 0): ZNode => ({
    data: '',
    acl,
    stat: { ...ZERO_STAT, aversion },
    children,
  });
  return {
    nodes: {
      '/': node(['zookeeper']),
      '/zookeeper': node(['config', 'quota']),
      '/zookeeper/config': node([], READ_ACL_UNSAFE, -1),
      '/zookeeper/quota': node([]),
    },
    sessions: [],
    nextSessionId: 1,
    lastZxid: 0,
  };
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** The Stat a client sees: cversion is reported as 2·creations − numChildren (DataNode.copyStat). */
export function statOf(node: ZNode): Stat {
  const numChildren = node.children.length;
  return { ...node.stat, cversion: node.stat.cversion * 2 - numChildren, dataLength: utf8Length(node.data), numChildren };
}

export function findSession(state: ZkState, id: number): Session | undefined {
  return state.sessions.find((s) => s.id === id);
}

/** The ephemerals a session owns, sorted. */
export function ephemeralsOf(state: ZkState, session: number): string[] {
  return Object.keys(state.nodes)
    .filter((p) => state.nodes[p].stat.ephemeralOwner === session)
    .sort();
}

/** Whether a request is a transaction (takes a zxid when it reaches the server). */
export function isWrite(request: ZkRequest): boolean {
  switch (request.kind) {
    case 'createSession':
    case 'closeSession':
    case 'expireSession':
    case 'create':
    case 'delete':
    case 'setData':
    case 'setACL':
    case 'multi':
      return true;
    default:
      return false;
  }
}

/** The error a failed multi reports to its caller: its first result that is not Ok. */
export function multiFailure(results: readonly OpResult[]): ErrorCode | undefined {
  for (const r of results) if (r.kind === 'error' && r.code !== 'Ok') return r.code;
  return undefined;
}

// ---------------------------------------------------------------------------------------
// A transaction in progress: copies of the node record and the sessions, owned by one
// apply call and dropped when the request fails.

interface Txn {
  readonly nodes: Record<string, ZNode>;
  sessions: Session[];
  readonly events: WatchEvent[];
  readonly zxid: number;
  readonly time: number;
  readonly bugs: TreeBugs;
}

/** Planted bugs for the model-checking models built on the reducer (models/zookeeper-session):
 * each breaks one rule of the server on purpose. The default, no flag set, is the server. */
export interface TreeBugs {
  /** A watch stays set after it fires (watches are one-shot: WatchManager.triggerWatch). */
  readonly watchFiresTwice?: boolean;
  /** The sequence suffix comes from the parent's current number of children, so a number is
   * reused after a delete (the server uses its count of creations). */
  readonly sequenceFromChildCount?: boolean;
  /** delete checks DELETE on the node itself instead of its parent. */
  readonly deleteChecksNodeAcl?: boolean;
  /** A failed multi keeps the effects of the ops before the failing one. */
  readonly multiKeepsAppliedOps?: boolean;
  /** Closing or expiring a session removes the session but leaves its ephemerals, to be
   * removed later one by one (removeOrphanEphemeral): not atomically. */
  readonly expiryLeavesEphemerals?: boolean;
}

const NO_BUGS: TreeBugs = {};

function begin(state: ZkState, at: TxnContext, bugs: TreeBugs): Txn {
  assert(at.zxid > state.lastZxid, `zxid ${at.zxid} is not after the last one, ${state.lastZxid}`);
  return { nodes: { ...state.nodes }, sessions: state.sessions.slice(), events: [], zxid: at.zxid, time: at.time, bugs };
}

/** Fires and removes the watches of `kind` on `path`, one event per session (a session with
 * both a data and a child watch on a deleted node hears NodeDeleted once: DataTree.deleteNode
 * passes the data watchers as `supress` to the child watch trigger). */
function trigger(tx: Txn, path: string, type: EventType, kind: 'data' | 'child' | 'both', acl: readonly Acl[]): void {
  tx.sessions = tx.sessions.map((s) => {
    const data = kind !== 'child' && setHas(s.dataWatches, path);
    const child = kind !== 'data' && setHas(s.childWatches, path);
    if (!data && !child) return s;
    // The watcher must have READ under `acl` (the node's; the parent's for a children change)
    // to be told; its watch is used up either way (NIOServerCnxn.process with the ACL
    // DataTree passes: the fix of CVE-2024-23944, in Debian's 3.8.0 and upstream 3.8.4).
    if (allowed(acl, Perms.READ, s)) tx.events.push({ session: s.id, type, path });
    if (tx.bugs.watchFiresTwice) return s;
    return {
      ...s,
      dataWatches: data ? s.dataWatches.filter((p) => p !== path) : s.dataWatches,
      childWatches: child ? s.childWatches.filter((p) => p !== path) : s.childWatches,
    };
  });
}

/** checkAndIncVersion: −1 matches any version. */
function versionMatches(current: number, expected: number): boolean {
  return expected === -1 || expected === current;
}

// PrepRequestProcessor.pRequest2TxnCreate: session, ACL well formed (before the parent is
// looked up), parent exists, CREATE on the parent, then the suffix from the parent's
// cversion, NodeExists before NoChildrenForEphemerals. DataTree.createNode applies it.
function create(tx: Txn, session: Session, op: Extract<MultiOp, { kind: 'create' }>): { path: string; stat: Stat } | ErrorCode {
  const acl = fixupAcl(op.acl, session);
  if (acl === undefined) return 'InvalidACL';
  const parentAt = parentPath(op.path);
  const parent = tx.nodes[parentAt];
  if (parent === undefined) return 'NoNode';
  if (!allowed(parent.acl, Perms.CREATE, session)) return 'NoAuth';
  const sequential = op.mode === 'persistent-sequential' || op.mode === 'ephemeral-sequential';
  const counter = tx.bugs.sequenceFromChildCount ? parent.children.length : parent.stat.cversion;
  const path = sequential ? op.path + sequenceSuffix(counter) : op.path;
  if (tx.nodes[path] !== undefined) return 'NodeExists';
  if (parent.stat.ephemeralOwner !== 0) return 'NoChildrenForEphemerals';
  const ephemeral = op.mode === 'ephemeral' || op.mode === 'ephemeral-sequential';
  const { zxid, time } = tx;
  const node: ZNode = {
    data: op.data,
    acl,
    stat: { czxid: zxid, mzxid: zxid, pzxid: zxid, ctime: time, mtime: time, version: 0, cversion: 0, aversion: 0, ephemeralOwner: ephemeral ? session.id : 0 },
    children: [],
  };
  tx.nodes[path] = node;
  tx.nodes[parentAt] = {
    ...parent,
    children: setAdd(parent.children, childName(path)),
    stat: { ...parent.stat, cversion: parent.stat.cversion + 1, pzxid: zxid },
  };
  trigger(tx, path, 'NodeCreated', 'data', node.acl);
  trigger(tx, parentAt, 'NodeChildrenChanged', 'child', parent.acl);
  return { path, stat: statOf(node) };
}

/** DataTree.deleteNode: the parent loses the child and takes the zxid as pzxid (only when
 * larger); its cversion is not touched, so a sequential number is never reused. */
function removeNode(tx: Txn, path: string): void {
  const parentAt = parentPath(path);
  const parent = tx.nodes[parentAt];
  const node = tx.nodes[path];
  assert(parent !== undefined && node !== undefined, `deleting ${path}, which is not in the tree`);
  delete tx.nodes[path];
  tx.nodes[parentAt] = {
    ...parent,
    children: parent.children.filter((c) => c !== childName(path)),
    stat: { ...parent.stat, pzxid: Math.max(parent.stat.pzxid, tx.zxid) },
  };
  trigger(tx, path, 'NodeDeleted', 'both', node.acl);
  trigger(tx, parentAt, 'NodeChildrenChanged', 'child', parent.acl);
}

// PrepRequestProcessor delete: special paths are BadArguments (getParentPathAndValidate),
// DELETE is checked on the parent, then the node's existence, version, and children.
function del(tx: Txn, session: Session, op: Extract<MultiOp, { kind: 'delete' }>): ErrorCode | undefined {
  if (SPECIAL_PATHS.includes(op.path)) return 'BadArguments';
  const parent = tx.nodes[parentPath(op.path)];
  if (parent === undefined) return 'NoNode';
  const node = tx.nodes[op.path];
  if (!tx.bugs.deleteChecksNodeAcl && !allowed(parent.acl, Perms.DELETE, session)) return 'NoAuth';
  if (node === undefined) return 'NoNode';
  if (tx.bugs.deleteChecksNodeAcl && !allowed(node.acl, Perms.DELETE, session)) return 'NoAuth';
  if (!versionMatches(node.stat.version, op.version)) return 'BadVersion';
  if (node.children.length > 0) return 'NotEmpty';
  removeNode(tx, op.path);
  return undefined;
}

// PrepRequestProcessor setData: NoNode, WRITE on the node, version; DataTree.setData sets
// data, mtime, mzxid and version.
function setData(tx: Txn, session: Session, op: Extract<MultiOp, { kind: 'setData' }>): Stat | ErrorCode {
  const node = tx.nodes[op.path];
  if (node === undefined) return 'NoNode';
  if (!allowed(node.acl, Perms.WRITE, session)) return 'NoAuth';
  if (!versionMatches(node.stat.version, op.version)) return 'BadVersion';
  const next: ZNode = { ...node, data: op.data, stat: { ...node.stat, version: node.stat.version + 1, mtime: tx.time, mzxid: tx.zxid } };
  tx.nodes[op.path] = next;
  trigger(tx, op.path, 'NodeDataChanged', 'data', next.acl);
  return statOf(next);
}

// PrepRequestProcessor check (multi only): NoNode, READ on the node, version.
function check(tx: Txn, session: Session, op: Extract<MultiOp, { kind: 'check' }>): ErrorCode | undefined {
  const node = tx.nodes[op.path];
  if (node === undefined) return 'NoNode';
  if (!allowed(node.acl, Perms.READ, session)) return 'NoAuth';
  return versionMatches(node.stat.version, op.version) ? undefined : 'BadVersion';
}

// PrepRequestProcessor setACL: the new ACL is fixed up before the node is looked up, then
// ADMIN on the node and its aversion; DataTree.setACL changes only the ACL and aversion
// (no zxid field moves, no watch fires).
function setAcl(tx: Txn, session: Session, req: Extract<ZkRequest, { kind: 'setACL' }>): Stat | ErrorCode {
  const acl = fixupAcl(req.acl, session);
  if (acl === undefined) return 'InvalidACL';
  const node = tx.nodes[req.path];
  if (node === undefined) return 'NoNode';
  if (!allowed(node.acl, Perms.ADMIN, session)) return 'NoAuth';
  if (!versionMatches(node.stat.aversion, req.version)) return 'BadVersion';
  const next: ZNode = { ...node, acl, stat: { ...node.stat, aversion: node.stat.aversion + 1 } };
  tx.nodes[req.path] = next;
  return statOf(next);
}

function runOp(tx: Txn, session: Session, op: MultiOp): OpResult | ErrorCode {
  switch (op.kind) {
    case 'create': {
      const r = create(tx, session, op);
      return typeof r === 'string' ? r : { kind: 'create', ...r };
    }
    case 'delete': {
      const e = del(tx, session, op);
      return e ?? { kind: 'delete' };
    }
    case 'setData': {
      const r = setData(tx, session, op);
      return typeof r === 'string' ? r : { kind: 'setData', stat: r };
    }
    case 'check': {
      const e = check(tx, session, op);
      return e ?? { kind: 'check' };
    }
    default: {
      const never: never = op;
      throw new Error(`unknown multi op ${JSON.stringify(never)}`);
    }
  }
}

/** All-or-nothing: the ops run in order on one txn at one zxid; the first failure drops the
 * txn and every result becomes an error result (PrepRequestProcessor multi: RuntimeInconsistency
 * after the failure; DataTree.processTxn multi: Ok before it). */
function multi(tx: Txn, session: Session, ops: readonly MultiOp[]): { results: OpResult[]; failed: boolean } {
  const results: OpResult[] = [];
  for (let i = 0; i < ops.length; i++) {
    const r = runOp(tx, session, ops[i]);
    if (typeof r === 'string') {
      const codes = ops.map((_, j): ErrorCode | 'Ok' => (j < i ? 'Ok' : j === i ? r : 'RuntimeInconsistency'));
      return { results: codes.map((code) => ({ kind: 'error', code })), failed: true };
    }
    results.push(r);
  }
  return { results, failed: false };
}

/** Session close and expiry (PrepRequestProcessor closeSession, DataTree.killSession): the
 * session's ephemerals are deleted in the one txn, each firing its watches. An expired
 * session's connection, and its watches, are gone first, so it is told nothing; a closing
 * session's connection is open until the reply (FinalRequestProcessor, then
 * NIOServerCnxn.close), so it hears what its own close triggers. */
function killSession(tx: Txn, session: Session, closing: boolean): void {
  if (!closing) tx.sessions = tx.sessions.filter((s) => s.id !== session.id);
  if (!tx.bugs.expiryLeavesEphemerals) {
    const ephemerals = Object.keys(tx.nodes)
      .filter((p) => tx.nodes[p].stat.ephemeralOwner === session.id)
      .sort();
    for (const path of ephemerals) removeNode(tx, path);
  }
  if (closing) tx.sessions = tx.sessions.filter((s) => s.id !== session.id);
}

// ---------------------------------------------------------------------------------------

function error(state: ZkState, code: ErrorCode): ApplyResult {
  return { state, response: { kind: 'error', code }, events: [], zxidUsed: false };
}

function requestPaths(request: ZkRequest): { path: string; sequential: boolean }[] {
  switch (request.kind) {
    case 'createSession':
    case 'closeSession':
    case 'expireSession':
    case 'addAuth':
      return [];
    case 'multi':
      return request.ops.map(opPath);
    default:
      return [opPath(request)];
  }
}

function opPath(op: { kind: string; path: string; mode?: string }): { path: string; sequential: boolean } {
  return { path: op.path, sequential: op.kind === 'create' && (op.mode ?? '').endsWith('-sequential') };
}

/** jute.maxbuffer's default (0xfffff): a longer request packet makes the server drop the
 * connection (NIOServerCnxn / NettyServerCnxn reading the length prefix). */
export const MAX_PACKET_BYTES = 0xfffff;

const stringBytes = (s: string) => 4 + utf8Length(s);
const aclBytes = (acl: readonly Acl[]) => 4 + acl.reduce((n, a) => n + 4 + stringBytes(a.scheme) + stringBytes(a.id), 0);

/** The jute-serialised length of an op's record (CreateRequest, DeleteRequest, SetDataRequest,
 * CheckVersionRequest). */
function opBytes(op: MultiOp): number {
  switch (op.kind) {
    case 'create':
      return stringBytes(op.path) + stringBytes(op.data) + aclBytes(op.acl) + 4;
    case 'setData':
      return stringBytes(op.path) + stringBytes(op.data) + 4;
    case 'delete':
    case 'check':
      return stringBytes(op.path) + 4;
  }
}

/** The length of a request packet as the server reads it: the RequestHeader (xid, type) and
 * the request record, jute-serialised (strings and buffers with a 4-byte length). */
export function packetBytes(request: ZkRequest): number {
  const header = 8;
  switch (request.kind) {
    case 'createSession':
    case 'closeSession':
    case 'expireSession':
      return header;
    case 'addAuth':
      return header + 4 + stringBytes(request.scheme) + stringBytes(request.credential);
    case 'create':
    case 'setData':
    case 'delete':
      return header + opBytes(request);
    case 'exists':
    case 'getData':
    case 'getChildren':
      return header + stringBytes(request.path) + 1;
    case 'getACL':
    case 'sync':
      return header + stringBytes(request.path);
    case 'setACL':
      return header + stringBytes(request.path) + aclBytes(request.acl) + 4;
    case 'multi':
      // Each op behind a MultiHeader (type, done, err), and a closing header.
      return header + request.ops.reduce((n, op) => n + 9 + opBytes(op), 0) + 9;
  }
}

/** Applies one request. Reads leave nodes and zxids alone (an exists may still leave a watch);
 * a write that fails takes its zxid and changes nothing else. */
export function apply(state: ZkState, request: ZkRequest, at: TxnContext, bugs: TreeBugs = NO_BUGS): ApplyResult {
  if (!requestPaths(request).every((p) => isValidCreatePath(p.path, p.sequential))) return error(state, 'BadArguments');
  if (packetBytes(request) > MAX_PACKET_BYTES) return error(state, 'ConnectionLoss');
  if (request.kind === 'createSession') return createSession(state, request, at);
  const session = findSession(state, request.session);
  if (session === undefined) return error(state, 'SessionExpired');
  switch (request.kind) {
    case 'closeSession':
    case 'expireSession':
      return write(state, at, bugs, (tx) => {
        killSession(tx, session, request.kind === 'closeSession');
        return outcome({ kind: 'ok' });
      });
    case 'addAuth':
      return read(state, addAuth(session, request), { kind: 'ok' });
    case 'create':
    case 'delete':
    case 'setData':
      return write(state, at, bugs, (tx) => outcome(singleOp(runOp(tx, session, request))));
    case 'setACL':
      return write(state, at, bugs, (tx) => {
        const r = setAcl(tx, session, request);
        return outcome(typeof r === 'string' ? { kind: 'error', code: r } : { kind: 'stat', stat: r });
      });
    case 'multi':
      return write(state, at, bugs, (tx) => {
        const m = multi(tx, session, request.ops);
        // The planted bug keeps what the ops before the failure did.
        return { response: { kind: 'multi', results: m.results }, failed: m.failed && !bugs.multiKeepsAppliedOps };
      });
    case 'exists':
    case 'getData':
    case 'getChildren':
    case 'getACL':
    case 'sync':
      return readRequest(state, session, request);
    default: {
      const never: never = request;
      throw new Error(`unknown request ${JSON.stringify(never)}`);
    }
  }
}

/** Removes an ephemeral whose session is gone, as its own txn: only under the planted bug
 * expiryLeavesEphemerals, whose leftovers a model removes later, one by one. */
export function removeOrphanEphemeral(state: ZkState, path: string, at: TxnContext): ApplyResult {
  const node = state.nodes[path];
  assert(node !== undefined && node.stat.ephemeralOwner !== 0 && findSession(state, node.stat.ephemeralOwner) === undefined, `${path} is not an orphaned ephemeral`);
  return write(state, at, NO_BUGS, (tx) => {
    removeNode(tx, path);
    return outcome({ kind: 'ok' });
  });
}

function singleOp(r: OpResult | ErrorCode): ZkResponse {
  if (typeof r === 'string') return { kind: 'error', code: r };
  switch (r.kind) {
    case 'create':
      return { kind: 'created', path: r.path, stat: r.stat };
    case 'setData':
      return { kind: 'stat', stat: r.stat };
    default:
      return { kind: 'ok' };
  }
}

/** Runs a transaction: on success its nodes, sessions and events are the new state; on a
 * failure only the zxid is spent. */
function write(state: ZkState, at: TxnContext, bugs: TreeBugs, body: (tx: Txn) => { response: ZkResponse; failed: boolean }): ApplyResult {
  const tx = begin(state, at, bugs);
  const { response, failed } = body(tx);
  if (failed) return { state: { ...state, lastZxid: at.zxid }, response, events: [], zxidUsed: true };
  const next: ZkState = { ...state, nodes: tx.nodes, sessions: tx.sessions, lastZxid: at.zxid };
  return { state: next, response, events: tx.events, zxidUsed: true };
}

const outcome = (response: ZkResponse) => ({ response, failed: response.kind === 'error' });

function read(state: ZkState, session: Session, response: ZkResponse): ApplyResult {
  const current = findSession(state, session.id);
  const sessions = current === session ? state.sessions : state.sessions.map((s) => (s.id === session.id ? session : s));
  return { state: sessions === state.sessions ? state : { ...state, sessions }, response, events: [], zxidUsed: false };
}

// createSession is a txn (PrepRequestProcessor createSession); the connection's address is
// its first auth id (NIOServerCnxn adds ip:<address>).
function createSession(state: ZkState, request: Extract<ZkRequest, { kind: 'createSession' }>, at: TxnContext): ApplyResult {
  assert(at.zxid > state.lastZxid, `zxid ${at.zxid} is not after the last one, ${state.lastZxid}`);
  const session: Session = {
    id: state.nextSessionId,
    timeoutMs: request.timeoutMs,
    clientIp: request.clientIp,
    auth: [{ scheme: 'ip', id: request.clientIp }],
    dataWatches: [],
    childWatches: [],
  };
  const next: ZkState = { ...state, sessions: [...state.sessions, session], nextSessionId: session.id + 1, lastZxid: at.zxid };
  return { state: next, response: { kind: 'session', session: session.id }, events: [], zxidUsed: true };
}

// addAuth is handled on the connection, not as a txn (ZooKeeperServer.processPacket): digest
// adds user:base64(sha1(credential)) (DigestAuthenticationProvider.handleAuthentication), ip
// adds the connection's own address whatever the credential (IPAuthenticationProvider).
function addAuth(session: Session, request: Extract<ZkRequest, { kind: 'addAuth' }>): Session {
  const id = request.scheme === 'digest' ? { scheme: 'digest' as const, id: digestId(request.credential) } : { scheme: 'ip' as const, id: session.clientIp };
  // The session's ids in insertion order (the order the server's hash set keeps within a
  // bucket; acl.ts serverOrder derives its iteration order from it).
  if (session.auth.some((x) => x.scheme === id.scheme && x.id === id.id)) return session;
  return { ...session, auth: [...session.auth, id] };
}

type ReadRequest = Extract<ZkRequest, { kind: 'exists' | 'getData' | 'getChildren' | 'getACL' | 'sync' }>;

// FinalRequestProcessor: exists checks no ACL and leaves its watch even on a missing node
// (DataTree.statNode adds the watch before looking up); getData and getChildren need READ and
// watch only on success; getACL needs READ or ADMIN and hides digests without ADMIN.
function readRequest(state: ZkState, session: Session, request: ReadRequest): ApplyResult {
  const node: ZNode | undefined = state.nodes[request.path];
  const watched = (kind: 'data' | 'child'): Session =>
    kind === 'data' ? { ...session, dataWatches: setAdd(session.dataWatches, request.path) } : { ...session, childWatches: setAdd(session.childWatches, request.path) };
  switch (request.kind) {
    case 'sync':
      return read(state, session, { kind: 'synced', path: request.path });
    case 'exists': {
      const s = request.watch ? watched('data') : session;
      return read(state, s, node === undefined ? { kind: 'error', code: 'NoNode' } : { kind: 'stat', stat: statOf(node) });
    }
    case 'getData':
    case 'getChildren': {
      if (node === undefined) return error(state, 'NoNode');
      if (!allowed(node.acl, Perms.READ, session)) return error(state, 'NoAuth');
      if (request.kind === 'getData') return read(state, request.watch ? watched('data') : session, { kind: 'data', data: node.data, stat: statOf(node) });
      return read(state, request.watch ? watched('child') : session, { kind: 'children', children: node.children, stat: statOf(node) });
    }
    case 'getACL': {
      if (node === undefined) return error(state, 'NoNode');
      if (!allowed(node.acl, Perms.READ | Perms.ADMIN, session)) return error(state, 'NoAuth');
      const acl = allowed(node.acl, Perms.ADMIN, session) ? node.acl : redactDigests(node.acl);
      return read(state, session, { kind: 'acl', acl, stat: statOf(node) });
    }
    default: {
      const never: never = request;
      throw new Error(`unknown read ${JSON.stringify(never)}`);
    }
  }
}
