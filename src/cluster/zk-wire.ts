// A minimal ZooKeeper client over the wire (jute records on one TCP connection), for the cluster
// campaigns. node-zookeeper-client reconnects and retries on its own, fails over between servers
// and has no `sync` (its reply decoder drops the connection; see properties/conformance), so it
// would hide exactly what a campaign records. This client is one session on one server: a lost
// connection fails every outstanding request with ConnectionLoss and the session is gone;
// the worker opens a new one.
//
// Wire format: ZooKeeper's jute (zookeeper.jute): every packet is a 4-byte length and a record;
// requests are RequestHeader{xid, type} + body, replies ReplyHeader{xid, zxid, err} + body.

import { connect, type Socket } from 'node:net';
import { LOOPBACK } from './ports.ts';

export const ZK_ERRORS: Readonly<Record<number, string>> = {
  [-4]: 'ConnectionLoss', [-7]: 'OperationTimeout', [-101]: 'NoNode', [-103]: 'BadVersion', [-110]: 'NodeExists',
  [-111]: 'NotEmpty', [-112]: 'SessionExpired', [-118]: 'SessionMoved', [-119]: 'NotReadOnly', [-122]: 'RequestTimeout',
};

export class ZkError extends Error {
  override readonly name = 'ZkError';
  constructor(
    readonly code: number,
    what: string,
  ) {
    super(`${what}: ${ZK_ERRORS[code] ?? `error ${code}`}`);
  }
}

const OP = { create: 1, delete: 2, getData: 4, setData: 5, getChildren: 8, sync: 9, ping: 11, closeSession: -11 } as const;
const CONNECTION_LOSS = -4;

class Writer {
  private readonly parts: Buffer[] = [];
  int(n: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    this.parts.push(b);
    return this;
  }
  long(n: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    this.parts.push(b);
    return this;
  }
  bool(v: boolean): this {
    this.parts.push(Buffer.from([v ? 1 : 0]));
    return this;
  }
  buffer(data: Buffer | null): this {
    if (data === null) return this.int(-1);
    this.int(data.length);
    this.parts.push(data);
    return this;
  }
  string(s: string): this {
    return this.buffer(Buffer.from(s, 'utf8'));
  }
  packet(): Buffer {
    const body = Buffer.concat(this.parts);
    const len = Buffer.alloc(4);
    len.writeInt32BE(body.length);
    return Buffer.concat([len, body]);
  }
}

class Reader {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  int(): number {
    const n = this.b.readInt32BE(this.at);
    this.at += 4;
    return n;
  }
  long(): bigint {
    const n = this.b.readBigInt64BE(this.at);
    this.at += 8;
    return n;
  }
  buffer(): Buffer | null {
    const len = this.int();
    if (len < 0) return null;
    const out = this.b.subarray(this.at, this.at + len);
    this.at += len;
    return out;
  }
  string(): string {
    return (this.buffer() ?? Buffer.alloc(0)).toString('utf8');
  }
  /** Stat: czxid mzxid ctime mtime version cversion aversion ephemeralOwner dataLength numChildren pzxid. */
  stat(): { version: number; mzxid: bigint } {
    this.long();
    const mzxid = this.long();
    this.long();
    this.long();
    const version = this.int();
    this.at += 4 + 4 + 8 + 4 + 4 + 8;
    return { version, mzxid };
  }
}

interface Outstanding {
  readonly what: string;
  readonly resolve: (body: Reader, zxid: bigint) => void;
  readonly reject: (e: Error) => void;
}

/** OPEN_ACL_UNSAFE: world:anyone, all permissions. */
const OPEN_ACL = (w: Writer): Writer => w.int(1).int(31).string('world').string('anyone');

export class ZkSession {
  private xid = 1;
  private readonly outstanding = new Map<number, Outstanding>();
  private pending: Buffer = Buffer.alloc(0);
  private closed: Error | undefined;
  private pinger: NodeJS.Timeout | undefined;
  sessionId = 0n;

  private constructor(private readonly socket: Socket) {}

  get alive(): boolean {
    return this.closed === undefined;
  }

  /** Opens a session on 127.0.0.1:port; rejects with the socket error (ECONNREFUSED: nothing was
   * sent) or a timeout. */
  static open(port: number, sessionTimeoutMs: number, connectTimeoutMs: number): Promise<ZkSession> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: LOOPBACK, port });
      const session = new ZkSession(socket);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no session within ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      let handshake = true;
      socket.on('error', (e) => {
        clearTimeout(timer);
        if (handshake) reject(e);
        session.fail(e);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (handshake) reject(new Error('connection closed during the handshake'));
        session.fail(new ZkError(CONNECTION_LOSS, 'connection closed'));
      });
      socket.on('connect', () => {
        socket.write(new Writer().int(0).long(0n).int(sessionTimeoutMs).long(0n).buffer(Buffer.alloc(16)).bool(false).packet());
      });
      socket.on('data', (chunk: Buffer) => {
        for (const packet of session.frames(chunk)) {
          if (handshake) {
            handshake = false;
            clearTimeout(timer);
            const r = new Reader(packet);
            r.int();
            const timeout = r.int();
            session.sessionId = r.long();
            if (timeout <= 0) {
              socket.destroy();
              reject(new Error('session refused by the server'));
              return;
            }
            session.pinger = setInterval(() => session.ping(), Math.max(100, Math.floor(timeout / 3)));
            resolve(session);
          } else session.reply(packet);
        }
      });
    });
  }

  private *frames(chunk: Buffer): Generator<Buffer> {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 4) {
      const len = this.pending.readInt32BE(0);
      if (this.pending.length < 4 + len) break;
      yield this.pending.subarray(4, 4 + len);
      this.pending = this.pending.subarray(4 + len);
    }
  }

  private reply(packet: Buffer): void {
    const r = new Reader(packet);
    const xid = r.int();
    const zxid = r.long();
    const err = r.int();
    if (xid === -1 || xid === -2) return; // a watch notification (none are set) or a ping reply
    const waiting = this.outstanding.get(xid);
    if (waiting === undefined) return;
    this.outstanding.delete(xid);
    if (err !== 0) waiting.reject(new ZkError(err, waiting.what));
    else waiting.resolve(r, zxid);
  }

  private fail(e: Error): void {
    if (this.closed !== undefined) return;
    this.closed = e;
    clearInterval(this.pinger);
    this.socket.destroy();
    const loss = new ZkError(CONNECTION_LOSS, e.message);
    for (const waiting of this.outstanding.values()) waiting.reject(loss);
    this.outstanding.clear();
  }

  private ping(): void {
    if (this.closed === undefined) this.socket.write(new Writer().int(-2).int(OP.ping).packet());
  }

  private call<T>(type: number, what: string, body: (w: Writer) => Writer, decode: (r: Reader, zxid: bigint) => T): Promise<T> {
    if (this.closed !== undefined) return Promise.reject(new ZkError(CONNECTION_LOSS, `${what}: session closed`));
    const xid = this.xid++;
    return new Promise<T>((resolve, reject) => {
      this.outstanding.set(xid, { what, resolve: (r, zxid) => resolve(decode(r, zxid)), reject });
      this.socket.write(body(new Writer().int(xid).int(type)).packet());
    });
  }

  /** `zxid` (here and in setData) is the reply header's: for a read, the last transaction the
   * server had applied when it answered; for a write, the write's own transaction. */
  getData(path: string): Promise<{ data: string; version: number; zxid: bigint }> {
    return this.call(OP.getData, `getData ${path}`, (w) => w.string(path).bool(false), (r, zxid) => {
      const data = (r.buffer() ?? Buffer.alloc(0)).toString('utf8');
      return { data, version: r.stat().version, zxid };
    });
  }

  setData(path: string, data: string, version: number): Promise<{ version: number; zxid: bigint }> {
    return this.call(OP.setData, `setData ${path}`, (w) => w.string(path).buffer(Buffer.from(data, 'utf8')).int(version), (r, zxid) => ({ version: r.stat().version, zxid }));
  }

  /** flags: 0 persistent, 2 persistent sequential. Returns the created path. */
  create(path: string, data: string, flags: number): Promise<string> {
    return this.call(OP.create, `create ${path}`, (w) => OPEN_ACL(w.string(path).buffer(Buffer.from(data, 'utf8'))).int(flags), (r) => r.string());
  }

  delete(path: string, version: number): Promise<void> {
    return this.call(OP.delete, `delete ${path}`, (w) => w.string(path).int(version), () => undefined);
  }

  getChildren(path: string): Promise<string[]> {
    return this.call(OP.getChildren, `getChildren ${path}`, (w) => w.string(path).bool(false), (r) => {
      const n = r.int();
      return Array.from({ length: Math.max(0, n) }, () => r.string());
    });
  }

  /** The server catches up with the leader before answering (ZooKeeper's sync). */
  sync(path: string): Promise<void> {
    return this.call(OP.sync, `sync ${path}`, (w) => w.string(path), () => undefined);
  }

  /** Ends the session (best effort) and the connection. */
  async close(): Promise<void> {
    if (this.closed !== undefined) return;
    const done = this.call(OP.closeSession, 'closeSession', (w) => w, () => undefined).catch(() => undefined);
    await Promise.race([done, new Promise((r) => setTimeout(r, 500))]);
    this.fail(new Error('closed'));
  }

  /** Drops the connection at once (no closeSession). */
  destroy(): void {
    this.fail(new Error('destroyed'));
  }
}
