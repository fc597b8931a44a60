// ZooKeeper's data tree as a pure reducer (models/zookeeper): example tests that each name a
// behaviour of the 3.8 server (the Java class it was read from is cited in the reducer), then
// random command sequences over the whole API with several sessions: structural properties
// after every command, and the same responses, Stats and events as the naive reference in
// zookeeper-reference.ts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CREATOR_ALL_ACL, digestId, OPEN_ACL_UNSAFE } from '../models/zookeeper/acl.ts';
import { stepProblems, treeProblems } from '../models/zookeeper/invariants.ts';
import { parentPath } from '../models/zookeeper/path.ts';
import { apply, initialState, multiFailure, statOf } from '../models/zookeeper/tree.ts';
import type { Acl, CreateMode, MultiOp, Stat, WatchEvent, ZkRequest, ZkResponse, ZkState } from '../models/zookeeper/types.ts';
import { ReferenceZooKeeper } from './zookeeper-reference.ts';

/** A server driven by the test: each request gets the next zxid and a time one tick later. */
function server() {
  let state = initialState();
  let time = 1000;
  const events: WatchEvent[] = [];
  const run = (request: ZkRequest): ZkResponse => {
    const r = apply(state, request, { zxid: state.lastZxid + 1, time: ++time });
    state = r.state;
    events.push(...r.events);
    return r.response;
  };
  const session = (clientIp = '127.0.0.1'): number => {
    const r = run({ kind: 'createSession', timeoutMs: 4000, clientIp });
    if (r.kind !== 'session') throw new Error('no session');
    return r.session;
  };
  const stat = (path: string): Stat => statOf(state.nodes[path]);
  return { run, session, stat, events, state: () => state };
}

const create = (session: number, path: string, mode: CreateMode = 'persistent', acl: readonly Acl[] = OPEN_ACL_UNSAFE, data = ''): ZkRequest => ({ kind: 'create', session, path, data, acl, mode });
const createdPath = (r: ZkResponse) => (r.kind === 'created' ? r.path : r);
const code = (r: ZkResponse) => (r.kind === 'error' ? r.code : r.kind);

describe('the data tree answers as a ZooKeeper 3.8 server does', () => {
  it('a fresh tree holds /zookeeper with quota and config; children added without a create make the root report cversion −1', () => {
    const zk = server();
    const s = zk.session();
    expect(zk.run({ kind: 'getChildren', session: s, path: '/', watch: false })).toMatchObject({ children: ['zookeeper'], stat: { cversion: -1, numChildren: 1 } });
    expect(zk.run({ kind: 'getChildren', session: s, path: '/zookeeper', watch: false })).toMatchObject({ children: ['config', 'quota'], stat: { cversion: -2 } });
    expect(zk.run({ kind: 'getACL', session: s, path: '/zookeeper/config' })).toEqual({ kind: 'acl', acl: [{ perms: 1, scheme: 'world', id: 'anyone' }], stat: expect.objectContaining({ aversion: -1 }) });
  });

  it("a sequential create's suffix comes from the parent's count of creations, so it is not reused after a delete", () => {
    const zk = server();
    const s = zk.session();
    zk.run(create(s, '/q'));
    expect(createdPath(zk.run(create(s, '/q/job-', 'persistent-sequential')))).toBe('/q/job-0000000000');
    zk.run(create(s, '/q/plain'));
    expect(zk.run({ kind: 'delete', session: s, path: '/q/job-0000000000', version: -1 })).toEqual({ kind: 'ok' });
    expect(createdPath(zk.run(create(s, '/q/job-', 'ephemeral-sequential')))).toBe('/q/job-0000000002');
    // The reported cversion counts the delete too: 2·3 creations − 2 children.
    expect(zk.stat('/q').cversion).toBe(4);
  });

  it('a sequential create of "/" or of a prefix ending in "/" names the child by its number alone', () => {
    const zk = server();
    const s = zk.session();
    expect(createdPath(zk.run(create(s, '/', 'persistent-sequential')))).toBe('/0000000000');
    zk.run(create(s, '/d'));
    expect(createdPath(zk.run(create(s, '/d/', 'persistent-sequential')))).toBe('/d/0000000000');
    expect(code(zk.run(create(s, '/d/')))).toBe('BadArguments');
  });

  it('a child create or delete moves the parent’s pzxid and cversion but not its mzxid or version; setData moves mzxid and version only', () => {
    const zk = server();
    const s = zk.session();
    zk.run(create(s, '/p', 'persistent', OPEN_ACL_UNSAFE, 'v0'));
    const created = zk.stat('/p');
    zk.run(create(s, '/p/c'));
    const afterChild = zk.stat('/p');
    expect(afterChild).toMatchObject({ mzxid: created.mzxid, version: 0, pzxid: zk.state().lastZxid, cversion: 1, numChildren: 1 });
    zk.run({ kind: 'setData', session: s, path: '/p/c', data: 'x', version: -1 });
    expect(zk.stat('/p')).toEqual(afterChild);
    zk.run({ kind: 'setData', session: s, path: '/p', data: 'v1', version: 0 });
    expect(zk.stat('/p')).toMatchObject({ mzxid: zk.state().lastZxid, version: 1, pzxid: afterChild.pzxid, czxid: created.czxid, dataLength: 2 });
    zk.run({ kind: 'delete', session: s, path: '/p/c', version: 1 });
    expect(zk.stat('/p')).toMatchObject({ pzxid: zk.state().lastZxid, cversion: 2, numChildren: 0 });
  });

  it('setACL moves only the aversion: no zxid of the node changes and no watch fires', () => {
    const zk = server();
    const s = zk.session();
    zk.run(create(s, '/n'));
    zk.run({ kind: 'getData', session: s, path: '/n', watch: true });
    const before = zk.stat('/n');
    expect(zk.run({ kind: 'setACL', session: s, path: '/n', acl: [{ perms: 31, scheme: 'ip', id: '127.0.0.0/8' }], version: 0 })).toEqual({ kind: 'stat', stat: { ...before, aversion: 1 } });
    expect(code(zk.run({ kind: 'setACL', session: s, path: '/n', acl: OPEN_ACL_UNSAFE, version: 0 }))).toBe('BadVersion');
    expect(zk.events).toEqual([]);
  });

  it('a failed write takes a zxid and changes nothing else; version −1 matches any version', () => {
    const zk = server();
    const s = zk.session();
    zk.run(create(s, '/v'));
    const before = zk.state();
    expect(code(zk.run({ kind: 'setData', session: s, path: '/v', data: 'x', version: 7 }))).toBe('BadVersion');
    expect(zk.state().nodes).toBe(before.nodes);
    expect(zk.state().lastZxid).toBe(before.lastZxid + 1);
    expect(zk.run({ kind: 'setData', session: s, path: '/v', data: 'x', version: -1 })).toMatchObject({ stat: { version: 1, mzxid: before.lastZxid + 2 } });
  });

  it('errors come in the server’s order: InvalidACL before NoNode, NoAuth on the parent before NodeExists, NodeExists before NoChildrenForEphemerals', () => {
    const zk = server();
    const s = zk.session();
    expect(code(zk.run(create(s, '/missing/x', 'persistent', [])))).toBe('InvalidACL');
    expect(code(zk.run(create(s, '/missing/x')))).toBe('NoNode');
    zk.run(create(s, '/locked', 'persistent', [{ perms: 1, scheme: 'world', id: 'anyone' }]));
    expect(code(zk.run(create(s, '/locked')))).toBe('NodeExists');
    expect(code(zk.run(create(s, '/locked/x')))).toBe('NoAuth');
    zk.run(create(s, '/e', 'ephemeral'));
    zk.run(create(s, '/e2', 'ephemeral'));
    expect(code(zk.run(create(s, '/e/x')))).toBe('NoChildrenForEphemerals');
    expect(code(zk.run(create(s, '/e2')))).toBe('NodeExists');
  });

  it('delete checks DELETE on the parent, not on the node, before looking at the node; then BadVersion before NotEmpty', () => {
    const zk = server();
    const s = zk.session();
    zk.run(create(s, '/open'));
    zk.run(create(s, '/open/readonly', 'persistent', [{ perms: 1, scheme: 'world', id: 'anyone' }]));
    expect(zk.run({ kind: 'delete', session: s, path: '/open/readonly', version: -1 })).toEqual({ kind: 'ok' });
    zk.run(create(s, '/nodelete', 'persistent', [{ perms: 31 - 8, scheme: 'world', id: 'anyone' }]));
    zk.run(create(s, '/nodelete/c'));
    expect(code(zk.run({ kind: 'delete', session: s, path: '/nodelete/c', version: -1 }))).toBe('NoAuth');
    expect(code(zk.run({ kind: 'delete', session: s, path: '/nodelete/missing', version: -1 }))).toBe('NoAuth');
    zk.run(create(s, '/open/p'));
    zk.run(create(s, '/open/p/c'));
    expect(code(zk.run({ kind: 'delete', session: s, path: '/open/p', version: 3 }))).toBe('BadVersion');
    expect(code(zk.run({ kind: 'delete', session: s, path: '/open/p', version: 0 }))).toBe('NotEmpty');
  });

  it('the server’s own znodes cannot be deleted (BadArguments), and an invalid path is refused before it is sent', () => {
    const zk = server();
    const s = zk.session();
    for (const path of ['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config']) expect(code(zk.run({ kind: 'delete', session: s, path, version: -1 }))).toBe('BadArguments');
    const zxid = zk.state().lastZxid;
    for (const path of ['', 'a', '/a/', '/a//b', '/a/./b', '/..', '/a\u0001', '/\ud800']) expect(code(zk.run(create(s, path)))).toBe('BadArguments');
    expect(zk.state().lastZxid).toBe(zxid);
  });

  it('a failed multi reports Ok for the ops before the failure, the failure’s code, then RuntimeInconsistency, and applies none of them', () => {
    const zk = server();
    const s = zk.session();
    const before = zk.state();
    const ops: MultiOp[] = [
      { kind: 'create', path: '/m', data: '', acl: OPEN_ACL_UNSAFE, mode: 'persistent' },
      { kind: 'setData', path: '/nope', data: 'x', version: -1 },
      { kind: 'check', path: '/m', version: 0 },
    ];
    const r = zk.run({ kind: 'multi', session: s, ops });
    expect(r).toEqual({ kind: 'multi', results: [{ kind: 'error', code: 'Ok' }, { kind: 'error', code: 'NoNode' }, { kind: 'error', code: 'RuntimeInconsistency' }] });
    expect(r.kind === 'multi' && multiFailure(r.results)).toBe('NoNode');
    expect(zk.state().nodes).toBe(before.nodes);
  });

  it('a multi sees its own earlier ops and gives them all one zxid', () => {
    const zk = server();
    const s = zk.session();
    const r = zk.run({
      kind: 'multi',
      session: s,
      ops: [
        { kind: 'create', path: '/m', data: '', acl: OPEN_ACL_UNSAFE, mode: 'persistent' },
        { kind: 'create', path: '/m/seq-', data: '', acl: OPEN_ACL_UNSAFE, mode: 'persistent-sequential' },
        { kind: 'setData', path: '/m', data: 'x', version: 0 },
        { kind: 'check', path: '/m', version: 1 },
      ],
    });
    const z = zk.state().lastZxid;
    expect(r).toMatchObject({ results: [{ kind: 'create', path: '/m' }, { kind: 'create', path: '/m/seq-0000000000' }, { kind: 'setData' }, { kind: 'check' }] });
    expect(zk.stat('/m')).toMatchObject({ czxid: z, mzxid: z, pzxid: z, version: 1 });
  });

  it('exists on a missing node leaves a data watch that fires NodeCreated once; getData on a missing node leaves none', () => {
    const zk = server();
    const [a, b] = [zk.session(), zk.session()];
    expect(code(zk.run({ kind: 'exists', session: a, path: '/w', watch: true }))).toBe('NoNode');
    expect(code(zk.run({ kind: 'getData', session: b, path: '/w', watch: true }))).toBe('NoNode');
    zk.run(create(b, '/w'));
    zk.run({ kind: 'delete', session: b, path: '/w', version: -1 });
    expect(zk.events).toEqual([{ session: a, type: 'NodeCreated', path: '/w' }]);
  });

  it('a session watching a node’s data and children hears NodeDeleted once, and the parent’s child watchers hear NodeChildrenChanged', () => {
    const zk = server();
    const [a, b] = [zk.session(), zk.session()];
    zk.run(create(a, '/x'));
    zk.run({ kind: 'getData', session: a, path: '/x', watch: true });
    zk.run({ kind: 'getChildren', session: a, path: '/x', watch: true });
    zk.run({ kind: 'getChildren', session: b, path: '/', watch: true });
    zk.run({ kind: 'delete', session: a, path: '/x', version: -1 });
    expect(zk.events).toEqual([
      { session: a, type: 'NodeDeleted', path: '/x' },
      { session: b, type: 'NodeChildrenChanged', path: '/' },
    ]);
  });

  it('closing or expiring a session removes its ephemerals in one txn, fires their watches, and its next request is SessionExpired', () => {
    const zk = server();
    const [a, b] = [zk.session(), zk.session()];
    zk.run(create(a, '/locks'));
    zk.run(create(a, '/locks/l-', 'ephemeral-sequential'));
    zk.run(create(a, '/locks/l-', 'ephemeral-sequential'));
    zk.run({ kind: 'getChildren', session: b, path: '/locks', watch: true });
    zk.run({ kind: 'exists', session: b, path: '/locks/l-0000000001', watch: true });
    zk.run({ kind: 'expireSession', session: a });
    const z = zk.state().lastZxid;
    expect(zk.state().nodes['/locks'].children).toEqual([]);
    expect(zk.stat('/locks')).toMatchObject({ pzxid: z, cversion: 4 });
    expect(zk.events).toEqual([
      { session: b, type: 'NodeChildrenChanged', path: '/locks' },
      { session: b, type: 'NodeDeleted', path: '/locks/l-0000000001' },
    ]);
    expect(code(zk.run(create(a, '/after')))).toBe('SessionExpired');
    expect(zk.state().lastZxid).toBe(z);
  });

  it('digest auth is user:base64(sha1(user:password)); "auth" in an ACL becomes the creator’s digest ids, and is InvalidACL without one', () => {
    expect(digestId('alice:secret')).toBe('alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=');
    const zk = server();
    const [alice, other] = [zk.session(), zk.session()];
    expect(code(zk.run(create(alice, '/private', 'persistent', CREATOR_ALL_ACL)))).toBe('InvalidACL');
    zk.run({ kind: 'addAuth', session: alice, scheme: 'digest', credential: 'alice:secret' });
    zk.run(create(alice, '/private', 'persistent', CREATOR_ALL_ACL));
    expect(zk.run({ kind: 'getACL', session: alice, path: '/private' })).toMatchObject({ acl: [{ perms: 31, scheme: 'digest', id: 'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=' }] });
    expect(code(zk.run({ kind: 'getData', session: other, path: '/private', watch: false }))).toBe('NoAuth');
    zk.run({ kind: 'addAuth', session: other, scheme: 'digest', credential: 'alice:wrong' });
    expect(code(zk.run({ kind: 'getData', session: other, path: '/private', watch: false }))).toBe('NoAuth');
  });

  it('getACL needs READ or ADMIN, and without ADMIN shows digest ids as user:x', () => {
    const zk = server();
    const s = zk.session();
    const acl: Acl[] = [
      { perms: 1, scheme: 'world', id: 'anyone' },
      { perms: 16, scheme: 'digest', id: digestId('bob:pw') },
    ];
    zk.run(create(s, '/r', 'persistent', acl));
    expect(zk.run({ kind: 'getACL', session: s, path: '/r' })).toMatchObject({ acl: [acl[0], { perms: 16, scheme: 'digest', id: 'bob:x' }] });
    zk.run({ kind: 'addAuth', session: s, scheme: 'digest', credential: 'bob:pw' });
    expect(zk.run({ kind: 'getACL', session: s, path: '/r' })).toMatchObject({ acl });
    zk.run(create(s, '/adminonly', 'persistent', [acl[1]]));
    expect(zk.run({ kind: 'getACL', session: s, path: '/adminonly' })).toMatchObject({ acl: [acl[1]] });
    expect(code(zk.run({ kind: 'getData', session: s, path: '/adminonly', watch: false }))).toBe('NoAuth');
  });

  it('an ip ACL matches the connection’s address against an address or a CIDR block', () => {
    const zk = server();
    const [local, remote] = [zk.session('127.0.0.1'), zk.session('10.1.2.3')];
    zk.run(create(local, '/ip', 'persistent', [{ perms: 31, scheme: 'ip', id: '127.0.0.0/8' }]));
    expect(code(zk.run({ kind: 'getData', session: local, path: '/ip', watch: false }))).toBe('data');
    expect(code(zk.run({ kind: 'getData', session: remote, path: '/ip', watch: false }))).toBe('NoAuth');
    expect(code(zk.run(create(local, '/bad', 'persistent', [{ perms: 31, scheme: 'ip', id: '10.0.0.0/33' }])))).toBe('InvalidACL');
  });
});

// ---------------------------------------------------------------------------------------
// Random command sequences over the whole API.

const IPS = ['127.0.0.1', '10.1.2.3', '192.168.0.9'];
const COMMON_PATHS = ['/a', '/b', '/a/b', '/a/b', '/a/c', '/a/b/c'];
const SEQUENTIAL_PATHS = ['/a/s-', '/a/s-', '/s-', ...[1, 2, 3, 4, 5, 6].map((n) => `/a/s-${String(n).padStart(10, '0')}`), '/s-0000000001'];
const SPECIAL_PATHS = ['/', '/zookeeper', '/zookeeper/config', '/a/'];
const INVALID_PATHS = ['a', '/a//b', '/a/.', '/b/'];
const ACLS: readonly (readonly Acl[])[] = [
  OPEN_ACL_UNSAFE,
  OPEN_ACL_UNSAFE,
  CREATOR_ALL_ACL,
  [{ perms: 1, scheme: 'world', id: 'anyone' }],
  [{ perms: 31 - 8 - 4, scheme: 'world', id: 'anyone' }],
  [{ perms: 31, scheme: 'digest', id: digestId('alice:secret') }, { perms: 1, scheme: 'world', id: 'anyone' }],
  [{ perms: 31, scheme: 'ip', id: '127.0.0.1' }],
  [{ perms: 3, scheme: 'ip', id: '10.0.0.0/8' }, { perms: 28, scheme: 'auth', id: '' }],
  [],
  [{ perms: 31, scheme: 'world', id: 'nobody' }],
  [{ perms: 31, scheme: 'digest', id: 'no-colon' }],
];

const path = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...COMMON_PATHS) },
  { weight: 4, arbitrary: fc.constantFrom(...SEQUENTIAL_PATHS) },
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_PATHS) },
  { weight: 1, arbitrary: fc.constantFrom(...INVALID_PATHS) },
);
const session = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(1, 2, 3) }, { weight: 1, arbitrary: fc.constantFrom(4, 5) });
const version = fc.constantFrom(-1, -1, 0, 1, 2);
const data = fc.constantFrom('', 'x', 'héllo');
const acl = fc.oneof({ weight: 6, arbitrary: fc.constant(OPEN_ACL_UNSAFE) }, { weight: 5, arbitrary: fc.constantFrom(...ACLS) });
const mode = fc.constantFrom<CreateMode>('persistent', 'persistent', 'persistent', 'ephemeral', 'ephemeral', 'persistent-sequential', 'ephemeral-sequential');

const op: fc.Arbitrary<MultiOp> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), path, data, acl, mode }),
  fc.record({ kind: fc.constant('delete' as const), path, version }),
  fc.record({ kind: fc.constant('setData' as const), path, data, version }),
  fc.record({ kind: fc.constant('check' as const), path, version }),
);

const onSession = <T extends object>(arb: fc.Arbitrary<T>) => fc.tuple(arb, session).map(([o, s]) => ({ ...o, session: s }));
const createOp = fc.record({ kind: fc.constant('create' as const), path, data, acl, mode });
const deleteOp = fc.record({ kind: fc.constant('delete' as const), path, version });
const setDataOp = fc.record({ kind: fc.constant('setData' as const), path, data, version });

const request: fc.Arbitrary<ZkRequest> = fc.oneof(
  { weight: 16, arbitrary: onSession(createOp) },
  { weight: 6, arbitrary: onSession(deleteOp) },
  { weight: 8, arbitrary: onSession(setDataOp) },
  { weight: 12, arbitrary: fc.record({ kind: fc.constantFrom('exists' as const, 'getData' as const, 'getChildren' as const), session, path, watch: fc.constantFrom(true, true, false) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('getACL' as const), session, path }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('setACL' as const), session, path, acl, version }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sync' as const), session, path }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('multi' as const), session, ops: fc.array(op, { maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('addAuth' as const), session, scheme: fc.constantFrom('digest' as const, 'ip' as const), credential: fc.constantFrom('alice:secret', 'bob:pw', 'alice:wrong') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('closeSession' as const, 'expireSession' as const), session }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('createSession' as const), timeoutMs: fc.constant(4000), clientIp: fc.constantFrom(...IPS) }) },
);

const commands = fc.array(request, { minLength: 10, maxLength: 60 });

function describeFailure(step: number, req: ZkRequest, problems: string[]): string {
  return `after step ${step} (${JSON.stringify(req)}): ${problems.join('; ')}`;
}

/** Three sessions, one per address, and /a, before the random commands. */
const OPENING: ZkRequest[] = [
  ...IPS.map((clientIp): ZkRequest => ({ kind: 'createSession', timeoutMs: 4000, clientIp })),
  { kind: 'create', session: 1, path: '/a', data: '', acl: OPEN_ACL_UNSAFE, mode: 'persistent' },
];

/** The paths that sequential creates made, for a create or a successful multi. */
function sequentialCreates(req: ZkRequest, response: ZkResponse): string[] {
  const sequential = (mode: CreateMode) => mode.endsWith('-sequential');
  if (req.kind === 'create' && response.kind === 'created') return sequential(req.mode) ? [response.path] : [];
  if (req.kind !== 'multi' || response.kind !== 'multi') return [];
  return req.ops.flatMap((o, i) => {
    const r = response.results[i];
    return o.kind === 'create' && sequential(o.mode) && r.kind === 'create' ? [r.path] : [];
  });
}

describe('random command sequences over the whole API, with several sessions', () => {
  it('keep the tree well formed, never move a counter or zxid back, leave the tree alone on failure, and number sequential children upwards per parent', () => {
    fc.assert(
      fc.property(commands, (cmds) => {
        let state: ZkState = initialState();
        const lastSequence = new Map<string, number>();
        [...OPENING, ...cmds].forEach((req, i) => {
          const at = { zxid: state.lastZxid + 1, time: 1000 + i };
          const r = apply(state, req, at);
          const problems = [...treeProblems(r.state), ...stepProblems(state, r)];
          if (r.zxidUsed !== (r.state.lastZxid === at.zxid)) problems.push('zxidUsed disagrees with lastZxid');
          for (const p of sequentialCreates(req, r.response)) {
            const n = Number(p.slice(-10));
            const parent = parentPath(p);
            if (n <= (lastSequence.get(parent) ?? -1)) problems.push(`sequential number ${n} under ${parent} is not above ${lastSequence.get(parent)}`);
            lastSequence.set(parent, n);
          }
          if (problems.length > 0) throw new Error(describeFailure(i, req, problems));
          state = r.state;
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('give the same responses, watch events, Stats, data and ACLs as the naive reference', () => {
    fc.assert(
      fc.property(commands, (cmds) => {
        let state: ZkState = initialState();
        const ref = new ReferenceZooKeeper();
        [...OPENING, ...cmds].forEach((req, i) => {
          const at = { zxid: state.lastZxid + 1, time: 1000 + i };
          const r = apply(state, req, at);
          const expected = ref.run(req, at);
          expect({ step: i, response: r.response, events: r.events, zxidUsed: r.zxidUsed }).toEqual({ step: i, ...expected });
          state = r.state;
          expect(Object.keys(state.nodes).sort()).toEqual([...ref.nodes.keys()].sort());
          for (const [p, node] of ref.nodes) {
            expect({ path: p, stat: statOf(state.nodes[p]), data: state.nodes[p].data, acl: state.nodes[p].acl }).toEqual({ path: p, stat: ref.stat(p), data: node.data, acl: node.acl });
          }
        });
      }),
      { numRuns: 1000 },
    );
  });
});
