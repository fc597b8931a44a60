// Options shared by the commands that search a state space (check, liveness): bounds, the
// memory budget, progress lines and Ctrl-C. Parsed once here, so every command takes the same
// bounds the same way.

import { availableParallelism, totalmem } from 'node:os';
import { InputError } from '../core/model.ts';
import type { ExploreOptions } from '../explore/explore.ts';
import type { Progress } from '../explore/traverse.ts';
import { parseChoice, parsePositiveInt, parseSeconds } from './args.ts';
import { defaultMemoryMiB } from './budget.ts';
import { interruptOnSigint } from './signals.ts';

/** For node:util parseArgs. */
export const searchOptions = {
  strategy: { type: 'string' },
  'depth-max': { type: 'string' },
  'states-max': { type: 'string' },
  'time-limit': { type: 'string' },
  'memory-max': { type: 'string' },
  'after-expected-max': { type: 'string' },
  'no-deadlock': { type: 'boolean' },
  continue: { type: 'boolean' },
  progress: { type: 'boolean' },
  symmetry: { type: 'boolean' },
  'verify-codec': { type: 'boolean' },
  workers: { type: 'string' },
} as const;

export interface SearchOptionValues {
  readonly strategy?: string;
  readonly 'depth-max'?: string;
  readonly 'states-max'?: string;
  readonly 'time-limit'?: string;
  readonly 'memory-max'?: string;
  readonly 'after-expected-max'?: string;
  readonly 'no-deadlock'?: boolean;
  readonly continue?: boolean;
  readonly progress?: boolean;
  readonly symmetry?: boolean;
  readonly 'verify-codec'?: boolean;
  readonly workers?: string;
}

/** Longest time limit accepted: a year is already no limit at all. */
const TIME_LIMIT_MAX_SECONDS = 365 * 24 * 3600;

/** The explorer's options from the command line, with Ctrl-C wired to stop the search
 * cleanly and progress on stderr when stderr is a terminal (or --progress). */
export function parseSearchOptions(values: SearchOptionValues): ExploreOptions {
  const timeLimitMs = parseTimeLimitMs(values['time-limit']);
  const memoryMiB = parsePositiveInt('--memory-max', values['memory-max']) ?? defaultMemoryMiB();
  const machineMiB = Math.floor(totalmem() / 2 ** 20);
  if (memoryMiB > machineMiB) throw new InputError(`--memory-max must be at most the machine's memory (${machineMiB} MiB), got ${memoryMiB}`);
  const showProgress = values.progress === true || process.stderr.isTTY === true;
  return {
    strategy: parseChoice('--strategy', values.strategy, ['bfs', 'dfs'] as const) ?? 'bfs',
    depthMax: parsePositiveInt('--depth-max', values['depth-max']),
    statesMax: parsePositiveInt('--states-max', values['states-max']),
    timeLimitMs,
    memoryMaxBytes: memoryMiB * 2 ** 20,
    ...(values['after-expected-max'] === undefined ? {} : { afterExpectedMax: parsePositiveInt('--after-expected-max', values['after-expected-max']) }),
    ...(values['no-deadlock'] ? { checkDeadlock: false } : {}),
    ...(values.continue ? { continueAfterViolation: true } : {}),
    ...(values.symmetry ? { symmetry: true } : {}),
    ...(values['verify-codec'] ? { verifyCodec: true } : {}),
    ...parseWorkers(values.workers),
    signal: interruptOnSigint(),
    ...(showProgress ? { onProgress: printProgress } : {}),
  };
}

/** --workers N: threads of a packed breadth-first search (explore/workers.ts); 1 is the
 * search on this thread. */
function parseWorkers(text: string | undefined): { workers?: number } {
  const workers = parsePositiveInt('--workers', text);
  if (workers === undefined) return {};
  const most = Math.max(1, availableParallelism()) * 4;
  if (workers > most) throw new InputError(`--workers must be at most ${most} (4 per core), got ${workers}`);
  return { workers };
}

/** --time-limit SECONDS (fractions allowed, at most a year) in milliseconds. */
export function parseTimeLimitMs(text: string | undefined): number | undefined {
  const seconds = parseSeconds('--time-limit', text);
  if (seconds !== undefined && seconds > TIME_LIMIT_MAX_SECONDS) {
    throw new InputError(`--time-limit must be at most ${TIME_LIMIT_MAX_SECONDS} seconds (a year), got '${text}'`);
  }
  return seconds === undefined ? undefined : seconds * 1000;
}

const fmt = new Intl.NumberFormat('en-US');

export function progressLine(p: Progress): string {
  return (
    `progress: ${fmt.format(p.distinctStates)} distinct, ${fmt.format(p.totalStates)} total, ` +
    `frontier ${fmt.format(p.frontier)}, depth ${p.depth}, ${fmt.format(p.statesPerSecond)} states/s, ` +
    `${(p.elapsedMs / 1000).toFixed(1)} s, ${fmt.format(Math.round(p.memoryBytes / 2 ** 20))} MiB`
  );
}

function printProgress(p: Progress): void {
  process.stderr.write(progressLine(p) + '\n');
}
