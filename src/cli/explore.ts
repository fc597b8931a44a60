// `faultline explore`: the interactive state-space explorer in the browser. Starts the server
// of src/ui/ on 127.0.0.1 (a free port unless --port says which), prints the page's address and
// serves until Ctrl-C (or SIGTERM), which closes it cleanly with exit code 0. Bad input (model,
// variant, param, trace, a port in use) is an InputError: one line and exit code 2, before
// anything listens.

import { parseArgs } from 'node:util';
import { InputError } from '../core/model.ts';
import { loadTrace } from '../trace/trace.ts';
import { findModel, instantiate, type Instance } from '../verify/index.ts';
import { startExploreServer } from '../ui/server.ts';
import { tracePath, type TracePath } from '../ui/session.ts';
import { parseParams } from './args.ts';
import { target, targetOptions } from './target.ts';

export async function exploreCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { ...targetOptions, trace: { type: 'string' }, port: { type: 'string' } },
  });
  const port = parsePort(values.port);
  const { instance, trace } = values.trace === undefined
    ? { instance: target(positionals, values.variant, values.param, 'explore'), trace: undefined }
    : withTrace(values.trace, positionals, values.variant, values.param);
  const server = await startExploreServer({ instance, port, ...(trace === undefined ? {} : { trace }) });
  console.log(`explore ${instance.def.name} (${instance.variant.name}): ${server.url}`);
  if (trace !== undefined) {
    console.log(`trace ${trace.file}: ${trace.path.length - 1} steps, ${trace.reproduced ? 'reproduces' : 'does NOT reproduce'}: ${trace.observed}`);
    console.log(`  its last state: ${server.url}#path=${trace.path.join(',')}`);
  }
  console.log('Ctrl-C stops the server.');
  const signal = await untilStopped();
  await server.close();
  console.log(`stopped (${signal})`);
  return 0;
}

/** With --trace, the model, variant and params default to the trace's; given ones must agree
 * with it (src/ui/session.ts tracePath says which differs). */
function withTrace(file: string, positionals: readonly string[], variant: string | undefined, params: readonly string[] | undefined): { instance: Instance; trace: TracePath & { file: string } } {
  if (positionals.length > 1) throw new InputError('explore takes one model name');
  const trace = loadTrace(file);
  const model = positionals[0] ?? trace.model;
  if (model !== trace.model) throw new InputError(`${file}: a trace of model '${trace.model}', not '${model}'`);
  const instance = instantiate(findModel(model), variant ?? trace.variant, { ...trace.params, ...parseParams(params) });
  return { instance, trace: { file, ...tracePath(instance, trace, file) } };
}

/** --port N: 0 (the default) lets the kernel choose a free port. */
function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = /^\d{1,5}$/.test(text.trim()) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 65535)) throw new InputError(`--port must be a port number in 0..65535 (0: a free one), got '${text}'`);
  return n;
}

/** Resolves with the signal that asked the server to stop. */
function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const stop = (signal: NodeJS.Signals) => {
      for (const s of signals) process.off(s, stop);
      resolve(signal);
    };
    for (const s of signals) process.on(s, stop);
  });
}
