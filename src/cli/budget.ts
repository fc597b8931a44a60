// The memory budget of a search (--memory-max MiB), stated once: the entry point reads it to
// size V8's heap before anything else runs, and the commands pass it to the search, which
// stops as `bounded` when the memory in use reaches it.

import { totalmem } from 'node:os';

/** Heap allowed beyond the budget: the budget is checked every ~100 ms, and rendering a
 * result after a search stops needs some room. */
export const HEAP_MARGIN_MIB = 512;

/** Default budget: half of the machine's memory, at most 16 GiB. */
export function defaultMemoryMiB(): number {
  return Math.min(16 * 1024, Math.floor(totalmem() / 2 ** 20 / 2));
}

/** The budget a command line asks for, read leniently (a malformed value is reported by the
 * command's own parser, with exit 2): --memory-max N or --memory-max=N, else the default.
 * Undefined for commands that run no search. */
export function memoryBudgetMiB(argv: readonly string[]): number | undefined {
  if (!['check', 'liveness', 'simulate'].includes(argv[0] ?? '')) return undefined;
  for (let i = 0; i < argv.length; i++) {
    const m = /^--memory-max(?:=(.*))?$/.exec(argv[i]);
    if (m === null) continue;
    const n = Number(m[1] ?? argv[i + 1]);
    return Number.isFinite(n) && n > 0 ? Math.min(n, 1 << 30) : undefined;
  }
  return defaultMemoryMiB();
}
