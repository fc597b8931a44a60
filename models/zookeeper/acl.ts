// ACL checks and identities as ZooKeeper 3.8's server does them: the auth providers of the
// default registry (digest and ip), PrepRequestProcessor.fixupACL for ACLs given to create
// and setACL, and ZooKeeperServer.checkACL for every permission check.

import { createHash } from 'node:crypto';
import type { Acl, AuthId, Session } from './types.ts';

export const OPEN_ACL_UNSAFE: readonly Acl[] = [{ perms: 31, scheme: 'world', id: 'anyone' }];
export const READ_ACL_UNSAFE: readonly Acl[] = [{ perms: 1, scheme: 'world', id: 'anyone' }];
/** "auth" with all permissions: the creator's authenticated ids (ZooDefs.Ids.CREATOR_ALL_ACL). */
export const CREATOR_ALL_ACL: readonly Acl[] = [{ perms: 31, scheme: 'auth', id: '' }];

/** The digest id of "user:password": user:base64(sha1("user:password")) — the whole
 * credential is hashed (DigestAuthenticationProvider.generateDigest). */
export function digestId(credential: string): string {
  const user = credential.split(':')[0];
  return `${user}:${createHash('sha1').update(credential, 'utf8').digest('base64')}`;
}

/** Java's String.split(regex) with no limit: trailing empty strings are removed. */
function javaSplit(s: string, sep: string): string[] {
  const parts = s.split(sep);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Character.digit(c, 10) for one UTF-16 unit: any decimal digit (Unicode Nd) counts, not only
 * ASCII; a run of Nd digits always goes 0..9, so a digit's value is its distance to the start
 * of its run, modulo 10. -1 when `unit` is not a digit. */
function javaDigit(unit: number): number {
  const isDigit = (u: number) => /^\p{Nd}$/u.test(String.fromCharCode(u));
  if (!isDigit(unit)) return -1;
  let start = unit;
  while (start > 0 && isDigit(start - 1)) start--;
  return (unit - start) % 10;
}

/** Integer.parseInt: an optional ASCII sign, then decimal digits of any script (the server
 * accepts "١٢٧" for 127), within a 32-bit int. */
function parseJavaInt(s: string): number | undefined {
  const sign = s[0] === '-' || s[0] === '+' ? s[0] : '';
  if (s.length === sign.length) return undefined;
  let digits = '';
  for (let i = sign.length; i < s.length; i++) {
    const d = javaDigit(s.charCodeAt(i));
    if (d < 0) return undefined;
    digits += String(d);
  }
  const n = Number(sign + digits);
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : undefined;
}

/** An IPv4 address as four bytes (IPAuthenticationProvider.v4addr2Bytes; IPv6 is not supported there either). */
function ipv4Bytes(addr: string): number[] | undefined {
  const parts = addr.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    const v = parseJavaInt(part);
    if (v === undefined || v < 0 || v > 255) return undefined;
    bytes.push(v);
  }
  return bytes;
}

/** "a.b.c.d" or "a.b.c.d/bits" split as split("/", 2), the mask length checked. */
function ipPattern(expr: string): { bytes: number[]; bits: number } | undefined {
  const slash = expr.indexOf('/');
  const bytes = ipv4Bytes(slash < 0 ? expr : expr.slice(0, slash));
  if (bytes === undefined) return undefined;
  if (slash < 0) return { bytes, bits: 32 };
  const bits = parseJavaInt(expr.slice(slash + 1));
  return bits === undefined || bits < 0 || bits > 32 ? undefined : { bytes, bits };
}

function masked(bytes: readonly number[], bits: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

/** IPAuthenticationProvider.matches: the client's address against an address or CIDR. */
export function ipMatches(clientIp: string, expr: string): boolean {
  const pattern = ipPattern(expr);
  const client = ipv4Bytes(clientIp);
  if (pattern === undefined || client === undefined) return false;
  const a = masked(pattern.bytes, pattern.bits);
  const b = masked(client, pattern.bits);
  return a.every((x, i) => x === b[i]);
}

/** Whether an id of a scheme with a provider is well formed (isValid of the provider):
 * digest "user:hash" splits into exactly two parts as Java splits; ip parses. */
function validId(scheme: string, id: string): boolean {
  if (scheme === 'digest') return javaSplit(id, ':').length === 2;
  if (scheme === 'ip') return ipPattern(id) !== undefined;
  return false;
}

function sameAcl(a: Acl, b: Acl): boolean {
  return a.perms === b.perms && a.scheme === b.scheme && a.id === b.id;
}

/** Java's String.hashCode over UTF-16 code units. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** The order the server iterates a session's ids in: ServerCnxn.authInfo is the key set of a
 * ConcurrentHashMap of 16 buckets, iterated by bucket (spread(Id.hashCode()) & 15, with Id's
 * jute hashCode 37·(37·17 + scheme.hashCode()) + id.hashCode()) and, within a bucket, in
 * insertion order. `ids` come in insertion order (a session's auth list keeps it). */
export function serverOrder(ids: readonly AuthId[]): AuthId[] {
  if (ids.length > 12) throw new Error('serverOrder: more than 12 ids would resize the server\'s table');
  const bucket = (id: AuthId) => {
    const h = (Math.imul(Math.imul(17, 37) + javaStringHash(id.scheme), 37) + javaStringHash(id.id)) | 0;
    return ((h ^ (h >>> 16)) & 0x7fffffff) & 15;
  };
  return ids.map((id, i) => ({ id, i, b: bucket(id) })).sort((x, y) => x.b - y.b || x.i - y.i).map((x) => x.id);
}

/** The ACL a create or setACL stores, or undefined for InvalidACL (PrepRequestProcessor.fixupACL):
 * duplicates removed, an empty list rejected, world only as world:anyone, "auth" expanded to
 * the session's authenticated ids (digest; ip ids are not "authenticated") and rejected when
 * it has none, any other scheme must be digest or ip with a valid id. */
export function fixupAcl(acl: readonly Acl[], session: Session): readonly Acl[] | undefined {
  const unique: Acl[] = [];
  for (const a of acl) if (!unique.some((u) => sameAcl(u, a))) unique.push(a);
  if (unique.length === 0) return undefined;
  const out: Acl[] = [];
  for (const a of unique) {
    if (a.scheme === 'world' && a.id === 'anyone') {
      out.push(a);
    } else if (a.scheme === 'auth') {
      const ids = serverOrder(session.auth.filter((id) => id.scheme === 'digest'));
      if (ids.length === 0) return undefined;
      for (const id of ids) out.push({ perms: a.perms, scheme: id.scheme, id: id.id });
    } else if (validId(a.scheme, a.id)) {
      out.push(a);
    } else {
      return undefined;
    }
  }
  return out;
}

/** ZooKeeperServer.checkACL: an empty ACL allows all; otherwise some entry granting one of
 * the bits of `perm` must be world:anyone or match one of the session's ids of its scheme. */
export function allowed(acl: readonly Acl[], perm: number, session: Session): boolean {
  if (acl.length === 0) return true;
  return acl.some((a) => (a.perms & perm) !== 0 && (isWorldAnyone(a) || session.auth.some((id) => matches(id, a))));
}

function isWorldAnyone(a: Acl): boolean {
  return a.scheme === 'world' && a.id === 'anyone';
}

function matches(id: AuthId, a: Acl): boolean {
  if (id.scheme !== a.scheme) return false;
  return id.scheme === 'digest' ? id.id === a.id : ipMatches(id.id, a.id);
}

/** getACL without ADMIN: digest ids are shown as "user:x" (FinalRequestProcessor getACL). */
export function redactDigests(acl: readonly Acl[]): readonly Acl[] {
  return acl.map((a) => (a.scheme === 'digest' ? { ...a, id: a.id.replace(/:.*/, ':x') } : a));
}
