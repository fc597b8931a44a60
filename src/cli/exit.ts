// Exit codes of the commands that check (documented in the README and the usage text):
//   0  every outcome as expected, and every search that was expected to hold was exhausted
//   1  an outcome not as expected: a violation, an expected violation not found, a trace that
//      no longer reproduces, a model that threw
//   2  bad input or an I/O failure (one line on stderr)
//   3  nothing wrong found, but not verified: a bound (depth, states, time, memory) or Ctrl-C
//      cut a search, so "holds" could not be claimed (nor could an expected violation be
//      found or ruled out)

import type { Outcome } from '../verify/check.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_NOT_VERIFIED = 3;

/** How one outcome counts towards the exit code (and in the JUnit and GitHub reports):
 * `failed` is not as expected, `not-verified` is cut by a bound with nothing wrong found. */
export type RowClass = 'ok' | 'failed' | 'not-verified';

export function classify(o: Outcome): RowClass {
  const inconclusive = o.summary.status === 'bounded' && o.findings.length === 0;
  if (!o.matchesExpected && !inconclusive) return 'failed';
  return o.summary.status === 'bounded' ? 'not-verified' : 'ok';
}

export function exitCode(outcomes: readonly Outcome[]): number {
  const classes = outcomes.map(classify);
  if (classes.includes('failed')) return EXIT_FAILED;
  if (classes.includes('not-verified')) return EXIT_NOT_VERIFIED;
  return EXIT_OK;
}
