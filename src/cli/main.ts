// The `faultline` command: parses the command name and hands the rest to that command's file;
// turns bad input into one line and exit code 2 (src/cli/exit.ts lists the exit codes).

import { InputError } from '../core/model.ts';
import { ModelError } from '../explore/traverse.ts';
import { renderSteps } from '../render/text.ts';
import { checkCommand } from './check.ts';
import { CLUSTER_USAGE, clusterCommand } from './cluster.ts';
import { EXIT_BAD_INPUT, EXIT_FAILED } from './exit.ts';
import { exploreCommand } from './explore.ts';
import { listCommand } from './list.ts';
import { livenessCommand } from './liveness.ts';
import { mergeCommand } from './merge.ts';
import { newCommand } from './new.ts';
import { replayCommand } from './replay.ts';
import { simulateCommand } from './simulate.ts';

const USAGE = `usage:
  faultline list [--json]
  faultline check <model> [--variant V] [--param KEY=VALUE ...] [--scenario NAME] [--strategy bfs|dfs]
                  [--depth-max N] [--states-max N] [--time-limit SECONDS] [--memory-max MIB]
                  [--after-expected-max N] [--no-deadlock] [--continue] [--progress] [--json] [--save DIR] [--chart]
                  [--junit FILE] [--github]
  faultline check --all [--only MODEL[,MODEL...]] [--jobs N] [bounds as above] [--progress] [--json] [--save DIR]
                  [--junit FILE] [--github]
                  --jobs N: rows in N worker processes (default: the number of cores; 1: one after the other)
                  --junit FILE: JUnit XML report; --github: GitHub Actions annotations for unexpected rows
  faultline replay <trace.json> [--json] [--chart] [--html FILE]
  faultline replay --rewrite [TRACE_OR_DIR ...]      (re)write the text transcripts (default: traces/)
  faultline simulate <model> [--variant V] [--param KEY=VALUE ...] [--runs N] [--depth-max N]
                  [--seed S] [--shard I/N] [--json] [--save DIR]
  faultline merge <report.json ...> [--json]
  faultline liveness <model> [--variant V] [--param KEY=VALUE ...] [--states-max N]
                  [--depth-max N] [--time-limit SECONDS] [--memory-max MIB] [--progress]
                  [--json] [--save DIR] [--dot FILE]
  faultline explore <model> [--variant V] [--param KEY=VALUE ...] [--trace FILE] [--port N]
                  the state-space explorer in the browser, on 127.0.0.1 (default: a free port)
${CLUSTER_USAGE}
  faultline new <name>     scaffold models/<name>/ (a small actor model with a planted bug), its
                  properties test, and its registration in models/index.ts

exit codes: 0 as expected; 1 a violation or an outcome not as expected; 2 bad input or an I/O
failure; 3 nothing wrong found but NOT verified (a bound or Ctrl-C cut the search).
Ctrl-C stops a search with the statistics so far; a second Ctrl-C exits at once.`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'list':
        return listCommand(rest);
      case 'check':
        return await checkCommand(rest);
      case 'replay':
        return replayCommand(rest);
      case 'simulate':
        return simulateCommand(rest);
      case 'merge':
        return mergeCommand(rest);
      case 'liveness':
        return await livenessCommand(rest);
      case 'explore':
        return await exploreCommand(rest);
      case 'new':
        return await newCommand(rest);
      case 'cluster':
        return await clusterCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? EXIT_BAD_INPUT : 0;
      default:
        throw new InputError(`unknown command '${command}' (commands: list, check, replay, simulate, merge, liveness, explore, new, cluster)`);
    }
  } catch (e) {
    if (e instanceof InputError) {
      console.error(`faultline: ${e.message}`);
      return EXIT_BAD_INPUT;
    }
    if (e instanceof ModelError) {
      console.error(`faultline: ${e.message}`);
      if (e.run !== undefined) {
        console.error(`  the state being expanded was reached by:\n${renderSteps(e.run.init, e.run.steps, '    ')}`);
      }
      return EXIT_FAILED;
    }
    if (isParseArgsError(e)) {
      console.error(`faultline: ${parseArgsMessage(e as Error)}`);
      return EXIT_BAD_INPUT;
    }
    throw e;
  }
}

/** node:util's parseArgs messages are long; say the part a user needs. */
function parseArgsMessage(e: Error): string {
  const unknown = /Unknown option '([^']+)'/.exec(e.message);
  if (unknown !== null) return `unknown option '${unknown[1]}' (see faultline help)`;
  const missing = /Option '([^' ]+)[^']*' argument missing/.exec(e.message);
  if (missing !== null) return `option '${missing[1]}' needs a value`;
  const ambiguous = /Option '([^' ]+)[^']*' argument is ambiguous/.exec(e.message);
  if (ambiguous !== null) {
    return `option '${ambiguous[1]}' needs a value; a value starting with '-' is written ${ambiguous[1]}=-VALUE`;
  }
  return e.message.split('\n')[0];
}

function isParseArgsError(e: unknown): boolean {
  const code = (e as { code?: string } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
