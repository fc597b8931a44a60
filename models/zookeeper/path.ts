// Znode paths as ZooKeeper checks them (common/PathUtils.validatePath): absolute, no empty
// segment, no trailing '/' except the root, no '.' or '..' segment, no NUL and none of the
// characters PathUtils rejects. Java strings are UTF-16 like JavaScript's, so the character
// ranges are compared on code units, as the server does.

/** Why `path` is not a valid znode path, or undefined when it is. */
export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'path length must be > 0';
  if (path[0] !== '/') return 'path must start with /';
  if (path.length === 1) return undefined;
  if (path[path.length - 1] === '/') return 'path must not end with /';
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '') return 'empty node name';
    if (segment === '.' || segment === '..') return 'relative paths not allowed';
  }
  for (let i = 1; i < path.length; i++) {
    if (invalidCodeUnit(path.charCodeAt(i))) return `invalid character @${i}`;
  }
  return undefined;
}

// PathUtils.validatePath: NUL, C0 controls, DEL and C1 controls, surrogates and the private
// use area (\ud800–\uf8ff), and \ufff0–\uffff.
function invalidCodeUnit(c: number): boolean {
  return c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0;
}

export function isValidPath(path: string): boolean {
  return pathProblem(path) === undefined;
}

/** The path a client validates before sending a create: a sequential create is checked with
 * a digit appended, so "/a/" is a valid sequential prefix (PathUtils.validatePath(path, isSequential)). */
export function isValidCreatePath(path: string, sequential: boolean): boolean {
  return isValidPath(sequential ? path + '1' : path);
}

/** The parent of a non-root path; the root's children have "/" as parent (the server keys
 * the root as "" as well, DataTree constructor). */
export function parentPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

export function childName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** The znodes the server owns: deleting one is BadArguments (DataTree.isSpecialPath). */
export const SPECIAL_PATHS: readonly string[] = ['/', '/zookeeper', '/zookeeper/config', '/zookeeper/quota'];

/** The sequential suffix: the parent's cversion (count of child creations) before this
 * create, as %010d (PrepRequestProcessor.pRequest2TxnCreate). */
export function sequenceSuffix(parentCversion: number): string {
  return String(parentCversion).padStart(10, '0');
}
