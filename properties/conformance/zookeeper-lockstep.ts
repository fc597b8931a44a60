// The reducer of models/zookeeper in lockstep with a real ZooKeeper 3.8 server: each request
// goes to both, and each side's answer is put in one shape to compare — the response (Stat
// with ctime and mtime left out, zxids as offsets from the first zxid of the run, ephemeral
// owners as the reducer's session numbers, children sorted), the watch events the request
// caused (as a sorted list: across sessions the server's order is unspecified, and a session's
// own ephemerals go in hash order), and the last zxid after it.
//
// One server serves a whole run. Between command sequences a superuser session (the server
// is started with super:faultline, scripts/zookeeper.sh) deletes what the last sequence made
// and gives the server's own znodes back their ACLs; the reducer then starts from the tree the
// server has, read back znode by znode. So a sequence starts from a tree like a fresh one, but
// with the counters (cversion, zxids) the run has reached — which the reducer must carry on
// from exactly.

import { apply } from '../../models/zookeeper/tree.ts';
import type { Acl, ApplyResult, ErrorCode, MultiOp, OpResult, Stat, TxnContext, WatchEvent, ZkRequest, ZkResponse, ZkState, ZNode } from '../../models/zookeeper/types.ts';
import { CREATE_FLAGS, long, OP, type TransactionOp, toWireAcl, WireSession, type WireAcl, type WireReply, type WireStat } from './zookeeper-wire.ts';

/** The superuser of scripts/zookeeper.sh, for cleaning between sequences only. */
const SUPER_CREDENTIAL = 'super:faultline';
/** Short enough that an expiry costs about a second, long enough that pings (every third of
 * it) survive a busy test process. */
export const SESSION_TIMEOUT_MS = 1000;
const EXPIRY_WAIT_MS = 20 * SESSION_TIMEOUT_MS;

const OPEN_ACL: readonly Acl[] = [{ perms: 31, scheme: 'world', id: 'anyone' }];
/** The server's own znodes and the ACL each has in a fresh server. */
const SERVER_ZNODES: Readonly<Record<string, readonly Acl[]>> = {
  '/': OPEN_ACL,
  '/zookeeper': OPEN_ACL,
  '/zookeeper/config': [{ perms: 1, scheme: 'world', id: 'anyone' }],
  '/zookeeper/quota': OPEN_ACL,
};

const ERROR_CODES: Readonly<Record<number, ErrorCode>> = {
  [-2]: 'RuntimeInconsistency',
  [-8]: 'BadArguments',
  [-101]: 'NoNode',
  [-102]: 'NoAuth',
  [-103]: 'BadVersion',
  [-108]: 'NoChildrenForEphemerals',
  [-110]: 'NodeExists',
  [-111]: 'NotEmpty',
  [-112]: 'SessionExpired',
  [-114]: 'InvalidACL',
};

/** An error code as compared: the reducer's names, or the server's number when it has none. */
export type ObservedCode = ErrorCode | `server code ${number}`;
/** A create inside a multi is compared by its path only: the server answers Op.create with
 * the path alone (only create2 carries a Stat, and the client library cannot send it). */
export type ObservedResult = Exclude<OpResult, { kind: 'create' } | { kind: 'error' }> | { readonly kind: 'create'; readonly path: string } | { readonly kind: 'error'; readonly code: ObservedCode | 'Ok' };
export type ObservedResponse =
  | Exclude<ZkResponse, { kind: 'multi' } | { kind: 'error' }>
  | { readonly kind: 'multi'; readonly results: readonly ObservedResult[] }
  | { readonly kind: 'error'; readonly code: ObservedCode }
  /** The server took back a session the reducer calls closed or expired. */
  | { readonly kind: 'resumed' };

export interface Observation {
  readonly response: ObservedResponse;
  readonly events: readonly WatchEvent[];
  readonly lastZxid: number;
}

export interface Step {
  readonly request: ZkRequest;
  readonly server: Observation;
  readonly reducer: Observation;
}

function codeOf(err: number): ObservedCode {
  return ERROR_CODES[err] ?? `server code ${err}`;
}

function sortEvents(events: readonly WatchEvent[]): WatchEvent[] {
  const key = (e: WatchEvent) => `${String(e.session).padStart(4, '0')} ${e.path} ${e.type}`;
  return [...events].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

const withoutTimes = (stat: Stat): Stat => ({ ...stat, ctime: 0, mtime: 0 });

/** The reducer's answer in the compared shape. */
export function observeReducer(response: ZkResponse): ObservedResponse {
  switch (response.kind) {
    case 'created':
    case 'stat':
    case 'data':
    case 'children':
    case 'acl':
      return { ...response, stat: withoutTimes(response.stat) };
    case 'multi':
      return { kind: 'multi', results: response.results.map((r): ObservedResult => (r.kind === 'create' ? { kind: 'create', path: r.path } : r.kind === 'setData' ? { ...r, stat: withoutTimes(r.stat) } : r)) };
    default:
      return response;
  }
}

// ---------------------------------------------------------------------------------------

/** What a whole run compared, for the report. */
export interface RunCounts {
  sequences: number;
  steps: number;
  /** Requests on a session the sequence never created: nothing to send, not compared. */
  skipped: number;
  byKind: Record<string, number>;
}

/** The reducer under test: models/zookeeper's apply, unless a run passes another. */
export type Reducer = (state: ZkState, request: ZkRequest, at: TxnContext) => ApplyResult;

/** The server side of a run: the superuser session, the zxid the run started at, and counts. */
export class ConformanceServer {
  readonly counts: RunCounts = { sequences: 0, steps: 0, skipped: 0, byKind: {} };

  private constructor(
    readonly port: number,
    readonly admin: WireSession,
    /** The first zxid the run saw; every zxid is compared as an offset from it. */
    readonly baseZxid: bigint,
    readonly reducer: Reducer,
  ) {}

  static async connect(port: number, reducer: Reducer = apply): Promise<ConformanceServer> {
    const admin = await WireSession.open(port, 30_000);
    admin.addAuth('digest', SUPER_CREDENTIAL);
    const first = await admin.barrier();
    return new ConformanceServer(port, admin, first.zxid, reducer);
  }

  rel(zxid: bigint | Buffer): number {
    return Number((Buffer.isBuffer(zxid) ? long(zxid) : zxid) - this.baseZxid);
  }

  async close(): Promise<void> {
    await this.admin.close();
  }

  /** Every znode as the superuser reads it, parents before children. */
  async paths(): Promise<string[]> {
    const out: string[] = [];
    const queue = ['/'];
    while (queue.length > 0) {
      const path = queue.shift() as string;
      out.push(path);
      const reply = await this.admin.getChildren(path, false);
      if (reply.err !== 0) throw new Error(`zookeeper: listing ${path} failed with ${codeOf(reply.err)}`);
      for (const c of [...(reply.payload?.children ?? [])].sort()) queue.push(path === '/' ? `/${c}` : `${path}/${c}`);
    }
    return out;
  }

  /** Deletes every znode but the server's own and gives those their fresh ACLs back. */
  async reset(): Promise<void> {
    const paths = await this.paths();
    for (const path of paths.reverse()) {
      if (path in SERVER_ZNODES) continue;
      const reply = await this.admin.delete(path, -1);
      if (reply.err !== 0) throw new Error(`zookeeper: cleaning ${path} failed with ${codeOf(reply.err)}`);
    }
    for (const [path, acl] of Object.entries(SERVER_ZNODES)) {
      const now = await this.admin.getACL(path);
      if (JSON.stringify(aclOf(now.payload?.acl ?? [])) === JSON.stringify(acl)) continue;
      const reply = await this.admin.setACL(path, acl, -1);
      if (reply.err !== 0) throw new Error(`zookeeper: restoring the ACL of ${path} failed with ${codeOf(reply.err)}`);
    }
  }

  /** The server's tree as the reducer keeps it. A session-owned znode is an error here: a
   * sequence starts with no sessions. The reducer's creation count is recovered from the
   * reported cversion, 2·creations − numChildren (DataNode.copyStat). */
  async readState(): Promise<ZkState> {
    const nodes: Record<string, ZNode> = {};
    for (const path of await this.paths()) {
      const data = await this.admin.getData(path, false);
      const acl = await this.admin.getACL(path);
      const children = await this.admin.getChildren(path, false);
      if (data.err !== 0 || acl.err !== 0 || children.err !== 0 || !data.payload || !acl.payload || !children.payload) throw new Error(`zookeeper: reading ${path} failed`);
      const s = data.payload.stat;
      const creations = (s.cversion + s.numChildren) / 2;
      if (!Number.isInteger(creations)) throw new Error(`zookeeper: ${path} reports cversion ${s.cversion} with ${s.numChildren} children, not 2·creations − numChildren`);
      if (long(s.ephemeralOwner) !== 0n) throw new Error(`zookeeper: ${path} is still owned by session 0x${long(s.ephemeralOwner).toString(16)}`);
      nodes[path] = {
        data: (data.payload.data ?? Buffer.alloc(0)).toString('utf8'),
        acl: aclOf(acl.payload.acl),
        stat: { czxid: this.rel(s.czxid), mzxid: this.rel(s.mzxid), pzxid: this.rel(s.pzxid), ctime: 0, mtime: 0, version: s.version, cversion: creations, aversion: s.aversion, ephemeralOwner: 0 },
        children: [...children.payload.children].sort(),
      };
    }
    const last = await this.admin.barrier();
    return { nodes, sessions: [], nextSessionId: 1, lastZxid: this.rel(last.zxid) };
  }

  /** A new command sequence: the tree cleaned, the reducer started from what the server has. */
  async sequence(): Promise<Lockstep> {
    await this.reset();
    this.counts.sequences++;
    return new Lockstep(this, await this.readState());
  }

  /** Waits until the server's last zxid has moved past `after` (a session expiry is a txn the
   * server makes by itself); returns the new last zxid. */
  async zxidAfter(after: bigint, timeoutMs: number): Promise<bigint> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = await this.admin.barrier();
      if (reply.zxid > after) return reply.zxid;
      if (Date.now() > deadline) throw new Error(`zookeeper: the server made no txn after zxid ${after} within ${timeoutMs} ms (a severed session did not expire)`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

function aclOf(acl: readonly WireAcl[]): Acl[] {
  return acl.map((a) => ({ perms: a.perms, scheme: a.id.scheme, id: a.id.id }));
}

interface SessionSlot {
  readonly wire: WireSession;
  alive: boolean;
}

/** The server's side of one request before the barrier: its response, the zxid of its reply,
 * and for a request on a live session how many notifications that session had heard when the
 * response arrived. */
interface Answer {
  readonly response: ObservedResponse;
  readonly zxid: bigint;
  readonly asker?: { readonly slot: SessionSlot; readonly heard: number };
}

/** One command sequence on both sides. */
export class Lockstep {
  private readonly sessions: SessionSlot[] = [];
  private time = 0;

  constructor(
    private readonly server: ConformanceServer,
    private state: ZkState,
  ) {}

  /** Runs one request on both sides; undefined when it names a session this sequence never
   * created (there is nothing to send). */
  async step(request: ZkRequest): Promise<Step | undefined> {
    if (request.kind !== 'createSession' && this.sessions[request.session - 1] === undefined) {
      this.server.counts.skipped++;
      return undefined;
    }
    const r = this.server.reducer(this.state, request, { zxid: this.state.lastZxid + 1, time: ++this.time });
    this.state = r.state;
    const reducer: Observation = { response: observeReducer(r.response), events: sortEvents(r.events), lastZxid: r.state.lastZxid };
    const answer = await this.onServer(request);
    // After every request each live session answers a read, so it has heard whatever the
    // request told it; the session that asked must have heard it before its own response.
    await Promise.all(this.sessions.filter((s) => s.alive).map((s) => s.wire.barrier()));
    if (answer.asker !== undefined) {
      const late = answer.asker.slot.wire.events.slice(answer.asker.heard).map((e) => `${e.type} ${e.path}`);
      if (late.length > 0) throw new Error(`zookeeper: session ${request.kind === 'createSession' ? '?' : request.session} was told ${late.join(', ')} after the response to its ${request.kind}`);
    }
    const server: Observation = { response: answer.response, events: this.drainEvents(), lastZxid: this.server.rel(answer.zxid) };
    this.server.counts.steps++;
    this.server.counts.byKind[request.kind] = (this.server.counts.byKind[request.kind] ?? 0) + 1;
    return { request, server, reducer };
  }

  /** Closes every session still open, so the next sequence starts with none. */
  async finish(): Promise<void> {
    for (const slot of this.sessions) {
      if (!slot.alive) continue;
      slot.alive = false;
      await slot.wire.close();
    }
  }

  private async onServer(request: ZkRequest): Promise<Answer> {
    if (request.kind === 'createSession') return this.createSession();
    const slot = this.sessions[request.session - 1];
    if (!slot.alive) return this.onDeadSession(slot);
    const wire = slot.wire;
    switch (request.kind) {
      case 'closeSession': {
        slot.alive = false;
        return { response: { kind: 'ok' }, zxid: await wire.close() };
      }
      case 'expireSession': {
        const before = (await this.server.admin.barrier()).zxid;
        slot.alive = false;
        wire.sever();
        return { response: { kind: 'ok' }, zxid: await this.server.zxidAfter(before, EXPIRY_WAIT_MS) };
      }
      case 'addAuth': {
        wire.addAuth(request.scheme, request.credential);
        const reply = await wire.barrier();
        return { response: reply.err === 0 ? { kind: 'ok' } : { kind: 'error', code: codeOf(reply.err) }, zxid: reply.zxid };
      }
      case 'sync':
        throw new Error('zookeeper: node-zookeeper-client cannot send sync; the generator must not produce it');
      case 'create':
      case 'delete':
      case 'setData':
      case 'setACL':
      case 'multi':
        return this.write(slot, request);
      case 'exists':
      case 'getData':
      case 'getChildren':
      case 'getACL':
        return this.read(slot, request);
      default: {
        const never: never = request;
        throw new Error(`unknown request ${JSON.stringify(never)}`);
      }
    }
  }

  private async createSession(): Promise<Answer> {
    const wire = await WireSession.open(this.server.port, SESSION_TIMEOUT_MS);
    this.sessions.push({ wire, alive: true });
    const reply = await wire.barrier();
    return { response: { kind: 'session', session: this.sessions.length }, zxid: reply.zxid };
  }

  /** A closed or expired session: try to resume it with its id and password, as a client
   * whose connection dropped would. The server's refusal is SessionExpired. */
  private async onDeadSession(slot: SessionSlot): Promise<Answer> {
    const outcome = await WireSession.resume(this.server.port, slot.wire.sessionId, slot.wire.sessionPassword, SESSION_TIMEOUT_MS);
    const zxid = (await this.server.admin.barrier()).zxid;
    return { response: outcome === 'expired' ? { kind: 'error', code: 'SessionExpired' } : { kind: 'resumed' }, zxid };
  }

  private async write(slot: SessionSlot, request: Extract<ZkRequest, { kind: 'create' | 'delete' | 'setData' | 'setACL' | 'multi' }>): Promise<Answer> {
    const wire = slot.wire;
    let response: ObservedResponse;
    let zxid: bigint;
    let heardAtReply: number;
    switch (request.kind) {
      case 'create': {
        const reply = await wire.create(request.path, request.data, request.acl, request.mode);
        heardAtReply = wire.events.length;
        zxid = reply.zxid;
        response = reply.payload ? { kind: 'created', path: reply.payload.path, stat: await this.statAfterCreate(wire, reply.payload.path) } : this.failure(reply);
        break;
      }
      case 'delete': {
        const reply = await wire.delete(request.path, request.version);
        heardAtReply = wire.events.length;
        zxid = reply.zxid;
        response = reply.err === 0 ? { kind: 'ok' } : this.failure(reply);
        break;
      }
      case 'setData':
      case 'setACL': {
        const reply = request.kind === 'setData' ? await wire.setData(request.path, request.data, request.version) : await wire.setACL(request.path, request.acl, request.version);
        heardAtReply = wire.events.length;
        zxid = reply.zxid;
        response = reply.payload ? { kind: 'stat', stat: this.stat(reply.payload.stat) } : this.failure(reply);
        break;
      }
      case 'multi': {
        const reply = await wire.multi(request.ops.map(transactionOp));
        heardAtReply = wire.events.length;
        zxid = reply.zxid;
        response = reply.payload ? { kind: 'multi', results: reply.payload.results.map((r) => this.opResult(r)) } : this.failure(reply);
        break;
      }
    }
    return { response, zxid, asker: { slot, heard: heardAtReply } };
  }

  /** The library speaks create, not create2: the Stat is read back at once (nothing else
   * runs in between, and exists changes nothing). */
  private async statAfterCreate(wire: WireSession, path: string): Promise<Stat> {
    const reply = await wire.exists(path, false);
    if (!reply.payload) throw new Error(`zookeeper: ${path} was created but exists says ${codeOf(reply.err)}`);
    return this.stat(reply.payload.stat);
  }

  private async read(slot: SessionSlot, request: Extract<ZkRequest, { kind: 'exists' | 'getData' | 'getChildren' | 'getACL' }>): Promise<Answer> {
    const wire = slot.wire;
    const answer = (response: ObservedResponse, reply: WireReply): Answer => ({ response, zxid: reply.zxid, asker: { slot, heard: wire.events.length } });
    switch (request.kind) {
      case 'exists': {
        const reply = await wire.exists(request.path, request.watch);
        return answer(reply.payload ? { kind: 'stat', stat: this.stat(reply.payload.stat) } : this.failure(reply), reply);
      }
      case 'getData': {
        const reply = await wire.getData(request.path, request.watch);
        const p = reply.payload;
        return answer(p ? { kind: 'data', data: (p.data ?? Buffer.alloc(0)).toString('utf8'), stat: this.stat(p.stat) } : this.failure(reply), reply);
      }
      case 'getChildren': {
        const reply = await wire.getChildren(request.path, request.watch);
        const p = reply.payload;
        return answer(p ? { kind: 'children', children: [...p.children].sort(), stat: this.stat(p.stat) } : this.failure(reply), reply);
      }
      case 'getACL': {
        const reply = await wire.getACL(request.path);
        const p = reply.payload;
        return answer(p ? { kind: 'acl', acl: aclOf(p.acl), stat: this.stat(p.stat) } : this.failure(reply), reply);
      }
    }
  }

  private failure(reply: WireReply): ObservedResponse {
    return { kind: 'error', code: codeOf(reply.err) };
  }

  private opResult(r: { type: number; path?: string; stat?: WireStat; err?: number }): ObservedResult {
    switch (r.type) {
      case OP.create:
        return { kind: 'create', path: r.path ?? '' };
      case OP.delete:
        return { kind: 'delete' };
      case OP.setData:
        return { kind: 'setData', stat: this.stat(r.stat as WireStat) };
      case OP.check:
        return { kind: 'check' };
      default:
        return { kind: 'error', code: r.err === 0 ? 'Ok' : codeOf(r.err ?? 0) };
    }
  }

  /** A server Stat as the reducer reports it: zxids as offsets, the owner as the reducer's
   * session number (−1 for a session this sequence does not know), no times. */
  private stat(s: WireStat): Stat {
    const owner = long(s.ephemeralOwner);
    const k = owner === 0n ? 0 : this.sessions.findIndex((slot) => long(slot.wire.sessionId) === owner) + 1;
    return {
      czxid: this.server.rel(s.czxid),
      mzxid: this.server.rel(s.mzxid),
      pzxid: this.server.rel(s.pzxid),
      ctime: 0,
      mtime: 0,
      version: s.version,
      cversion: s.cversion,
      aversion: s.aversion,
      ephemeralOwner: owner === 0n ? 0 : k === 0 ? -1 : k,
      dataLength: s.dataLength,
      numChildren: s.numChildren,
    };
  }

  private drainEvents(): WatchEvent[] {
    const events: WatchEvent[] = [];
    this.sessions.forEach((slot, i) => {
      for (const e of slot.wire.events.splice(0)) events.push({ session: i + 1, type: e.type, path: e.path });
      if (slot.alive && slot.wire.unexpected.length > 0) {
        throw new Error(`zookeeper: session ${i + 1} changed state unasked (${slot.wire.unexpected.join(', ')}); a stall longer than the ${SESSION_TIMEOUT_MS} ms session timeout?`);
      }
    });
    return sortEvents(events);
  }

}

function transactionOp(op: MultiOp): TransactionOp {
  switch (op.kind) {
    case 'create':
      return { type: OP.create, path: op.path, data: Buffer.from(op.data, 'utf8'), acls: toWireAcl(op.acl), mode: CREATE_FLAGS[op.mode] };
    case 'delete':
      return { type: OP.delete, path: op.path, version: op.version };
    case 'setData':
      return { type: OP.setData, path: op.path, data: Buffer.from(op.data, 'utf8'), version: op.version };
    case 'check':
      return { type: OP.check, path: op.path, version: op.version };
  }
}
