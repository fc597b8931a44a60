// A deliberately naive ZooKeeper, written apart from models/zookeeper and sharing only its
// types: mutable maps and lists, one method per request, no cleverness. The property tests run
// it beside the reducer and expect the same responses, Stats and watch events.
//
// It keeps the documented cversion ("the number of changes to the children", bumped by every
// child create and delete) and derives the sequence number from it as (cversion +
// numChildren) / 2, where the reducer keeps the server's count of creations instead: the two
// meet only if DataNode.copyStat's 2·creations − numChildren is what the tests assume.

import { createHash } from 'node:crypto';
import type { Acl, ErrorCode, EventType, MultiOp, OpResult, Stat, TxnContext, WatchEvent, ZkRequest, ZkResponse } from '../models/zookeeper/types.ts';

interface RefNode {
  data: string;
  acl: Acl[];
  czxid: number;
  mzxid: number;
  pzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  owner: number;
}

interface RefSession {
  ip: string;
  ids: string[]; // "scheme:id"
}

interface RefWatch {
  session: number;
  path: string;
  child: boolean;
}

export interface RefOutcome {
  response: ZkResponse;
  events: WatchEvent[];
  zxidUsed: boolean;
}

class Failure {
  constructor(readonly code: ErrorCode) {}
}

const BAD_CHAR = /[\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]/;

function validPath(p: string): boolean {
  if (p === '/') return true;
  if (!/^(\/[^/]+)+$/.test(p)) return false;
  if (p.split('/').some((seg) => seg === '.' || seg === '..')) return false;
  return !BAD_CHAR.test(p);
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i === 0 ? '/' : p.substring(0, i);
}

/** Java's Integer.parseInt, digits of any script: each UTF-16 unit that is a Unicode decimal
 * digit, valued by how far it is from the zero of its block of ten. */
function javaInt(text: string): number | null {
  const m = /^([+-]?)(.+)$/.exec(text);
  if (m === null) return null;
  let value = 0;
  for (const unit of m[2].split('')) {
    if (!/\p{Nd}/u.test(unit)) return null;
    let zero = unit.charCodeAt(0);
    while (/\p{Nd}/u.test(String.fromCharCode(zero - 1))) zero--;
    value = value * 10 + ((unit.charCodeAt(0) - zero) % 10);
    if (value > 2 ** 31) return null;
  }
  const signed = m[1] === '-' ? -value : value;
  return signed >= -(2 ** 31) && signed <= 2 ** 31 - 1 ? signed : null;
}

function ipToNumber(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const part of parts) {
    const v = javaInt(part);
    if (v === null) return null;
    if (v < 0 || v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

function ipRule(expr: string): { net: number; bits: number } | null {
  const [addr, bitsText] = expr.includes('/') ? [expr.substring(0, expr.indexOf('/')), expr.substring(expr.indexOf('/') + 1)] : [expr, '32'];
  const net = ipToNumber(addr);
  const bits = javaInt(bitsText);
  if (net === null || bits === null) return null;
  if (bits < 0 || bits > 32) return null;
  return { net, bits };
}

function sameNetwork(a: number, b: number, bits: number): boolean {
  const size = 2 ** (32 - bits);
  return Math.floor(a / size) === Math.floor(b / size);
}

export class ReferenceZooKeeper {
  nodes = new Map<string, RefNode>();
  sessions = new Map<number, RefSession>();
  watches: RefWatch[] = [];
  nextSession = 1;
  lastZxid = 0;

  constructor() {
    const blank = (): RefNode => ({ data: '', acl: [{ perms: 31, scheme: 'world', id: 'anyone' }], czxid: 0, mzxid: 0, pzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, owner: 0 });
    this.nodes.set('/', { ...blank(), cversion: -1 });
    this.nodes.set('/zookeeper', { ...blank(), cversion: -2 });
    this.nodes.set('/zookeeper/quota', blank());
    this.nodes.set('/zookeeper/config', { ...blank(), acl: [{ perms: 1, scheme: 'world', id: 'anyone' }], aversion: -1 });
  }

  children(path: string): string[] {
    const out: string[] = [];
    for (const p of this.nodes.keys()) {
      if (p !== '/' && parentOf(p) === path) out.push(p.substring(p.lastIndexOf('/') + 1));
    }
    return out.sort();
  }

  stat(path: string): Stat {
    const n = this.nodes.get(path)!;
    return {
      czxid: n.czxid,
      mzxid: n.mzxid,
      pzxid: n.pzxid,
      ctime: n.ctime,
      mtime: n.mtime,
      version: n.version,
      cversion: n.cversion,
      aversion: n.aversion,
      ephemeralOwner: n.owner,
      dataLength: new TextEncoder().encode(n.data).length,
      numChildren: this.children(path).length,
    };
  }

  run(request: ZkRequest, at: TxnContext): RefOutcome {
    const paths: string[] = [];
    if ('path' in request) paths.push(request.kind === 'create' && request.mode.includes('sequential') ? request.path + '1' : request.path);
    if (request.kind === 'multi') for (const op of request.ops) paths.push(op.kind === 'create' && op.mode.includes('sequential') ? op.path + '1' : op.path);
    if (paths.some((p) => !validPath(p))) return { response: { kind: 'error', code: 'BadArguments' }, events: [], zxidUsed: false };
    if (request.kind === 'createSession') {
      const id = this.nextSession++;
      this.sessions.set(id, { ip: request.clientIp, ids: ['ip:' + request.clientIp] });
      this.lastZxid = at.zxid;
      return { response: { kind: 'session', session: id }, events: [], zxidUsed: true };
    }
    if (!this.sessions.has(request.session)) return { response: { kind: 'error', code: 'SessionExpired' }, events: [], zxidUsed: false };
    const write = ['closeSession', 'expireSession', 'create', 'delete', 'setData', 'setACL', 'multi'].includes(request.kind);
    if (!write) return { response: this.read(request), events: [], zxidUsed: false };
    this.lastZxid = at.zxid;
    // A write works on a copy; a failure throws it away.
    const saved = { nodes: new Map([...this.nodes].map(([k, v]) => [k, { ...v }])), sessions: new Map(this.sessions), watches: [...this.watches] };
    const events: WatchEvent[] = [];
    try {
      const response = this.write(request, at, events);
      if (response.kind === 'multi' && response.results.some((r) => r.kind === 'error')) throw new MultiFailed(response);
      return { response, events, zxidUsed: true };
    } catch (e) {
      this.nodes = saved.nodes;
      this.sessions = saved.sessions;
      this.watches = saved.watches;
      if (e instanceof Failure) return { response: { kind: 'error', code: e.code }, events: [], zxidUsed: true };
      if (e instanceof MultiFailed) return { response: e.response, events: [], zxidUsed: true };
      throw e;
    }
  }

  private can(acl: Acl[], perm: number, session: number): boolean {
    const s = this.sessions.get(session)!;
    if (acl.length === 0) return true;
    for (const a of acl) {
      if ((a.perms & perm) === 0) continue;
      if (a.scheme === 'world' && a.id === 'anyone') return true;
      for (const id of s.ids) {
        const scheme = id.substring(0, id.indexOf(':'));
        const value = id.substring(id.indexOf(':') + 1);
        if (scheme !== a.scheme) continue;
        if (scheme === 'digest' && value === a.id) return true;
        if (scheme === 'ip') {
          const rule = ipRule(a.id);
          const addr = ipToNumber(value);
          if (rule !== null && addr !== null && sameNetwork(rule.net, addr, rule.bits)) return true;
        }
      }
    }
    return false;
  }

  private fixAcl(acl: readonly Acl[], session: number): Acl[] {
    const unique: Acl[] = [];
    for (const a of acl) if (!unique.find((u) => u.perms === a.perms && u.scheme === a.scheme && u.id === a.id)) unique.push(a);
    if (unique.length === 0) throw new Failure('InvalidACL');
    const out: Acl[] = [];
    for (const a of unique) {
      if (a.scheme === 'world' && a.id === 'anyone') out.push(a);
      else if (a.scheme === 'auth') {
        // The server's hash-set order: by bucket of the Id's hash, then as added.
        const digests = this.sessions.get(session)!.ids.filter((i) => i.startsWith('digest:')).map((i) => i.substring(7));
        digests.sort((a, b) => bucketOf('digest', a) - bucketOf('digest', b));
        if (digests.length === 0) throw new Failure('InvalidACL');
        for (const d of digests) out.push({ perms: a.perms, scheme: 'digest', id: d });
      } else if (a.scheme === 'digest') {
        const parts = a.id.split(':');
        while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
        if (parts.length !== 2) throw new Failure('InvalidACL');
        out.push(a);
      } else if (a.scheme === 'ip') {
        if (ipRule(a.id) === null) throw new Failure('InvalidACL');
        out.push(a);
      } else throw new Failure('InvalidACL');
    }
    return out;
  }

  /** Watches on `path` fire once; only watchers with READ under `acl` are told. */
  private fire(path: string, type: EventType, child: boolean | 'both', events: WatchEvent[], acl: Acl[]): void {
    const hit = this.watches.filter((w) => w.path === path && (child === 'both' || w.child === child));
    this.watches = this.watches.filter((w) => !hit.includes(w));
    const sessions = [...new Set(hit.map((w) => w.session))].sort((a, b) => a - b);
    for (const session of sessions) if (this.can(acl, 1, session)) events.push({ session, type, path });
  }

  private watch(session: number, path: string, child: boolean): void {
    if (!this.watches.some((w) => w.session === session && w.path === path && w.child === child)) this.watches.push({ session, path, child });
  }

  private read(request: ZkRequest & { session: number }): ZkResponse {
    const s = request.session;
    switch (request.kind) {
      case 'addAuth': {
        const session = this.sessions.get(s)!;
        let id: string;
        if (request.scheme === 'ip') id = 'ip:' + session.ip;
        else {
          const user = request.credential.split(':')[0];
          id = 'digest:' + user + ':' + createHash('sha1').update(request.credential).digest('base64');
        }
        if (!session.ids.includes(id)) session.ids = [...session.ids, id];
        return { kind: 'ok' };
      }
      case 'sync':
        return { kind: 'synced', path: request.path };
      case 'exists':
        if (request.watch) this.watch(s, request.path, false);
        if (!this.nodes.has(request.path)) return { kind: 'error', code: 'NoNode' };
        return { kind: 'stat', stat: this.stat(request.path) };
      case 'getData': {
        const n = this.nodes.get(request.path);
        if (!n) return { kind: 'error', code: 'NoNode' };
        if (!this.can(n.acl, 1, s)) return { kind: 'error', code: 'NoAuth' };
        if (request.watch) this.watch(s, request.path, false);
        return { kind: 'data', data: n.data, stat: this.stat(request.path) };
      }
      case 'getChildren': {
        const n = this.nodes.get(request.path);
        if (!n) return { kind: 'error', code: 'NoNode' };
        if (!this.can(n.acl, 1, s)) return { kind: 'error', code: 'NoAuth' };
        if (request.watch) this.watch(s, request.path, true);
        return { kind: 'children', children: this.children(request.path), stat: this.stat(request.path) };
      }
      case 'getACL': {
        const n = this.nodes.get(request.path);
        if (!n) return { kind: 'error', code: 'NoNode' };
        if (!this.can(n.acl, 1, s) && !this.can(n.acl, 16, s)) return { kind: 'error', code: 'NoAuth' };
        const admin = this.can(n.acl, 16, s);
        const acl = n.acl.map((a) => (admin || a.scheme !== 'digest' ? a : { ...a, id: a.id.split(':')[0] + ':x' }));
        return { kind: 'acl', acl, stat: this.stat(request.path) };
      }
      default:
        throw new Error(`not a read: ${request.kind}`);
    }
  }

  private write(request: ZkRequest & { session: number }, at: TxnContext, events: WatchEvent[]): ZkResponse {
    const s = request.session;
    switch (request.kind) {
      case 'closeSession':
      case 'expireSession': {
        // An expired session is gone before its ephemerals go; a closing one hears them go.
        const expiring = request.kind === 'expireSession';
        if (expiring) this.watches = this.watches.filter((w) => w.session !== s);
        const mine = [...this.nodes.keys()].filter((p) => this.nodes.get(p)!.owner === s).sort();
        for (const p of mine) this.remove(p, at, events);
        this.sessions.delete(s);
        this.watches = this.watches.filter((w) => w.session !== s);
        return { kind: 'ok' };
      }
      case 'create': {
        const r = this.op(request, s, at, events);
        return r.kind === 'create' ? { kind: 'created', path: r.path, stat: r.stat } : { kind: 'ok' };
      }
      case 'delete':
        this.op(request, s, at, events);
        return { kind: 'ok' };
      case 'setData': {
        const r = this.op(request, s, at, events);
        return { kind: 'stat', stat: (r as { stat: Stat }).stat };
      }
      case 'setACL': {
        const acl = this.fixAcl(request.acl, s);
        const n = this.nodes.get(request.path);
        if (!n) throw new Failure('NoNode');
        if (!this.can(n.acl, 16, s)) throw new Failure('NoAuth');
        if (request.version !== -1 && request.version !== n.aversion) throw new Failure('BadVersion');
        n.acl = acl;
        n.aversion++;
        return { kind: 'stat', stat: this.stat(request.path) };
      }
      case 'multi': {
        const results: OpResult[] = [];
        for (let i = 0; i < request.ops.length; i++) {
          try {
            results.push(this.op(request.ops[i], s, at, events));
          } catch (e) {
            if (!(e instanceof Failure)) throw e;
            const errors: OpResult[] = request.ops.map((_, j) => ({ kind: 'error', code: j < i ? 'Ok' : j === i ? e.code : 'RuntimeInconsistency' }));
            return { kind: 'multi', results: errors };
          }
        }
        return { kind: 'multi', results };
      }
      default:
        throw new Error(`not a write: ${request.kind}`);
    }
  }

  private op(op: MultiOp, s: number, at: TxnContext, events: WatchEvent[]): OpResult {
    const n = this.nodes.get(op.path);
    switch (op.kind) {
      case 'create': {
        const acl = this.fixAcl(op.acl, s);
        const parentPath = parentOf(op.path);
        const parent = this.nodes.get(parentPath);
        if (!parent) throw new Failure('NoNode');
        if (!this.can(parent.acl, 4, s)) throw new Failure('NoAuth');
        let path = op.path;
        if (op.mode.includes('sequential')) {
          const seq = (parent.cversion + this.children(parentPath).length) / 2;
          path += String(seq).padStart(10, '0');
        }
        if (this.nodes.has(path)) throw new Failure('NodeExists');
        if (parent.owner !== 0) throw new Failure('NoChildrenForEphemerals');
        const owner = op.mode.startsWith('ephemeral') ? s : 0;
        this.nodes.set(path, { data: op.data, acl, czxid: at.zxid, mzxid: at.zxid, pzxid: at.zxid, ctime: at.time, mtime: at.time, version: 0, cversion: 0, aversion: 0, owner });
        parent.cversion++;
        parent.pzxid = at.zxid;
        this.fire(path, 'NodeCreated', false, events, acl);
        this.fire(parentPath, 'NodeChildrenChanged', true, events, parent.acl);
        return { kind: 'create', path, stat: this.stat(path) };
      }
      case 'delete': {
        if (['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config'].includes(op.path)) throw new Failure('BadArguments');
        const parent = this.nodes.get(parentOf(op.path));
        if (!parent) throw new Failure('NoNode');
        if (!this.can(parent.acl, 8, s)) throw new Failure('NoAuth');
        if (!n) throw new Failure('NoNode');
        if (op.version !== -1 && op.version !== n.version) throw new Failure('BadVersion');
        if (this.children(op.path).length > 0) throw new Failure('NotEmpty');
        this.remove(op.path, at, events);
        return { kind: 'delete' };
      }
      case 'setData': {
        if (!n) throw new Failure('NoNode');
        if (!this.can(n.acl, 2, s)) throw new Failure('NoAuth');
        if (op.version !== -1 && op.version !== n.version) throw new Failure('BadVersion');
        n.data = op.data;
        n.version++;
        n.mzxid = at.zxid;
        n.mtime = at.time;
        this.fire(op.path, 'NodeDataChanged', false, events, n.acl);
        return { kind: 'setData', stat: this.stat(op.path) };
      }
      case 'check':
        if (!n) throw new Failure('NoNode');
        if (!this.can(n.acl, 1, s)) throw new Failure('NoAuth');
        if (op.version !== -1 && op.version !== n.version) throw new Failure('BadVersion');
        return { kind: 'check' };
    }
  }

  private remove(path: string, at: TxnContext, events: WatchEvent[]): void {
    const acl = this.nodes.get(path)!.acl;
    this.nodes.delete(path);
    const parent = this.nodes.get(parentOf(path))!;
    parent.cversion++;
    if (at.zxid > parent.pzxid) parent.pzxid = at.zxid;
    this.fire(path, 'NodeDeleted', 'both', events, acl);
    this.fire(parentOf(path), 'NodeChildrenChanged', true, events, parent.acl);
  }
}

/** Which of the 16 buckets of a Java ConcurrentHashMap an Id(scheme, id) falls in. */
function bucketOf(scheme: string, id: string): number {
  const hash = (text: string) => {
    let h = 0;
    for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
    return h;
  };
  const h = (Math.imul((17 * 37 + hash(scheme)) | 0, 37) + hash(id)) | 0;
  return (h ^ (h >>> 16)) & 15;
}

class MultiFailed {
  constructor(readonly response: ZkResponse) {}
}
