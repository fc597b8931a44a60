// Ctrl-C during a search: the first stops it cleanly (the result is `bounded`, interrupted,
// with the statistics so far); a second exits at once. Searches run in slices, so the signal
// handler gets its turn between them (see explore/traverse.ts).

import type { Interrupt } from '../explore/traverse.ts';

/** A second SIGINT this soon after the first is the same Ctrl-C delivered twice (to the
 * process group and forwarded by the entry point), not a second press. */
const SAME_PRESS_MS = 200;

interface InterruptFlag extends Interrupt {
  aborted: boolean;
}

let flag: InterruptFlag | undefined;

/** The process-wide interrupt flag, installing the SIGINT handler on first use. */
export function interruptOnSigint(): Interrupt {
  if (flag !== undefined) return flag;
  const f: InterruptFlag = { aborted: false };
  flag = f;
  let first = 0;
  process.on('SIGINT', () => {
    const now = performance.now();
    if (!f.aborted) {
      f.aborted = true;
      first = now;
      process.stderr.write('\ninterrupted: stopping the search with the statistics so far (Ctrl-C again to exit at once)\n');
    } else if (now - first > SAME_PRESS_MS) {
      process.exit(130);
    }
  });
  return f;
}
