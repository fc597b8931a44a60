// One ZooKeeper session over the wire, for the conformance suite: node-zookeeper-client keeps
// the connection (handshake, pings, auth packets, reply headers, notifications), and every
// request is a jute record sent as it is, through its connection manager's queue. The library's
// own helpers are bypassed on purpose (see the library-behaviour tests in
// zookeeper.conformance.ts): they validate paths more strictly than the server and the Java
// client (a sequential "/a/" is refused), assert on an empty ACL list and on permissions
// outside 1..31 instead of letting the server answer, and its transaction() sends version 0
// as −1.
//
// What the library cannot do, and so what this suite does not compare: it speaks create
// (opcode 1), not create2, so a created znode's Stat is read back with exists, and a create
// inside a multi reports only its path; and it has no sync (the reply's opcode is not one it
// decodes, so it drops the connection).
//
// The library's internals are untyped; the few used here are declared below, in one place.

import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import zookeeper from 'node-zookeeper-client';
import type { Acl, EventType } from '../../models/zookeeper/types.ts';

const require = createRequire(import.meta.url);

interface JuteRecord {
  [field: string]: unknown;
}
type RecordClass = new (...args: unknown[]) => JuteRecord;
interface JuteRequest {
  readonly header: JuteRecord | null;
  readonly payload: unknown;
}
interface Jute {
  readonly OP_CODES: Readonly<Record<string, number>>;
  readonly Request: new (header: JuteRecord | null, payload: unknown) => JuteRequest;
  readonly TransactionRequest: new (ops: readonly TransactionOp[]) => unknown;
  readonly protocol: Readonly<Record<string, RecordClass>>;
  readonly data: Readonly<Record<string, RecordClass>>;
}

/** An ACL as the library's TransactionRequest takes it: anything with toRecord. */
export interface WireAclEntry {
  toRecord(): JuteRecord;
}

/** An op as the library's TransactionRequest takes it. */
export interface TransactionOp {
  readonly type: number;
  readonly path: string;
  readonly data?: Buffer;
  readonly acls?: readonly WireAclEntry[];
  readonly mode?: number;
  readonly version?: number;
}

interface ReplyHeader {
  readonly err: number;
  readonly zxid: Buffer;
}

type QueueCallback = (error: (Error & { code?: number }) | null, response?: { header: ReplyHeader; payload: unknown }) => void;

interface ConnectionManager {
  zxid: Buffer;
  socket: Socket | undefined;
  connect(): void;
  queue(request: JuteRequest, callback: QueueCallback): void;
  readonly watcherManager: { emit(event: { type: number; state: number; path: string }): void };
  on(event: 'state', listener: (state: number) => void): void;
}

const jute = require('node-zookeeper-client/lib/jute/index.js') as Jute;
const CM_STATES = (require('node-zookeeper-client/lib/ConnectionManager.js') as { STATES: Readonly<Record<string, number>> }).STATES;

export const OP = {
  create: jute.OP_CODES.CREATE,
  delete: jute.OP_CODES.DELETE,
  exists: jute.OP_CODES.EXISTS,
  getData: jute.OP_CODES.GET_DATA,
  setData: jute.OP_CODES.SET_DATA,
  getACL: jute.OP_CODES.GET_ACL,
  setACL: jute.OP_CODES.SET_ACL,
  getChildren2: jute.OP_CODES.GET_CHILDREN2,
  check: jute.OP_CODES.CHECK,
  multi: jute.OP_CODES.MULTI,
  error: jute.OP_CODES.ERROR,
} as const;

/** The jute Stat: longs as 8-byte big-endian buffers. */
export interface WireStat {
  readonly czxid: Buffer;
  readonly mzxid: Buffer;
  readonly pzxid: Buffer;
  readonly ctime: Buffer;
  readonly mtime: Buffer;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: Buffer;
  readonly dataLength: number;
  readonly numChildren: number;
}

export interface WireAcl {
  readonly perms: number;
  readonly id: { readonly scheme: string; readonly id: string };
}

/** What one reply carries: the header's error code and zxid, and the payload when err is 0. */
export interface WireReply<P = unknown> {
  readonly err: number;
  readonly zxid: bigint;
  readonly payload: P | undefined;
}

export interface WireEvent {
  readonly type: EventType;
  readonly path: string;
}

const EVENT_TYPES: Readonly<Record<number, EventType>> = { 1: 'NodeCreated', 2: 'NodeDeleted', 3: 'NodeDataChanged', 4: 'NodeChildrenChanged' };

export const long = (b: Buffer): bigint => b.readBigInt64BE(0);

/** ACL entries as jute records, built directly: the library's ACL class refuses permissions
 * outside 1..31, which the server takes as they are. */
export function toWireAcl(acl: readonly Acl[]): WireAclEntry[] {
  return acl.map((a) => {
    const entry = new jute.data.ACL(a.perms, new jute.data.Id(a.scheme, a.id));
    return { toRecord: () => entry };
  });
}

function toRecord(entry: WireAclEntry): JuteRecord {
  return entry.toRecord();
}

export const CREATE_FLAGS = { persistent: 0, ephemeral: 1, 'persistent-sequential': 2, 'ephemeral-sequential': 3 } as const;
export type WireCreateMode = keyof typeof CREATE_FLAGS;

function record(name: string, fields: Readonly<Record<string, unknown>>): JuteRecord {
  const r = new jute.protocol[name]();
  Object.assign(r, fields);
  return r;
}

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`zookeeper: ${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const CONNECT_TIMEOUT_MS = 10_000;

/** One client connection and its session. Notifications are recorded as they arrive, in the
 * connection's order; `unexpected` collects state changes nobody asked for (an expiry while the
 * session was meant to be alive means the test process stalled longer than the timeout). */
export class WireSession {
  readonly events: WireEvent[] = [];
  readonly unexpected: string[] = [];
  private expected: 'open' | 'closing' | 'severed' = 'open';

  private constructor(
    private readonly client: zookeeper.Client,
    private readonly cm: ConnectionManager,
  ) {
    cm.watcherManager.emit = (event) => {
      const type = EVENT_TYPES[event.type];
      if (type === undefined) this.unexpected.push(`notification of type ${event.type} for ${event.path}`);
      else this.events.push({ type, path: event.path });
    };
    cm.on('state', (state) => {
      if (this.expected === 'open' && state !== CM_STATES.CONNECTED) this.unexpected.push(`connection state ${stateName(state)}`);
    });
  }

  /** A new session; resolves once the server has answered the handshake. */
  static async open(port: number, sessionTimeoutMs: number): Promise<WireSession> {
    const client = zookeeper.createClient(`127.0.0.1:${port}`, { sessionTimeout: sessionTimeoutMs, retries: 0, spinDelay: 100 });
    const connected = new Promise<void>((resolve, reject) => {
      client.once('connected', () => resolve());
      client.once('expired', () => reject(new Error('zookeeper: a new session was answered as expired')));
    });
    client.connect();
    try {
      await within(CONNECT_TIMEOUT_MS, `connecting to 127.0.0.1:${port}`, connected);
    } catch (e) {
      client.close();
      throw e;
    }
    return new WireSession(client, (client as unknown as { connectionManager: ConnectionManager }).connectionManager);
  }

  /** Tries to resume a session by id and password, as a client does after a lost connection:
   * 'expired' when the server refuses it, 'resumed' when it takes it back. */
  static async resume(port: number, sessionId: Buffer, sessionPassword: Buffer, sessionTimeoutMs: number): Promise<'expired' | 'resumed'> {
    const client = zookeeper.createClient(`127.0.0.1:${port}`, { sessionTimeout: sessionTimeoutMs, retries: 0, spinDelay: 100, sessionId, sessionPassword } as Partial<zookeeper.Option>);
    const cm = (client as unknown as { connectionManager: ConnectionManager }).connectionManager;
    const outcome = new Promise<'expired' | 'resumed'>((resolve) => {
      client.once('connected', () => resolve('resumed'));
      client.once('expired', () => resolve('expired'));
    });
    client.connect();
    const result = await within(CONNECT_TIMEOUT_MS, 'resuming a session', outcome);
    if (result === 'expired') {
      cm.connect = () => {};
      cm.socket?.destroy();
      return result;
    }
    // Taken back (a divergence the caller reports): close it now rather than leave it to
    // expire in the middle of a later request.
    const closed = new Promise<void>((resolve) => cm.on('state', (s) => s === CM_STATES.CLOSED && resolve()));
    client.close();
    await within(CONNECT_TIMEOUT_MS, 'closing a resumed session', closed);
    return result;
  }

  get sessionId(): Buffer {
    return this.client.getSessionId();
  }

  get sessionPassword(): Buffer {
    return this.client.getSessionPassword();
  }

  get negotiatedTimeoutMs(): number {
    return this.client.getSessionTimeout();
  }

  /** The zxid of the last reply: the server's last processed zxid when it answered. */
  get lastZxid(): bigint {
    return long(this.cm.zxid);
  }

  /** Sends one request and waits for its reply. */
  send<P>(op: number, payload: unknown): Promise<WireReply<P>> {
    const header = record('RequestHeader', { type: op });
    return new Promise((resolve, reject) => {
      this.cm.queue(new jute.Request(header, payload), (error, response) => {
        if (response === undefined) {
          reject(new Error(`zookeeper: no reply (${error?.message ?? 'no error either'})`));
          return;
        }
        resolve({ err: response.header.err, zxid: long(response.header.zxid), payload: response.header.err === 0 ? (response.payload as P) : undefined });
      });
    });
  }

  /** A read that waits for every notification the server queued to this connection before it:
   * the server answers a connection's requests in order, after the notifications of the txns
   * applied before them. */
  async barrier(): Promise<WireReply> {
    return this.send(OP.exists, record('ExistsRequest', { path: '/', watch: false }));
  }

  create(path: string, data: string, acl: readonly Acl[], mode: WireCreateMode) {
    const payload = record('CreateRequest', { path, data: Buffer.from(data, 'utf8'), acl: toWireAcl(acl).map(toRecord), flags: CREATE_FLAGS[mode] });
    return this.send<{ path: string }>(OP.create, payload);
  }

  delete(path: string, version: number) {
    return this.send<null>(OP.delete, record('DeleteRequest', { path, version }));
  }

  setData(path: string, data: string | Buffer, version: number) {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    return this.send<{ stat: WireStat }>(OP.setData, record('SetDataRequest', { path, data: bytes, version }));
  }

  exists(path: string, watch: boolean) {
    return this.send<{ stat: WireStat }>(OP.exists, record('ExistsRequest', { path, watch }));
  }

  getData(path: string, watch: boolean) {
    return this.send<{ data: Buffer | undefined; stat: WireStat }>(OP.getData, record('GetDataRequest', { path, watch }));
  }

  getChildren(path: string, watch: boolean) {
    return this.send<{ children: string[]; stat: WireStat }>(OP.getChildren2, record('GetChildren2Request', { path, watch }));
  }

  getACL(path: string) {
    return this.send<{ acl: WireAcl[]; stat: WireStat }>(OP.getACL, record('GetACLRequest', { path }));
  }

  setACL(path: string, acl: readonly Acl[], version: number) {
    return this.send<{ stat: WireStat }>(OP.setACL, record('SetACLRequest', { path, acl: toWireAcl(acl).map(toRecord), version }));
  }

  multi(ops: readonly TransactionOp[]) {
    return this.send<{ results: { type: number; path?: string; stat?: WireStat; err?: number }[] }>(OP.multi, new jute.TransactionRequest(ops));
  }

  /** addAuth: the server answers on the connection without an xid (the library only acts on a
   * failure, by closing); a barrier after it shows it was applied. */
  addAuth(scheme: string, credential: string): void {
    this.client.addAuthInfo(scheme, Buffer.from(credential, 'utf8'));
  }

  /** closeSession, waiting until the server has answered and closed the connection; returns
   * the zxid of its reply. */
  async close(): Promise<bigint> {
    this.expected = 'closing';
    const closed = new Promise<void>((resolve) => this.cm.on('state', (s) => s === CM_STATES.CLOSED && resolve()));
    this.client.close();
    await within(CONNECT_TIMEOUT_MS, 'closing a session', closed);
    return this.lastZxid;
  }

  /** Drops the connection without closing the session and never reconnects: the server
   * expires the session after its timeout, as it would a client that crashed. */
  sever(): void {
    this.expected = 'severed';
    this.cm.connect = () => {};
    this.cm.socket?.destroy();
  }
}

function stateName(state: number): string {
  return Object.keys(CM_STATES).find((k) => CM_STATES[k] === state) ?? String(state);
}
