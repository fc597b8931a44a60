#!/usr/bin/env node
// Entry point of the `faultline` command. The sources are TypeScript; tsx compiles them on
// load (esbuild), so there is no build step between a clone and a run.
//
// A search stops as `bounded` when it reaches its memory budget (--memory-max, see
// src/cli/options.ts), which must fit in V8's heap: when the heap limit this process started
// with is too small for the budget, the command runs itself again in a child process with the
// limit raised (V8 fixes its heap limit at start-up), forwarding signals and the exit code.
import { spawn } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const { memoryBudgetMiB, HEAP_MARGIN_MIB } = await import('./budget.ts');
const args = process.argv.slice(2);
const budget = memoryBudgetMiB(args);
const heapMiB = getHeapStatistics().heap_size_limit / 2 ** 20;
if (budget !== undefined && heapMiB < budget + HEAP_MARGIN_MIB && process.env.FAULTLINE_HEAP_RAISED === undefined) {
  const heap = Math.ceil(budget + HEAP_MARGIN_MIB);
  const child = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${heap}`, fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
    env: { ...process.env, FAULTLINE_HEAP_RAISED: String(heap) },
  });
  // Ctrl-C in a terminal reaches both processes; a signal sent to this one alone must reach
  // the child too. The child treats two SIGINTs in quick succession as one (see signals.ts).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 1);
  });
} else {
  // `faultline list | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  const { main } = await import('./main.ts');
  process.exitCode = await main(args);
}
