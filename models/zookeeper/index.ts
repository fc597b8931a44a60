// The public face of the ZooKeeper data tree for other models (the session model, the
// ensemble): the reducer, its types, and the invariants to check on its states.

export * from './types.ts';
export { apply, initialState, statOf, findSession, ephemeralsOf, isWrite, multiFailure, removeOrphanEphemeral, type TreeBugs } from './tree.ts';
export { treeProblems, structureProblems, orphanedEphemerals, stepProblems } from './invariants.ts';
export { OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, CREATOR_ALL_ACL, digestId } from './acl.ts';
export { isValidPath, pathProblem, parentPath, childName, SPECIAL_PATHS } from './path.ts';
