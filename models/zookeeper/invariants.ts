// What must hold of every ZooKeeper state and every step, in protocol words, for the
// property tests here and for the model-checking models built on the reducer.

import { equalValues } from '../../src/core/data.ts';
import { childName, isValidPath, joinPath, parentPath } from './path.ts';
import { findSession, multiFailure, statOf } from './tree.ts';
import type { ApplyResult, ZkState } from './types.ts';

/** Problems with the shape of the tree and the sessions, ephemerals' owners included; empty
 * when well formed. */
export function treeProblems(state: ZkState): string[] {
  return [...structureProblems(state), ...orphanedEphemerals(state)];
}

/** Ephemerals whose session has ended (a session's ephemerals go with it, atomically). */
export function orphanedEphemerals(state: ZkState): string[] {
  const problems: string[] = [];
  for (const [path, node] of Object.entries(state.nodes)) {
    const owner = node.stat.ephemeralOwner;
    if (owner !== 0 && findSession(state, owner) === undefined) problems.push(`ephemeral ${path} outlives its session ${owner}`);
  }
  return problems;
}

/** treeProblems without the ephemerals' owners: the tree's own shape and the sessions. */
export function structureProblems(state: ZkState): string[] {
  const problems: string[] = [];
  if (state.nodes['/'] === undefined) problems.push('the root is missing');
  for (const [path, node] of Object.entries(state.nodes)) {
    if (!isValidPath(path)) problems.push(`${JSON.stringify(path)} is not a valid path`);
    if (path !== '/') {
      const parent = state.nodes[parentPath(path)];
      if (parent === undefined) problems.push(`${path} has no parent`);
      else if (!parent.children.includes(childName(path))) problems.push(`${parentPath(path)} does not list its child ${childName(path)}`);
    }
    node.children.forEach((c, i) => {
      if (i > 0 && node.children[i - 1] >= c) problems.push(`${path}'s children are not sorted and unique`);
      if (state.nodes[joinPath(path, c)] === undefined) problems.push(`${path} lists ${c}, which does not exist`);
    });
    if (statOf(node).numChildren !== node.children.length) problems.push(`${path}'s numChildren differs from its children`);
    if (node.stat.ephemeralOwner !== 0 && node.children.length > 0) problems.push(`ephemeral ${path} has children`);
    for (const z of [node.stat.czxid, node.stat.mzxid, node.stat.pzxid]) if (z > state.lastZxid) problems.push(`${path} has a zxid after the last one applied`);
  }
  state.sessions.forEach((s, i) => {
    if (i > 0 && state.sessions[i - 1].id >= s.id) problems.push('sessions are not sorted by id');
    if (s.id >= state.nextSessionId) problems.push(`session ${s.id} is not below nextSessionId`);
  });
  return problems;
}

/** Problems with one step from `prev` to `result.state`: counters and zxids never go back on a
 * znode that lives on (same czxid), and a failed request leaves every znode as it was. */
export function stepProblems(prev: ZkState, result: ApplyResult): string[] {
  const next = result.state;
  const problems: string[] = [];
  if (next.lastZxid < prev.lastZxid) problems.push('the last zxid went back');
  const r = result.response;
  const failed = r.kind === 'error' || (r.kind === 'multi' && multiFailure(r.results) !== undefined);
  if (failed && !equalValues(prev.nodes, next.nodes)) problems.push(`a failed request (${r.kind === 'error' ? r.code : 'multi'}) changed the tree`);
  for (const [path, after] of Object.entries(next.nodes)) {
    const before = prev.nodes[path];
    if (before === undefined || before.stat.czxid !== after.stat.czxid) continue;
    const a = statOf(before);
    const b = statOf(after);
    for (const field of ['version', 'cversion', 'aversion', 'mzxid', 'pzxid'] as const) {
      if (b[field] < a[field]) problems.push(`${path}'s ${field} went back from ${a[field]} to ${b[field]}`);
    }
  }
  return problems;
}
